package sessionmirror_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/store/sessionmirror"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is one test's Redis key space and PostgreSQL database, with a
// started mirror and a Redis store using it (one "process").
type env struct {
	t      *testing.T
	ctx    context.Context
	rdb    redis.UniversalClient
	prefix string
	dsn    string
	pool   *pgxpool.Pool
	pg     *pgstore.Store
	mirror *sessionmirror.Mirror
	rs     *redisstore.Store
}

func setup(t *testing.T, opts sessionmirror.Options) *env {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	e := &env{t: t, ctx: ctx, rdb: rdb, prefix: prefix, dsn: dsn, pool: pool, pg: pgstore.New(pool)}
	e.mirror = e.startMirror(e.pg, opts)
	e.rs = e.store(rdb, e.mirror)
	return e
}

// startMirror starts a mirror over store (another process's, or one on a
// PostgreSQL that is down), stopped when the test ends.
func (e *env) startMirror(store sessionmirror.Store, opts sessionmirror.Options) *sessionmirror.Mirror {
	if opts.Log == nil {
		opts.Log = quiet
	}
	m := sessionmirror.New(store, opts)
	m.Start()
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = m.Stop(ctx)
	})
	return m
}

// store is a Redis store on the test's prefix over rdb with mirror m.
func (e *env) store(rdb redis.UniversalClient, m *sessionmirror.Mirror) *redisstore.Store {
	return redisstore.New(rdb, redisstore.Options{Prefix: e.prefix, SessionMirror: m})
}

// flush writes m's queue now.
func (e *env) flush(m *sessionmirror.Mirror) {
	e.t.Helper()
	if err := m.Flush(e.ctx); err != nil {
		e.t.Fatalf("flush: %v", err)
	}
}

// wipeRedis deletes every key of the test's prefix: Redis restarted empty.
func (e *env) wipeRedis() {
	e.t.Helper()
	if err := testenv.DeletePrefix(e.ctx, e.rdb, e.prefix); err != nil {
		e.t.Fatal(err)
	}
}

func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// row reads a token's row in the sessions table; ok false if none.
type row struct {
	user, name       string
	indexed, revoked bool
	expires          time.Time
}

func (e *env) row(token string) (row, bool) {
	e.t.Helper()
	var r row
	err := e.pool.QueryRow(e.ctx, `SELECT user_id, name, indexed, revoked_at IS NOT NULL, expires_at FROM sessions
		WHERE token_hash = $1`, hashOf(token)).Scan(&r.user, &r.name, &r.indexed, &r.revoked, &r.expires)
	if err != nil {
		return row{}, false
	}
	return r, true
}

// eventually polls cond until it holds, failing after 10 s.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("not within 10 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// switchable is a mirror Store whose PostgreSQL can be taken down and
// brought back: it delegates to one of two stores.
type switchable struct {
	up, down sessionmirror.Store
	isDown   atomic.Bool
}

func (s *switchable) cur() sessionmirror.Store {
	if s.isDown.Load() {
		return s.down
	}
	return s.up
}

func (s *switchable) UpsertSessions(ctx context.Context, rows []pgstore.SessionRow) error {
	return s.cur().UpsertSessions(ctx, rows)
}

func (s *switchable) LookupSession(ctx context.Context, h string, now time.Time) (pgstore.SessionRow, bool, error) {
	return s.cur().LookupSession(ctx, h, now)
}

func (s *switchable) RevokeSessions(ctx context.Context, hs []string, at, until time.Time) error {
	return s.cur().RevokeSessions(ctx, hs, at, until)
}

func (s *switchable) RevokeUserSessions(ctx context.Context, user, keep string, before, until time.Time) (int64, error) {
	return s.cur().RevokeUserSessions(ctx, user, keep, before, until)
}

func (s *switchable) PurgeSessions(ctx context.Context, before time.Time) (int64, error) {
	return s.cur().PurgeSessions(ctx, before)
}
