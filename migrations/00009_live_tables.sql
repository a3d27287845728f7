-- The table journal: the latest state of every live table, written behind
-- the move path by the workers (worker.Journal, every ~100 ms, coalesced per
-- table), so that tables lost with Redis (a restart without persistence, an
-- AOF that lost its last second, a failover to a replica that was behind)
-- are rebuilt from here. meta is the table's public JSON; state the sealed
-- state blob exactly as Redis holds it (the hands encrypted; see
-- docs/operations.md); (epoch, seq) only ever grow. A finished table stays
-- until its match is in matches, so a match finished just before Redis was
-- lost is still stored.

-- +goose Up
CREATE TABLE live_tables (
    table_id   text        PRIMARY KEY,
    epoch      bigint      NOT NULL CHECK (epoch >= 1),
    seq        bigint      NOT NULL CHECK (seq >= 0),
    meta       text        NOT NULL,
    state      bytea       NOT NULL,
    status     text        NOT NULL,
    match_id   text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX live_tables_updated_at_idx ON live_tables (updated_at);
CREATE INDEX live_tables_finished_idx ON live_tables (match_id) WHERE status = 'finished';

-- +goose Down
DROP TABLE live_tables;
