package panics_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/panics"
)

func TestCatch(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	before := testutil.ToFloat64(metrics.Panics.WithLabelValues("test"))
	unit := func(v any) (err error) {
		defer panics.Catch("test", log, &err)
		if v != nil {
			panic(v)
		}
		return nil
	}
	if err := unit(nil); err != nil {
		t.Fatalf("no panic: %v", err)
	}
	err := unit("boom")
	var pe *panics.Error
	if !errors.As(err, &pe) || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "panics_test") {
		t.Fatalf("recovered %v", err)
	}
	if n := testutil.ToFloat64(metrics.Panics.WithLabelValues("test")) - before; n != 1 {
		t.Fatalf("hokm_panics_total grew by %v", n)
	}
	if !strings.Contains(buf.String(), "panic recovered") || !strings.Contains(buf.String(), "boom") {
		t.Fatalf("log: %s", buf.String())
	}
	func() { // without an error to fill it still recovers
		defer panics.Catch("test", log, nil)
		panic(errors.New("x"))
	}()
}

func TestDo(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	want := errors.New("plain")
	if err := panics.Do("test", log, func() error { return want }); err != want {
		t.Fatalf("Do returned %v, want fn's error", err)
	}
	var pe *panics.Error
	if err := panics.Do("test", log, func() error { panic("boom") }); !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("Do of a panic returned %v", err)
	}
}
