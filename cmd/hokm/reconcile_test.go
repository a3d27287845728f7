package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/worker"
)

// TestOpsReconcile runs `hokm ops reconcile` on a ledger holding a finished
// match PostgreSQL lacks: it re-enqueues its persist task and says so; a
// second run finds the task in flight and fixes nothing more.
func TestOpsReconcile(t *testing.T) {
	const redisDB = testenv.DBReconcile
	rdb, prefix := testenv.Redis(t, redisDB, true)
	dsn := testenv.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	redisDBURL := testenv.RedisDBURL(t, redisDB)
	t.Setenv("HOKM_REDIS_URL", redisDBURL)
	t.Setenv("HOKM_REDIS_PREFIX", prefix)
	t.Setenv("HOKM_DATABASE_URL", dsn)
	t.Setenv("HOKM_OPS_ADDR", "127.0.0.1:0")

	m := pgstoretest.Play(pgstoretest.Game{Seed: 12})
	keys := redisstore.New(rdb, redisstore.Options{Prefix: prefix}).Keys()
	if err := (&worker.Ledger{RDB: rdb, Keys: keys}).Record(ctx, m); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runHokm(t, "", "ops", "reconcile")
	if code != 0 || !strings.Contains(out, "1 missing in PostgreSQL, 1 fixed") || !strings.Contains(out, "fixed "+m.MatchID) {
		t.Fatalf("reconcile: %d %q %q", code, out, errOut)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	info, err := insp.GetTaskInfo(tasks.QueuePersist, tasks.PersistMatchTaskID(m.MatchID))
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("persist task after reconcile: %+v %v", info, err)
	}
	code, out, errOut = runHokm(t, "", "ops", "reconcile", "--json")
	var rep worker.ReconcileReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Fixed) != 0 ||
		len(rep.InFlight) != 1 || rep.InFlight[0] != m.MatchID {
		t.Fatalf("second reconcile: %d %q %q", code, out, errOut)
	}
}

// TestOpsStatsRecompute runs `hokm ops stats recompute`: the first run
// counts the stored match's two guests, a second finds nothing new, --all
// recomputes and writes nothing that was right; a wrong word is a usage
// error.
func TestOpsStatsRecompute(t *testing.T) {
	dsn := testenv.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOKM_REDIS_URL", testenv.RedisDBURL(t, testenv.DBReconcile))
	t.Setenv("HOKM_DATABASE_URL", dsn)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m := pgstoretest.Play(pgstoretest.Game{Seed: 13, Guests: [2]string{"ann", "ben"}})
	if ok, err := pgstore.New(pool).PersistMatch(ctx, &m); err != nil || !ok {
		t.Fatalf("persist: %v %v", ok, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"recompute"}, "player stats: 2 rows written"},
		{[]string{"recompute"}, "player stats: 0 rows written"},
		{[]string{"recompute", "--all", "--json"}, `"rows":0`},
	} {
		code, out, errOut := runHokm(t, "", append([]string{"ops", "stats"}, c.args...)...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Fatalf("ops stats %v: %d %q %q; want %q", c.args, code, out, errOut, c.want)
		}
	}
	var played int
	if err := pool.QueryRow(ctx, `SELECT matches_played FROM player_stats WHERE player_id = 'ann'`).Scan(&played); err != nil || played != 1 {
		t.Fatalf("ann's stats: %d matches, %v", played, err)
	}
	if code, _, errOut := runHokm(t, "", "ops", "stats", "recount"); code != 2 || !strings.Contains(errOut, "usage: hokm ops stats") {
		t.Fatalf("ops stats recount: %d %q", code, errOut)
	}
}
