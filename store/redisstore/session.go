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

// MaxUserSessions bounds the indexed sessions of one user: a new one past
// the bound revokes the oldest.
const MaxUserSessions = 20

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func tokenKey(k Keys, token string) string { return k.Session(tokenHash(token)) }

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
func (s *Store) NewSession(ctx context.Context, sess Session) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(sess)
	if err := s.rdb.Set(ctx, tokenKey(s.keys, token), b, SessionTTL).Err(); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return token, nil
}

// NewUserSession is NewSession that also records the token's hash in the
// user's session index, so that RevokeUser reaches it. The index expires
// with the user's last used session and holds at most MaxUserSessions
// live sessions: the oldest are revoked past that.
func (s *Store) NewUserSession(ctx context.Context, sess Session) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(sess)
	h, idx := tokenHash(token), s.keys.UserSessions(sess.User)
	var card *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.keys.Session(h), b, SessionTTL)
		p.ZAdd(ctx, idx, redis.Z{Score: float64(time.Now().UnixMilli()), Member: h})
		p.PExpire(ctx, idx, SessionTTL)
		card = p.ZCard(ctx, idx)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	if card.Val() > MaxUserSessions {
		if err := s.pruneUserSessions(ctx, sess.User); err != nil {
			return "", err
		}
	}
	return token, nil
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

// dropSessions deletes the sessions of these token hashes and their index
// entries.
func (s *Store) dropSessions(ctx context.Context, user string, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	members := make([]any, len(hashes))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range hashes {
			p.Del(ctx, s.keys.Session(h))
			members[i] = h
		}
		p.ZRem(ctx, s.keys.UserSessions(user), members...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// Session returns the session of token and slides its expiry (and its
// user's session index's).
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if len(token) != 43 { // 32 bytes, base64url without padding
		return Session{}, ErrNoSession
	}
	v, err := s.rdb.GetEx(ctx, tokenKey(s.keys, token), SessionTTL).Result()
	if errors.Is(err, redis.Nil) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("load session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal([]byte(v), &sess); err != nil {
		return Session{}, fmt.Errorf("decode session: %w", err)
	}
	// The index lives as long as the user's longest-lived session: every
	// touch of a session sets both to now + SessionTTL. (No-op without one.)
	if err := s.rdb.PExpire(ctx, s.keys.UserSessions(sess.User), SessionTTL).Err(); err != nil {
		return Session{}, fmt.Errorf("refresh session index: %w", err)
	}
	return sess, nil
}

// DeleteSession revokes a token (and removes it from its user's index).
// Revoking an unknown or already revoked token is not an error.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	h := tokenHash(token)
	v, err := s.rdb.GetDel(ctx, s.keys.Session(h)).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	var sess Session
	if json.Unmarshal([]byte(v), &sess) == nil && sess.User != "" {
		if err := s.rdb.ZRem(ctx, s.keys.UserSessions(sess.User), h).Err(); err != nil {
			return fmt.Errorf("unindex session: %w", err)
		}
	}
	return nil
}

// RevokeUser revokes every indexed session of user except the one of token
// except ("" for none) and returns how many it revoked. A session created
// while it runs may survive it.
func (s *Store) RevokeUser(ctx context.Context, user, except string) (int, error) {
	hashes, err := s.rdb.ZRange(ctx, s.keys.UserSessions(user), 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("list sessions: %w", err)
	}
	keep := ""
	if except != "" {
		keep = tokenHash(except)
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
		if err := s.renameSession(ctx, s.keys.Session(h), name); err != nil {
			return err
		}
	}
	return nil
}

// SetSessionName sets the name in the session of token, keeping its
// expiry; an unknown token is left alone.
func (s *Store) SetSessionName(ctx context.Context, token, name string) error {
	return s.renameSession(ctx, tokenKey(s.keys, token), name)
}

func (s *Store) renameSession(ctx context.Context, key, name string) error {
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal([]byte(v), &sess); err != nil {
		return fmt.Errorf("decode session: %w", err)
	}
	sess.Name = name
	b, _ := json.Marshal(sess)
	// XX: a session revoked meanwhile stays revoked.
	if err := s.rdb.SetArgs(ctx, key, b, redis.SetArgs{Mode: "XX", KeepTTL: true}).Err(); err != nil {
		return fmt.Errorf("rename session: %w", err)
	}
	return nil
}
