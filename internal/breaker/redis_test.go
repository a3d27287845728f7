package breaker_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/testenv/procs"
)

// reached counts the commands that got past the breaker (a hook added
// after it runs inside it).
type reached struct{ n atomic.Int64 }

func (h *reached) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *reached) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *reached) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// traffic calls Redis from a few goroutines, as a server does, until
// stopped.
func traffic(rdb redis.UniversalClient) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
				_ = rdb.Set(cctx, "k", i, 0).Err()
				ccancel()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// waitState polls until b is in state s (or fails the test after 10 s) and
// returns how long it took.
func waitState(t *testing.T, b *breaker.Breaker, s breaker.State) time.Duration {
	t.Helper()
	start := time.Now()
	for b.State() != s {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("breaker still %v, want %v", b.State(), s)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// refusedAtOnce checks that calls fail with ErrOpen without reaching
// Redis; one without a deadline waits RefusalPause first.
func refusedAtOnce(t *testing.T, rdb redis.UniversalClient, inner *reached) {
	t.Helper()
	before := inner.n.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // as a player's request
	defer cancel()
	err := rdb.Get(ctx, "k").Err()
	if !errors.Is(err, breaker.ErrOpen) || !breaker.RedisDown(err) || breaker.PostgresDown(err) {
		t.Fatalf("call while open: %v, want ErrOpen (redis)", err)
	}
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "k")
		p.Incr(ctx, "n")
		return nil
	})
	if !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("pipeline while open: %v", err)
	}
	// A background loop's call (no deadline) is paced, not spun.
	start := time.Now()
	err = rdb.Get(context.Background(), "k").Err()
	if took := time.Since(start); !errors.Is(err, breaker.ErrOpen) || took < breaker.RefusalPause {
		t.Fatalf("call without deadline while open: %v after %v, want ErrOpen after %v", err, took, breaker.RefusalPause)
	}
	if n := inner.n.Load() - before; n != 0 {
		t.Fatalf("%d refused calls reached Redis", n)
	}
}

// TestRedisBreakerPausedRedis: Redis stops answering (SIGSTOP) under
// traffic; the breaker opens and calls fail at once with ErrOpen; once
// Redis resumes, the breaker closes and calls work.
func TestRedisBreakerPausedRedis(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{})
	b := breaker.NewRedis()
	inner := &reached{}
	rdb := r.ServerClient(breaker.RedisHook(b), inner)
	stop := traffic(rdb)
	defer stop()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}

	r.Pause()
	opened := waitState(t, b, breaker.Open)
	refusedAtOnce(t, rdb, inner)
	// It stays open (probes fail) while Redis is stopped.
	time.Sleep(2 * breaker.RedisSettings.Timeout)
	if s := b.State(); s == breaker.Closed {
		t.Fatalf("breaker closed while Redis is stopped")
	}

	r.Resume()
	closed := waitState(t, b, breaker.Closed)
	if err := rdb.Set(context.Background(), "after", 1, 0).Err(); err != nil {
		t.Fatalf("after Redis resumed: %v", err)
	}
	t.Logf("paused Redis: open %v after SIGSTOP, closed %v after SIGCONT", opened, closed)
}

// TestRedisBreakerKilledRedis: Redis is killed (connections refused); the
// breaker opens, refuses at once, and closes once a new Redis listens.
func TestRedisBreakerKilledRedis(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{})
	b := breaker.NewRedis()
	inner := &reached{}
	rdb := r.ServerClient(breaker.RedisHook(b), inner)
	stop := traffic(rdb)
	defer stop()

	r.Kill()
	opened := waitState(t, b, breaker.Open)
	refusedAtOnce(t, rdb, inner)

	r.Start()
	closed := waitState(t, b, breaker.Closed)
	if err := rdb.Set(context.Background(), "after", 1, 0).Err(); err != nil {
		t.Fatalf("after Redis restarted: %v", err)
	}
	t.Logf("killed Redis: open %v after the kill, closed %v after the restart", opened, closed)
}

