-- An operator's moving of a tournament's check-in or start (hokm ops
-- tournament reschedule) in the audit log, with the old and new times.

-- +goose Up
ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed', 'ops_dlq_replay', 'ops_config_set',
                    'tournament_created', 'tournament_status', 'tournament_registered',
                    'tournament_withdrawn', 'tournament_round', 'tournament_result', 'tournament_rescheduled'));

-- +goose Down
DELETE FROM audit_log WHERE kind = 'tournament_rescheduled';
ALTER TABLE audit_log DROP CONSTRAINT audit_log_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_kind_check
    CHECK (kind IN ('register', 'login_ok', 'login_failed', 'logout', 'password_changed', 'account_deleted',
                    'guest_claimed', 'name_changed', 'ops_dlq_replay', 'ops_config_set',
                    'tournament_created', 'tournament_status', 'tournament_registered',
                    'tournament_withdrawn', 'tournament_round', 'tournament_result'));
