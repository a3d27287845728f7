package pgstore

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds one DELETE of a retention: short transactions that
// never hold many row locks, whatever the backlog.
const pruneBatch = 5000

// PruneAudit deletes the audit rows written before before, in batches,
// and returns how many it deleted. Failed logins write a row each, from
// anyone: without a retention the table grows without bound.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	return s.prune(ctx, "audit log", `DELETE FROM audit_log WHERE id IN (
		SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)`, before)
}

// PruneCheckpoints deletes the hand checkpoints written before before, in
// batches, and returns how many it deleted. A running match writes one a
// hand (about as many bytes as its stored hands) and nothing reads them
// once the match is stored: without a retention they would double what
// the history costs on disk.
func (s *Store) PruneCheckpoints(ctx context.Context, before time.Time) (int64, error) {
	return s.prune(ctx, "hand checkpoints", `DELETE FROM hand_checkpoints WHERE (match_id, hand_no) IN (
		SELECT match_id, hand_no FROM hand_checkpoints WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, before)
}

// prune runs sql — a DELETE of at most $2 rows older than $1, oldest
// first — until a run deletes fewer than a batch, and returns how many
// rows it deleted (those deleted before an error too).
func (s *Store) prune(ctx context.Context, what, sql string, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, sql, before, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("pgstore: prune %s: %w", what, err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
