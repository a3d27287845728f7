-- The key that seals hidden hands at rest (in Redis and in the table
-- journal) when HOKM_STATE_KEYS is not set: made by the first process that
-- needs it, so a single-machine set-up encrypts without configuration. A
-- deployment sets HOKM_STATE_KEYS from its secret store instead (and can
-- rotate it); see docs/operations.md.

-- +goose Up
CREATE TABLE state_keys (
    id         text        PRIMARY KEY,
    key        bytea       NOT NULL CHECK (length(key) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE state_keys;
