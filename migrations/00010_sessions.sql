-- Sessions mirror: a durable copy of the sessions kept in Redis, so that a
-- session (and with it a guest's identity and seats) outlives Redis being
-- restarted empty, and logins keep working while Redis is down. Rows are
-- written behind the Redis writes in batches (store/sessionmirror); a
-- lookup that misses in Redis reads here and copies the row back.
--
-- A revoked session is not deleted at once but kept as a tombstone
-- (revoked_at set) until it could no longer be valid anyway: a creation or
-- refresh still queued in some process must not bring it back, and the
-- upsert leaves revoked rows alone. Rows are purged an hour after expires_at.

-- +goose Up
CREATE TABLE sessions (
    -- hex SHA-256 of the token, as in the Redis key <prefix>:sess:<hash>;
    -- the token itself is never stored.
    token_hash text        PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    -- '' only in the tombstone of a token revoked before its row arrived.
    user_id    text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    guest      boolean     NOT NULL DEFAULT false,
    -- made by NewUserSession: in the user's session index, so revoking
    -- every session of the user reaches it.
    indexed    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
