-- Finished (or abandoned) matches with everything needed to replay them:
-- rules, the first Hakem (and the ace draw that chose it), each hand's deck
-- and every accepted action in order. A match is written once, in one
-- statement, by pgstore.PersistMatch; rows are never updated.

-- +goose Up
CREATE TABLE matches (
    id           text        PRIMARY KEY CHECK (id <> ''),
    table_id     text        NOT NULL,
    rules        jsonb       NOT NULL CHECK (jsonb_typeof(rules) = 'object'),
    -- first_hakem is always known; draw is the face-up ace draw that chose it,
    -- NULL when the rules picked the first Hakem at random.
    first_hakem  smallint    NOT NULL CHECK (first_hakem BETWEEN 0 AND 3),
    draw         text[]      CHECK (cardinality(draw) BETWEEN 1 AND 52),
    score0       smallint    NOT NULL CHECK (score0 >= 0),
    score1       smallint    NOT NULL CHECK (score1 >= 0),
    winner       smallint    CHECK (winner IN (0, 1)), -- team; NULL: no winner
    hands_played smallint    NOT NULL CHECK (hands_played >= 0), -- completed hands
    moves_count  integer     NOT NULL CHECK (moves_count >= 0),
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    persisted_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_at >= started_at),
    CHECK (winner IS NULL OR ended_at IS NOT NULL)
);

-- Recent results and time-bucketed rollups (daily/weekly leaderboards).
CREATE INDEX matches_ended_at_idx ON matches (ended_at);
CREATE INDEX matches_table_id_idx ON matches (table_id);

CREATE TABLE match_seats (
    match_id   text        NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    seat       smallint    NOT NULL CHECK (seat BETWEEN 0 AND 3),
    player_id  text        REFERENCES players (id), -- NULL for a bot
    name       text        NOT NULL,                -- display name in this match
    bot        boolean     NOT NULL,
    -- Copy of matches.started_at so that a player's history, newest first,
    -- is one index range scan without touching matches.
    started_at timestamptz NOT NULL,
    PRIMARY KEY (match_id, seat),
    CHECK (bot = (player_id IS NULL))
);

CREATE INDEX match_seats_player_history_idx
    ON match_seats (player_id, started_at DESC, match_id)
    WHERE player_id IS NOT NULL;

CREATE TABLE match_hands (
    match_id text     NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    hand_no  smallint NOT NULL CHECK (hand_no >= 0),
    hakem    smallint NOT NULL CHECK (hakem BETWEEN 0 AND 3),
    trump    char(1)  CHECK (trump IN ('S', 'H', 'D', 'C')), -- NULL until chosen
    tricks0  smallint NOT NULL CHECK (tricks0 BETWEEN 0 AND 13),
    tricks1  smallint NOT NULL CHECK (tricks1 BETWEEN 0 AND 13),
    -- winner, points and kind are the hand's result: all NULL for a hand the
    -- match stopped in, all set for a completed one.
    winner   smallint CHECK (winner IN (0, 1)),
    points   smallint,
    kind     text,
    -- The deck order the hand was dealt from (52 cards, top first), so the
    -- match can be replayed from the database alone.
    deck     text[]   NOT NULL CHECK (cardinality(deck) = 52),
    PRIMARY KEY (match_id, hand_no),
    CHECK (tricks0 + tricks1 <= 13),
    CHECK ((winner IS NULL) = (points IS NULL) AND (winner IS NULL) = (kind IS NULL)),
    CHECK (winner IS NULL OR trump IS NOT NULL),
    CHECK ((kind, points) IN (('normal', 1), ('kot', 2), ('hakem_kot', 3)))
);

CREATE TABLE match_moves (
    match_id text     NOT NULL,
    idx      integer  NOT NULL CHECK (idx >= 0), -- position in the match's actions
    hand_no  smallint NOT NULL,
    seat     smallint NOT NULL CHECK (seat BETWEEN 0 AND 3),
    kind     text     NOT NULL CHECK (kind IN ('trump', 'card')),
    value    text     NOT NULL, -- a suit ('H') for trump, a card ('AS') for card
    PRIMARY KEY (match_id, idx),
    FOREIGN KEY (match_id, hand_no) REFERENCES match_hands (match_id, hand_no) ON DELETE CASCADE,
    CHECK (CASE kind
               WHEN 'trump' THEN value IN ('S', 'H', 'D', 'C')
               ELSE value ~ '^[2-9TJQKA][SHDC]$'
           END)
);

-- +goose Down
DROP TABLE match_moves;
DROP TABLE match_hands;
DROP TABLE match_seats;
DROP TABLE matches;
