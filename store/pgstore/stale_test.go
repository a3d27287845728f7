package pgstore_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/stats"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
)

// The reads that may lag go to the stale-read pool — here a database of
// their own that lacks what the primary stored, as a replica behind it
// would — and a lookup by id that finds nothing there is made again on
// the primary. (store/pgreplica tests the routing against a real replica.)
func TestStaleReadsAndTheirFallback(t *testing.T) {
	t.Parallel()
	primary, _, ctx := setup(t)
	_, behindPool, _ := setup(t)
	s := primary.WithStaleReads(behindPool)

	m := pgstoretest.Play(pgstoretest.Game{Seed: 77, Guests: [2]string{"g_stale_a", "g_stale_b"}})
	if !persist(t, ctx, s, &m) {
		t.Fatal("the match was not stored")
	}
	// Lists come from the lagging pool: nothing yet.
	if ms, err := s.PlayerMatches(ctx, "g_stale_a", nil, 10); err != nil || len(ms) != 0 {
		t.Fatalf("PlayerMatches read the primary: %d matches, %v", len(ms), err)
	}
	if rs, err := s.RecentResults(ctx, 10); err != nil || len(rs) != 0 {
		t.Fatalf("RecentResults read the primary: %d, %v", len(rs), err)
	}
	if ids, err := s.SampleFinishedMatches(ctx, 10); err != nil || len(ids) != 0 {
		t.Fatalf("SampleFinishedMatches read the primary: %v, %v", ids, err)
	}
	if es, err := s.Leaderboard(ctx, stats.Bucket{Period: stats.AllTime}, 10); err != nil || len(es) != 0 {
		t.Fatalf("Leaderboard read the primary: %v, %v", es, err)
	}
	// A match by id is found on the primary when the lagging pool lacks it.
	if mi, err := s.FinishedMatch(ctx, m.MatchID); err != nil || mi.ID != m.MatchID {
		t.Fatalf("FinishedMatch: %+v, %v", mi, err)
	}
	rec, err := s.ExportRecord(ctx, m.MatchID)
	if err != nil {
		t.Fatalf("ExportRecord: %v", err)
	}
	checkReplay(t, rec, &m)
	checkMatchResult(t, ctx, s, &m)
	if st, err := s.PlayerStats(ctx, "g_stale_a"); err != nil || st.MatchesPlayed != 1 {
		t.Fatalf("PlayerStats: %+v, %v", st, err)
	}
	// Unknown everywhere stays unknown.
	if _, err := s.FinishedMatch(ctx, "nope-1"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Fatalf("unknown match: %v", err)
	}
	// Once the lagging pool has the match too, it is read from there: the
	// store on the lagging pool alone sees the same.
	behind := pgstore.New(behindPool)
	if !persist(t, ctx, behind, &m) {
		t.Fatal("the match was not stored in the lagging database")
	}
	if ms, err := s.PlayerMatches(ctx, "g_stale_a", nil, 10); err != nil || len(ms) != 1 {
		t.Fatalf("PlayerMatches once the replica has it: %d, %v", len(ms), err)
	}
}

// TestThroughPgBouncer: in scripts/test's pass with HOKM_TEST_PGBOUNCER=1
// this package's databases are reached through pgbouncer in transaction
// pooling mode — the server's port is not the URL's, and the exec mode is
// the pooler's — so that pass tests the pooler; in the other pass they are
// reached directly.
func TestThroughPgBouncer(t *testing.T) {
	_, pool, ctx := setup(t)
	cfg := pool.Config().ConnConfig
	var serverPort int
	if err := pool.QueryRow(ctx, "SELECT inet_server_port()").Scan(&serverPort); err != nil {
		t.Fatal(err)
	}
	if through := int(cfg.Port) != serverPort; through != testenv.ViaPgBouncer() {
		t.Fatalf("URL port %d, server port %d: through a pooler %v, HOKM_TEST_PGBOUNCER=1 %v",
			cfg.Port, serverPort, through, testenv.ViaPgBouncer())
	}
	if mode := cfg.DefaultQueryExecMode; testenv.ViaPgBouncer() && mode != pgx.QueryExecModeCacheDescribe {
		t.Fatalf("query exec mode %s through pgbouncer, want %s", mode, testenv.PgBouncerExecMode)
	}
}
