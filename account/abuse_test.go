package account_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hokm-project/hokm/account"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/store/sessionmirror"
)

// A flood of correct logins from one IP for one account (the review's
// finding: 9 in flight at once, no refusal, everyone else starved of the
// hashing slots) is throttled: successes count against the attempt
// budgets, the flood holds at most one hashing slot at a time, and another
// client's login during the flood succeeds.
func TestLoginFloodIsThrottled(t *testing.T) {
	t.Parallel()
	const budget = 12
	e := setup(t, account.Options{
		Hash: account.DefaultHashParams, HashSlots: 2, HashWait: 3 * time.Second,
		AttemptsPerUser: ratelimit.Limit{Max: budget, Window: time.Hour},
	})
	e.register("victim", "correct horse battery")
	e.register("bystander", "another fine secret")

	var wg sync.WaitGroup
	replies := make(chan reply, 9*8)
	started := make(chan struct{})
	var once sync.Once
	for range 9 {
		wg.Go(func() {
			for range 8 {
				r := e.loginFrom("203.0.113.7", "victim", "correct horse battery")
				replies <- r
				once.Do(func() { close(started) })
			}
		})
	}
	<-started
	for i := range 3 { // during the flood, from elsewhere
		r := e.loginFrom(fmt.Sprintf("198.51.100.%d", i+1), "bystander", "another fine secret")
		if r.status != 200 {
			t.Errorf("another client's login during the flood: %d %s", r.status, r.raw)
		}
	}
	wg.Wait()
	close(replies)
	ok, refused := 0, 0
	for r := range replies {
		switch {
		case r.status == 200:
			ok++
		case r.status == 429 && r.str("code") == "rate_limited" && r.retry != "":
			refused++
		default:
			t.Fatalf("flood login: %d %s (Retry-After %q)", r.status, r.raw, r.retry)
		}
	}
	t.Logf("the flood: %d logins succeeded, %d refused", ok, refused)
	if refused == 0 || ok > budget {
		t.Fatalf("72 correct logins from one IP: %d succeeded, %d refused; want at most %d to succeed", ok, refused, budget)
	}
	if p := e.svc.Hasher().Peak(); p > 2 {
		t.Fatalf("peak hashes %d > 2 slots", p)
	}
	// On a busy machine part of the flood is refused while the account's
	// logins wait for each other or for a hashing slot, which may cost no
	// attempt: spend what is left of its budget from other addresses, one
	// at a time (each succeeds until the budget refuses).
	for i := range budget - ok {
		r := e.loginFrom(fmt.Sprintf("192.0.2.%d", 10+i), "victim", "correct horse battery")
		if r.status == 429 && r.str("code") == "rate_limited" {
			break
		}
		if r.status != 200 {
			t.Fatalf("login %d of the account's budget after the flood: %d %s", ok+i+1, r.status, r.raw)
		}
	}
	// The account's budget is spent, but its owner elsewhere is refused
	// only rate_limited, and the failure budget was not touched by the
	// successes: a wrong password from a new IP is still a plain 401 for
	// another account.
	e.must(e.loginFrom("192.0.2.1", "victim", "correct horse battery"), 429, "rate_limited")
	e.must(e.loginFrom("192.0.2.1", "bystander", "wrong password here"), 401, "bad_credentials")
}

// Successes count against the per-IP attempt budget too (one IP logging
// into many accounts), and unknown usernames cost an attempt like known
// ones.
func TestLoginAttemptsPerIP(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{AttemptsPerIP: ratelimit.Limit{Max: 3, Window: time.Hour}})
	e.register("one", "a fine password")
	e.register("two", "a fine password")
	e.must(e.loginFrom("203.0.113.9", "one", "a fine password"), 200, "")
	e.must(e.loginFrom("203.0.113.9", "two", "a fine password"), 200, "")
	e.must(e.loginFrom("203.0.113.9", "nobody", "a fine password"), 401, "bad_credentials")
	r := e.must(e.loginFrom("203.0.113.9", "one", "a fine password"), 429, "rate_limited")
	if r.retry == "" {
		t.Fatal("no Retry-After")
	}
	e.must(e.loginFrom("203.0.113.10", "one", "a fine password"), 200, "")
}

