package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
)

// TestPruneAudit: the audit log's retention job deletes the audit rows older than the
// retention — more than one batch of them — and nothing younger; a
// retention of 0 keeps everything.
func TestPruneAudit(t *testing.T) {
	pg, pool := migratedPG(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The audit log is partitioned by month, made ahead from the migration's
	// month on: these rows are older.
	if _, err := pg.EnsurePartitions(ctx, time.Now().AddDate(0, 0, -45), time.Now()); err != nil {
		t.Fatal(err)
	}
	// 12,001 rows from 40 days ago and more (beyond two batches), 3 from 29 days ago and now.
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (kind, ip, at)
		SELECT 'login_failed', '192.0.2.1', now() - interval '40 days' - g * interval '1 second' FROM generate_series(1, 12001) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (kind, at) VALUES
		('login_ok', now() - interval '29 days'), ('login_ok', now() - interval '1 hour'), ('logout', now())`); err != nil {
		t.Fatal(err)
	}
	count := rowCount(ctx, t, pool, "audit_log")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keep := &PruneHandler{What: "audit log", Prune: pg.PruneAudit, Retention: 0, Pruned: metrics.AuditPruned, Log: log}
	if err := keep.ProcessTask(ctx, nil); err != nil || count() != 12004 {
		t.Fatalf("retention 0: %v, %d rows", err, count())
	}
	before := testutil.ToFloat64(metrics.AuditPruned)
	h := &PruneHandler{What: "audit log", Prune: pg.PruneAudit, Retention: 30 * 24 * time.Hour, Pruned: metrics.AuditPruned, Log: log}
	if err := h.ProcessTask(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows after pruning, want the 3 younger than 30 days", n)
	}
	if d := testutil.ToFloat64(metrics.AuditPruned) - before; d != 12001 {
		t.Fatalf("hokm_audit_pruned_total grew by %v, want 12001", d)
	}
	if err := h.ProcessTask(ctx, nil); err != nil || count() != 3 { // again: nothing more
		t.Fatalf("second run: %v, %d rows", err, count())
	}
}

// TestPruneCheckpoints: the hand checkpoints' retention deletes the rows
// written before it — more than one batch of them — and none younger, of
// the same matches too; a retention of 0 keeps everything.
func TestPruneCheckpoints(t *testing.T) {
	pg, pool := migratedPG(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// 5,001 old hands (beyond a batch) of 1,667 matches written 49 hours ago
	// and earlier; hands 3 to 5 of the last 100 of those matches written 47
	// hours ago and now.
	if _, err := pool.Exec(ctx, `INSERT INTO hand_checkpoints (match_id, hand_no, table_id, state, results, score, created_at)
		SELECT 'm' || (g / 3), g % 3, 't', '\x00', '[]', '{0,0}', now() - interval '49 hours' - g * interval '1 second'
		FROM generate_series(0, 5000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO hand_checkpoints (match_id, hand_no, table_id, state, results, score, created_at)
		SELECT 'm' || g, 3 + h, 't', '\x00', '[]', '{0,0}', now() - (2 - h) * interval '47 hours' / 2
		FROM generate_series(1567, 1666) g, generate_series(0, 2) h`); err != nil {
		t.Fatal(err)
	}
	count := rowCount(ctx, t, pool, "hand_checkpoints")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keep := &PruneHandler{What: "hand checkpoints", Prune: pg.PruneCheckpoints, Pruned: metrics.CheckpointsPruned, Log: log}
	if err := keep.ProcessTask(ctx, nil); err != nil || count() != 5301 {
		t.Fatalf("retention 0: %v, %d rows", err, count())
	}
	before := testutil.ToFloat64(metrics.CheckpointsPruned)
	h := &PruneHandler{What: "hand checkpoints", Prune: pg.PruneCheckpoints, Retention: 48 * time.Hour,
		Pruned: metrics.CheckpointsPruned, Log: log}
	if err := h.ProcessTask(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var n, old int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE hand_no < 3 OR created_at < now() - interval '48 hours')
		FROM hand_checkpoints`).Scan(&n, &old); err != nil {
		t.Fatal(err)
	}
	if n != 300 || old != 0 {
		t.Fatalf("%d rows after pruning, %d of them old; want the 300 younger than 48 hours", n, old)
	}
	if d := testutil.ToFloat64(metrics.CheckpointsPruned) - before; d != 5001 {
		t.Fatalf("hokm_checkpoints_pruned_total grew by %v, want 5001", d)
	}
	if err := h.ProcessTask(ctx, nil); err != nil || count() != 300 { // again: nothing more
		t.Fatalf("second run: %v, %d rows", err, count())
	}
}

// rowCount counts the rows of table when called.
func rowCount(ctx context.Context, t *testing.T, pool *pgxpool.Pool, table string) func() int {
	return func() (n int) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}
