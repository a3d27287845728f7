// Package sealbox encrypts small blobs at rest (the live tables' hidden
// hands in Redis and in PostgreSQL's table journal) with AES-256-GCM.
//
// A box is self-describing so keys can be rotated without stopping play:
//
//	version (1 byte, 1) | key id length (1 byte) | key id | nonce (12 bytes) | ciphertext and tag
//
// Every box is sealed with associated data that names what it is (for a
// table's state: the table id and its seq), so a box copied to another
// table or another seq does not open. A Keyring seals with its current key
// and opens with any key it holds; rotating is: add the new key to every
// process (not current), then make it current, then drop the old one once
// nothing sealed with it is alive (the live-table TTL). Standard library only.
package sealbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

const (
	version   = 1
	nonceSize = 12
	maxIDLen  = 32
)

// ErrOpen is returned for a box that does not open: unknown key id, altered
// bytes, wrong associated data, or not a box at all.
var ErrOpen = errors.New("sealbox: cannot open")

// Key is one named key.
type Key struct {
	ID  string
	Key []byte // KeySize bytes
}

// Keyring seals with its current key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a keyring whose current key is keys[0]. Key ids are
// 1–32 characters of [A-Za-z0-9._-] and must be unique.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealbox: no key")
	}
	k := &Keyring{current: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, key := range keys {
		if err := checkID(key.ID); err != nil {
			return nil, err
		}
		if len(key.Key) != KeySize {
			return nil, fmt.Errorf("sealbox: key %q has %d bytes, want %d", key.ID, len(key.Key), KeySize)
		}
		if k.aeads[key.ID] != nil {
			return nil, fmt.Errorf("sealbox: key id %q given twice", key.ID)
		}
		block, err := aes.NewCipher(key.Key)
		if err != nil {
			return nil, fmt.Errorf("sealbox: key %q: %w", key.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sealbox: key %q: %w", key.ID, err)
		}
		k.aeads[key.ID] = aead
	}
	return k, nil
}

func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("sealbox: key id %q must be 1-%d characters", id, maxIDLen)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("sealbox: key id %q: only letters, digits, '.', '_' and '-'", id)
		}
	}
	return nil
}

// CurrentID is the id of the key new boxes are sealed with.
func (k *Keyring) CurrentID() string { return k.current }

// Seal appends to dst a box of plaintext bound to ad.
func (k *Keyring) Seal(dst, plaintext, ad []byte) []byte {
	aead := k.aeads[k.current]
	dst = append(dst, version, byte(len(k.current)))
	dst = append(dst, k.current...)
	nonce := len(dst)
	dst = append(dst, make([]byte, nonceSize)...)
	if _, err := rand.Read(dst[nonce:]); err != nil {
		panic("sealbox: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return aead.Seal(dst, dst[nonce:nonce+nonceSize], plaintext, ad)
}

// Open appends to dst the plaintext of box, which must have been sealed
// with ad; it returns ErrOpen (wrapped, naming the key id) otherwise.
func (k *Keyring) Open(dst, box, ad []byte) ([]byte, error) {
	if len(box) < 2 || box[0] != version {
		return nil, fmt.Errorf("%w: not a sealed box", ErrOpen)
	}
	n := int(box[1])
	if len(box) < 2+n+nonceSize {
		return nil, fmt.Errorf("%w: truncated box", ErrOpen)
	}
	id := string(box[2 : 2+n])
	aead := k.aeads[id]
	if aead == nil {
		return nil, fmt.Errorf("%w: unknown key id %q", ErrOpen, id)
	}
	nonce := box[2+n : 2+n+nonceSize]
	out, err := aead.Open(dst, nonce, box[2+n+nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: key %q: authentication failed", ErrOpen, id)
	}
	return out, nil
}

// KeyID returns the id of the key box was sealed with, or "" when box is
// not a box.
func KeyID(box []byte) string {
	if len(box) < 2 || box[0] != version || len(box) < 2+int(box[1]) {
		return ""
	}
	return string(box[2 : 2+int(box[1])])
}

// ParseKeys reads "id:base64key,id:base64key,…" (standard or URL base64,
// padded or not); the first key is the current one. Errors name a key by
// its id or position, never by its bytes.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, enc, ok := strings.Cut(part, ":")
		if !ok { // no id: the part may be the secret itself, so it is not quoted
			return nil, fmt.Errorf("key %d: want id:base64", i+1)
		}
		raw, err := decodeBase64(enc)
		if err != nil {
			return nil, fmt.Errorf("key %q: not base64", id)
		}
		if err := checkID(id); err != nil {
			return nil, err
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("key %q: %d bytes, want %d", id, len(raw), KeySize)
		}
		keys = append(keys, Key{ID: id, Key: raw})
	}
	if len(keys) == 0 {
		return nil, errors.New("no key")
	}
	return keys, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// NewKey returns a fresh random key with id.
func NewKey(id string) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return Key{}, fmt.Errorf("sealbox: new key: %w", err)
	}
	return Key{ID: id, Key: b}, nil
}
