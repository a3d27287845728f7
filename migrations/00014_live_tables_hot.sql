-- The table journal is rewritten all the time: every busy table's row about
-- every 100 ms (worker.Journal). Each write changed updated_at, which was
-- indexed, so every update wrote a new entry into both indexes as well as
-- a new row version. Without that index, and with room left on each page
-- (fillfactor 50; rows are ~1 KB), an update that changes no indexed column
-- — every move; status and match_id change only when a match starts or
-- ends — is a heap-only (HOT) update: no index write at all, and the old
-- version is pruned from its page without waiting for VACUUM. The queries
-- on updated_at (the rebuild after Redis lost tables, the clean-up of
-- stale rows) are rare and read a table of live tables only.

-- +goose Up
DROP INDEX live_tables_updated_at_idx;
ALTER TABLE live_tables SET (fillfactor = 50);

-- +goose Down
ALTER TABLE live_tables RESET (fillfactor);
CREATE INDEX live_tables_updated_at_idx ON live_tables (updated_at);
