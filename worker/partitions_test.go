package worker

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/pgstore"
)

// TestPartitionsJob: on a day in January 2031 the job makes January to
// April 2031 for every partitioned table, and with a retention of 2 months
// detaches the match months that ended before November 2030 — here the
// months the migration made around today — leaving the audit log's; without
// a retention it detaches nothing.
func TestPartitionsJob(t *testing.T) {
	s, _ := migratedPG(t) // a migrated database of its own
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	attached := func(table string) (out []string) {
		ps, err := s.Partitions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Table == table {
				out = append(out, p.Month.Format("200601"))
			}
		}
		return out
	}
	today := attached("matches")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jan2031 := func() time.Time { return time.Date(2031, 1, 20, 8, 0, 0, 0, time.UTC) }

	keep := &PartitionsHandler{Store: s, Log: log, Now: jan2031}
	made := testutil.ToFloat64(metrics.PartitionsCreated)
	if err := keep.ProcessTask(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if d := testutil.ToFloat64(metrics.PartitionsCreated) - made; d != float64(4*len(pgstore.PartitionedTables)) {
		t.Fatalf("hokm_partitions_created_total grew by %v, want %d", d, 4*len(pgstore.PartitionedTables))
	}
	if got, want := attached("match_hands"), append(slices.Clone(today), "203101", "203102", "203103", "203104"); !slices.Equal(got, want) {
		t.Fatalf("without a retention: match_hands months %v, want %v", got, want)
	}

	h := &PartitionsHandler{Store: s, RetentionMonths: 2, Log: log, Now: jan2031}
	detached := testutil.ToFloat64(metrics.PartitionsDetached)
	if err := h.ProcessTask(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if d := testutil.ToFloat64(metrics.PartitionsDetached) - detached; d != float64(len(today)*len(pgstore.MatchTables)) {
		t.Fatalf("hokm_partitions_detached_total grew by %v, want %d", d, len(today)*len(pgstore.MatchTables))
	}
	for _, table := range pgstore.MatchTables {
		if got := attached(table); !slices.Equal(got, []string{"203101", "203102", "203103", "203104"}) {
			t.Fatalf("with a 2-month retention: %s months %v", table, got)
		}
	}
	if got := attached("audit_log"); len(got) != len(today)+4 {
		t.Fatalf("the audit log's months were touched: %v", got)
	}
	if err := h.ProcessTask(ctx, nil); err != nil { // again: nothing more to do
		t.Fatal(err)
	}
}
