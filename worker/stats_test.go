package worker

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/stats"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
)

// The stats tasks against the real services: a re-run changes nothing, and
// the leaderboards are snapshotted with the 15-minute TTL under
// <prefix>:lb:<period>:<bucket>.
func TestStatsHandler(t *testing.T) {
	pool, dsn := testenv.Pool(t)
	ctx := persistCtx(t)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	pg := pgstore.New(pool)
	rdb, prefix := testenv.Redis(t, 0, false)
	cache := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	// Guests g1 (seat 0) and g2 (seat 1); seed 8 is won by team 0 (g1), seed 1 by team 1 (g2).
	end := time.Date(2026, 3, 21, 10, 0, 0, 0, time.UTC) // Saturday 13:30 in Tehran
	for i, seed := range []uint64{8, 1} {
		m := pgstoretest.Play(pgstoretest.Game{Seed: seed, Guests: [2]string{"g1", "g2"}})
		d := m.Ended - m.Started
		m.Ended = end.Add(time.Duration(i) * time.Hour).UnixMilli()
		m.Started = m.Ended - d
		if ok, err := pg.PersistMatch(ctx, &m); err != nil || !ok {
			t.Fatalf("persist: %v %v", ok, err)
		}
	}
	now := end.Add(3 * time.Hour)
	h := &StatsHandler{Store: pg, Cache: cache, Location: loc, WeekStart: time.Saturday,
		TTL: redisstore.LeaderboardTTL, Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	run := func() {
		t.Helper()
		rollup, err := tasks.NewStatsRollupDayTask("2026-03-21")
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range []*asynq.Task{tasks.NewStatsRecomputeTask(), rollup, tasks.NewStatsLeaderboardsTask()} {
			if err := h.ProcessTask(ctx, task); err != nil {
				t.Fatalf("%s: %v", task.Type(), err)
			}
		}
	}
	run()
	a, err := pg.DailyActivity(ctx, "2026-03-21")
	if err != nil || a.Matches != 2 || a.Players != 2 {
		t.Errorf("rollup: %+v, %v", a, err)
	}
	snapshot := func() map[string][]stats.Entry {
		out := map[string][]stats.Entry{}
		for _, p := range []stats.Period{stats.Daily, stats.Weekly, stats.AllTime} {
			b := stats.BucketOf(p, now, loc, time.Saturday)
			es, ok, err := cache.Leaderboard(ctx, b)
			if err != nil || !ok {
				t.Fatalf("%s snapshot: %v, %v", p, ok, err)
			}
			key := prefix + ":lb:" + string(p) + ":" + b.Name
			ttl, err := rdb.TTL(ctx, key).Result()
			if err != nil || ttl <= 14*time.Minute || ttl > 15*time.Minute {
				t.Errorf("%s TTL %v, %v; want 15 min", key, ttl, err)
			}
			out[key] = es
		}
		return out
	}
	first := snapshot()
	daily := first[prefix+":lb:daily:2026-03-21"]
	if len(daily) != 2 || daily[0].Wins != 1 || daily[0].Played != 2 || daily[0].PlayerID != "g1" || daily[1].PlayerID != "g2" {
		t.Errorf("daily board %+v", daily)
	}
	if len(first[prefix+":lb:weekly:2026-03-21"]) != 2 || len(first[prefix+":lb:alltime:all"]) != 2 {
		t.Errorf("boards %+v", first)
	}
	// g1 won first (+16), then lost as 1516+1500 v 1484+1500: both back near 1500.
	at := first[prefix+":lb:alltime:all"]
	if at[0].Rating+at[1].Rating != 3000 || at[0].Rating <= at[1].Rating {
		t.Errorf("all-time %+v", at)
	}

	// Idempotent: running every job again changes nothing.
	var statsBefore, dayBefore time.Time
	_ = pool.QueryRow(ctx, `SELECT max(updated_at) FROM player_stats`).Scan(&statsBefore)
	_ = pool.QueryRow(ctx, `SELECT max(updated_at) FROM daily_activity`).Scan(&dayBefore)
	run()
	var statsAfter, dayAfter time.Time
	_ = pool.QueryRow(ctx, `SELECT max(updated_at) FROM player_stats`).Scan(&statsAfter)
	_ = pool.QueryRow(ctx, `SELECT max(updated_at) FROM daily_activity`).Scan(&dayAfter)
	if !statsAfter.Equal(statsBefore) || !dayAfter.Equal(dayBefore) || statsBefore.IsZero() {
		t.Errorf("a second run rewrote rows: %v→%v, %v→%v", statsBefore, statsAfter, dayBefore, dayAfter)
	}
	second := snapshot()
	for k, es := range first {
		if len(second[k]) != len(es) {
			t.Fatalf("%s changed: %+v → %+v", k, es, second[k])
		}
		for i := range es {
			if es[i] != second[k][i] {
				t.Errorf("%s changed: %+v → %+v", k, es, second[k])
			}
		}
	}
}
