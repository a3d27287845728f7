package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/internal/config"
)

// TestOpsListener: the ops listener refuses a non-loopback address without
// a token, and with one serves /healthz, /metrics, the Go profiles and
// /asynq/ only to requests carrying it.
func TestOpsListener(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	cfg := config.Defaults()
	cfg.OpsAddr = "0.0.0.0:0"
	cfg.LogLevel = "error"
	a := fx.New(app.Core(cfg), app.Ops, fx.NopLogger)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.Err()
	if err == nil {
		err = a.Start(ctx)
		defer a.Stop(ctx)
	}
	if err == nil || !strings.Contains(err.Error(), "loopback") || !strings.Contains(err.Error(), "HOKM_OPS_TOKEN") {
		t.Fatalf("ops on 0.0.0.0 without a token: %v", err)
	}

	cfg.OpsAddr, cfg.OpsToken = freeAddr(t), "0123456789abcdef-ops"
	a = fx.New(app.Core(cfg), app.Ops, fx.NopLogger)
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Stop(ctx)
	get := func(path, auth string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+cfg.OpsAddr+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/healthz", "/metrics", "/asynq/", "/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/profile?seconds=1"} {
		if code, _ := get(path, ""); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d", path, code)
		}
		if code, _ := get(path, "Bearer wrong"); code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d", path, code)
		}
		if code, body := get(path, "Bearer "+cfg.OpsToken); code != 200 || body == "" {
			t.Errorf("GET %s with the token: %d %.100q", path, code, body)
		}
	}
}
