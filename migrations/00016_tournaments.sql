-- Tournaments of teams: the durable, strongly consistent part.
-- A tournament row is the lock every change of its field takes (SELECT …
-- FOR UPDATE), so registrations, check-ins and the start of a round are
-- serialized per tournament; a round exists once (its primary key), and a
-- game's result is written once (UPDATE … WHERE winner IS NULL): a persist
-- task run twice, or a reconcile re-run, finds it recorded.

-- +goose Up
CREATE TABLE tournaments (
    id         text        PRIMARY KEY CHECK (id <> ''),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    format     text        NOT NULL CHECK (format IN ('swiss', 'elimination')),
    target     smallint    NOT NULL CHECK (target IN (3, 5, 7)),
    rounds     smallint    NOT NULL CHECK (rounds BETWEEN 1 AND 20),
    max_teams  smallint    NOT NULL CHECK (max_teams BETWEEN 2 AND 256),
    bots_fill  boolean     NOT NULL DEFAULT false, -- a bot may take a no-show's seat
    status     text        NOT NULL DEFAULT 'registration'
                           CHECK (status IN ('registration', 'checkin', 'running', 'finished', 'cancelled')),
    checkin_at  timestamptz NOT NULL,                   -- registration closes, check-in opens
    starts_at   timestamptz NOT NULL,                   -- check-in closes, teams are formed, round 1 starts
    round_break integer     NOT NULL DEFAULT 60 CHECK (round_break BETWEEN 0 AND 3600), -- seconds between rounds
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CHECK (checkin_at <= starts_at)
);

CREATE TABLE tournament_teams (
    tournament_id text        NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
    team_id       text        NOT NULL CHECK (team_id <> ''),
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    rating        integer     NOT NULL,
    -- solo: a player who registered alone, for the organiser to pair; code:
    -- the join code a partner registers with while the team has one player.
    solo          boolean     NOT NULL DEFAULT false,
    code          text        UNIQUE,
    -- false once the tournament started without it (no-shows; a solo
    -- player's row after being paired into another team).
    active        boolean     NOT NULL DEFAULT true,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tournament_id, team_id)
);

-- A player is in one team of a tournament.
CREATE TABLE tournament_players (
    tournament_id text    NOT NULL,
    player_id     text    NOT NULL REFERENCES players (id),
    team_id       text    NOT NULL,
    checked_in    boolean NOT NULL DEFAULT false,
    joined_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tournament_id, player_id),
    FOREIGN KEY (tournament_id, team_id) REFERENCES tournament_teams (tournament_id, team_id) ON DELETE CASCADE
);

CREATE TABLE tournament_rounds (
    tournament_id text        NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
    round         smallint    NOT NULL CHECK (round >= 1),
    started_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tournament_id, round)
);

CREATE TABLE tournament_games (
    tournament_id text     NOT NULL,
    round         smallint NOT NULL,
    line          smallint NOT NULL CHECK (line >= 0), -- its place in the round (a bracket's line order)
    team_a        text     NOT NULL,
    team_b        text,                                -- NULL: a bye for team_a
    table_id      text UNIQUE,                         -- the table it is played at (made by the director)
    seated_at     timestamptz,                         -- its players were seated there
    match_id      text UNIQUE,                         -- the stored match that decided it
    winner        text,
    score_a       smallint,
    score_b       smallint,
    decided_at    timestamptz,
    PRIMARY KEY (tournament_id, round, line),
    FOREIGN KEY (tournament_id, round) REFERENCES tournament_rounds (tournament_id, round) ON DELETE CASCADE,
    FOREIGN KEY (tournament_id, team_a) REFERENCES tournament_teams (tournament_id, team_id),
    FOREIGN KEY (tournament_id, team_b) REFERENCES tournament_teams (tournament_id, team_id),
    CHECK (team_b IS DISTINCT FROM team_a),
    CHECK (winner IS NULL OR winner = team_a OR winner = team_b),
    CHECK ((winner IS NULL) = (decided_at IS NULL))
);

-- Tournament events in the audit log: created, each change of status (with
-- the operator, or "director", in detail.by), registrations and
-- withdrawals, each round started and each result recorded.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed', 'ops_dlq_replay', 'ops_config_set',
                    'tournament_created', 'tournament_status', 'tournament_registered',
                    'tournament_withdrawn', 'tournament_round', 'tournament_result'));

-- +goose Down
DELETE FROM audit_log WHERE kind LIKE 'tournament\_%';
ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed', 'ops_dlq_replay', 'ops_config_set'));
DROP TABLE tournament_games;
DROP TABLE tournament_rounds;
DROP TABLE tournament_players;
DROP TABLE tournament_teams;
DROP TABLE tournaments;
