// Package httpedge is the public listener's edge: what every request goes
// through before the routes (docs/http-api.md, "Conventions").
//
//   - Security headers on every answer: X-Content-Type-Options: nosniff,
//     Referrer-Policy: no-referrer, X-Frame-Options: DENY; under /api/ also
//     Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
//     and Cache-Control: no-store unless the handler says otherwise (the web
//     client sets its own CSP, package web).
//   - A path or query that is not valid UTF-8 or holds a control character
//     (NUL, …) is refused before any handler runs: 400 bad_request under
//     /api/, 404 elsewhere. Such a request cannot name anything stored.
//   - API requests that change state (POST, PUT, PATCH, DELETE) must carry
//     an allowed Origin when they carry one (the request's own host or
//     HOKM_ALLOWED_ORIGINS; else 403 origin_not_allowed) and, with a body,
//     Content-Type: application/json (else 415 unsupported_media_type):
//     a cross-site form or text/plain POST is never processed.
//   - Bodies are bounded (HOKM_HTTP_MAX_BODY; more is 413 when read).
//   - /ws is left as it is but for one thing: once the gateway hijacks the
//     connection, the read and write deadlines the server set for the
//     upgrade request are cleared, so HOKM_HTTP_READ_TIMEOUT and
//     HOKM_HTTP_WRITE_TIMEOUT never end a long-lived WebSocket.
//   - API answers are counted: hokm_requests_total{component="api"}, and by
//     their error code hokm_client_errors_total or, for unavailable and
//     internal only, hokm_server_errors_total (the HokmServerErrorRate
//     alert). A client's mistake is never a server error.
package httpedge

import (
	"bufio"
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hokm-project/hokm/internal/metrics"
)

// Component is the metrics component of the HTTP API.
const Component = "api"

// DefaultMaxBody bounds a request body when Options.MaxBody is 0.
const DefaultMaxBody = 64 << 10

// Error codes the edge answers with (JSON {"code","message"}).
const (
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodeOriginNotAllowed = "origin_not_allowed"
	CodeUnsupportedType  = "unsupported_media_type"
	CodeTooLarge         = "too_large"
)

// APICSP is the Content-Security-Policy of every answer under /api/: JSON
// is never a document, so it may load nothing and be framed nowhere.
const APICSP = "default-src 'none'; frame-ancestors 'none'"

// Options configure Wrap.
type Options struct {
	// AllowedOrigins are browser origins ("https://example.org") allowed
	// besides the request's own host (HOKM_ALLOWED_ORIGINS, as on /ws).
	AllowedOrigins []string
	// MaxBody bounds a request body in bytes (0: DefaultMaxBody).
	MaxBody int64
	// WebSocket is the path left to the gateway's upgrade ("/ws").
	WebSocket string
}

// Wrap puts the edge in front of h.
func Wrap(h http.Handler, o Options) http.Handler {
	origins := NewOrigins(o.AllowedOrigins)
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.WebSocket != "" && r.URL.Path == o.WebSocket {
			h.ServeHTTP(hijackClear{w}, r)
			return
		}
		api := strings.HasPrefix(r.URL.Path, "/api/")
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		if !api {
			if !cleanPath(r) {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, o.MaxBody)
			h.ServeHTTP(w, r)
			return
		}
		hd.Set("Content-Security-Policy", APICSP)
		hd.Set("Cache-Control", "no-store")
		metrics.Request(Component)
		cw := &countingWriter{ResponseWriter: w}
		defer cw.count()
		switch {
		case !cleanPath(r) || !cleanQuery(r):
			Error(cw, http.StatusBadRequest, CodeBadRequest, "the path or query is not valid UTF-8 text or holds a control character (such as NUL)")
			return
		case changes(r.Method) && !origins.Allow(r):
			Error(cw, http.StatusForbidden, CodeOriginNotAllowed, "requests from this origin are not allowed")
			return
		case changes(r.Method) && hasBody(r) && !isJSON(r.Header.Get("Content-Type")):
			Error(cw, http.StatusUnsupportedMediaType, CodeUnsupportedType, "send the body as Content-Type: application/json")
			return
		case r.ContentLength > o.MaxBody:
			Error(cw, http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is larger than "+strconv.FormatInt(o.MaxBody, 10)+" bytes")
			return
		}
		r.Body = http.MaxBytesReader(cw, r.Body, o.MaxBody)
		h.ServeHTTP(cw, r)
	})
}

