package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoSession is returned for a token that is unknown, expired or revoked.
var ErrNoSession = errors.New("redisstore: no such session")

// Session is who a token stands for.
type Session struct {
	User  string `json:"user"`
	Name  string `json:"name"`
	Guest bool   `json:"guest,omitempty"`
}

// SessionTTL is the sliding lifetime of a session.
const SessionTTL = 30 * time.Minute

// FallbackSessionTTL is the lifetime of a session made while Redis is
// down: it exists only in the mirror until a lookup copies it into Redis,
// where it slides like any other.
const FallbackSessionTTL = 10 * time.Minute

// MirrorRefreshWithin throttles the mirror's writes: a use of a session
// rewrites its mirrored expiry (to now + SessionTTL) only once that is
// less than this far away, so about once every ten minutes of use however
// busy its socket is. The mirror thus honours a session for at least
// MirrorRefreshWithin after its last use.
const MirrorRefreshWithin = 20 * time.Minute

// RevokedTTL is how long a revoked session's key holds its tombstone: as
// long as a mirrored copy of it could still be unexpired, so that no
// lookup restores it from the mirror before the mirror's own revocation
// has been written.
const RevokedTTL = SessionTTL + 5*time.Minute

// MaxUserSessions bounds the indexed sessions of one user: a new one past
// the bound revokes the oldest.
const MaxUserSessions = 20

// revokedValue is the tombstone a revoked session's key holds (a session
// is JSON, so it can never be this).
const revokedValue = "revoked"

// SessionMirror is the durable copy of the sessions that lets them outlive
// Redis: PostgreSQL through store/sessionmirror, bound in internal/app.
// Its methods are safe for concurrent use.
type SessionMirror interface {
	// Save queues s (a new session, a slid expiry, a new name) to be
	// written soon, off the caller's path; it never blocks. A session
	// revoked meanwhile is not written.
	Save(s MirroredSession)
	// Create writes s before it returns: a session made while Redis is
	// down.
	Create(ctx context.Context, s MirroredSession) error
	// Lookup returns the session of a token hash unless it is unknown,
	// expired, revoked or being revoked (ok false).
	Lookup(ctx context.Context, tokenHash string) (s MirroredSession, ok bool, err error)
	// Revoke revokes these sessions for good, also against writes of them
	// still queued anywhere. It never blocks; a write that fails is
	// retried.
	Revoke(tokenHashes []string)
	// RevokeUser revokes, like Revoke, user's indexed sessions created
	// before before, except the one of token hash keep ("" for none).
	RevokeUser(user, keep string, before time.Time)
}

// MirroredSession is a session as the mirror holds it.
type MirroredSession struct {
	TokenHash string // hex SHA-256 of the token, as in the Redis key
	User      string
	Name      string
	Guest     bool
	Indexed   bool // in the user's session index (made by NewUserSession)
	Created   time.Time
	Expires   time.Time
}

func (m MirroredSession) session() Session {
	return Session{User: m.User, Name: m.Name, Guest: m.Guest}
}

// stored is a session as its Redis key holds it (JSON).
type stored struct {
	Session
	Created  int64 `json:"c,omitempty"`  // unix ms
	Mirrored int64 `json:"mx,omitempty"` // the expiry last sent to the mirror, unix ms; 0 none
	Indexed  bool  `json:"ix,omitempty"`
}

func (st stored) mirrored(hash string, expires time.Time) MirroredSession {
	return MirroredSession{TokenHash: hash, User: st.User, Name: st.Name, Guest: st.Guest, Indexed: st.Indexed,
		Created: time.UnixMilli(st.Created), Expires: expires}
}

func decodeStored(v string) (stored, error) {
	var st stored
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return stored{}, fmt.Errorf("decode session: %w", err)
	}
	return st, nil
}

// sessionCounters count the sessions served without Redis's help.
type sessionCounters struct {
	restored, lookupsWithoutRedis, createdWithoutRedis atomic.Uint64
}

// SessionFallbacks counts, since the Store was made, the sessions copied
// back from the mirror into Redis, the lookups answered by the mirror
// while Redis failed, and the sessions created in the mirror while Redis
// failed.
type SessionFallbacks struct {
	Restored, LookupsWithoutRedis, CreatedWithoutRedis uint64
}

