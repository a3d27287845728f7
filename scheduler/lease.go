package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is the schedulers' leadership lease in Redis: a key holding the
// leader's holder id with a TTL, and a counter whose value at each
// acquisition is the leader's fencing token. Both keys must share a hash
// tag (redisstore.Keys.SchedulerLease, SchedulerFence) so the acquisition
// is one script on Redis Cluster.
type Lease struct {
	rdb    redis.Scripter
	key    string
	fence  string
	holder string
}

// NewLease is the lease at key with its fencing counter at fence, held as
// holder: an id unique to this process (empty: host-pid-random, see
// NewHolder).
func NewLease(rdb redis.Scripter, key, fence, holder string) *Lease {
	if holder == "" {
		holder = NewHolder()
	}
	return &Lease{rdb: rdb, key: key, fence: fence, holder: holder}
}

// NewHolder is a holder id unique to this process and call: the host name,
// the process id and 4 random bytes, so that an operator reading the lease
// key sees which process leads.
func NewHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Holder is the id this lease is held as.
func (l *Lease) Holder() string { return l.holder }

// acquireScript takes the lease if it is free and draws a fencing token.
// KEYS[1] the lease key, KEYS[2] the fencing counter; ARGV[1] the holder,
// ARGV[2] the TTL in ms. Returns the new token, or false (nil) when another
// holder (or this one, before its lease lapsed) has the lease.
var acquireScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('INCR', KEYS[2])
`)

// renewScript extends the lease if ARGV[1] still holds it (compare and
// pexpire). KEYS[1] the lease key; ARGV[1] the holder, ARGV[2] the TTL in
// ms. Returns 1 when extended, 0 when the lease is gone or someone else's.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`)

// releaseScript deletes the lease if ARGV[1] still holds it (compare and
// delete). KEYS[1] the lease key; ARGV[1] the holder. Returns 1 when
// deleted, 0 when it was not ours.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`)

// Acquire takes the lease for ttl if nobody holds it and returns the
// fencing token of this tenure (it grows by one at every acquisition by
// anyone). ok is false, with no error, when the lease is held. An error is
// a Redis failure: the lease may or may not have been taken (if it was, it
// lapses after ttl).
func (l *Lease) Acquire(ctx context.Context, ttl time.Duration) (token int64, ok bool, err error) {
	token, err = acquireScript.Run(ctx, l.rdb, []string{l.key, l.fence}, l.holder, ttl.Milliseconds()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("scheduler lease: acquire: %w", err)
	}
	return token, true, nil
}

// Renew extends the lease to ttl from now if this holder still has it.
// false, with no error, means it lost the lease (it expired, or another
// holder took or overwrote it) and must stop acting as leader at once.
func (l *Lease) Renew(ctx context.Context, ttl time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.holder, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("scheduler lease: renew: %w", err)
	}
	return n == 1, nil
}

// Release gives the lease up if this holder still has it, so a standby
// takes over without waiting for the TTL; someone else's lease is left
// alone.
func (l *Lease) Release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{l.key}, l.holder).Err(); err != nil {
		return fmt.Errorf("scheduler lease: release: %w", err)
	}
	return nil
}
