package worker_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/worker"
)

type fakeCleaner struct {
	res  redisstore.CleanupResult
	err  error
	idle time.Duration
}

func (f *fakeCleaner) CleanupTables(_ context.Context, idle time.Duration) (redisstore.CleanupResult, error) {
	f.idle = idle
	return f.res, f.err
}

func TestCleanupHandlerCountsAndRetries(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fakeCleaner{res: redisstore.CleanupResult{Scanned: 5, Found: 3, Removed: 2, Changed: 1}}
	h := &worker.CleanupHandler{Store: f, Idle: time.Hour, Log: log}
	before := testutil.ToFloat64(metrics.TablesCleaned)
	if err := h.ProcessTask(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if f.idle != time.Hour {
		t.Errorf("idle passed %v, want 1h", f.idle)
	}
	if got := testutil.ToFloat64(metrics.TablesCleaned) - before; got != 2 {
		t.Errorf("hokm_tables_cleaned_total grew by %v, want 2", got)
	}
	f.err = errors.New("redis down")
	f.res = redisstore.CleanupResult{}
	if err := h.ProcessTask(context.Background(), nil); err == nil {
		t.Fatal("a Redis error must be returned (retried)")
	}
}
