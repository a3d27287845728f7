package sealbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func mustKey(t testing.TB, id string) Key {
	t.Helper()
	k, err := NewKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	r, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpen(t *testing.T) {
	r := mustRing(t, mustKey(t, "k1"))
	plain := []byte("hands: AS KS QS")
	box := r.Seal(nil, plain, []byte("t1|7"))
	if bytes.Contains(box, plain) || bytes.Contains(box, []byte("AS")) {
		t.Fatalf("box shows its plaintext: %q", box)
	}
	if KeyID(box) != "k1" {
		t.Fatalf("KeyID = %q", KeyID(box))
	}
	got, err := r.Open(nil, box, []byte("t1|7"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Two seals of the same plaintext differ (fresh nonce).
	if bytes.Equal(box, r.Seal(nil, plain, []byte("t1|7"))) {
		t.Fatal("two boxes are equal")
	}
}

func TestOpenRefuses(t *testing.T) {
	r := mustRing(t, mustKey(t, "k1"))
	box := r.Seal(nil, []byte("secret"), []byte("t1|7"))
	flipped := append([]byte(nil), box...)
	flipped[len(flipped)-1] ^= 1
	other := mustRing(t, mustKey(t, "k2"))
	sameIDOtherKey := mustRing(t, mustKey(t, "k1"))
	for name, tc := range map[string]struct {
		ring *Keyring
		box  []byte
		ad   string
	}{
		"other associated data": {r, box, "t1|8"},
		"other table":           {r, box, "t2|7"},
		"bit flipped":           {r, flipped, "t1|7"},
		"truncated":             {r, box[:10], "t1|7"},
		"empty":                 {r, nil, "t1|7"},
		"plaintext":             {r, []byte("secret"), "t1|7"},
		"unknown key id":        {other, box, "t1|7"},
		"same id, other key":    {sameIDOtherKey, box, "t1|7"},
	} {
		if _, err := tc.ring.Open(nil, tc.box, []byte(tc.ad)); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

// Rotation: a ring with the new key current still opens boxes of the old.
func TestRotation(t *testing.T) {
	old, next := mustKey(t, "k1"), mustKey(t, "k2")
	before := mustRing(t, old)
	during := mustRing(t, old, next) // next known, old still current
	after := mustRing(t, next, old)
	b1 := before.Seal(nil, []byte("a"), nil)
	b2 := during.Seal(nil, []byte("b"), nil)
	b3 := after.Seal(nil, []byte("c"), nil)
	if KeyID(b2) != "k1" || KeyID(b3) != "k2" {
		t.Fatalf("sealed with %q and %q", KeyID(b2), KeyID(b3))
	}
	for _, b := range [][]byte{b1, b2, b3} {
		if _, err := after.Open(nil, b, nil); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	if _, err := during.Open(nil, b3, nil); err != nil {
		t.Fatalf("a process still on the old current key opens the new one's boxes: %v", err)
	}
	if _, err := before.Open(nil, b3, nil); !errors.Is(err, ErrOpen) {
		t.Fatal("a ring without k2 opened a k2 box")
	}
}

func TestParseKeys(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, KeySize)
	std, url := base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw)
	keys, err := ParseKeys(" k2:" + std + ", k1:" + url + " ")
	if err != nil || len(keys) != 2 || keys[0].ID != "k2" || !bytes.Equal(keys[1].Key, raw) {
		t.Fatalf("ParseKeys = %+v, %v", keys, err)
	}
	for _, bad := range []string{"", "k1", "k1:!!!", "k1:" + base64.StdEncoding.EncodeToString(raw[:16]), "k 1:" + std, ":" + std} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
	if _, err := NewKeyring(Key{ID: "a", Key: raw}, Key{ID: "a", Key: raw}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate id: %v", err)
	}
}

// BenchmarkSealOpen seals and opens a live table's state blob (the engine
// state, ~117 bytes, and a match's moves so far, ~250 bytes).
func BenchmarkSealOpen(b *testing.B) {
	r := mustRing(b, mustKey(b, "k1"))
	plain := bytes.Repeat([]byte{1}, 370)
	ad := []byte("4tg8d5pr|123")
	var box, out []byte
	b.ReportAllocs()
	for b.Loop() {
		box = r.Seal(box[:0], plain, ad)
		var err error
		if out, err = r.Open(out[:0], box, ad); err != nil {
			b.Fatal(err)
		}
	}
}
