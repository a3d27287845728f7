-- +goose Up
-- The audit log is pruned by age (maintenance:prune-audit, HOKM_AUDIT_RETENTION_DAYS):
-- an index on the time keeps each daily run from reading the whole table.
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose Down
DROP INDEX audit_log_at_idx;
