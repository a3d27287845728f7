// Package httpauth reads the session of an HTTP request's bearer token,
// for the JSON API handlers on the public listener.
package httpauth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Route is one endpoint of an HTTP API: an http.ServeMux pattern and its
// handler. Every API (account, history, dashboard, tournaments) lists its
// routes as these, and the public listener mounts them as they are.
type Route struct {
	Pattern string // e.g. "POST /api/login"
	Handler http.Handler
}

// Sessions looks up a token.
type Sessions interface {
	Session(ctx context.Context, token string) (redisstore.Session, error)
}

// ErrNoToken is returned when the request carries no bearer token.
var ErrNoToken = errors.New("httpauth: no bearer token")

// Token returns the bearer token of r, or "".
func Token(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// User returns the session of r's bearer token. Every failure (no token,
// unknown, expired, revoked, forged) is redisstore.ErrNoSession or
// ErrNoToken; infrastructure errors are returned as they are.
func User(r *http.Request, s Sessions) (redisstore.Session, error) {
	tok := Token(r)
	if tok == "" {
		return redisstore.Session{}, ErrNoToken
	}
	return s.Session(r.Context(), tok)
}

// Error writes {"code": code, "message": msg} with status (httpedge.Error:
// the edge's and the APIs' errors share one shape).
func Error(w http.ResponseWriter, status int, code, msg string) { httpedge.Error(w, status, code, msg) }

// JSON writes v as JSON with status, never cached (httpedge.JSON).
func JSON(w http.ResponseWriter, status int, v any) { httpedge.JSON(w, status, v) }

// Require wraps h so that it runs only with a valid session, answering 401
// {"code":"bad_token"} otherwise (one generic answer for every bad token)
// and 503 {"code":"unavailable"} (Retry-After: 1) when the session store
// fails. (redisstore's lookup answers from its sessions mirror while Redis
// is down, so that is when both fail, or when Redis is down and the
// mirror does not know the token.)
func Require(s Sessions, h func(w http.ResponseWriter, r *http.Request, sess redisstore.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := User(r, s)
		switch {
		case errors.Is(err, ErrNoToken), errors.Is(err, redisstore.ErrNoSession):
			Error(w, http.StatusUnauthorized, "bad_token", "log in again")
		case err != nil:
			w.Header().Set("Retry-After", "1")
			Error(w, http.StatusServiceUnavailable, "unavailable", "try again shortly")
		default:
			h(w, r, sess)
		}
	}
}
