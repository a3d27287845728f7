package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/internal/testenv"
)

func newLimiter(t *testing.T) *ratelimit.Limiter {
	rdb, prefix := testenv.Redis(t, 0, false)
	return ratelimit.New(rdb, func(what, who string) string { return prefix + ":rl:" + what + ":" + who })
}

// Windows in Redis: a budget is shared by whoever counts on the same key,
// refusals say how long to wait and are counted by limit name, HitAll is
// all or nothing, Undo gives an event back, and Over reads without
// counting.
func TestLimiter(t *testing.T) {
	ctx := context.Background()
	lm := newLimiter(t)
	l := ratelimit.Limit{Max: 2, Window: time.Minute}
	a := ratelimit.Count{What: "test:ip", Who: "192.0.2.1", Limit: l}
	before := testutil.ToFloat64(metrics.RateLimited.WithLabelValues("test:ip"))
	for i := range 2 {
		if err := lm.Allow(ctx, a); err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
	}
	var refused *ratelimit.Refused
	if err := lm.Allow(ctx, a); !errors.As(err, &refused) || refused.What != "test:ip" ||
		refused.Retry <= 50*time.Second || refused.Retry > time.Minute {
		t.Fatalf("third event: %v, want refused for about a minute", err)
	}
	if got := testutil.ToFloat64(metrics.RateLimited.WithLabelValues("test:ip")) - before; got != 1 {
		t.Fatalf("hokm_rate_limited_total{limit=test:ip} grew by %v, want 1", got)
	}
	if over, wait := lm.Over(ctx, a); !over || wait <= 0 {
		t.Fatalf("Over on a spent budget: %v %v", over, wait)
	}
	// Another budget is untouched; Over on it counts nothing.
	b := ratelimit.Count{What: "test:ip", Who: "192.0.2.2", Limit: l}
	for range 5 {
		if over, _ := lm.Over(ctx, b); over {
			t.Fatal("Over on a fresh budget")
		}
	}
	// All or nothing: b is within, a is not; b is not counted.
	if _, err := lm.HitAll(ctx, b, a); !errors.As(err, &refused) {
		t.Fatalf("HitAll over a: %v", err)
	}
	marks, err := lm.HitAll(ctx, b, b)
	if err != nil || len(marks) != 2 {
		t.Fatalf("HitAll b twice: %d marks, %v (b must not have been counted before)", len(marks), err)
	}
	if err := lm.Allow(ctx, b); err == nil {
		t.Fatal("b over its budget allowed")
	}
	lm.Undo(ctx, marks[0])
	if err := lm.Allow(ctx, b); err != nil {
		t.Fatalf("after an undo: %v", err)
	}
	// An off limit counts nothing.
	for range 10 {
		if err := lm.Allow(ctx, ratelimit.Count{What: "test:off", Who: "x"}); err != nil {
			t.Fatal(err)
		}
	}
}

// While Redis fails the limits hold in this process.
func TestLimiterWithoutRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	lm := ratelimit.New(rdb, func(what, who string) string { return what + ":" + who })
	ctx := context.Background()
	c := ratelimit.Count{What: "test:down", Who: "u", Limit: ratelimit.Limit{Max: 3, Window: time.Minute}}
	for i := range 3 {
		if err := lm.Allow(ctx, c); err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
	}
	if err := lm.Allow(ctx, c); err == nil {
		t.Fatal("fourth event allowed while Redis is down")
	}
	if over, _ := lm.Over(ctx, c); !over {
		t.Fatal("Over while Redis is down: the local window is spent")
	}
}