// TestRedisBreakerIgnoresAnswers: errors Redis answers with as part of
// normal work, cancelled calls, and blocking reads never open it.
func TestRedisBreakerIgnoresAnswers(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{})
	b := breaker.NewRedis()
	rdb := r.ServerClient(breaker.RedisHook(b))
	ctx := context.Background()
	if err := rdb.LPush(ctx, "list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	expired, cancel2 := context.WithTimeout(ctx, -time.Second)
	defer cancel2()
	failing := map[string]func() error{
		"redis.Nil":    func() error { return rdb.Get(ctx, "missing").Err() },
		"script error": func() error { return rdb.Eval(ctx, `return redis.error_reply("rule")`, nil).Err() },
		"runtime error in a script": func() error {
			return rdb.Eval(ctx, `return redis.call("INCR", KEYS[1])`, []string{"list"}).Err()
		},
		"NOSCRIPT":  func() error { return rdb.EvalSha(ctx, "0123456789012345678901234567890123456789", nil).Err() },
		"WRONGTYPE": func() error { return rdb.Get(ctx, "list").Err() },
		"unknown command": func() error {
			return rdb.Do(ctx, "NOSUCHCOMMAND").Err()
		},
		"watch conflict": func() error {
			return rdb.Watch(ctx, func(tx *redis.Tx) error {
				rdb.Set(ctx, "w", 1, 0) // changes the watched key on another connection
				_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "w", 2, 0); return nil })
				return err
			}, "w")
		},
		"cancelled":       func() error { return rdb.Get(cancelled, "k").Err() },
		"already expired": func() error { return rdb.Get(expired, "k").Err() },
	}
	for name, call := range failing {
		for range 20 {
			err := call()
			if err == nil {
				t.Fatalf("%s: no error", name)
			}
			if breaker.IsRedisFailure(err) {
				t.Fatalf("%s counted as a Redis failure: %v", name, err)
			}
		}
		if s := b.State(); s != breaker.Closed {
			t.Fatalf("%s opened the breaker", name)
		}
	}
	// A blocking read that times out by design is not even seen.
	rdb.XGroupCreateMkStream(ctx, "s", "g", "0")
	for range 5 {
		err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: 10 * time.Millisecond}).Err()
		if !errors.Is(err, redis.Nil) {
			t.Fatalf("xreadgroup: %v", err)
		}
	}
	// A replica refuses writes with READONLY: that is a failure (go-redis
	// drops the connection and retries it too).
	host, port, _ := net.SplitHostPort(procs.FreePort(t))
	if err := rdb.Do(ctx, "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	err := rdb.Set(ctx, "k", 1, 0).Err()
	if !breaker.IsRedisFailure(err) || !redis.IsReadOnlyError(err) {
		t.Fatalf("write to a replica: %v, want a READONLY failure", err)
	}
	if s := b.State(); s != breaker.Closed {
		t.Fatalf("one failure opened the breaker: %v", s)
	}
}

// TestRedisBreakerBlockingReadsBypass: with the breaker open, a blocking
// read still goes to Redis (the worker's read loop waits on its own).
func TestRedisBreakerBlockingReadsBypass(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{})
	b := breaker.New("redis-test", breaker.Settings{Timeout: time.Hour}, func(error) breaker.Outcome { return breaker.Failure })
	inner := &reached{}
	rdb := r.ServerClient(breaker.RedisHook(b), inner)
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, "s", "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_ = rdb.Get(ctx, "missing").Err() // counted as failures by this classifier
	}
	if b.State() != breaker.Open {
		t.Fatalf("state %v", b.State())
	}
	before := inner.n.Load()
	err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: 10 * time.Millisecond}).Err()
	if !errors.Is(err, redis.Nil) || inner.n.Load() != before+1 {
		t.Fatalf("blocking read while open: %v (reached %d)", err, inner.n.Load()-before)
	}
}
