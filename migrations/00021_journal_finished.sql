-- Finished matches the table journal moved past before they were stored.
-- A finished table's journal row is what brings its match back when Redis
-- loses the persist task (live_tables keeps a finished row until its match
-- is in matches against deletion, not against the table moving on): when
-- the rematch offer ends or the next match starts while the match is not
-- stored yet — PostgreSQL was down, its persist task waits for a retry —
-- the journal's next write would overwrite the only durable copy. The row
-- is copied here first, in the same statement (pgstore.SaveLiveTables),
-- and read back by the recovery after a Redis loss and by the reconcile
-- job; it goes once the match is stored (pgstore.PurgeLiveTables).

-- +goose Up
CREATE TABLE journal_finished (
    match_id   text        PRIMARY KEY,
    table_id   text        NOT NULL,
    epoch      bigint      NOT NULL,
    seq        bigint      NOT NULL,
    meta       text        NOT NULL,
    state      bytea       NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE journal_finished;
