package redisstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hokm-project/hokm/store/redisstore"
)

func TestRevokeUser(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	var toks []string
	for range 3 {
		tok, err := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u_a", Name: "A"})
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	other, err := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u_b", Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	idx := e.s.Keys().UserSessions("u_a")
	if d := e.ttl(idx); d <= 0 || d > redisstore.SessionTTL {
		t.Fatalf("index TTL %v", d)
	}
	n, err := e.s.RevokeUser(e.ctx, "u_a", toks[1])
	if err != nil || n != 2 {
		t.Fatalf("RevokeUser: %d %v", n, err)
	}
	for i, tok := range toks {
		_, err := e.s.Session(e.ctx, tok)
		if i == 1 && err != nil {
			t.Fatalf("the kept session: %v", err)
		}
		if i != 1 && !errors.Is(err, redisstore.ErrNoSession) {
			t.Fatalf("session %d after RevokeUser: %v", i, err)
		}
	}
	if _, err := e.s.Session(e.ctx, other); err != nil {
		t.Fatalf("another user's session: %v", err)
	}
	if n, err := e.s.RevokeUser(e.ctx, "u_a", ""); err != nil || n != 1 {
		t.Fatalf("RevokeUser all: %d %v", n, err)
	}
	if _, err := e.s.Session(e.ctx, toks[1]); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("after revoking all: %v", err)
	}
	if n := e.rdb.Exists(e.ctx, idx).Val(); n != 0 {
		t.Fatal("the index outlived every session")
	}
}

// Reading a session slides its user's index too, so the index never
// expires before a session in it.
func TestUserSessionIndexSlides(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	tok, err := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u_s"})
	if err != nil {
		t.Fatal(err)
	}
	idx := e.s.Keys().UserSessions("u_s")
	if err := e.rdb.Expire(e.ctx, idx, 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Session(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if d := e.ttl(idx); d < redisstore.SessionTTL-time.Minute {
		t.Fatalf("index TTL after use %v", d)
	}
	// DeleteSession also leaves the index.
	if err := e.s.DeleteSession(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if n := e.rdb.ZCard(e.ctx, idx).Val(); n != 0 {
		t.Fatalf("%d index entries after DeleteSession", n)
	}
}

// A user has at most MaxUserSessions indexed sessions: the oldest go.
func TestUserSessionsBounded(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	var toks []string
	for range redisstore.MaxUserSessions + 3 {
		tok, err := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u_many"})
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
		time.Sleep(2 * time.Millisecond) // distinct creation times
	}
	if n := e.rdb.ZCard(e.ctx, e.s.Keys().UserSessions("u_many")).Val(); n != redisstore.MaxUserSessions {
		t.Fatalf("index holds %d", n)
	}
	for i, tok := range toks {
		_, err := e.s.Session(e.ctx, tok)
		if old := i < 3; old != errors.Is(err, redisstore.ErrNoSession) {
			t.Fatalf("session %d: %v", i, err)
		}
	}
}

func TestRenameSessions(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	a, _ := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u_r", Name: "old"})
	b, _ := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u_r", Name: "old"})
	g, _ := e.s.NewSession(e.ctx, redisstore.Session{User: "g_r", Name: "old", Guest: true})
	if err := e.s.RenameSessions(e.ctx, "u_r", "نو"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetSessionName(e.ctx, g, "new guest"); err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]redisstore.Session{
		a: {User: "u_r", Name: "نو"}, b: {User: "u_r", Name: "نو"}, g: {User: "g_r", Name: "new guest", Guest: true},
	} {
		if got, err := e.s.Session(e.ctx, tok); err != nil || got != want {
			t.Fatalf("after rename: %+v %v, want %+v", got, err, want)
		}
	}
}

// A session made by NewUnusedSession (and its new user index) lives
// UnusedSessionTTL until its first lookup, which gives both SessionTTL.
func TestUnusedSessionFirstTTL(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	tok, err := e.s.NewUnusedSession(e.ctx, redisstore.Session{User: "g_new", Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	idx := e.s.Keys().UserSessions("g_new")
	if d := e.ttl(idx); d <= 0 || d > redisstore.UnusedSessionTTL {
		t.Fatalf("new index TTL %v", d)
	}
	if _, err := e.s.Session(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if d := e.ttl(idx); d <= redisstore.UnusedSessionTTL {
		t.Fatalf("index TTL after the first use %v", d)
	}
	// A later unused session of the same user does not shorten the index.
	if _, err := e.s.NewUnusedSession(e.ctx, redisstore.Session{User: "g_new", Guest: true}); err != nil {
		t.Fatal(err)
	}
	if d := e.ttl(idx); d <= redisstore.UnusedSessionTTL {
		t.Fatalf("index TTL shortened by a new unused session: %v", d)
	}
}
