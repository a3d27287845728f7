package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/tasks"
)

// persistRate is issue 12's load for the sync lag: matches ending per second.
const persistRate = 50

// BenchmarkPersistLag measures the sync lag — a match's end to its row in
// PostgreSQL (persisted_at − ended_at) — at 50 matches ending a second
// through the real path: a running hokm serve (its asynq server, handlers
// and pool) and persist:match tasks enqueued as its worker does when a
// match ends, each a whole played match (pgstoretest.Play, ≈ 480 moves).
// b.N is the number of matches (make persistbench: 1,500, 30 s); it reports
// the lag's p50, p99 and max in ms and the matches/s offered.
func BenchmarkPersistLag(b *testing.B) {
	s := startServeWith(b, nil)
	b.ResetTimer()
	lag := persistLag(b, s, b.N)
	b.StopTimer()
	b.ReportMetric(lag.p50, "p50-lag-ms")
	b.ReportMetric(lag.p99, "p99-lag-ms")
	b.ReportMetric(lag.max, "max-lag-ms")
	b.ReportMetric(lag.offered, "matches/s")
	b.ReportMetric(lag.moves, "moves/match")
}

// The benchmark's measurement on a few matches: each is stored once, and
// the lag figures are in order.
func TestPersistLagMeasures(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	lag := persistLag(t, s, 10)
	if lag.stored != 10 || !(0 <= lag.p50 && lag.p50 <= lag.p99 && lag.p99 <= lag.max) || lag.moves < 100 {
		t.Fatalf("%+v", lag)
	}
}

type lagFigures struct {
	stored         int
	p50, p99, max  float64 // ms
	offered, moves float64 // matches/s, moves per match
}

// persistLag enqueues n finished matches at persistRate on s, waits until
// PostgreSQL has them all and returns the lag figures.
func persistLag(t testing.TB, s *server, n int) lagFigures {
	ctx := context.Background()
	client := asynq.NewClientFromRedisClient(s.rdb) // shares the test's connection: nothing to close
	var fig lagFigures
	played := make([]func(id string, ended int64) *asynq.Task, 16)
	for i := range played {
		m := pgstoretest.Play(pgstoretest.Game{Seed: uint64(i + 1)})
		fig.moves += float64(len(m.Record.Actions)) / float64(len(played))
		played[i] = func(id string, ended int64) *asynq.Task {
			m.MatchID, m.Ended = id, ended
			task, err := tasks.NewPersistMatchTask(m, tasks.DefaultMaxRetry, true)
			if err != nil {
				t.Fatal(err)
			}
			return task
		}
	}
	run := fmt.Sprintf("lag%d-", time.Now().UnixNano())
	tick := time.NewTicker(time.Second / persistRate)
	defer tick.Stop()
	start := time.Now()
	for i := range n {
		<-tick.C
		if err := tasks.Enqueue(ctx, client, played[i%len(played)](fmt.Sprintf("%s%d", run, i), time.Now().UnixMilli())); err != nil {
			t.Fatal(err)
		}
	}
	fig.offered = float64(n) / time.Since(start).Seconds()
	pool, err := pgxpool.New(ctx, s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for deadline := time.Now().Add(2 * time.Minute); fig.stored < n; time.Sleep(100 * time.Millisecond) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM matches WHERE id LIKE $1`, run+"%").Scan(&fig.stored); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d matches stored after 2 minutes", fig.stored, n)
		}
	}
	err = pool.QueryRow(ctx, `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag)
		FROM (SELECT extract(epoch FROM persisted_at - ended_at) * 1000 AS lag FROM matches WHERE id LIKE $1) l`, run+"%").Scan(&fig.p50, &fig.p99, &fig.max)
	if err != nil {
		t.Fatal(err)
	}
	return fig
}
