package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// StateKeyID is the id of the key StateKey keeps.
const StateKeyID = "pg1"

// StateKey returns the state-sealing key kept in PostgreSQL, storing
// fresh (32 random bytes from the caller) when there is none yet; every
// process gets the same key, whichever stored it first.
func (s *Store) StateKey(ctx context.Context, fresh []byte) ([]byte, error) {
	for range 2 { // a first insert racing ours may be invisible to this statement's snapshot: look again
		var key []byte
		err := s.pool.QueryRow(ctx, `WITH ins AS (
				INSERT INTO state_keys (id, key) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING key)
			SELECT key FROM ins UNION ALL SELECT key FROM state_keys WHERE id = $1 LIMIT 1`, StateKeyID, fresh).Scan(&key)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pgstore: state key: %w", err)
		}
		return key, nil
	}
	return nil, errors.New("pgstore: state key: not found after insert")
}
