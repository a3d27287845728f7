package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/web"
)

func get(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Each file of the client is served with its exact type, the CSP and
// an ETag, and revalidated with a 304.
func TestHandlerServesTheClient(t *testing.T) {
	h := web.Handler()
	cases := []struct{ path, ctype, contains string }{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/js/main.js">`},
		{"/app.css", "text/css; charset=utf-8", ".felt"},
		{"/js/main.js", "text/javascript; charset=utf-8", "import"},
		{"/js/i18n.js", "text/javascript; charset=utf-8", "setLang"},
		{"/lang/en.json", "application/json", "فارسی"},
		{"/lang/fa.json", "application/json", "English"},
		{"/icon.svg", "image/svg+xml", "<svg"},
	}
	for _, c := range cases {
		w := get(t, h, "GET", c.path, nil)
		if w.Code != 200 || w.Header().Get("Content-Type") != c.ctype || !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("%s: %d %q, body has %q: %v", c.path, w.Code, w.Header().Get("Content-Type"), c.contains, strings.Contains(w.Body.String(), c.contains))
			continue
		}
		if got := w.Header().Get("Content-Security-Policy"); got != web.CSP {
			t.Errorf("%s: CSP %q", c.path, got)
		}
		if w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", c.path, w.Header())
		}
		etag := w.Header().Get("ETag")
		if w2 := get(t, h, "GET", c.path, map[string]string{"If-None-Match": etag}); etag == "" || w2.Code != 304 || w2.Body.Len() != 0 {
			t.Errorf("%s: revalidation with %q: %d", c.path, etag, w2.Code)
		}
	}
}

func TestHandlerRefuses(t *testing.T) {
	h := web.Handler()
	if w := get(t, h, "GET", "/nope.html", nil); w.Code != 404 {
		t.Errorf("missing file: %d", w.Code)
	}
	if w := get(t, h, "GET", "/api/nothing", nil); w.Code != 404 || !strings.Contains(w.Body.String(), `"code":"not_found"`) {
		t.Errorf("missing API path: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "POST", "/", nil); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d", w.Code)
	}
	if w := get(t, h, "GET", "/../web.go", nil); w.Code != 404 {
		t.Errorf("path outside the client: %d", w.Code)
	}
	if w := get(t, h, "HEAD", "/app.css", nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}
