-- System configuration and feature flags: one JSON value per key, read by
-- every process through sysconfig (cached, refreshed every few seconds and
-- on the Redis notice <prefix>:config). Keys in use: "maintenance" (bool:
-- no new tables) and "flag.<name>" (bool). A change is audited
-- (audit_log kind ops_config_set).

-- +goose Up
CREATE TABLE system_config (
    key        text        PRIMARY KEY,
    value      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL DEFAULT ''
);

ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed', 'ops_dlq_replay', 'ops_config_set'));

-- +goose Down
DELETE FROM audit_log WHERE kind = 'ops_config_set';
ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed', 'ops_dlq_replay'));
DROP TABLE system_config;