// Error writes {"code": code, "message": msg} with status: every JSON
// error of the public listener has this shape.
func Error(w http.ResponseWriter, status int, code, msg string) {
	JSON(w, status, map[string]string{"code": code, "message": msg})
}

// JSON writes v as JSON with status, never cached.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ValidID tells whether id can name something stored: 1 to 128 bytes of
// valid UTF-8 without control characters. Handlers answer 404 for any
// other id without asking a store.
func ValidID(id string) bool {
	return id != "" && len(id) <= 128 && cleanText(id)
}

// Page reads a list's page parameters: limit (def when absent; false
// unless 1 to max) and before, the cursor of the page asked for ("" for
// the first), which the list's store reads.
func Page(r *http.Request, def, max int) (limit int, before string, ok bool) {
	q := r.URL.Query()
	limit = def
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return 0, "", false
		}
		limit = n
	}
	return limit, q.Get("before"), true
}

// IsDataError tells whether PostgreSQL refused a value of the request
// itself (SQLSTATE class 22, data exception: invalid UTF-8, a NUL byte, a
// value out of range): the client's mistake (404/400), never a server
// error.
func IsDataError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22")
}

// cleanText: valid UTF-8 without C0/C1 control characters or DEL.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || (c >= 0x7f && c < 0xa0) {
			return false
		}
	}
	return true
}

func cleanPath(r *http.Request) bool { return cleanText(r.URL.Path) }

func cleanQuery(r *http.Request) bool {
	if r.URL.RawQuery == "" {
		return true
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return false
	}
	for k, vs := range q {
		if !cleanText(k) {
			return false
		}
		for _, v := range vs {
			if !cleanText(v) {
				return false
			}
		}
	}
	return true
}

func changes(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// Origins are the browser origins ("https://example.org") allowed besides
// the request's own host: the API's state changes and the WebSocket
// upgrade share the rule.
type Origins map[string]bool

// NewOrigins is the set of the configured origins (HOKM_ALLOWED_ORIGINS).
func NewOrigins(list []string) Origins {
	o := Origins{}
	for _, a := range list {
		o[strings.ToLower(strings.TrimRight(a, "/"))] = true
	}
	return o
}

// Allow: no Origin (not a browser, or a same-origin GET), the request's
// own host, or a configured origin. "null" (a sandboxed or file: page) is
// refused.
func (o Origins) Allow(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return o[strings.ToLower(strings.TrimRight(origin, "/"))]
}

// countingWriter notes the status and, for an error, the code of the JSON
// answer, and counts them when the handler returns.
type countingWriter struct {
	http.ResponseWriter
	status int
	head   []byte // the start of an error answer's body
}

func (c *countingWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.status >= 400 && len(c.head) < 512 {
		c.head = append(c.head, p[:min(len(p), 512-len(c.head))]...)
	}
	return c.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *countingWriter) count() {
	if c.status < 400 {
		return
	}
	var body struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(c.head, &body)
	code := body.Code
	switch {
	case c.status >= 500 && !metrics.IsServerError(code):
		code = "internal" // a 5xx is the server's, whatever it calls itself
	case c.status < 500 && (code == "" || metrics.IsServerError(code)):
		code = "http_" + strconv.Itoa(c.status)
	}
	metrics.Error(Component, code)
}

// hijackClear is the /ws writer: Hijack clears the deadlines net/http set
// on the connection for the upgrade request (ReadTimeout, WriteTimeout),
// which would otherwise stay on the hijacked connection and close a
// WebSocket that outlives them. The gateway sets its own deadlines (pings).
type hijackClear struct{ http.ResponseWriter }

func (h hijackClear) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("httpedge: the connection cannot be hijacked")
	}
	conn, rw, err := hj.Hijack()
	if err == nil {
		_ = conn.SetDeadline(time.Time{})
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the connection.
func (h hijackClear) Unwrap() http.ResponseWriter { return h.ResponseWriter }
