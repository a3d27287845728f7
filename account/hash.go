package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// ErrBusy is returned when no hashing slot frees up within the wait: the
// server is saturated with password hashing (answered 503 unavailable).
var ErrBusy = errors.New("account: password hashing saturated")

// errBadHash is a stored hash that does not parse.
var errBadHash = errors.New("account: malformed password hash")

// HashParams are argon2id's costs.
type HashParams struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultHashParams: argon2id with t=1, m=64 MiB, p=1. OWASP's password
// storage guidance puts argon2id's floor at m=46 MiB with t=1 (or 19 MiB
// with t=2); RFC 9106 §4 recommends 64 MiB where 2 GiB is not affordable.
// Memory is what makes GPU/ASIC guessing expensive, so we take 64 MiB and
// one pass: on this project's 2-core machine that is about 75 ms of CPU
// per hash (BenchmarkHash: 100–120 ms wall with the machine busy), so a
// login stays well under the time budget of a page load, and the two
// cores can still do 10–25 logins a second while serving games. p=1 because
// concurrency comes from the semaphore: at most GOMAXPROCS hashes at once,
// each on one core, so peak hashing memory is GOMAXPROCS × 64 MiB (128 MiB
// here). Stored hashes carry their costs, so these can be raised later
// without invalidating old passwords.
var DefaultHashParams = HashParams{Time: 1, Memory: 64 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and verifies passwords with argon2id, at most Slots at a
// time; a caller waits at most Wait for a slot, then gets ErrBusy.
type Hasher struct {
	params HashParams
	sem    chan struct{}
	wait   time.Duration
	active atomic.Int64
	peak   atomic.Int64
}

// NewHasher returns a hasher with slots concurrent hashes (≤0: GOMAXPROCS)
// waiting at most wait (≤0: 2 s) for a slot.
func NewHasher(p HashParams, slots int, wait time.Duration) *Hasher {
	if slots <= 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	if wait <= 0 {
		wait = 2 * time.Second
	}
	return &Hasher{params: p, sem: make(chan struct{}, slots), wait: wait}
}

// Peak is the largest number of hashes that ran at once so far.
func (h *Hasher) Peak() int { return int(h.peak.Load()) }

// acquire takes a slot, waiting at most h.wait or until ctx ends.
func (h *Hasher) acquire(ctx context.Context) error {
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.sem <- struct{}{}:
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return fmt.Errorf("account: waiting to hash: %w", ctx.Err())
	}
	n := h.active.Add(1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			return nil
		}
	}
}

func (h *Hasher) release() {
	h.active.Add(-1)
	<-h.sem
}

// key runs argon2id in a slot.
func (h *Hasher) key(ctx context.Context, password string, salt []byte, p HashParams) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen), nil
}

// Hash returns the PHC-format hash of password:
// $argon2id$v=19$m=65536,t=1,p=1$<salt>$<hash> (unpadded standard base64).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt, err := random(saltLen)
	if err != nil {
		return "", err
	}
	k, err := h.key(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return h.encode(salt, k), nil
}

// Decoy returns a hash with the hasher's costs that no password is known
// to match: its salt and key are random bytes, not derived from anything.
// Verifying against it takes as long as against a real hash of those
// costs, and making it hashes nothing (a hash at start-up held the whole
// argon2 memory, 64 MiB, live at the process's first collection, whose
// heap then grew to four times that).
func (h *Hasher) Decoy() (string, error) {
	b, err := random(saltLen + keyLen)
	if err != nil {
		return "", err
	}
	return h.encode(b[:saltLen], b[saltLen:]), nil
}

func (h *Hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("account: random bytes: %w", err)
	}
	return b, nil
}

// Verify reports whether password matches the encoded hash (with the
// costs recorded in it), comparing in constant time.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	p, salt, want, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.key(ctx, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parseHash splits "$argon2id$v=19$m=..,t=..,p=..$salt$hash".
func parseHash(s string) (HashParams, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return HashParams{}, nil, nil, errBadHash
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Memory == 0 || p.Threads == 0 || p.Memory > 1<<20 || p.Time > 16 {
		return HashParams{}, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	sum, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(sum) != keyLen {
		return HashParams{}, nil, nil, errBadHash
	}
	return p, salt, sum, nil
}
