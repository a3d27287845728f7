package pgstore_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
)

// BenchmarkPersistMatch persists whole finished matches (≈300–500 moves
// each) on a pool of one connection: the matches/s metric is the throughput
// of one persistence worker connection.
func BenchmarkPersistMatch(b *testing.B) { benchPersist(b, 1) }

// BenchmarkPersistMatch4 is the same on four connections in parallel.
func BenchmarkPersistMatch4(b *testing.B) { benchPersist(b, 4) }

func benchPersist(b *testing.B, conns int) {
	s, pool, fixtures := benchSetup(b, conns)
	// What a match costs the disk: the WAL written (the whole cluster's, so
	// run it on a quiet PostgreSQL) and the database's growth.
	const written = `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, pg_database_size(current_database())`
	var wal0, size0, wal1, size1 int64
	if err := pool.QueryRow(context.Background(), written).Scan(&wal0, &size0); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(1)
	b.ResetTimer()
	if conns == 1 {
		for range b.N {
			benchOne(b, s, fixtures, next.Add(1))
		}
	} else {
		b.SetParallelism((conns + 1) / 2) // GOMAXPROCS·p goroutines ≈ conns on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				benchOne(b, s, fixtures, next.Add(1))
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "matches/s")
	if err := pool.QueryRow(context.Background(), written).Scan(&wal1, &size1); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(wal1-wal0)/1024/float64(b.N), "WAL-KB/match")
	b.ReportMetric(float64(size1-size0)/1024/float64(b.N), "disk-KB/match")
	moves := 0
	for _, m := range fixtures {
		moves += len(m.Record.Actions)
	}
	b.ReportMetric(float64(moves)/float64(len(fixtures)), "moves/match")
}

func benchSetup(b *testing.B, conns int) (*pgstore.Store, *pgxpool.Pool, []table.MatchRecord) {
	pool := migratedPool(b, conns)
	fixtures := make([]table.MatchRecord, 64)
	for i := range fixtures {
		fixtures[i] = pgstoretest.Play(pgstoretest.Game{Seed: uint64(i), Guests: [2]string{fmt.Sprintf("g%d", i%16), "host"}})
	}
	return pgstore.New(pool), pool, fixtures
}

// migratedPool is a migrated database of the test's own behind a pool of
// exactly conns connections.
func migratedPool(tb testing.TB, conns int) *pgxpool.Pool {
	_, dsn := testenv.Pool(tb)
	ctx := context.Background()
	if err := migrations.Up(ctx, dsn); err != nil {
		tb.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns, cfg.MinConns = int32(conns), int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func benchOne(b *testing.B, s *pgstore.Store, fixtures []table.MatchRecord, n int64) {
	m := fixtures[n%int64(len(fixtures))]
	m.MatchID = fmt.Sprintf("bench-%d", n)
	ok, err := s.PersistMatch(context.Background(), &m)
	if err != nil || !ok {
		b.Errorf("PersistMatch: inserted %v, %v", ok, err)
	}
}

// BenchmarkSaveLiveTables is one pass of the table journal at 500 busy
// tables: every table's row rewritten with the next seq (meta ≈ 600 bytes,
// the sealed state ≈ 350, as mid-match). "hot" is the schema as migrated
// (no index on updated_at, fillfactor 50: heap-only updates); "indexed"
// puts back what migration 00014 removed, for comparison.
func BenchmarkSaveLiveTables(b *testing.B) {
	for _, variant := range []string{"hot", "indexed"} {
		b.Run(variant, func(b *testing.B) {
			s, pool, ctx := setup(b)
			if variant == "indexed" {
				if _, err := pool.Exec(ctx, `ALTER TABLE live_tables RESET (fillfactor);
					CREATE INDEX live_tables_updated_at_idx ON live_tables (updated_at)`); err != nil {
					b.Fatal(err)
				}
			}
			meta := []byte(fmt.Sprintf(`{"id":"xxxxxxxx","seats":[%s],"status":"playing","match":1}`, strings.Repeat(`{"id":"g_0123456789abcdef","name":"player"},`, 11)))
			state := bytes.Repeat([]byte{0xa5}, 350)
			rows := make([]pgstore.LiveTable, 500)
			for i := range rows {
				rows[i] = pgstore.LiveTable{ID: fmt.Sprintf("t%07d", i), Epoch: 1, Meta: meta, State: state, Status: "playing", MatchID: fmt.Sprintf("t%07d-1", i)}
			}
			b.ResetTimer()
			for n := range b.N {
				for i := range rows {
					rows[i].Seq = int64(n + 1)
				}
				if err := s.SaveLiveTables(ctx, rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(rows)), "µs/row")
		})
	}
}
