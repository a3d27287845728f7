package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/sysconfig"
)

// opsToolEnv gives a `hokm ops` tool run by the test a migrated database
// and a Redis key prefix of its own (HOKM_* set for it), operated by
// operator; ctx ends with the test's minute.
func opsToolEnv(t *testing.T, operator string) (context.Context, *pgxpool.Pool, redis.UniversalClient, string) {
	t.Helper()
	dsn := testenv.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	rdb, prefix := testenv.Redis(t, 0, false)
	t.Setenv("HOKM_REDIS_URL", testenv.RedisURL())
	t.Setenv("HOKM_REDIS_PREFIX", prefix)
	t.Setenv("HOKM_DATABASE_URL", dsn)
	t.Setenv("HOKM_OPERATOR", operator)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return ctx, pool, rdb, prefix
}

// `hokm ops config set|get|list` and `hokm ops maintenance on|off` change
// the configuration, audit each change with the operator, and a running
// reader (another process) picks the change up through the notice.
func TestOpsConfig(t *testing.T) {
	ctx, pool, rdb, prefix := opsToolEnv(t, "ops-alice")
	r := sysconfig.New(pgstore.New(pool), rdb, prefix, time.Hour, nil)
	r.Start(ctx)
	defer r.Stop(ctx)

	if code, out, errOut := runHokm(t, "", "ops", "maintenance", "on"); code != 0 || !strings.Contains(out, "maintenance = true") {
		t.Fatalf("maintenance on: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runHokm(t, "", "ops", "config", "set", "flag.beta", "true"); code != 0 {
		t.Fatalf("set: %d %q", code, errOut)
	}
	if code, out, _ := runHokm(t, "", "ops", "config", "get", "flag.beta"); code != 0 || strings.TrimSpace(out) != "true" {
		t.Fatalf("get: %d %q", code, out)
	}
	if code, _, _ := runHokm(t, "", "ops", "config", "get", "flag.none"); code != 1 {
		t.Fatalf("get of an unset key: %d", code)
	}
	code, out, _ := runHokm(t, "", "ops", "config", "list")
	if code != 0 || !strings.Contains(out, "flag.beta") || !strings.Contains(out, "ops-alice") {
		t.Fatalf("list: %d %q", code, out)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !r.Maintenance() || !r.Flag("beta") {
		if time.Now().After(deadline) {
			t.Fatal("the running reader did not see the change within 2 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _, _ := runHokm(t, "", "ops", "maintenance", "off"); code != 0 {
		t.Fatal("maintenance off")
	}
	if code, _, _ := runHokm(t, "", "ops", "maintenance", "maybe"); code != 2 {
		t.Fatal("bad usage accepted")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE kind = 'ops_config_set'
		AND detail->>'operator' = 'ops-alice'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("audit rows: %d %v", n, err)
	}
}
