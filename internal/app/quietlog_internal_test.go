package app

import (
	"log/slog"
	"strings"
	"testing"
)

// TestQuietAsynqLogger: asynq's repeated outage errors are written once
// per kind (within the interval); other kinds still get through.
func TestQuietAsynqLogger(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	l := newQuietAsynqLogger(slog.New(slog.NewTextHandler(&out, nil)))
	for i := range 100 {
		l.Error("Failed to forward scheduled tasks: dial tcp 127.0.0.1:6379: connect: connection refused ", i)
		l.Warn("recoverer: could not list lease expired tasks: i/o timeout")
	}
	l.Error("Dequeue error: redis: circuit breaker open")
	l.Info("starting")
	got := out.String()
	for want, n := range map[string]int{"Failed to forward": 1, "recoverer": 1, "Dequeue error": 1, "starting": 1} {
		if c := strings.Count(got, want); c != n {
			t.Errorf("%q written %d times, want %d:\n%s", want, c, n, got)
		}
	}
}
