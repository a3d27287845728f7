-- Stats: per-player totals and team-Elo rating (player_stats), recomputed
-- from the stored matches by pgstore.RecomputePlayerStats in one
-- transaction; platform activity per local day (daily_activity), written by
-- pgstore.RollupDay. Daily and weekly leaderboards are computed on demand
-- from matches (matches_ended_at_idx) and snapshotted into Redis; the
-- all-time leaderboard reads player_stats by rating
-- (player_stats_rating_idx). See docs/operations.md, "Stats, rating and
-- leaderboards".

-- +goose Up
CREATE TABLE player_stats (
    player_id        text             PRIMARY KEY REFERENCES players (id),
    matches_played   integer          NOT NULL DEFAULT 0,
    matches_won      integer          NOT NULL DEFAULT 0,
    matches_left     integer          NOT NULL DEFAULT 0,
    hands_played     integer          NOT NULL DEFAULT 0,
    hands_won        integer          NOT NULL DEFAULT 0,
    kots_given       integer          NOT NULL DEFAULT 0,
    kots_taken       integer          NOT NULL DEFAULT 0,
    hakem_kots_given integer          NOT NULL DEFAULT 0,
    hakem_kots_taken integer          NOT NULL DEFAULT 0,
    tricks_taken     integer          NOT NULL DEFAULT 0,
    seconds_played   double precision NOT NULL DEFAULT 0,
    rating           double precision NOT NULL DEFAULT 1500,
    rating_games     integer          NOT NULL DEFAULT 0,
    updated_at       timestamptz      NOT NULL DEFAULT now()
);

CREATE INDEX player_stats_rating_idx ON player_stats (rating DESC, player_id);

-- day is a calendar day in the configured zone (HOKM_TIMEZONE) of the
-- matches that ended in it.
CREATE TABLE daily_activity (
    day        date        PRIMARY KEY,
    time_zone  text        NOT NULL,
    matches    integer     NOT NULL,
    hands      integer     NOT NULL,
    players    integer     NOT NULL,
    moves      integer     NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE daily_activity;
DROP TABLE player_stats;
