package httpedge_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/internal/metrics"
)

// TestCountsByCode: API answers are counted in hokm_requests_total{api};
// a 4xx is a client error by its code (never a server error, even when a
// handler calls it "unavailable"), a 5xx a server error (unavailable or
// internal).
func TestCountsByCode(t *testing.T) {
	answer := map[string]func(http.ResponseWriter){
		"/api/ok":       func(w http.ResponseWriter) { w.Write([]byte("{}")) },
		"/api/missing":  func(w http.ResponseWriter) { httpedge.Error(w, 404, "not_found", "x") },
		"/api/down":     func(w http.ResponseWriter) { httpedge.Error(w, 503, "unavailable", "x") },
		"/api/boom":     func(w http.ResponseWriter) { w.WriteHeader(500) },
		"/api/confused": func(w http.ResponseWriter) { httpedge.Error(w, 400, "unavailable", "x") },
	}
	h := httpedge.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer[r.URL.Path](w) }), httpedge.Options{})
	req := func() float64 { return testutil.ToFloat64(metrics.Requests.WithLabelValues("api")) }
	srv := func(code string) float64 {
		return testutil.ToFloat64(metrics.ServerErrors.WithLabelValues("api", code))
	}
	cli := func(code string) float64 {
		return testutil.ToFloat64(metrics.ClientErrors.WithLabelValues("api", code))
	}
	r0, u0, i0, n0, h0 := req(), srv("unavailable"), srv("internal"), cli("not_found"), cli("http_400")
	for p := range answer {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/players/%00", nil)) // the edge's own 400
	got := []float64{req() - r0, srv("unavailable") - u0, srv("internal") - i0, cli("not_found") - n0, cli("http_400") - h0}
	want := []float64{6, 1, 1, 1, 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests, unavailable, internal, not_found, http_400 moved by %v, want %v", got, want)
	}
}

func TestValidID(t *testing.T) {
	for _, ok := range []string{"u_0123456789abcdef", "g_1", "t1:3", "نام", strings.Repeat("a", 128)} {
		if !httpedge.ValidID(ok) {
			t.Errorf("ValidID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "a\x00", "\xff", "a\nb", "\x7f", "\u0085", strings.Repeat("a", 129)} {
		if httpedge.ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestIsDataError(t *testing.T) {
	if !httpedge.IsDataError(fmt.Errorf("x: %w", &pgconn.PgError{Code: "22021"})) {
		t.Error("invalid byte sequence (22021) is not a data error")
	}
	if httpedge.IsDataError(&pgconn.PgError{Code: "08006"}) || httpedge.IsDataError(fmt.Errorf("plain")) {
		t.Error("a connection failure is a data error")
	}
}

// TestWebSocketPathUntouched: /ws gets no edge header or check (the
// gateway answers its own), and its writer can still be hijacked.
func TestWebSocketPathUntouched(t *testing.T) {
	var hijackable bool
	h := httpedge.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, hijackable = w.(http.Hijacker)
	}), httpedge.Options{WebSocket: "/ws"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ws?v=1", nil))
	if !hijackable {
		t.Error("the /ws writer does not implement http.Hijacker")
	}
	if rec.Header().Get("X-Frame-Options") != "" {
		t.Error("edge headers on /ws")
	}
}
