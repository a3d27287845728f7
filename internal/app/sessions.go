package app

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/store/sessionmirror"
)

// newSessionMirror is the PostgreSQL copy of the sessions, written behind
// in the background while the process runs; stopping writes what is still
// queued. It is built before the listeners that use sessions, so it stops
// after them (and before the pool closes).
func newSessionMirror(lc fx.Lifecycle, pg *pgstore.Store, log *slog.Logger) *sessionmirror.Mirror {
	m := sessionmirror.New(pg, sessionmirror.Options{Log: log.With("component", "sessions")})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { m.Start(); return nil },
		OnStop:  m.Stop,
	})
	return m
}

// withSessionMirror gives the Redis store its sessions mirror: a decorator,
// so that every module (gateway, account, history) gets the same store
// with it, and Core stays usable by roles without PostgreSQL.
func withSessionMirror(rs *redisstore.Store, m *sessionmirror.Mirror) *redisstore.Store {
	o := rs.Options()
	o.SessionMirror = m
	store := redisstore.New(rs.Client(), o)
	metrics.Register(metrics.NewSessions(func() metrics.SessionStats {
		ms, fb := m.Stats(), store.SessionFallbacks()
		return metrics.SessionStats{
			QueuedSaves: ms.QueuedSaves, QueuedRevocations: ms.QueuedRevocations,
			Written: ms.Written, Revoked: ms.Revoked, FlushErrors: ms.FlushErrors, Dropped: ms.Dropped,
			Restored: fb.Restored, LookupsWithoutRedis: fb.LookupsWithoutRedis, CreatedWithoutRedis: fb.CreatedWithoutRedis,
		}
	}))
	return store
}

// Sessions mirrors the sessions into PostgreSQL (store/sessionmirror), so
// that they outlive Redis and logins work while it is down
// (docs/operations.md, "Sessions mirror"). For the roles that serve
// players; it needs Postgres. Decorations apply app-wide only from the
// root, so this is not an fx.Module.
var Sessions = fx.Options(
	fx.Provide(newSessionMirror),
	fx.Decorate(withSessionMirror),
)
