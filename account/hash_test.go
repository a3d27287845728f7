package account_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/account"
)

func TestHashFormatAndVerify(t *testing.T) {
	t.Parallel()
	h := account.NewHasher(cheap, 0, 0)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "pässwörd")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") || strings.Count(enc, "$") != 5 {
		t.Fatalf("hash %q", enc)
	}
	again, _ := h.Hash(ctx, "pässwörd")
	if again == enc {
		t.Fatal("two hashes of one password are equal: no salt?")
	}
	for pw, want := range map[string]bool{"pässwörd": true, "passwörd": false, "": false, "pässwörd ": false} {
		if ok, err := h.Verify(ctx, enc, pw); err != nil || ok != want {
			t.Errorf("Verify(%q) = %v %v, want %v", pw, ok, err, want)
		}
	}
	// The costs come from the stored hash: a hasher with other defaults verifies it.
	if ok, err := account.NewHasher(account.DefaultHashParams, 1, 0).Verify(ctx, enc, "pässwörd"); err != nil || !ok {
		t.Fatalf("verify with other defaults: %v %v", ok, err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA", enc[:len(enc)-4], strings.Replace(enc, "m=1024", "m=99999999", 1),
		strings.Replace(enc, "v=19", "v=16", 1)} {
		if ok, err := h.Verify(ctx, bad, "pässwörd"); err == nil || ok {
			t.Errorf("malformed hash %q verified: %v %v", bad, ok, err)
		}
	}
}

// The decoy (verified against for unknown usernames) has the hasher's
// costs, so it takes a real check's time; no password matches it, and
// making it hashes nothing.
func TestDecoy(t *testing.T) {
	t.Parallel()
	h := account.NewHasher(cheap, 0, 0)
	ctx := context.Background()
	d, err := h.Decoy()
	if err != nil {
		t.Fatal(err)
	}
	if p := h.Peak(); p != 0 {
		t.Fatalf("making a decoy hashed (peak %d)", p)
	}
	if !strings.HasPrefix(d, "$argon2id$v=19$m=1024,t=1,p=1$") || strings.Count(d, "$") != 5 {
		t.Fatalf("decoy %q", d)
	}
	if other, _ := h.Decoy(); other == d {
		t.Fatal("two decoys are equal")
	}
	for _, pw := range []string{"", "pässwörd", "not a password of anyone"} {
		if ok, err := h.Verify(ctx, d, pw); err != nil || ok {
			t.Fatalf("Verify(decoy, %q) = %v %v", pw, ok, err)
		}
	}
	if p := h.Peak(); p != 1 {
		t.Fatalf("verifying against the decoy: peak %d hashes, want 1", p)
	}
}

func TestCanonicalUsername(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Ali": "ali", "ALI_1.x": "ali_1.x", "مریم": "مریم", "Ünïcødé": "ünïcødé", "名前です": "名前です",
		"Cafe\u0301s": "cafés", // NFC: e + combining acute is é
		"12345":       "12345",
	} {
		if got, ok := account.CanonicalUsername(in); !ok || got != want {
			t.Errorf("CanonicalUsername(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "ab", "a b", ".ab", "_ab", "ab-c", "ab@c", "a\u200dbc", "abc\x00", strings.Repeat("x", 25), "\xff\xfeab",
		// Invisible letters (finding 14): Hangul fillers, and fillers inside a name.
		"\u3164\u3164\u3164", "\u115f\u1160\u3164", "\uffa0\uffa0\uffa0", "ali\u3164", "a\u034fbc", "abc\ufe0f"} {
		if got, ok := account.CanonicalUsername(in); ok {
			t.Errorf("CanonicalUsername(%q) accepted as %q", in, got)
		}
	}
}

// BenchmarkHash measures one argon2id hash with the production costs
// (ms/hash is ns/op / 1e6).
func BenchmarkHash(b *testing.B) {
	h := account.NewHasher(account.DefaultHashParams, 0, 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
