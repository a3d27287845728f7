package ops_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/ops"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/tasks"
)

const token = "0123456789abcdef-token"

// opsServer is the ops mux as internal/app builds it (healthz + asynqmon
// behind Guard) on this package's Redis DB, with one pending persist task.
func opsServer(t *testing.T, token string, readOnly bool) *httptest.Server {
	t.Helper()
	rdb, _ := testenv.Redis(t, opsRedisDB, true)
	task, err := tasks.NewPersistMatchTask(pgstoretest.Play(pgstoretest.Game{Seed: 3, MaxMoves: 5, TableID: "mon1"}), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Enqueue(t.Context(), asynq.NewClientFromRedisClient(rdb), task); err != nil {
		t.Fatal(err)
	}
	var conn asynq.RedisConnOpt = asynq.RedisClusterClientOpt{Addrs: testenv.RedisCluster()}
	if testenv.RedisCluster() == nil {
		if conn, err = asynq.ParseRedisURI(testenv.RedisDBURL(t, opsRedisDB)); err != nil {
			t.Fatal(err)
		}
	}
	mon, err := ops.NewAsynqmon(conn, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Close() })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle(ops.AsynqmonRoot+"/", mon)
	srv := httptest.NewServer(ops.Guard(token, readOnly, mux))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, srv *httptest.Server, method, path, auth string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAsynqmonServed(t *testing.T) {
	srv := opsServer(t, "", false)
	code, body, h := do(t, srv, "GET", "/asynq/", "")
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html") {
		t.Fatalf("GET /asynq/: %d %q %.200s", code, h.Get("Content-Type"), body)
	}
	code, body, _ = do(t, srv, "GET", "/asynq/api/queues", "")
	if code != 200 || !json.Valid([]byte(body)) || !strings.Contains(body, `"queue":"persist"`) {
		t.Fatalf("GET /asynq/api/queues: %d %.300s", code, body)
	}
	// The pending persist task's compressed payload is shown as its JSON.
	code, body, _ = do(t, srv, "GET", "/asynq/api/queues/persist/pending_tasks", "")
	if code != 200 || !strings.Contains(body, `\"match_id\":\"mon1-`) || strings.Contains(body, "non-printable") {
		t.Fatalf("GET /asynq/api/queues/persist/pending_tasks: %d %.600s", code, body)
	}
	// Not read-only: a write goes through (pause, then resume the queue).
	if code, body, _ = do(t, srv, "POST", "/asynq/api/queues/persist:pause", ""); code != 204 && code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	if code, body, _ = do(t, srv, "POST", "/asynq/api/queues/persist:resume", ""); code != 204 && code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
}

func TestToken(t *testing.T) {
	srv := opsServer(t, token, false)
	for _, path := range []string{"/healthz", "/asynq/", "/asynq/api/queues"} {
		for _, auth := range []string{"", "Bearer ", "Bearer wrong-token-0123456789", "Bearer " + token + "x",
			"Bearer " + token[:len(token)-1], "Basic " + token, token} {
			code, _, h := do(t, srv, "GET", path, auth)
			if code != http.StatusUnauthorized || !strings.Contains(strings.Join(h.Values("WWW-Authenticate"), ","), "Bearer") {
				t.Errorf("GET %s with %q: %d %v, want 401 with a Bearer challenge", path, auth, code, h.Values("WWW-Authenticate"))
			}
		}
		if code, _, _ := do(t, srv, "GET", path, "Bearer "+token); code != 200 {
			t.Errorf("GET %s with the token: %d", path, code)
		}
		if code, _, _ := do(t, srv, "GET", path, "bearer "+token); code != 200 {
			t.Errorf("GET %s with the token (lower-case scheme): %d", path, code)
		}
	}
	// Browsers: the token as the password of Basic auth.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/asynq/api/queues", nil)
	req.SetBasicAuth("ops", token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("Basic auth with the token: %d", resp.StatusCode)
	}
}

func TestReadOnly(t *testing.T) {
	srv := opsServer(t, token, true)
	auth := "Bearer " + token
	for _, tc := range []struct{ method, path string }{
		{"POST", "/asynq/api/queues/persist:pause"},
		{"DELETE", "/asynq/api/queues/persist"},
		{"POST", "/asynq/api/queues/persist/archived_tasks:run_all"},
		{"DELETE", "/asynq/api/queues/persist/archived_tasks:delete_all"},
		{"PUT", "/asynq/api"},
	} {
		if code, _, _ := do(t, srv, tc.method, tc.path, auth); code != http.StatusForbidden {
			t.Errorf("%s %s read-only: %d, want 403", tc.method, tc.path, code)
		}
		// The token is checked first.
		if code, _, _ := do(t, srv, tc.method, tc.path, ""); code != http.StatusUnauthorized {
			t.Errorf("%s %s without the token: %d, want 401", tc.method, tc.path, code)
		}
	}
	code, body, _ := do(t, srv, "GET", "/asynq/api/queues", auth)
	if code != 200 || !strings.Contains(body, `"persist"`) {
		t.Fatalf("GET read-only: %d %.200s", code, body)
	}
	if code, _, _ := do(t, srv, "GET", "/asynq/", auth); code != 200 {
		t.Fatalf("GET /asynq/ read-only: %d", code)
	}
	// The queue was not paused.
	if code, body, _ := do(t, srv, "GET", "/asynq/api/queues/persist", auth); code != 200 || strings.Contains(body, `"paused":true`) {
		t.Fatalf("queue after refused pause: %d %.300s", code, body)
	}
}
