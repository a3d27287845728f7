package account_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/account"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/store/sessionmirror"
)

// mirrored is setup with a sessions mirror, and the same service as a
// process whose Redis is down would run it (same key prefix, mirror and
// database; a Redis client that cannot connect).
func mirrored(t *testing.T, opts account.Options) (up, down *env) {
	t.Helper()
	up = setup(t, opts)
	m := sessionmirror.New(up.pg, sessionmirror.Options{FlushEvery: 20 * time.Millisecond, Log: quiet})
	m.Start()
	t.Cleanup(func() { _ = m.Stop(context.Background()) })
	up = withStore(t, up, up.rdb, m, opts)
	down = withStore(t, up, testenv.UnreachableRedis(t), m, opts)
	return up, down
}

// withStore is e with its service on a Redis store over rdb with mirror m.
func withStore(t *testing.T, e *env, rdb redis.UniversalClient, m redisstore.SessionMirror, opts account.Options) *env {
	t.Helper()
	if opts.Hash == (account.HashParams{}) {
		opts.Hash = cheap
	}
	opts.Log = quiet
	rs := redisstore.New(rdb, redisstore.Options{Prefix: e.rs.Keys().Prefix, SessionMirror: m})
	svc, err := account.New(e.pg, rs, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(account.NewHandler(svc, clientip.Resolver{}).Mux())
	t.Cleanup(srv.Close)
	c := *e
	c.rdb, c.rs, c.svc, c.srv = rdb, rs, svc, srv
	return &c
}

// With Redis down, guests, sign-ups and logins keep working (sessions made
// in the mirror), bearer tokens are checked against the mirror, profiles
// are read from PostgreSQL, failed logins are still rate-limited (in the
// process); what needs Redis (logout) answers 503 unavailable. When Redis
// is back the tokens made meanwhile work and are copied into Redis.
func TestAccountsWhileRedisIsDown(t *testing.T) {
	up, down := mirrored(t, account.Options{LoginPerUser: ratelimit.Limit{Max: 2, Window: time.Minute}})
	sara := up.register("sara", "pale blue dot1") // before the outage
	pre := sara.str("token")
	up.must(up.call("GET", "/api/players/"+sara.str("user"), "", nil), 200, "") // cached in Redis
	up.eventuallyMirrored(pre)

	// Redis is down.
	me := down.must(down.call("GET", "/api/me", pre, nil), 200, "")
	if me.str("username") != "sara" {
		t.Fatalf("me with a token made before the outage: %s", me.raw)
	}
	login := down.must(down.login("sara", "pale blue dot1"), 200, "")
	guest := down.must(down.call("POST", "/api/guest", "", map[string]string{"name": "Ali"}), 201, "")
	reg := down.must(down.call("POST", "/api/register", "", map[string]string{"username": "reza", "password": "pale blue dot2"}), 201, "")
	for _, r := range []reply{login, guest, reg} {
		got := down.must(down.call("GET", "/api/me", r.str("token"), nil), 200, "")
		if got.str("id") != r.str("user") {
			t.Fatalf("me of a token made while Redis is down: %s, want user %s", got.raw, r.str("user"))
		}
	}
	p := down.must(down.call("GET", "/api/players/"+sara.str("user"), "", nil), 200, "")
	if p.str("name") != "sara" {
		t.Fatalf("profile from PostgreSQL: %s", p.raw)
	}
	// Failed logins are limited in the process while Redis is down.
	down.must(down.login("sara", "wrong one"), 401, "bad_credentials")
	down.must(down.login("sara", "wrong two"), 401, "bad_credentials")
	down.must(down.login("sara", "pale blue dot1"), 429, "rate_limited")
	r := down.must(down.call("POST", "/api/logout", login.str("token"), nil), 503, "unavailable")
	if r.retry == "" {
		t.Error("503 without Retry-After")
	}
	down.must(down.call("GET", "/api/me", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil), 503, "unavailable")

	// Redis is back: the tokens work and are in Redis again.
	for _, r := range []reply{login, guest, reg} {
		up.must(up.call("GET", "/api/me", r.str("token"), nil), 200, "")
		if n := up.rdb.Exists(up.ctx, up.rs.Keys().Session(hashOf(r.str("token")))).Val(); n != 1 {
			t.Fatalf("token of %s not copied into Redis", r.str("user"))
		}
	}
	up.must(up.call("POST", "/api/logout", login.str("token"), nil), 204, "")
	up.must(up.call("GET", "/api/me", login.str("token"), nil), 401, "bad_token")
}

// With Redis and PostgreSQL both down, a guest and a login get a clear
// 503.
func TestGuestWithRedisAndPostgresDown(t *testing.T) {
	e := setup(t, account.Options{})
	pgDown := pgstore.New(testenv.UnreachablePool(t))
	m := sessionmirror.New(pgDown, sessionmirror.Options{Log: quiet})
	e.pg = pgDown
	down := withStore(t, e, testenv.UnreachableRedis(t), m, account.Options{})
	r := down.must(down.call("POST", "/api/guest", "", map[string]string{"name": "Ali"}), 503, "unavailable")
	if r.retry == "" {
		t.Error("503 without Retry-After")
	}
	down.must(down.login("nobody", "pale blue dot1"), 503, "unavailable")
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// eventuallyMirrored waits until token's session is in the mirror's table.
func (e *env) eventuallyMirrored(token string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM sessions WHERE token_hash = $1`, hashOf(token)).Scan(&n)
		if err == nil && n == 1 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("session not mirrored within 10 s (%v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
