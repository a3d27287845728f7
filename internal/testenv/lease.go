package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/lifecycle"
)

// leaseOneOf makes the calling test the only user, among all test processes
// on this machine until it ends, of the first Redis database of dbs that
// is free (waiting until one is), and returns it. A DB other than 0 is
// used where keys cannot be prefixed (asynq's), so two runs at once (two
// checkouts, or two go test invocations) would flush each other's data or
// run each other's tasks. The lease is a key in DB 0 (admin), refreshed
// while the test runs; a crashed holder's lease expires. It is re-entrant
// within one test.
func leaseOneOf(t testing.TB, admin redis.UniversalClient, dbs []int) int {
	t.Helper()
	token := fmt.Sprintf("%d:%s", os.Getpid(), t.Name())
	const ttl = 20 * time.Second
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Minute)
	var key string
	var db int
wait:
	for {
		var err error
		for _, db = range dbs {
			key = fmt.Sprintf("hokm-test-lock:db%d", db)
			if held, _ := admin.Get(ctx, key).Result(); held == token {
				return db // this test holds it already
			}
			var ok bool
			if ok, err = admin.SetNX(ctx, key, token, ttl).Result(); err == nil && ok {
				break wait
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis DBs %v stayed in use by other tests (hokm-test-lock:db*): %v", dbs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var renew lifecycle.Group // renews the lease until the test ends
	renew.Every(ttl/4, nil, func(ctx context.Context) {
		leaseScript.Run(ctx, admin, []string{key}, token, ttl.Milliseconds())
	})
	t.Cleanup(func() {
		_ = renew.Stop(context.Background())
		leaseScript.Run(context.Background(), admin, []string{key}, token, 0)
	})
	return db
}

// leaseScript extends the lease KEYS[1] by ARGV[2] ms, or releases it when
// ARGV[2] is 0, if ARGV[1] still holds it. Returns 0 when it does not.
var leaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`)
