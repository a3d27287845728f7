package sessionmirror_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/store/sessionmirror"
)

// never is a flush interval long enough that only Flush, Stop, a revocation
// or a full batch writes.
const never = time.Hour

// A session survives Redis restarted empty: the lookup finds it in the
// mirror and copies it back (with its remaining lifetime, into its user's
// index when it was indexed), so the player keeps their identity.
func TestSessionOutlivesRedisRestartedEmpty(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	acct := redisstore.Session{User: "u_1", Name: "Sara"}
	guest := redisstore.Session{User: "g_2", Name: "مهمان", Guest: true}
	tokA, err := e.rs.NewUserSession(e.ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	tokG, err := e.rs.NewSession(e.ctx, guest)
	if err != nil {
		t.Fatal(err)
	}
	e.flush(e.mirror)
	if r, ok := e.row(tokA); !ok || r.user != "u_1" || !r.indexed || r.revoked {
		t.Fatalf("account session row: %+v %v", r, ok)
	}
	if r, ok := e.row(tokG); !ok || r.user != "g_2" || r.indexed {
		t.Fatalf("guest session row: %+v %v", r, ok)
	}

	e.wipeRedis()
	for tok, want := range map[string]redisstore.Session{tokA: acct, tokG: guest} {
		got, err := e.rs.Session(e.ctx, tok)
		if err != nil || got != want {
			t.Fatalf("after Redis lost everything: %+v %v, want %+v", got, err, want)
		}
		key := e.rs.Keys().Session(hashOf(tok))
		ttl := e.rdb.PTTL(e.ctx, key).Val()
		if ttl <= redisstore.SessionTTL-time.Minute || ttl > redisstore.SessionTTL {
			t.Errorf("restored key's TTL %v, want the mirror's remaining ≈%v", ttl, redisstore.SessionTTL)
		}
	}
	if err := e.rdb.ZScore(e.ctx, e.rs.Keys().UserSessions("u_1"), hashOf(tokA)).Err(); err != nil {
		t.Errorf("the restored account session is not in its user's index: %v", err)
	}
	if n := e.rdb.Exists(e.ctx, e.rs.Keys().UserSessions("g_2")).Val(); n != 0 {
		t.Error("an unindexed session was indexed")
	}
	if got := e.rs.SessionFallbacks().Restored; got != 2 {
		t.Errorf("restored counter %d, want 2", got)
	}
	// Restored into the index, it is revoked with its user.
	if n, err := e.rs.RevokeUser(e.ctx, "u_1", ""); err != nil || n != 1 {
		t.Fatalf("RevokeUser after the restore: %d %v", n, err)
	}
	if _, err := e.rs.Session(e.ctx, tokA); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("revoked restored session: %v", err)
	}
}

