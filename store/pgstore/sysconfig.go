package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConfigEntry is one row of system_config.
type ConfigEntry struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	UpdatedAt time.Time       `json:"updated_at"`
	UpdatedBy string          `json:"updated_by"`
}

// ConfigEntries returns every row of system_config, by key.
func (s *Store) ConfigEntries(ctx context.Context) ([]ConfigEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, value, updated_at, updated_by FROM system_config ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: config entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ConfigEntry, error) {
		var e ConfigEntry
		var v []byte
		err := r.Scan(&e.Key, &v, &e.UpdatedAt, &e.UpdatedBy)
		e.Value = v
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: config entries: %w", err)
	}
	return out, nil
}

// SetConfig sets key to value (JSON) and appends an audit_log row (kind
// ops_config_set, no user, detail {key, value, old, operator}) in one
// transaction.
func (s *Store) SetConfig(ctx context.Context, key string, value json.RawMessage, operator string) error {
	if !json.Valid(value) {
		return fmt.Errorf("pgstore: set config %s: value is not JSON", key)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var old []byte
		err := tx.QueryRow(ctx, `SELECT value FROM system_config WHERE key = $1 FOR UPDATE`, key).Scan(&old)
		if err != nil && err != pgx.ErrNoRows {
			return fmt.Errorf("pgstore: set config %s: %w", key, err)
		}
		if old == nil {
			old = []byte("null")
		}
		_, err = tx.Exec(ctx, `INSERT INTO system_config (key, value, updated_at, updated_by)
			VALUES ($1, $2::jsonb, now(), $3)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by`,
			key, string(value), operator)
		if err != nil {
			return fmt.Errorf("pgstore: set config %s: %w", key, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (user_id, kind, detail)
			VALUES (NULL, 'ops_config_set', jsonb_build_object('key', $1::text, 'value', $2::jsonb,
				'old', $3::jsonb, 'operator', $4::text))`, key, string(value), string(old), operator)
		if err != nil {
			return fmt.Errorf("pgstore: audit config %s: %w", key, err)
		}
		return nil
	})
}
