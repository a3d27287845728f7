package redisstore_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/store/redisstore"
)

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	want := redisstore.Session{User: "user-42", Name: "فاطمه 🌙", Guest: true}
	token, err := e.s.NewSession(e.ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 || len(token) != 43 {
		t.Fatalf("token %q: %d bytes, %v", token, len(raw), err)
	}
	got, err := e.s.Session(e.ctx, token)
	if err != nil || got != want {
		t.Fatalf("Session: %+v %v, want %+v", got, err, want)
	}

	// Reading slides the expiry back to 30 minutes.
	sum := sha256.Sum256([]byte(token))
	key := e.s.Keys().Session(hex.EncodeToString(sum[:]))
	if d := e.ttl(key); d > redisstore.SessionTTL || d < redisstore.SessionTTL-time.Minute {
		t.Fatalf("new session TTL %v", d)
	}
	if err := e.rdb.Expire(e.ctx, key, 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Session(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	if d := e.ttl(key); d < redisstore.SessionTTL-time.Minute {
		t.Fatalf("TTL after use %v, want about %v", d, redisstore.SessionTTL)
	}

	// Two sessions are independent; revoking one leaves the other.
	other, err := e.s.NewSession(e.ctx, redisstore.Session{User: "u2", Name: "B"})
	if err != nil || other == token {
		t.Fatalf("second token %q (%v)", other, err)
	}
	if err := e.s.DeleteSession(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Session(e.ctx, token); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("revoked token: %v", err)
	}
	if s, err := e.s.Session(e.ctx, other); err != nil || s.User != "u2" {
		t.Fatalf("other session after revoking the first: %+v %v", s, err)
	}
	if err := e.s.DeleteSession(e.ctx, token); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
}

func TestSessionBadTokens(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	token, err := e.s.NewSession(e.ctx, redisstore.Session{User: "u", Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := []byte(token)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	bad := []string{
		"", "x", token[:42], token[1:], token + "A", token + token, strings.ToUpper(token),
		flip(0), flip(21), flip(42), strings.Repeat("A", 43), strings.Repeat("\x00", 43),
		hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte(token)); return s[:] }()), // the stored hash itself
	}
	for _, b := range bad {
		if b == token {
			continue
		}
		if s, err := e.s.Session(e.ctx, b); !errors.Is(err, redisstore.ErrNoSession) {
			t.Errorf("token %q: %+v %v, want ErrNoSession", b, s, err)
		}
	}
	// A bit flip in the raw bytes (not just in one character).
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	for _, bit := range []int{0, 7, 100, 255} {
		r := append([]byte(nil), raw...)
		r[bit/8] ^= 1 << (bit % 8)
		if _, err := e.s.Session(e.ctx, base64.RawURLEncoding.EncodeToString(r)); !errors.Is(err, redisstore.ErrNoSession) {
			t.Errorf("bit %d flipped: %v", bit, err)
		}
	}
	// The good token still works after all that.
	if _, err := e.s.Session(e.ctx, token); err != nil {
		t.Fatal(err)
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	token, err := e.s.NewSession(e.ctx, redisstore.Session{User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if err := e.rdb.PExpire(e.ctx, e.s.Keys().Session(hex.EncodeToString(sum[:])), time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := e.s.Session(e.ctx, token); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("expired session: %v", err)
	}
}

// Only the SHA-256 of a token is stored: the token appears in no key or value.
func TestSessionStoresOnlyTheHash(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	var tokens []string
	for i := 0; i < 5; i++ {
		tok, err := e.s.NewSession(e.ctx, redisstore.Session{User: "u", Name: "n"})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	stored := e.dump()
	if len(stored) != len(tokens) {
		t.Fatalf("%d keys for %d sessions", len(stored), len(tokens))
	}
	for _, tok := range tokens {
		sum := sha256.Sum256([]byte(tok))
		if _, ok := stored[e.s.Keys().Session(hex.EncodeToString(sum[:]))]; !ok {
			t.Fatalf("no key for the hash of %q", tok)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		for k, v := range stored {
			for _, form := range []string{tok, string(raw), hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw)} {
				if strings.Contains(k, form) || strings.Contains(v, form) {
					t.Fatalf("token stored in key %q / value %q", k, v)
				}
			}
		}
	}
}

// A revoked token's key holds a tombstone for RevokedTTL (so that no
// mirror can restore it), and renaming never brings it back.
func TestRevokedSessionKeepsTombstone(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	token, err := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u", Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteSession(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	key := e.s.Keys().Session(hex.EncodeToString(sum[:]))
	if d := e.ttl(key); d < redisstore.RevokedTTL-time.Minute || d > redisstore.RevokedTTL {
		t.Fatalf("tombstone TTL %v, want about %v", d, redisstore.RevokedTTL)
	}
	if err := e.s.SetSessionName(e.ctx, token, "new"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.RenameSessions(e.ctx, "u", "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Session(e.ctx, token); !errors.Is(err, redisstore.ErrNoSession) {
		t.Fatalf("revoked then renamed: %v", err)
	}
	// A live session is renamed (compare-and-set on the value read).
	live, err := e.s.NewUserSession(e.ctx, redisstore.Session{User: "u", Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.RenameSessions(e.ctx, "u", "renamed"); err != nil {
		t.Fatal(err)
	}
	if s, err := e.s.Session(e.ctx, live); err != nil || s.Name != "renamed" {
		t.Fatalf("renamed: %+v %v", s, err)
	}
}
