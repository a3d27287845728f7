-- Dead letters: persistence tasks asynq archived (retries ran out, or the
-- handler said SkipRetry). asynq trims its own archive at 10,000 tasks per
-- queue / 90 days; this table keeps them for `hokm ops dlq list|replay`.
-- One row per asynq task id: the task archived again after a replay updates
-- its row.

-- +goose Up
CREATE TABLE dead_letters (
    id           bigserial   PRIMARY KEY,
    task_id      text        NOT NULL UNIQUE,
    task_type    text        NOT NULL,
    queue        text        NOT NULL,
    payload      bytea       NOT NULL,
    error        text        NOT NULL,
    retried      int         NOT NULL DEFAULT 0,
    archived_at  timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz,
    replay_count int         NOT NULL DEFAULT 0
);

CREATE INDEX dead_letters_archived_at_idx ON dead_letters (archived_at);

ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed', 'ops_dlq_replay'));

-- +goose Down
DELETE FROM audit_log WHERE kind = 'ops_dlq_replay';
ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed'));
DROP TABLE dead_letters;
