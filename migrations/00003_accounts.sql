-- Accounts: a players row becomes an account when it gets a username and a
-- password hash (a guest claiming its id keeps it, so its past matches stay
-- its own). Deleting an account keeps the row, so that past matches still
-- point at it, but removes its personal data: username, password hash and
-- name go (the name becomes "deleted player", also in match_seats).
-- audit_log records sign-ups, logins (failed ones too), logouts and account
-- changes.

-- +goose Up
ALTER TABLE players
    -- Canonical (NFC, lower-cased by the server) login name; NULL for guests,
    -- bots and deleted accounts. The unique index makes it case-insensitive.
    ADD COLUMN username      text CHECK (char_length(username) BETWEEN 3 AND 24),
    -- "$argon2id$v=19$m=...,t=...,p=...$salt$hash"
    ADD COLUMN password_hash text CHECK (password_hash LIKE '$argon2id$%'),
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN deleted_at    timestamptz;

ALTER TABLE players DROP CONSTRAINT players_kind_check;
ALTER TABLE players ADD CONSTRAINT players_kind_check
    CHECK (kind IN ('guest', 'user', 'bot', 'deleted'));
-- An account has both credentials, nothing else has any; deleted_at is set
-- exactly for deleted accounts.
ALTER TABLE players ADD CONSTRAINT players_credentials_check
    CHECK ((kind = 'user') = (username IS NOT NULL) AND (username IS NULL) = (password_hash IS NULL));
ALTER TABLE players ADD CONSTRAINT players_deleted_check
    CHECK ((kind = 'deleted') = (deleted_at IS NOT NULL));

CREATE UNIQUE INDEX players_username_key ON players (username);

CREATE TABLE audit_log (
    id      bigserial   PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    user_id text,       -- NULL: a failed login for a username that does not exist
    kind    text        NOT NULL CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout',
                                                 'password_changed', 'account_deleted', 'guest_claimed',
                                                 'name_changed')),
    ip      text,
    detail  jsonb       CHECK (detail IS NULL OR jsonb_typeof(detail) = 'object')
);

CREATE INDEX audit_log_user_at_idx ON audit_log (user_id, at);

-- +goose Down
DROP TABLE audit_log;
DROP INDEX players_username_key;
ALTER TABLE players DROP CONSTRAINT players_deleted_check;
ALTER TABLE players DROP CONSTRAINT players_credentials_check;
UPDATE players SET kind = 'guest' WHERE kind = 'deleted';
ALTER TABLE players DROP CONSTRAINT players_kind_check;
ALTER TABLE players ADD CONSTRAINT players_kind_check CHECK (kind IN ('guest', 'user', 'bot'));
ALTER TABLE players
    DROP COLUMN deleted_at,
    DROP COLUMN updated_at,
    DROP COLUMN password_hash,
    DROP COLUMN username;
