package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealth: `hokm health` asks the ops listener named by HOKM_OPS_ADDR
// for /healthz (or /readyz with --ready), with HOKM_OPS_TOKEN as a bearer
// token, and exits 0 only on 200.
func TestHealth(t *testing.T) {
	const token = "health-check-token-0123456789"
	ready := http.StatusServiceUnavailable
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte(`{"status":"ok"}`))
		case "/readyz":
			w.WriteHeader(ready)
			w.Write([]byte(`{"status":"unavailable"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	t.Setenv("HOKM_OPS_ADDR", strings.TrimPrefix(srv.URL, "http://"))
	t.Setenv("HOKM_OPS_TOKEN", token)

	if code, out, errOut := runHokm(t, "", "health"); code != 0 || !strings.Contains(out, "200") {
		t.Fatalf("health of a live process: exit %d, %q %q", code, out, errOut)
	}
	if code, out, _ := runHokm(t, "", "health", "--ready"); code != 1 || !strings.Contains(out, "503") {
		t.Fatalf("--ready of an unready process: exit %d, %q", code, out)
	}
	ready = http.StatusOK
	if code, _, errOut := runHokm(t, "", "health", "--ready"); code != 0 {
		t.Fatalf("--ready of a ready process: exit %d, %q", code, errOut)
	}
	if strings.Join(paths, " ") != "/healthz /readyz /readyz" {
		t.Fatalf("asked %v", paths)
	}
	t.Setenv("HOKM_OPS_TOKEN", "another-token-0123456789abc")
	if code, out, _ := runHokm(t, "", "health"); code != 1 || !strings.Contains(out, "401") {
		t.Fatalf("wrong token: exit %d, %q", code, out)
	}
	srv.Close()
	if code, _, errOut := runHokm(t, "", "health"); code != 1 || errOut == "" {
		t.Fatalf("nothing listening: exit %d, %q", code, errOut)
	}
	t.Setenv("HOKM_OPS_ADDR", "off")
	if code, _, _ := runHokm(t, "", "health"); code != 2 {
		t.Fatalf("ops listener off: exit %d, want 2", code)
	}
}
