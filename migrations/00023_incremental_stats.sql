-- Player stats brought up to date by the matches stored since the last run
-- instead of recomputed from every stored match (pgstore.RecomputePlayerStats).
-- The full recompute read every stored seat and hand each time: 1.1 s at
-- 20,833 matches on the 2-core test host, so at 50 matches ending a second
-- it would outgrow its 5-minute period within two days, in one transaction
-- holding back vacuum all the while.
--
-- stored_xid is the id of the transaction that stored the match (a 64-bit
-- xid8, which never wraps, as a bigint). A run takes the oldest transaction
-- still running when it starts as its bound: every transaction below it has
-- ended, so the matches stored below it are all visible and none can appear
-- there later; the next run starts there (stats_progress). Ratings go in the
-- order matches were stored (stored_xid, then ended_at; the matches stored
-- before this migration first, in the order they ended), so the increments
-- give what a full recompute gives. Rows stored before this migration have
-- no stored_xid: the first run is a full one.
--
-- player_stats_won_idx serves the dashboard's top players (most matches
-- won), which read every stored seat before.

-- +goose Up
ALTER TABLE matches ADD COLUMN stored_xid bigint;
ALTER TABLE matches ALTER COLUMN stored_xid SET DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX matches_stored_xid_idx ON matches (stored_xid) WHERE stored_xid IS NOT NULL;

CREATE TABLE stats_progress (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    bound      bigint      NOT NULL,               -- the matches stored below it are in player_stats
    full_at    timestamptz NOT NULL,               -- the last full recompute
    full_asked boolean     NOT NULL DEFAULT false, -- stored matches went away: the next run recomputes all
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX player_stats_won_idx ON player_stats (matches_won DESC, matches_played, player_id);

-- +goose Down
DROP INDEX player_stats_won_idx;
DROP TABLE stats_progress;
DROP INDEX matches_stored_xid_idx;
ALTER TABLE matches DROP COLUMN stored_xid;
