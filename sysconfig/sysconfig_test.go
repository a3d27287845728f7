package sysconfig_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/sysconfig"
)

// A flag changed through one process's Set is seen by another process's
// reader within 2 s, without a restart: the Redis notice makes it reload
// (the periodic reload is set far beyond the test to prove it).
func TestFlagChangePickedUpWithoutRestart(t *testing.T) {
	t.Parallel()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	rdb, prefix := testenv.Redis(t, 0, false)
	pg := pgstore.New(pool)
	a := sysconfig.New(pg, rdb, prefix, time.Hour, nil)
	b := sysconfig.New(pg, rdb, prefix, time.Hour, nil)
	for _, r := range []*sysconfig.Reader{a, b} {
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Stop(context.Background()) })
	}
	if a.Flag("new_lobby") || b.Flag("new_lobby") || b.Maintenance() {
		t.Fatal("flags on before any set")
	}
	for _, step := range []struct {
		key  string
		val  string
		want func() bool
	}{
		{"flag.new_lobby", "true", func() bool { return b.Flag("new_lobby") }},
		{"maintenance", "true", b.Maintenance},
		{"flag.new_lobby", "false", func() bool { return !b.Flag("new_lobby") }},
		{"maintenance", "false", func() bool { return !b.Maintenance() }},
	} {
		start := time.Now()
		if err := a.Set(ctx, step.key, json.RawMessage(step.val), "test"); err != nil {
			t.Fatal(err)
		}
		for !step.want() {
			if time.Since(start) > 2*time.Second {
				t.Fatalf("%s = %s not seen by the other reader within 2 s", step.key, step.val)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%s = %s seen after %v", step.key, step.val, time.Since(start).Round(time.Millisecond))
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE kind = 'ops_config_set'`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("audit rows: %d %v", n, err)
	}
}

// Without a notice (a writer that cannot reach Redis), the periodic reload
// picks the change up.
func TestPeriodicReload(t *testing.T) {
	t.Parallel()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	pg := pgstore.New(pool)
	r := sysconfig.New(pg, nil, "x", 100*time.Millisecond, nil)
	r.Start(ctx)
	defer r.Stop(ctx)
	if err := (sysconfig.Writer{Store: pg}).Set(ctx, "flag.f", json.RawMessage("true"), "test"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !r.Flag("f") {
		if time.Now().After(deadline) {
			t.Fatal("not reloaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.Bool("flag.missing") || string(r.All()["flag.f"]) != "true" {
		t.Fatalf("values %v", r.All())
	}
}
