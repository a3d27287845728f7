package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/readiness"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
)

// opsReady reads the ops listener's /readyz.
func opsReady(t *testing.T, addr string) (int, readiness.Report) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r readiness.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("/readyz body %q: %v", b, err)
	}
	return resp.StatusCode, r
}

// startOptions starts an fx app of opts and stops it when the test ends.
func startOptions(t *testing.T, opts ...fx.Option) {
	t.Helper()
	a := fx.New(append(opts, fx.NopLogger)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = a.Stop(ctx)
	})
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestOpsReadinessPerRole: every role's ops listener answers /readyz with
// its own checks: Redis required everywhere, PostgreSQL optional where the
// role uses it, the gateway's draining where it runs one.
func TestOpsReadinessPerRole(t *testing.T) {
	t.Parallel()
	_, prefix, redisDB := appRedis(t)
	db := testenv.Database(t)
	if err := migrations.Up(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"scheduler": {"redis"},
		"worker":    {"redis", "postgres", "action_stream", "recovery"},
		"gateway":   {"redis", "postgres", "gateway"},
	}
	for role, checks := range want {
		cfg := config.Defaults()
		cfg.HTTPAddr, cfg.OpsAddr = freeAddr(t), freeAddr(t)
		cfg.DatabaseURL, cfg.RedisURL, cfg.RedisPrefix = db, testenv.RedisDBURL(t, redisDB), prefix
		cfg.LogLevel, cfg.ShutdownTimeout = "error", time.Second
		startOptions(t, app.Role(role, cfg))
		code, r := opsReady(t, cfg.OpsAddr)
		if code != 200 || r.Status != "ok" || len(r.Checks) != len(checks) {
			t.Fatalf("%s: %d %+v, want ok with %v", role, code, r, checks)
		}
		for _, c := range checks {
			if r.Checks[c] != "ok" {
				t.Fatalf("%s: check %s = %q", role, c, r.Checks[c])
			}
		}
	}
}

// TestOpsReadinessDegradedAndDown: PostgreSQL unreachable is degraded (200,
// with the error on the ops listener); Redis unreachable is unready (503).
func TestOpsReadinessDegradedAndDown(t *testing.T) {
	t.Parallel()
	_, prefix := testenv.Redis(t, 0, false)
	cfg := config.Defaults()
	cfg.OpsAddr, cfg.LogLevel, cfg.RedisPrefix = freeAddr(t), "error", prefix
	cfg.RedisURL = testenv.RedisURL()
	cfg.DatabaseURL = fmt.Sprintf("postgres://postgres@%s/x?sslmode=disable&connect_timeout=1", closedAddr(t))
	startOptions(t, app.Core(cfg), app.Postgres, app.Ops)
	code, r := opsReady(t, cfg.OpsAddr)
	if code != 200 || r.Status != "degraded" || r.Checks["redis"] != "ok" || r.Checks["postgres"] != "degraded" || r.Errors["postgres"] == "" {
		t.Fatalf("PostgreSQL down: %d %+v", code, r)
	}

	cfg.OpsAddr = freeAddr(t)
	cfg.RedisURL = "redis://" + closedAddr(t) + "/0"
	startOptions(t, app.Core(cfg), app.Ops)
	code, r = opsReady(t, cfg.OpsAddr)
	if code != 503 || r.Status != "unavailable" || r.Checks["redis"] != "fail" {
		t.Fatalf("Redis down: %d %+v", code, r)
	}
}