// SessionFallbacks returns the store's fallback counts (for metrics).
func (s *Store) SessionFallbacks() SessionFallbacks {
	return SessionFallbacks{Restored: s.sess.restored.Load(), LookupsWithoutRedis: s.sess.lookupsWithoutRedis.Load(),
		CreatedWithoutRedis: s.sess.createdWithoutRedis.Load()}
}

// replaceScript replaces a session's value, keeping its expiry, only if it
// is still the value that was read: a session revoked, renamed or slid
// meanwhile is left as it is (a plain SET XX would overwrite a tombstone).
// KEYS[1] the session; ARGV[1] the value read, ARGV[2] the new one.
// Returns 1 if it replaced the value, 0 if not.
var replaceScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`)

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// NewSession stores a session under a fresh random token and returns the
// token. Only the token's hash is stored. The session is not in its user's
// index (the gateway's anonymous guests have one token each); sessions
// that RevokeUser must find are made with NewUserSession.
//
// With a mirror the session is also queued for it; when Redis fails, the
// session is written to the mirror alone, with FallbackSessionTTL, and
// the token works at once (a later lookup copies it into Redis). The error
// is then Redis's and the mirror's, joined.
func (s *Store) NewSession(ctx context.Context, sess Session) (string, error) {
	return s.newSession(ctx, sess, false)
}

// NewUserSession is NewSession that also records the token's hash in the
// user's session index, so that RevokeUser reaches it. The index expires
// with the user's last used session and holds at most MaxUserSessions
// live sessions: the oldest are revoked past that.
func (s *Store) NewUserSession(ctx context.Context, sess Session) (string, error) {
	return s.newSession(ctx, sess, true)
}

// UnusedSessionTTL is the first lifetime of a session made by
// NewUnusedSession: until its first lookup, which gives it SessionTTL.
const UnusedSessionTTL = 10 * time.Minute

// NewUnusedSession is NewUserSession for a session that may never be used
// (a guest minted over HTTP): it lives UnusedSessionTTL until its first
// lookup slides it to SessionTTL like any other, and it is not written to
// the mirror until that lookup (slideMirror then writes it), so a session
// nobody uses costs two short-lived Redis keys and no PostgreSQL row.
// While Redis fails it is made in the mirror like any other (with
// FallbackSessionTTL).
func (s *Store) NewUnusedSession(ctx context.Context, sess Session) (string, error) {
	return s.newSessionTTL(ctx, sess, true, UnusedSessionTTL)
}

func (s *Store) newSession(ctx context.Context, sess Session, indexed bool) (string, error) {
	return s.newSessionTTL(ctx, sess, indexed, SessionTTL)
}

// newSessionTTL makes a session living ttl; one made with less than
// SessionTTL is mirrored only at its first use.
func (s *Store) newSessionTTL(ctx context.Context, sess Session, indexed bool, ttl time.Duration) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	now := time.Now()
	h, mirror := tokenHash(token), s.opts.SessionMirror
	st := stored{Session: sess, Created: now.UnixMilli(), Indexed: indexed}
	if ttl < SessionTTL {
		mirror = nil // st.Mirrored 0: the first lookup mirrors it
	}
	if mirror != nil {
		st.Mirrored = now.Add(SessionTTL).UnixMilli()
	}
	b, _ := json.Marshal(st)
	var card *redis.IntCmd
	if indexed {
		idx := s.keys.UserSessions(sess.User)
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, s.keys.Session(h), b, ttl)
			p.ZAdd(ctx, idx, redis.Z{Score: float64(now.UnixMilli()), Member: h})
			if ttl < SessionTTL {
				p.Do(ctx, "PEXPIRE", idx, ttl.Milliseconds(), "GT") // never shortens a longer-lived index
				p.Do(ctx, "PEXPIRE", idx, ttl.Milliseconds(), "NX") // sets it on a new one
			} else {
				p.PExpire(ctx, idx, ttl)
			}
			card = p.ZCard(ctx, idx)
			return nil
		})
	} else {
		err = s.rdb.Set(ctx, s.keys.Session(h), b, ttl).Err()
	}
	if err != nil {
		err = fmt.Errorf("store session: %w", err)
		if s.opts.SessionMirror == nil {
			return "", err
		}
		if err := s.createWithoutRedis(ctx, st, h, now, err); err != nil {
			return "", err
		}
		return token, nil
	}
	if mirror != nil {
		mirror.Save(st.mirrored(h, now.Add(SessionTTL)))
	}
	if indexed && card.Val() > MaxUserSessions {
		if err := s.pruneUserSessions(ctx, sess.User); err != nil {
			return "", err
		}
	}
	return token, nil
}

// createWithoutRedis writes a new session to the mirror alone, with a
// short life, after Redis failed with redisErr.
func (s *Store) createWithoutRedis(ctx context.Context, st stored, h string, now time.Time, redisErr error) error {
	if err := s.opts.SessionMirror.Create(ctx, st.mirrored(h, now.Add(FallbackSessionTTL))); err != nil {
		return errors.Join(redisErr, fmt.Errorf("session mirror: %w", err))
	}
	s.sess.createdWithoutRedis.Add(1)
	return nil
}

// pruneUserSessions drops the index entries of sessions that expired, then
// revokes the oldest live ones past MaxUserSessions.
func (s *Store) pruneUserSessions(ctx context.Context, user string) error {
	idx := s.keys.UserSessions(user)
	hashes, err := s.rdb.ZRange(ctx, idx, 0, -1).Result() // oldest first
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	exists := make([]*redis.IntCmd, len(hashes))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range hashes {
			exists[i] = p.Exists(ctx, s.keys.Session(h))
		}
		return nil
	}); err != nil {
		return fmt.Errorf("check sessions: %w", err)
	}
	var live, drop []string
	for i, h := range hashes {
		if exists[i].Val() == 1 {
			live = append(live, h)
		} else {
			drop = append(drop, h)
		}
	}
	if n := len(live) - MaxUserSessions; n > 0 {
		drop = append(drop, live[:n]...)
	}
	return s.dropSessions(ctx, user, drop)
}

// dropSessions revokes the sessions of these token hashes: each key holds
// a tombstone for RevokedTTL, the index entries go, and the mirror is told.
func (s *Store) dropSessions(ctx context.Context, user string, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	members := make([]any, len(hashes))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range hashes {
			p.Set(ctx, s.keys.Session(h), revokedValue, RevokedTTL)
			members[i] = h
		}
		p.ZRem(ctx, s.keys.UserSessions(user), members...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	if m := s.opts.SessionMirror; m != nil {
		m.Revoke(hashes)
	}
	return nil
}

// Session returns the session of token and slides its expiry (and its
// user's session index's). ErrNoSession when the token is unknown,
// expired or revoked.
//
// With a mirror: a token Redis does not know is looked up in the mirror
// and, when it is live there, copied back into Redis (with the mirror's
// expiry) — a session outlives Redis being restarted empty. When Redis
// fails, the mirror answers alone; a token it does not know then gets
// Redis's error, not ErrNoSession (Redis may still hold it). Every use
// slides the mirrored expiry too, throttled by MirrorRefreshWithin.
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if len(token) != 43 { // 32 bytes, base64url without padding
		return Session{}, ErrNoSession
	}
	h, now := tokenHash(token), time.Now()
	v, err := s.rdb.GetEx(ctx, s.keys.Session(h), SessionTTL).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return s.restoreSession(ctx, h, now)
	case err != nil:
		return s.sessionWithoutRedis(ctx, h, now, fmt.Errorf("load session: %w", err))
	case v == revokedValue:
		return Session{}, ErrNoSession
	}
	st, err := decodeStored(v)
	if err != nil {
		return Session{}, err
	}
	// The index lives as long as the user's longest-lived session: every
	// touch of a session sets both to now + SessionTTL. (No-op without one.)
	if err := s.rdb.PExpire(ctx, s.keys.UserSessions(st.User), SessionTTL).Err(); err != nil {
		return Session{}, fmt.Errorf("refresh session index: %w", err)
	}
	s.slideMirror(ctx, h, v, st, now)
	return st.Session, nil
}

// slideMirror queues the session's new expiry for the mirror when the one
// it holds is less than MirrorRefreshWithin away. The new expiry is
// recorded in the key by compare-and-set first, so that of several
// concurrent lookups one writes, and a session revoked meanwhile is not
// written at all. A failure is left for the next use to retry.
func (s *Store) slideMirror(ctx context.Context, h, old string, st stored, now time.Time) {
	m := s.opts.SessionMirror
	if m == nil || time.UnixMilli(st.Mirrored).Sub(now) >= MirrorRefreshWithin {
		return
	}
	if st.Created == 0 { // made before the mirror existed
		st.Created = now.UnixMilli()
		st.Indexed = s.rdb.ZScore(ctx, s.keys.UserSessions(st.User), h).Err() == nil
	}
	exp := now.Add(SessionTTL)
	st.Mirrored = exp.UnixMilli()
	b, _ := json.Marshal(st)
	if ok, err := replaceScript.Run(ctx, s.rdb, []string{s.keys.Session(h)}, old, b).Bool(); err == nil && ok {
		m.Save(st.mirrored(h, exp))
	}
}

// restoreSession answers a token Redis does not hold: from the mirror,
// copying a live session back into Redis with its remaining lifetime (and
// into its user's index when it was indexed). A key that holds a tombstone
// is never overwritten, and a session of a user whose sessions were
// revoked after it was made is not restored.
func (s *Store) restoreSession(ctx context.Context, h string, now time.Time) (Session, error) {
	m := s.opts.SessionMirror
	if m == nil {
		return Session{}, ErrNoSession
	}
	ms, ok, err := m.Lookup(ctx, h)
	if err != nil {
		return Session{}, fmt.Errorf("session mirror: %w", err)
	}
	left := ms.Expires.Sub(now)
	if !ok || left < time.Millisecond {
		return Session{}, ErrNoSession
	}
	if ms.Indexed {
		revoked, err := s.revokedWithUser(ctx, ms)
		if err != nil { // Redis failed after the miss: the mirror's answer stands
			return s.answerWithoutRedis(ms), nil
		}
		if revoked {
			return Session{}, ErrNoSession
		}
	}
	st := stored{Session: ms.session(), Created: ms.Created.UnixMilli(), Mirrored: ms.Expires.UnixMilli(), Indexed: ms.Indexed}
	b, _ := json.Marshal(st)
	key := s.keys.Session(h)
	set, err := s.rdb.SetNX(ctx, key, b, left).Result()
	if err != nil {
		return s.answerWithoutRedis(ms), nil
	}
	if !set { // restored by a concurrent lookup, or revoked meanwhile
		return s.current(ctx, key)
	}
	if ms.Indexed {
		if err := s.indexRestored(ctx, ms); err != nil {
			return Session{}, err
		}
	}
	s.sess.restored.Add(1)
	return ms.session(), nil
}

// indexRestored puts a restored session back into its user's index, then
// checks the user's revocation mark again: a RevokeUser that marked the
// user after the first check and listed the index before this entry was
// in it would miss the session, so it is revoked here (ErrNoSession).
func (s *Store) indexRestored(ctx context.Context, ms MirroredSession) error {
	idx := s.keys.UserSessions(ms.User)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, idx, redis.Z{Score: float64(ms.Created.UnixMilli()), Member: ms.TokenHash})
		p.PExpire(ctx, idx, SessionTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("index restored session: %w", err)
	}
	revoked, err := s.revokedWithUser(ctx, ms)
	if err != nil {
		return err
	}
	if revoked {
		if err := s.dropSessions(ctx, ms.User, []string{ms.TokenHash}); err != nil {
			return err
		}
		return ErrNoSession
	}
	return nil
}

// revokedWithUser reports whether RevokeUser revoked ms (an indexed
// session) after it was made: its mark, kept for RevokedTTL, is later than
// ms's creation and does not name ms as the session kept.
func (s *Store) revokedWithUser(ctx context.Context, ms MirroredSession) (bool, error) {
	v, err := s.rdb.Get(ctx, s.keys.UserRevoked(ms.User)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load revocation mark: %w", err)
	}
	at, keep, _ := strings.Cut(v, " ")
	before, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return false, fmt.Errorf("revocation mark %q: %w", v, err)
	}
	return ms.Created.UnixMilli() < before && ms.TokenHash != keep, nil
}

// current reads a session key as it is now.
func (s *Store) current(ctx context.Context, key string) (Session, error) {
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) || err == nil && v == revokedValue {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("load session: %w", err)
	}
	st, err := decodeStored(v)
	return st.Session, err
}

// sessionWithoutRedis answers a lookup from the mirror alone after Redis
// failed with redisErr, sliding the mirrored expiry like a use in Redis
// would (so a long outage does not end the sessions in use).
func (s *Store) sessionWithoutRedis(ctx context.Context, h string, now time.Time, redisErr error) (Session, error) {
	m := s.opts.SessionMirror
	if m == nil {
		return Session{}, redisErr
	}
	ms, ok, err := m.Lookup(ctx, h)
	if err != nil {
		return Session{}, errors.Join(redisErr, fmt.Errorf("session mirror: %w", err))
	}
	if !ok {
		return Session{}, redisErr
	}
	if ms.Expires.Sub(now) < MirrorRefreshWithin {
		slid := ms
		slid.Expires = now.Add(SessionTTL)
		m.Save(slid)
	}
	return s.answerWithoutRedis(ms), nil
}

func (s *Store) answerWithoutRedis(ms MirroredSession) Session {
	s.sess.lookupsWithoutRedis.Add(1)
	return ms.session()
}

// DeleteSession revokes a token (and removes it from its user's index):
// its key holds a tombstone for RevokedTTL, and the mirror is told.
// Revoking an unknown or already revoked token is not an error. It needs
// Redis: while Redis fails it returns the error and revokes nothing.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	h := tokenHash(token)
	v, err := s.rdb.SetArgs(ctx, s.keys.Session(h), revokedValue, redis.SetArgs{TTL: RevokedTTL, Get: true}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("revoke session: %w", err)
	}
	if m := s.opts.SessionMirror; m != nil {
		m.Revoke([]string{h})
	}
	if v == "" || v == revokedValue {
		return nil
	}
	if st, err := decodeStored(v); err == nil && st.User != "" {
		if err := s.rdb.ZRem(ctx, s.keys.UserSessions(st.User), h).Err(); err != nil {
			return fmt.Errorf("unindex session: %w", err)
		}
	}
	return nil
}

// RevokeUser revokes every indexed session of user except the one of token
// except ("" for none) and returns how many of them Redis held. A session
// created while it runs may survive it. With a mirror, the user is marked
// first (see revokedWithUser) and the mirror revokes the user's indexed
// sessions made before now, also those that only it holds.
func (s *Store) RevokeUser(ctx context.Context, user, except string) (int, error) {
	keep := ""
	if except != "" {
		keep = tokenHash(except)
	}
	now := time.Now()
	if m := s.opts.SessionMirror; m != nil {
		mark := strconv.FormatInt(now.UnixMilli(), 10) + " " + keep
		if err := s.rdb.Set(ctx, s.keys.UserRevoked(user), mark, RevokedTTL).Err(); err != nil {
			return 0, fmt.Errorf("mark revocation: %w", err)
		}
		m.RevokeUser(user, keep, now)
	}
	hashes, err := s.rdb.ZRange(ctx, s.keys.UserSessions(user), 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("list sessions: %w", err)
	}
	drop := hashes[:0]
	for _, h := range hashes {
		if h != keep {
			drop = append(drop, h)
		}
	}
	if err := s.dropSessions(ctx, user, drop); err != nil {
		return 0, err
	}
	return len(drop), nil
}

// RenameSessions sets the name in every indexed session of user, keeping
// each one's expiry.
func (s *Store) RenameSessions(ctx context.Context, user, name string) error {
	hashes, err := s.rdb.ZRange(ctx, s.keys.UserSessions(user), 0, -1).Result()
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	for _, h := range hashes {
		if err := s.renameSession(ctx, h, name); err != nil {
			return err
		}
	}
	return nil
}

// SetSessionName sets the name in the session of token, keeping its
// expiry; an unknown token is left alone.
func (s *Store) SetSessionName(ctx context.Context, token, name string) error {
	return s.renameSession(ctx, tokenHash(token), name)
}

// renameSession sets the name in the session of hash h by compare-and-set
// (a session revoked meanwhile stays revoked; one slid meanwhile is read
// again), and queues the new name for the mirror.
func (s *Store) renameSession(ctx context.Context, h, name string) error {
	key := s.keys.Session(h)
	for range 10 {
		v, err := s.rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) || err == nil && v == revokedValue {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load session: %w", err)
		}
		st, err := decodeStored(v)
		if err != nil {
			return err
		}
		st.Name = name
		b, _ := json.Marshal(st)
		ok, err := replaceScript.Run(ctx, s.rdb, []string{key}, v, b).Bool()
		if err != nil {
			return fmt.Errorf("rename session: %w", err)
		}
		if ok {
			if m := s.opts.SessionMirror; m != nil && st.Mirrored > 0 {
				m.Save(st.mirrored(h, time.UnixMilli(st.Mirrored)))
			}
			return nil
		}
	}
	return fmt.Errorf("rename session: it kept changing")
}
