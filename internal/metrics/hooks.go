package metrics

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// RedisHook is a go-redis hook observing each command's latency by name
// (and a pipeline's as a whole, as "pipeline"). Blocking commands
// (XREADGROUP ... BLOCK, BLPOP, ...) wait by design, so their time is not
// observed (their errors are counted). Add it with
// client.AddHook(metrics.RedisHook{}).
type RedisHook struct{}

var _ redis.Hook = RedisHook{}

// DialHook passes dials through.
func (RedisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

// ProcessHook times one command.
func (RedisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		name := cmd.Name()
		if blocking[name] {
			if err != nil && !errors.Is(err, redis.Nil) {
				RedisErrors.WithLabelValues(name).Inc()
			}
			return err
		}
		observeRedis(name, time.Since(start), err)
		return err
	}
}

// ProcessPipelineHook times a pipeline (or MULTI/EXEC) as a whole.
func (RedisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		observeRedis("pipeline", time.Since(start), err)
		return err
	}
}

// Blocking tells whether the Redis command name (lower case, as
// Cmder.Name) may wait on purpose (XREADGROUP … BLOCK, BLPOP, …): such a
// command's time says nothing about Redis' health.
func Blocking(name string) bool { return blocking[name] }

// blocking are the commands that may wait on purpose.
var blocking = map[string]bool{"xread": true, "xreadgroup": true, "blpop": true, "brpop": true, "brpoplpush": true,
	"blmove": true, "blmpop": true, "bzpopmin": true, "bzpopmax": true, "bzmpop": true, "wait": true, "waitaof": true}

func observeRedis(name string, d time.Duration, err error) {
	if name == "" {
		name = "unknown"
	}
	redisDurationBy.of(name).Observe(d.Seconds())
	if err != nil && !errors.Is(err, redis.Nil) {
		RedisErrors.WithLabelValues(name).Inc()
	}
}

// PgxTracer is a pgx.QueryTracer observing each query's latency by its
// first keyword. Set it as pgxpool.Config.ConnConfig.Tracer.
type PgxTracer struct{}

var _ pgx.QueryTracer = PgxTracer{}

type pgxStartKey struct{}

type pgxStart struct {
	at time.Time
	op string
}

// TraceQueryStart notes the start of a query.
func (PgxTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, pgxStartKey{}, pgxStart{at: time.Now(), op: SQLOperation(data.SQL)})
}

// TraceQueryEnd observes the query's latency.
func (PgxTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	s, ok := ctx.Value(pgxStartKey{}).(pgxStart)
	if !ok {
		return
	}
	PostgresDuration.WithLabelValues(s.op).Observe(time.Since(s.at).Seconds())
	if data.Err != nil {
		PostgresErrors.WithLabelValues(s.op).Inc()
	}
}
