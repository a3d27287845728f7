// Package ops is the operator side of the server: the ops listener's
// authentication and read-only mode, the asynqmon UI, and the dead-letter
// service behind `hokm ops dlq` (docs/operations.md).
package ops

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// AsynqmonRoot is where the asynqmon UI is mounted on the ops listener.
const AsynqmonRoot = "/asynq"

// Guard wraps the ops mux. With a token, every request must carry it as
// "Authorization: Bearer <token>" (or as the password of HTTP Basic auth,
// which browsers resend by themselves for asynqmon's API calls); otherwise
// it gets 401. The comparison takes the same time whatever the token
// sent. With readOnly, a request to asynqmon's API other than GET or HEAD
// gets 403 (asynqmon's own ReadOnly option only hides the buttons).
func Guard(token string, readOnly bool, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got := sha256.Sum256([]byte(presentedToken(r)))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				w.Header().Add("WWW-Authenticate", `Bearer realm="hokm-ops"`)
				w.Header().Add("WWW-Authenticate", `Basic realm="hokm-ops"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		if readOnly && r.Method != http.MethodGet && r.Method != http.MethodHead &&
			(r.URL.Path == AsynqmonRoot+"/api" || strings.HasPrefix(r.URL.Path, AsynqmonRoot+"/api/")) {
			http.Error(w, "read-only mode (HOKM_OPS_READONLY)", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// presentedToken is the bearer token of r, or the password of its Basic
// credentials, or "".
func presentedToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	return ""
}
