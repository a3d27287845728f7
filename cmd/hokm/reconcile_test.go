package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
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
