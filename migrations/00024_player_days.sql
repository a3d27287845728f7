-- Each player's matches played and won by local day (the stats' time
-- zone, HOKM_TIMEZONE), kept by the stats job beside player_stats from the
-- same increments (pgstore.RecomputePlayerStats). A day's or a week's
-- leaderboard counted the period's matches each time it was made: linear in
-- them, ≈ 15 µs a match on the 2-core test host, so a week's board at 7
-- matches ending a second (10,000 busy tables) would take about a minute,
-- every five minutes. It now sums at most seven rows a player, and counts
-- only the matches stored since the job's last run (stats_progress.bound).
--
-- time_zone is the zone player_days' days are in: a run in another zone (the
-- setting changed) rebuilds them; a board of a period that is not made of
-- whole days of it is counted from the matches as before. days_bound is the
-- stats bound the days were brought up to (the matches stored below it are
-- in them): kept apart from bound, so that a worker of the previous release,
-- whose runs move bound on without the days, leaves the matches it counted
-- to the next run of this one (and to the boards' count of the matches
-- stored since) instead of out of the days.

-- +goose Up
CREATE TABLE player_days (
    day       date NOT NULL,
    player_id text NOT NULL,
    played    int  NOT NULL CHECK (played > 0),
    won       int  NOT NULL CHECK (won >= 0 AND won <= played),
    PRIMARY KEY (day, player_id)
);

ALTER TABLE stats_progress ADD COLUMN time_zone text, ADD COLUMN days_bound bigint;

-- +goose Down
ALTER TABLE stats_progress DROP COLUMN time_zone, DROP COLUMN days_bound;
DROP TABLE player_days;
