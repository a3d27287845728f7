package httpedge_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/internal/httpedge"
)

// BenchmarkEdge is the edge's cost on an API POST (headers, checks,
// counting) against the bare handler.
func BenchmarkEdge(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })
	for name, h := range map[string]http.Handler{"bare": ok, "edge": httpedge.Wrap(ok, httpedge.Options{})} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/players/u_0123456789abcdef/stats?limit=20", strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", "http://example.com")
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
