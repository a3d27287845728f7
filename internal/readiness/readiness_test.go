package readiness_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/readiness"
)

func get(t *testing.T, h http.Handler) (int, readiness.Report, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var r readiness.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return rec.Code, r, rec.Body.String()
}

func TestHandler(t *testing.T) {
	var redisErr, pgErr error
	draining := false
	checks := []readiness.Check{
		{Name: "redis", Required: true, Check: func(context.Context) error { return redisErr }},
		{Name: "postgres", Check: func(context.Context) error { return pgErr }},
	}
	var logged strings.Builder
	quiet := logthrottle.New(slog.New(slog.NewTextHandler(&logged, nil)), time.Hour)
	public := readiness.Handler(checks, readiness.Options{Draining: func() bool { return draining }, Log: quiet})
	ops := readiness.Handler(checks, readiness.Options{Detail: true})

	code, r, _ := get(t, public)
	if code != 200 || r.Status != "ok" || r.Checks["redis"] != "ok" || r.Checks["postgres"] != "ok" {
		t.Fatalf("all ok: %d %+v", code, r)
	}
	pgErr = errors.New("dial tcp 10.0.0.1:5432: connection refused")
	code, r, body := get(t, public)
	if code != 200 || r.Status != "degraded" || r.Checks["postgres"] != "degraded" || strings.Contains(body, "refused") {
		t.Fatalf("optional failing: %d %s", code, body)
	}
	code, r, _ = get(t, ops)
	if code != 200 || r.Errors["postgres"] != pgErr.Error() || r.Errors["redis"] != "" {
		t.Fatalf("ops detail: %d %+v", code, r)
	}
	redisErr = errors.New("redis: circuit breaker open")
	code, r, _ = get(t, public)
	if code != 503 || r.Status != "unavailable" || r.Checks["redis"] != "fail" || r.Checks["postgres"] != "degraded" {
		t.Fatalf("required failing: %d %+v", code, r)
	}
	redisErr, pgErr = nil, nil
	draining = true
	if code, r, _ = get(t, public); code != 503 || r.Status != "draining" {
		t.Fatalf("draining: %d %+v", code, r)
	}
	// One line per failing check (throttled), and one when each recovered.
	out := logged.String()
	for _, want := range []string{"readiness check failed: postgres", "readiness check failed: redis",
		"readiness check failed: postgres: recovered", "readiness check failed: redis: recovered"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `failed: postgres" required`); n != 1 {
		t.Errorf("%d lines for postgres failing twice, want 1:\n%s", n, out)
	}
}

func TestHandlerTimeout(t *testing.T) {
	checks := []readiness.Check{{Name: "redis", Required: true, Check: func(ctx context.Context) error {
		<-ctx.Done() // a check that hangs until its deadline
		return ctx.Err()
	}}}
	code, r, _ := get(t, readiness.Handler(checks, readiness.Options{Timeout: 10 * time.Millisecond}))
	if code != 503 || r.Checks["redis"] != "fail" {
		t.Fatalf("hanging check: %d %+v", code, r)
	}
}
