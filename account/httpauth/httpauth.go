// Package httpauth reads the session of an HTTP request's bearer token,
// for the JSON API handlers on the public listener.
package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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

// ErrTrailingData is ReadJSON's error for a body with more after its object.
var ErrTrailingData = errors.New("httpauth: data after the JSON value")

// ReadJSON reads r's body, at most max bytes, as exactly one JSON value with
// only the fields v knows. An empty body is io.EOF (an API whose fields are
// all optional takes it as {}).
func ReadJSON(w http.ResponseWriter, r *http.Request, v any, max int64) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ErrTrailingData
	}
	return nil
}