// A session whose mirrored copy expired, or that the mirror never had,
// is gone when Redis lost it.
func TestExpiredOrUnknownSessionIsNotRestored(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	tok, err := e.rs.NewSession(e.ctx, redisstore.Session{User: "g_1", Name: "a", Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	e.flush(e.mirror)
	if _, err := e.pool.Exec(e.ctx, `UPDATE sessions SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	e.wipeRedis()
	if _, err := e.rs.Session(e.ctx, tok); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("expired in the mirror: %v", err)
	}
	forged := strings.Repeat("A", 43)
	if _, err := e.rs.Session(e.ctx, forged); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("unknown token: %v", err)
	}
	if n := e.rdb.Exists(e.ctx, e.rs.Keys().Session(hashOf(tok))).Val(); n != 0 {
		t.Fatal("an expired session was written back into Redis")
	}
}

// A revoked session never comes back from the mirror: not when its
// mirror write was still queued at the revocation, not when another
// process had a write of it queued that lands after the revocation, not
// after Redis lost everything.
func TestRevokedWhileItsWriteWasQueued(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	other := e.startMirror(e.pg, sessionmirror.Options{FlushEvery: never}) // another process
	tok, err := e.rs.NewUserSession(e.ctx, redisstore.Session{User: "u_1", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if st := e.mirror.Stats(); st.QueuedSaves != 1 {
		t.Fatalf("queued %+v, want the new session", st)
	}
	// The other process slid the session and has that write queued.
	other.Save(redisstore.MirroredSession{TokenHash: hashOf(tok), User: "u_1", Name: "a", Indexed: true,
		Created: time.Now(), Expires: time.Now().Add(redisstore.SessionTTL)})

	if err := e.rs.DeleteSession(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	e.eventually("the revocation is written", func() bool { return e.mirror.Stats().QueuedRevocations == 0 })
	if st := e.mirror.Stats(); st.QueuedSaves != 0 {
		t.Fatalf("the revoked session's write is still queued: %+v", st)
	}
	e.flush(other) // lands after the revocation
	if r, ok := e.row(tok); !ok || !r.revoked {
		t.Fatalf("row after the revocation and a late write: %+v %v, want a tombstone", r, ok)
	}
	e.wipeRedis()
	for _, s := range []*redisstore.Store{e.rs, e.store(e.rdb, other)} {
		if _, err := s.Session(e.ctx, tok); !errors.Is(err, redisstore.ErrNoSession) {
			t.Fatalf("revoked session after Redis lost everything: %v", err)
		}
	}

	// RevokeUser with queued writes: only the session kept comes back.
	keep, err := e.rs.NewUserSession(e.ctx, redisstore.Session{User: "u_2", Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	drop, err := e.rs.NewUserSession(e.ctx, redisstore.Session{User: "u_2", Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.rs.RevokeUser(e.ctx, "u_2", keep); err != nil || n != 1 {
		t.Fatalf("RevokeUser: %d %v", n, err)
	}
	e.eventually("the revocation is written", func() bool { return e.mirror.Stats().QueuedRevocations == 0 })
	e.flush(e.mirror)
	e.wipeRedis()
	if _, err := e.rs.Session(e.ctx, keep); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	if _, err := e.rs.Session(e.ctx, drop); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("a session revoked with its user came back: %v", err)
	}
}

// A revocation made while PostgreSQL is unreachable is retried until it
// lands; meanwhile the Redis tombstone refuses the token in every
// process, and the revoking process refuses it even after Redis lost
// everything. Once written, no process restores it.
func TestRevokedWhilePostgresWasDown(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{})
	tok, err := e.rs.NewUserSession(e.ctx, redisstore.Session{User: "u_1", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	e.flush(e.mirror)

	// Process B, whose PostgreSQL is unreachable.
	sw := &switchable{up: e.pg, down: pgstore.New(testenv.UnreachablePool(t))}
	sw.isDown.Store(true)
	mb := e.startMirror(sw, sessionmirror.Options{FlushEvery: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	b := e.store(e.rdb, mb)
	if err := b.DeleteSession(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	e.eventually("a flush failed", func() bool { return mb.Stats().FlushErrors > 0 })
	if st := mb.Stats(); st.QueuedRevocations != 1 {
		t.Fatalf("B's queue %+v, want the revocation held", st)
	}
	if r, ok := e.row(tok); !ok || r.revoked {
		t.Fatalf("row %+v %v: PostgreSQL was meant to miss the revocation so far", r, ok)
	}
	for _, s := range []*redisstore.Store{e.rs, b} {
		if _, err := s.Session(e.ctx, tok); !errors.Is(err, redisstore.ErrNoSession) {
			t.Fatalf("revoked token while the mirror missed it: %v", err)
		}
	}
	e.wipeRedis() // the tombstone is lost too
	if _, err := b.Session(e.ctx, tok); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("revoking process after Redis lost everything: %v", err)
	}

	sw.isDown.Store(false) // PostgreSQL is back: the retry lands
	e.eventually("the revocation lands", func() bool { return mb.Stats().QueuedRevocations == 0 })
	if r, ok := e.row(tok); !ok || !r.revoked {
		t.Fatalf("row %+v %v, want revoked", r, ok)
	}
	e.wipeRedis()
	if _, err := e.rs.Session(e.ctx, tok); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("another process after the revocation landed: %v", err)
	}
}

// RevokeUser marks the user in Redis, so a session that only the mirror
// holds (made while Redis was down) is not restored even before the
// mirror's revocation is written.
func TestRevokeUserReachesSessionsOnlyTheMirrorHolds(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	down := e.store(testenv.UnreachableRedis(t), e.mirror)
	tok, err := down.NewUserSession(e.ctx, redisstore.Session{User: "u_1", Name: "a"})
	if err != nil {
		t.Fatalf("a session while Redis is down: %v", err)
	}
	sw := &switchable{up: e.pg, down: pgstore.New(testenv.UnreachablePool(t))}
	sw.isDown.Store(true)
	b := e.store(e.rdb, e.startMirror(sw, sessionmirror.Options{FlushEvery: never, RetryMax: never}))
	if n, err := b.RevokeUser(e.ctx, "u_1", ""); err != nil || n != 0 {
		t.Fatalf("RevokeUser: %d %v (Redis held none of them)", n, err)
	}
	if r, ok := e.row(tok); !ok || r.revoked {
		t.Fatalf("row %+v %v: the mirror's revocation was meant to be pending", r, ok)
	}
	if _, err := e.rs.Session(e.ctx, tok); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("a session revoked with its user was restored: %v", err)
	}
	if n := e.rdb.Exists(e.ctx, e.rs.Keys().Session(hashOf(tok))).Val(); n != 0 {
		t.Fatal("it was written into Redis")
	}
}

// With Redis down, sessions are made in the mirror (short-lived) and
// looked up there; a token the mirror does not know gets Redis's error,
// not ErrNoSession (Redis may hold it); revoking needs Redis. When Redis
// is back the token works and is copied in. With both down: an error.
func TestSessionsWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	before, err := e.rs.NewSession(e.ctx, redisstore.Session{User: "g_0", Name: "before", Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	e.flush(e.mirror)
	down := e.store(testenv.UnreachableRedis(t), e.mirror)

	guest := redisstore.Session{User: "g_1", Name: "guest", Guest: true}
	tokG, err := down.NewSession(e.ctx, guest) // the WebSocket hello's guest
	if err != nil {
		t.Fatalf("guest session while Redis is down: %v", err)
	}
	tokA, err := down.NewUserSession(e.ctx, redisstore.Session{User: "u_1", Name: "acct"})
	if err != nil {
		t.Fatalf("login session while Redis is down: %v", err)
	}
	if r, ok := e.row(tokG); !ok || time.Until(r.expires) > redisstore.FallbackSessionTTL {
		t.Fatalf("fallback row %+v %v, want one expiring within %v", r, ok, redisstore.FallbackSessionTTL)
	}
	for tok, user := range map[string]string{tokG: "g_1", tokA: "u_1", before: "g_0"} {
		if s, err := down.Session(e.ctx, tok); err != nil || s.User != user {
			t.Fatalf("lookup while Redis is down: %+v %v, want %s", s, err, user)
		}
	}
	if _, err := down.Session(e.ctx, strings.Repeat("B", 43)); err == nil || errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("unknown token while Redis is down: %v, want Redis's error", err)
	}
	if err := down.DeleteSession(e.ctx, tokG); err == nil {
		t.Fatal("a revocation succeeded without Redis")
	}
	fb := down.SessionFallbacks()
	if fb.CreatedWithoutRedis != 2 || fb.LookupsWithoutRedis != 3 {
		t.Errorf("fallback counts %+v", fb)
	}

	// Redis is back.
	for tok, user := range map[string]string{tokG: "g_1", tokA: "u_1"} {
		if s, err := e.rs.Session(e.ctx, tok); err != nil || s.User != user {
			t.Fatalf("after Redis came back: %+v %v", s, err)
		}
		ttl := e.rdb.PTTL(e.ctx, e.rs.Keys().Session(hashOf(tok))).Val()
		if ttl <= 0 || ttl > redisstore.FallbackSessionTTL {
			t.Errorf("copied in with TTL %v, want the mirror's remaining (≤ %v)", ttl, redisstore.FallbackSessionTTL)
		}
	}
	if err := e.rdb.ZScore(e.ctx, e.rs.Keys().UserSessions("u_1"), hashOf(tokA)).Err(); err != nil {
		t.Errorf("the login's session was not indexed once Redis was back: %v", err)
	}

	// Both down.
	bothDown := e.store(testenv.UnreachableRedis(t),
		e.startMirror(pgstore.New(testenv.UnreachablePool(t)), sessionmirror.Options{FlushEvery: never}))
	if tok, err := bothDown.NewSession(e.ctx, guest); err == nil || tok != "" {
		t.Fatalf("session with Redis and PostgreSQL down: %q %v", tok, err)
	}
	if _, err := bothDown.Session(e.ctx, tokG); err == nil || errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("lookup with both down: %v", err)
	}
}

// Uses slide the mirrored expiry only when it is within
// MirrorRefreshWithin: a busy socket does not write every time. A rename
// reaches the mirror.
func TestRefreshIsThrottledAndRenamesAreMirrored(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	tok, err := e.rs.NewUserSession(e.ctx, redisstore.Session{User: "u_1", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	e.flush(e.mirror)
	first, _ := e.row(tok)
	for range 50 {
		if _, err := e.rs.Session(e.ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.mirror.Stats(); st.QueuedSaves != 0 || st.Written != 1 {
		t.Fatalf("50 uses within the throttle queued writes: %+v", st)
	}

	// 15 minutes later (the mirrored expiry is 15 minutes away): the next
	// use slides it, once.
	key := e.rs.Keys().Session(hashOf(tok))
	var st map[string]any
	if err := json.Unmarshal([]byte(e.rdb.Get(e.ctx, key).Val()), &st); err != nil {
		t.Fatal(err)
	}
	st["mx"] = time.Now().Add(15 * time.Minute).UnixMilli()
	b, _ := json.Marshal(st)
	if err := e.rdb.Set(e.ctx, key, b, redisstore.SessionTTL).Err(); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := e.rs.Session(e.ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.mirror.Stats(); st.QueuedSaves != 1 {
		t.Fatalf("queue %+v, want one slide", st)
	}
	e.flush(e.mirror)
	r, _ := e.row(tok)
	if !r.expires.After(first.expires) || time.Until(r.expires) < redisstore.SessionTTL-time.Minute {
		t.Fatalf("mirrored expiry %v (was %v), want ≈ now + %v", r.expires, first.expires, redisstore.SessionTTL)
	}

	if err := e.rs.RenameSessions(e.ctx, "u_1", "renamed"); err != nil {
		t.Fatal(err)
	}
	e.flush(e.mirror)
	if r, _ := e.row(tok); r.name != "renamed" {
		t.Fatalf("mirrored name %q after a rename", r.name)
	}
	e.wipeRedis()
	if s, err := e.rs.Session(e.ctx, tok); err != nil || s.Name != "renamed" {
		t.Fatalf("restored after the rename: %+v %v", s, err)
	}
}

// statements counts the statements a pool sends.
type statements struct{ upserts atomic.Int64 }

func (c *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "INSERT INTO sessions") {
		c.upserts.Add(1)
	}
	return ctx
}
func (c *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// The batcher writes many sessions per statement (BatchRows each), and a
// full batch is written at once without waiting for the timer.
func TestBatcherWritesManySessionsPerStatement(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	cfg, err := pgxpool.ParseConfig(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	count := &statements{}
	cfg.ConnConfig.Tracer = count
	pool, err := pgxpool.NewWithConfig(e.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m := e.startMirror(pgstore.New(pool), sessionmirror.Options{FlushEvery: never, BatchRows: 500})
	save := func(from, to int) {
		for i := from; i < to; i++ {
			m.Save(redisstore.MirroredSession{TokenHash: hashOf(fmt.Sprint("t", i)), User: fmt.Sprint("u", i),
				Name: "n", Created: time.Now(), Expires: time.Now().Add(time.Hour)})
		}
	}
	save(0, 499)
	if st := m.Stats(); st.QueuedSaves != 499 || st.Written != 0 {
		t.Fatalf("499 queued: %+v, want them all waiting", st)
	}
	save(499, 500) // the 500th fills a batch: written without Flush
	e.eventually("a full batch is written", func() bool { return m.Stats().Written == 500 })
	if n := count.upserts.Load(); n != 1 {
		t.Fatalf("500 sessions in %d statements, want 1", n)
	}
	save(500, 1200)
	e.eventually("the next batch is written", func() bool { return m.Stats().Written >= 1000 })
	if err := m.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM sessions`).Scan(&rows); err != nil || rows != 1200 {
		t.Fatalf("%d rows (%v), want 1200", rows, err)
	}
	if n := count.upserts.Load(); n > 4 {
		t.Fatalf("1200 sessions in %d statements, want at most 4", n)
	}
}

// Stop writes what is queued.
func TestStopWritesTheQueue(t *testing.T) {
	t.Parallel()
	e := setup(t, sessionmirror.Options{FlushEvery: never})
	tok, err := e.rs.NewSession(e.ctx, redisstore.Session{User: "g_1", Name: "a", Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.row(tok); ok {
		t.Fatal("written before the flush")
	}
	if err := e.mirror.Stop(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.row(tok); !ok {
		t.Fatal("Stop did not write the queued session")
	}
}
