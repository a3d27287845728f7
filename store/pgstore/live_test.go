package pgstore_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/pgstore"
)

// TestJournalRewritesAreHeapOnly: the table journal rewrites each busy
// table's row every pass; those updates change no indexed column, so they
// must be heap-only (HOT: no index write, the old version pruned in its
// page) — which an index on updated_at, or full pages, would prevent.
func TestJournalRewritesAreHeapOnly(t *testing.T) {
	pool := migratedPool(t, 1) // one backend: its statistics are flushed on request below
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := pgstore.New(pool)
	meta := []byte(`{"seats":[` + strings.Repeat(`{"id":"g_0123456789abcdef","name":"player"},`, 11) + `{}],"status":"playing","match":1}`)
	rows := make([]pgstore.LiveTable, 40)
	for i := range rows {
		rows[i] = pgstore.LiveTable{ID: fmt.Sprintf("t%03d", i), Epoch: 1, Meta: meta, State: bytes.Repeat([]byte{7}, 350), Status: "playing"}
	}
	const passes = 12
	for seq := range passes + 1 {
		for i := range rows {
			rows[i].Seq = int64(seq)
		}
		if err := s.SaveLiveTables(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
		t.Fatal(err)
	}
	var upd, hot int64
	var err error
	testenv.Until(10*time.Second, func() bool {
		err = pool.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'live_tables'`).Scan(&upd, &hot)
		return err != nil || upd >= passes*int64(len(rows))
	})
	if err != nil || upd < passes*int64(len(rows)) {
		t.Fatalf("%d updates counted (%v), want %d", upd, err, passes*len(rows))
	}
	// All of them alone (480 of 480 here); fewer while other tests load the
	// server — a page's old versions are pruned only under its cleanup lock,
	// which a concurrent pin (the background writer, autovacuum) denies, and
	// a full page takes the next version elsewhere. With the updated_at
	// index none is.
	if hot*4 < upd {
		t.Fatalf("%d of %d journal updates were heap-only, want a quarter at least", hot, upd)
	}
	t.Logf("%d of %d updates heap-only", hot, upd)
}