// Guests per IP are limited (guest:ip); another IP is not affected.
func TestGuestLimitPerIP(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{GuestPerIP: ratelimit.Limit{Max: 3, Window: time.Hour}})
	for range 3 {
		e.must(e.callFrom("203.0.113.5", "POST", "/api/guest", "", map[string]string{}), 201, "")
	}
	r := e.must(e.callFrom("203.0.113.5", "POST", "/api/guest", "", map[string]string{}), 429, "rate_limited")
	if r.retry == "" {
		t.Fatal("no Retry-After")
	}
	e.must(e.callFrom("203.0.113.6", "POST", "/api/guest", "", map[string]string{}), 201, "")
}

// The default guest budget is 60 per hour per IP.
func TestGuestLimitDefault(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	for i := range 60 {
		if r := e.callFrom("203.0.113.77", "POST", "/api/guest", "", map[string]string{}); r.status != 201 {
			t.Fatalf("guest %d: %d %s", i+1, r.status, r.raw)
		}
	}
	e.must(e.callFrom("203.0.113.77", "POST", "/api/guest", "", map[string]string{}), 429, "rate_limited")
}

// A guest made by POST /api/guest that is never used lives only
// UnusedSessionTTL and is never written to the sessions mirror
// (PostgreSQL); its first use gives it the normal TTL and mirrors it.
func TestUnusedGuestIsCheap(t *testing.T) {
	t.Parallel()
	base := setup(t, account.Options{})
	m := sessionmirror.New(base.pg, sessionmirror.Options{FlushEvery: time.Hour, Log: quiet})
	m.Start()
	t.Cleanup(func() { _ = m.Stop(context.Background()) })
	e := withStore(t, base, base.rdb, m, account.Options{})

	unused := e.must(e.call("POST", "/api/guest", "", map[string]string{}), 201, "").str("token")
	used := e.must(e.call("POST", "/api/guest", "", map[string]string{}), 201, "").str("token")
	ttl := func(tok string) time.Duration {
		sum := sha256.Sum256([]byte(tok))
		return e.rdb.PTTL(e.ctx, e.rs.Keys().Session(hex.EncodeToString(sum[:]))).Val()
	}
	for _, tok := range []string{unused, used} {
		if d := ttl(tok); d <= 0 || d > redisstore.UnusedSessionTTL {
			t.Fatalf("a new guest session's TTL %v, want at most %v", d, redisstore.UnusedSessionTTL)
		}
	}
	e.must(e.call("GET", "/api/me", used, nil), 200, "")
	if d := ttl(used); d <= redisstore.UnusedSessionTTL {
		t.Fatalf("a used guest session's TTL %v, want the normal %v", d, redisstore.SessionTTL)
	}
	if err := m.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	var rows, usedRows int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*), count(*) FILTER (WHERE expires_at > now() + interval '20 minutes') FROM sessions`).Scan(&rows, &usedRows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || usedRows != 1 {
		t.Fatalf("sessions mirrored: %d (%d with the full TTL); want only the used guest's", rows, usedRows)
	}
	if _, err := e.rs.Session(e.ctx, unused); err != nil {
		t.Fatalf("the unused guest's token before its first TTL ends: %v", err)
	}
}

// One client has at most one password hash in flight: its concurrent
// logins queue behind each other (here within ClientWait, so all succeed)
// and never take both hashing slots.
func TestOneHashPerClient(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{Hash: account.DefaultHashParams, HashSlots: 2, HashWait: 20 * time.Second, ClientWait: 20 * time.Second})
	e.register("queued", "a fine password")
	var wg sync.WaitGroup
	codes := make(chan int, 6)
	for range 6 {
		wg.Go(func() { codes <- e.loginFrom("203.0.113.44", "queued", "a fine password").status })
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("a queued login got %d", c)
		}
	}
	if p := e.svc.Hasher().Peak(); p != 1 {
		t.Fatalf("one client's six logins hashed %d at once; want 1", p)
	}
}
