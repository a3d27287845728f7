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

func tokenKey(k Keys, token string) string {
	sum := sha256.Sum256([]byte(token))
	return k.Session(hex.EncodeToString(sum[:]))
}

// NewSession stores a session under a fresh random token and returns the
// token. Only the token's hash is stored.
func (s *Store) NewSession(ctx context.Context, sess Session) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	b, _ := json.Marshal(sess)
	if err := s.rdb.Set(ctx, tokenKey(s.keys, token), b, SessionTTL).Err(); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return token, nil
}

// Session returns the session of token and slides its expiry.
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
	return sess, nil
}

// DeleteSession revokes a token.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.rdb.Del(ctx, tokenKey(s.keys, token)).Err()
}
