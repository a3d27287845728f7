package redisprod_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/testenv/procs"
)

var kib = strings.Repeat("x", 1024)

// fill writes 1 KiB values under prefix, key after key, until ten writes
// in a row failed or limit writes succeeded. (Right at the limit the
// memory Redis counts moves by a few hundred bytes from one command to
// the next, so a write may still pass after one was refused.) It returns
// how many succeeded and the last error.
func fill(ctx context.Context, c redis.UniversalClient, prefix string, limit int) (int, error) {
	ok, failed := 0, 0
	var last error
	for n := 0; ok < limit && failed < 10; n++ {
		if last = c.Set(ctx, fmt.Sprintf("%s:%06d", prefix, n), kib, 0).Err(); last != nil {
			failed++
			continue
		}
		ok, failed = ok+1, 0
	}
	return ok, last
}

func isOOM(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "OOM ") }

// TestMaxmemoryNoeviction: at the memory limit, under noeviction, every
// write fails with an OOM error — plain writes, the Lua scripts moves are
// made of, stream appends (the action queue) — while reads and deletes
// still work and nothing already written is lost; after deletes, writes
// work again. Under allkeys-lru the same writes all succeed and earlier
// keys silently disappear: the lost games noeviction prevents.
func TestMaxmemoryNoeviction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := procs.StartRedis(t, procs.RedisOptions{MaxMemory: "4mb", MaxMemoryPolicy: "noeviction"})
	c := r.Client(0)
	n, err := fill(ctx, c, "table", 100000)
	if !isOOM(err) {
		t.Fatalf("after %d writes: %v, want an OOM error", n, err)
	}
	if n < 100 {
		t.Fatalf("only %d writes before the limit", n)
	}
	t.Logf("4 MB limit: %d writes of 1 KiB, then %q", n, err)
	script := redis.NewScript(`return redis.call('SET', KEYS[1], ARGV[1])`)
	for what, err := range map[string]error{
		"SET":  c.Set(ctx, "more", kib, 0).Err(),
		"EVAL": script.Run(ctx, c, []string{"table:lua"}, kib).Err(),
		"XADD": c.XAdd(ctx, &redis.XAddArgs{Stream: "actions", Values: []string{"a", kib}}).Err(),
	} {
		if !isOOM(err) {
			t.Errorf("%s at the limit: %v, want an OOM error", what, err)
		}
	}
	if got := c.DBSize(ctx).Val(); got != int64(n) {
		t.Fatalf("%d keys at the limit, %d writes acknowledged: something was evicted or a refused write landed", got, n)
	}
	for _, k := range []string{"table:000000", fmt.Sprintf("table:%06d", n/2)} {
		if c.Get(ctx, k).Val() != kib {
			t.Fatalf("%s lost at the limit", k)
		}
	}
	// Deleting makes room (DEL is allowed at the limit).
	var del []string
	for i := range n / 2 {
		del = append(del, fmt.Sprintf("table:%06d", i))
	}
	if err := c.Del(ctx, del...).Err(); err != nil {
		t.Fatalf("DEL at the limit: %v", err)
	}
	if err := script.Run(ctx, c, []string{"table:lua"}, kib).Err(); err != nil {
		t.Fatalf("a write after deleting half: %v", err)
	}

	lru := procs.StartRedis(t, procs.RedisOptions{MaxMemory: "4mb", MaxMemoryPolicy: "allkeys-lru"})
	lc := lru.Client(0)
	written, err := fill(ctx, lc, "table", 2*n)
	if err != nil || written != 2*n {
		t.Fatalf("allkeys-lru: %d writes, %v", written, err)
	}
	kept := lc.DBSize(ctx).Val()
	if kept >= int64(written) {
		t.Fatalf("allkeys-lru kept %d of %d keys: nothing evicted?", kept, written)
	}
	t.Logf("the same limit under allkeys-lru: %d writes all acknowledged, %d keys silently evicted", written, int64(written)-kept)
}
