package breaker

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/metrics"
)

// RedisSettings are the Redis breaker's settings: opened by 3 failures in
// a row (or half the calls of the last 5 s, at least 10), a call still
// unanswered after 500 ms counts as failed, a probe every 500 ms while
// open. With traffic (a worker's timer loop alone calls Redis five times a
// second; a gateway probes it every second) it opens within about a second
// of Redis becoming unreachable, and closes at the first probe that
// succeeds after it is back. Redis answers in well under a millisecond
// here: 500 ms is far beyond any healthy call, blocking reads excepted
// (they bypass the breaker).
var RedisSettings = Settings{SlowCall: 500 * time.Millisecond, Timeout: 500 * time.Millisecond}

// NewRedis is the breaker of Redis with RedisSettings and IsRedisFailure
// (hokm_breaker_state{dependency="redis"}). Put it in front of a client
// with client.AddHook(RedisHook(b)).
func NewRedis() *Breaker { return New(Redis, RedisSettings, redisOutcome) }

// RedisHook is the go-redis hook that sends every command and pipeline of
// a client through b, except blocking commands (XREADGROUP … BLOCK, BLPOP,
// …: see metrics.Blocking), which wait on purpose. Pub/Sub connections do
// not pass through command hooks at all. A refused command returns
// ErrOpen (wrapped) without touching the network: at once when its
// context has a deadline, after RefusalPause when it has none. Add it before other
// hooks (the first added runs outermost), so that refused commands are not
// observed as Redis latency.
func RedisHook(b *Breaker) redis.Hook { return redisHook{b} }

type redisHook struct{ b *Breaker }

// DialHook passes dials through: a failed dial fails the command that
// needed it, which is what is counted (Pub/Sub reconnects dial too and
// must not be refused).
func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook guards one command.
func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if metrics.Blocking(cmd.Name()) {
			return next(ctx, cmd)
		}
		done, err := h.b.Allow(ctx)
		if err != nil {
			pace(ctx)
			cmd.SetErr(err)
			return err
		}
		err = next(ctx, cmd)
		done(err)
		return err
	}
}

// ProcessPipelineHook guards a pipeline or MULTI/EXEC as one call.
func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		done, err := h.b.Allow(ctx)
		if err != nil {
			pace(ctx)
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		err = next(ctx, cmds)
		done(err)
		return err
	}
}

// RefusalPause is how long a refused call whose context has no deadline
// waits before it fails. Background loops that retry at once on an error
// (asynq's dequeue, forwarder and heartbeat call Redis with
// context.Background()) would otherwise spin on the instant ErrOpen — 7 %
// of a core per worker process measured while Redis was down. Calls with
// a deadline, as every player's request has, fail at once.
const RefusalPause = 100 * time.Millisecond

func pace(ctx context.Context) {
	if _, ok := ctx.Deadline(); ok {
		return
	}
	t := time.NewTimer(RefusalPause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// IsRedisFailure tells whether err means Redis could not be reached or
// could not serve: a network error or timeout, a closed connection, the
// connection pool's timeout, or an error reply saying the server cannot
// serve now (LOADING, MASTERDOWN, READONLY — talking to a replica after a
// failover —, CLUSTERDOWN, TRYAGAIN, BUSY — a script runs too long —, max
// clients). These are the replies go-redis itself retries.
//
// A bare context error is not a failure either (the Breaker counts a call
// whose deadline passed while Redis did not answer; a caller's own
// cancellation or expired context says nothing about Redis).
//
// Not failures: redis.Nil, NOSCRIPT, script errors, WRONGTYPE, a
// transaction's WATCH conflict, and OOM. OOM refuses writes only while
// reads and deletes — including the cleanup that frees memory — still
// work; opening the breaker would stop those too and flap on every
// successful read, so an OOM reaches the caller as an ordinary error
// (answered "unavailable") and is a matter for Redis' memory alerts.
// MISCONF (a failing snapshot refusing writes) is left out for the same
// reason.
func IsRedisFailure(err error) bool { return redisOutcome(err) == Failure }

func redisOutcome(err error) Outcome {
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.Is(err, ErrOpen):
		return Success
	case errors.Is(err, redis.ErrClosed):
		return Excluded // the client is being closed: our shutdown
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Excluded // the caller's context: judged by the Breaker, which knows whether it was live at the start
	case errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return Failure
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return Failure // refused, reset, timed out, unreachable
	}
	if redis.IsLoadingError(err) || redis.IsMasterDownError(err) || redis.IsReadOnlyError(err) ||
		redis.IsClusterDownError(err) || redis.IsTryAgainError(err) || redis.IsMaxClientsError(err) ||
		redis.HasErrorPrefix(err, "BUSY ") {
		return Failure
	}
	return Success
}

// RedisDown tells whether err means Redis is unusable now: the breaker
// refused the call (ErrOpen) or the call failed as IsRedisFailure says (it
// has not opened yet). A caller with a fallback (PostgreSQL) uses it to
// decide to fall back.
func RedisDown(err error) bool { return openFor(err, Redis) || IsRedisFailure(err) }
