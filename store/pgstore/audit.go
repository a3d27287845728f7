package pgstore

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds one DELETE of PruneAudit: short transactions that
// never hold many row locks, whatever the backlog.
const pruneBatch = 5000

// PruneAudit deletes the audit rows written before before, in batches,
// and returns how many it deleted. Failed logins write a row each, from
// anyone: without a retention the table grows without bound.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM audit_log WHERE id IN (
			SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)`, before, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("pgstore: prune audit log: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
