package app_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/metrics"
)

// edgeDo sends one request to the public listener of s and returns the
// status, headers and body.
func edgeDo(t *testing.T, s *server, method, path string, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+s.cfg.HTTPAddr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func errCode(body string) string {
	var e struct{ Code string }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Code
}

// guestToken starts a guest session over the API.
func guestToken(t *testing.T, s *server) string {
	t.Helper()
	st, _, body := edgeDo(t, s, http.MethodPost, "/api/guest", `{"name":"edge"}`,
		map[string]string{"Content-Type": "application/json"})
	var a struct{ Token string }
	if err := json.Unmarshal([]byte(body), &a); st != http.StatusCreated || err != nil || a.Token == "" {
		t.Fatalf("guest: %d %s", st, body)
	}
	return a.Token
}

func sumCounter(t *testing.T, name string, match map[string]string) float64 {
	t.Helper()
	mfs, err := metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range match {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == k && l.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// TestEdgeInvalidIDs (finding 7): a NUL, a control character or invalid
// UTF-8 in a path id or a query is the client's mistake: 400 under /api/
// with a JSON error (404 for the web client), never 503. PostgreSQL never
// sees it (hokm_postgres_query_errors_total does not move) and it is counted as
// a client error of the api component, never in hokm_server_errors_total.
func TestEdgeInvalidIDs(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	s := startServe(t)
	tok := guestToken(t, s)
	auth := map[string]string{"Authorization": "Bearer " + tok}
	pgErrs := sumCounter(t, "hokm_postgres_query_errors_total", nil)
	srvErrs := sumCounter(t, "hokm_server_errors_total", map[string]string{"component": "api"})
	cliErrs := sumCounter(t, "hokm_client_errors_total", map[string]string{"component": "api"})

	paths := []string{
		"/api/players/%00", "/api/players/%00/stats", "/api/players/%00/page",
		"/api/players/%ff", "/api/players/a%ffb/stats", "/api/players/%c3%28/page", "/api/players/x%0a/stats",
		"/api/matches/m1%00", "/api/matches/%ff/replay",
		"/api/leaderboards/daily?bucket=%00", "/api/leaderboards/weekly?bucket=%ff",
		"/api/me/matches?before=%00",
	}
	for _, p := range paths {
		st, h, body := edgeDo(t, s, http.MethodGet, p, "", auth)
		if st != http.StatusBadRequest || errCode(body) != "bad_request" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %q, want 400 bad_request JSON", p, st, body)
		}
	}
	// A cursor decoding to an id PostgreSQL would refuse: the handler's own check.
	cursor := base64.RawURLEncoding.EncodeToString([]byte("1700000000000000.m\x00"))
	if st, _, body := edgeDo(t, s, http.MethodGet, "/api/me/matches?before="+cursor, "", auth); st != http.StatusBadRequest {
		t.Errorf("cursor with a NUL id: %d %s, want 400", st, body)
	}
	// The web client: 404, not 503.
	if st, _, _ := edgeDo(t, s, http.MethodGet, "/%00", "", nil); st != http.StatusNotFound {
		t.Errorf("GET /%%00: %d, want 404", st)
	}
	// A well-formed unknown id is still 404.
	if st, _, body := edgeDo(t, s, http.MethodGet, "/api/players/u_nobody/stats", "", nil); st != http.StatusNotFound || errCode(body) != "not_found" {
		t.Errorf("unknown player: %d %s", st, body)
	}
	if d := sumCounter(t, "hokm_postgres_query_errors_total", nil) - pgErrs; d != 0 {
		t.Errorf("PostgreSQL saw %v failing queries", d)
	}
	if d := sumCounter(t, "hokm_server_errors_total", map[string]string{"component": "api"}) - srvErrs; d != 0 {
		t.Errorf("%v server errors counted for client mistakes", d)
	}
	if d := sumCounter(t, "hokm_client_errors_total", map[string]string{"component": "api"}) - cliErrs; d < float64(len(paths)) {
		t.Errorf("%v client errors counted, want at least %d", d, len(paths))
	}
}

// TestEdgeHeaders (finding 8): every API answer says nosniff, no referrer,
// no framing, a CSP that loads nothing, and no-store (the public dashboard
// keeps its short public cache); the web client keeps its own CSP.
func TestEdgeHeaders(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	tok := guestToken(t, s)
	check := func(path string, hdr map[string]string, cache, csp string) {
		t.Helper()
		_, h, _ := edgeDo(t, s, http.MethodGet, path, "", hdr)
		want := map[string]string{
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
			"Cache-Control": cache, "Content-Security-Policy": csp,
		}
		for k, v := range want {
			if v == "-" {
				continue
			}
			if got := h.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
	api := "default-src 'none'; frame-ancestors 'none'"
	check("/api/me", map[string]string{"Authorization": "Bearer " + tok}, "no-store", api)
	check("/api/me", nil, "no-store", api) // 401
	check("/api/players/u_nobody/stats", nil, "no-store", api)
	check("/api/nothing-here", nil, "no-store", "-") // the web client's 404, with its own strict CSP
	check("/api/dashboard", nil, "public, max-age=5", api)
	_, h, _ := edgeDo(t, s, http.MethodGet, "/", "", nil)
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("web client headers: %v", h)
	}
}

// TestEdgeContentTypeAndOrigin (finding 9): a cross-site text/plain or form
// POST is never processed: a body must be application/json (415) and an
// Origin other than the server's own or HOKM_ALLOWED_ORIGINS is 403.
func TestEdgeContentTypeAndOrigin(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	s := startServeWith(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://play.example.org"} })
	guests := func() float64 {
		return sumCounter(t, "hokm_client_errors_total", map[string]string{"component": "api"})
	}
	before := guests()
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		st, _, body := edgeDo(t, s, http.MethodPost, "/api/login", `{"username":"a","password":"b"}`,
			map[string]string{"Content-Type": ct})
		if st != http.StatusUnsupportedMediaType || errCode(body) != "unsupported_media_type" {
			t.Errorf("login as %q: %d %s, want 415", ct, st, body)
		}
	}
	for _, o := range []string{"https://evil.example", "null", "http://" + s.cfg.HTTPAddr + ".evil.example"} {
		st, _, body := edgeDo(t, s, http.MethodPost, "/api/guest", `{}`,
			map[string]string{"Content-Type": "application/json", "Origin": o})
		if st != http.StatusForbidden || errCode(body) != "origin_not_allowed" {
			t.Errorf("guest from %s: %d %s, want 403", o, st, body)
		}
	}
	if d := guests() - before; d != 8 {
		t.Errorf("%v client errors counted for 8 refusals", d)
	}
	for _, o := range []string{"", "http://" + s.cfg.HTTPAddr, "https://play.example.org"} {
		st, _, body := edgeDo(t, s, http.MethodPost, "/api/guest", `{}`,
			map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": o})
		if st != http.StatusCreated {
			t.Errorf("guest from %q: %d %s, want 201", o, st, body)
		}
	}
	// A POST without a body needs no Content-Type (the web client's probes).
	if st, _, body := edgeDo(t, s, http.MethodPost, "/api/logout", "", nil); st != http.StatusUnauthorized {
		t.Errorf("logout without a body: %d %s, want 401", st, body)
	}
	// A body over the limit is refused.
	big := `{"name":"` + strings.Repeat("a", 70<<10) + `"}`
	if st, _, body := edgeDo(t, s, http.MethodPost, "/api/guest", big, map[string]string{"Content-Type": "application/json"}); st != http.StatusRequestEntityTooLarge {
		t.Errorf("70 KiB body: %d %s, want 413", st, body)
	}
}

// TestEdgeTimeouts (finding 10): with short configured timeouts, a body
// trickled slower than HOKM_HTTP_READ_TIMEOUT is cut off and never
// processed, an idle keep-alive connection is closed after
// HOKM_HTTP_IDLE_TIMEOUT — and a WebSocket that lives well past both
// timeouts (and the write timeout) still works.
func TestEdgeTimeouts(t *testing.T) {
	t.Parallel()
	s := startServeWith(t, func(c *config.Config) {
		c.HTTPReadHeaderTimeout, c.HTTPReadTimeout = 500*time.Millisecond, time.Second
		c.HTTPWriteTimeout, c.HTTPIdleTimeout = time.Second, time.Second
	})

	t.Run("trickled body", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.cfg.HTTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := `{"name":"slowloris"}`
		fmt.Fprintf(conn, "POST /api/guest HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			s.cfg.HTTPAddr, len(body))
		sent := 0
		for i := range len(body) {
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				break // the server closed it
			}
			sent++
			time.Sleep(200 * time.Millisecond) // 20 bytes over 4 s, the read timeout is 1 s
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated {
				t.Fatalf("a body trickled over 4 s was processed: %d %s", resp.StatusCode, b)
			}
			t.Logf("answered %d %s after %d bytes", resp.StatusCode, bytes.TrimSpace(b), sent)
		} else if sent == len(body) {
			// Without a read timeout the server reads the whole trickle (and
			// the write timeout only drops the answer).
			t.Fatalf("the server read a body trickled over 4 s to its end (then %v)", err)
		} else {
			t.Logf("closed after %d of %d bytes: %v", sent, len(body), err)
		}
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.cfg.HTTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", s.cfg.HTTPAddr)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// Nothing sent for well past the idle timeout: the server closes.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("idle connection: read %v, want EOF (closed by the server)", err)
		}
	})

	t.Run("websocket outlives the timeouts", func(t *testing.T) {
		ws, _, err := websocket.DefaultDialer.Dial(s.wsURL()+"?v=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		roundTrip := func(id string) {
			t.Helper()
			if err := ws.WriteJSON(map[string]any{"type": "ping", "id": id}); err != nil {
				t.Fatalf("ping %s: %v", id, err)
			}
			ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				var m struct{ Type, ID string }
				if err := ws.ReadJSON(&m); err != nil {
					t.Fatalf("ping %s: %v", id, err)
				}
				if m.Type == "ack" && m.ID == id {
					return
				}
			}
		}
		if err := ws.WriteJSON(map[string]any{"type": "hello", "id": "h"}); err != nil {
			t.Fatal(err)
		}
		roundTrip("p0")
		time.Sleep(3 * time.Second) // three read and write timeouts
		roundTrip("p1")
	})
}
