package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestSessionsSurviveRedisLosingThem: on hokm serve, a guest from
// /api/guest (once used) and one from the WebSocket hello are mirrored
// into PostgreSQL; after their Redis keys are gone (Redis restarted empty),
// both tokens still work — over HTTP and in a new hello, same user — and
// the metrics count the restores.
func TestSessionsSurviveRedisLosingThem(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	s := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	resp, err := http.Post("http://"+s.cfg.HTTPAddr+"/api/guest", "application/json", strings.NewReader(`{"name":"Sara"}`))
	if err != nil {
		t.Fatal(err)
	}
	var httpGuest struct{ User, Token string }
	if err := json.NewDecoder(resp.Body).Decode(&httpGuest); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("guest: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	// A guest made over HTTP is mirrored at its first use, not before
	// (account.TestUnusedGuestIsCheap).
	first, _ := http.NewRequest(http.MethodGet, "http://"+s.cfg.HTTPAddr+"/api/me", nil)
	first.Header.Set("Authorization", "Bearer "+httpGuest.Token)
	if resp, err = http.DefaultClient.Do(first); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first use of the guest token: %v %v", resp, err)
	}
	resp.Body.Close()
	wsUser, wsToken := hello(t, s, "")

	for _, tok := range []string{httpGuest.Token, wsToken} {
		deadline := time.Now().Add(10 * time.Second)
		for n := 0; n != 1; {
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE token_hash = $1`, sha(tok)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatal("session not mirrored into PostgreSQL within 10 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := s.rdb.Del(ctx, s.store.Keys().Session(sha(tok))).Err(); err != nil {
			t.Fatal(err)
		}
	}

	if user, _ := hello(t, s, wsToken); user != wsUser {
		t.Fatalf("hello with the restored token: user %q, want %q", user, wsUser)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.cfg.HTTPAddr+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+httpGuest.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || resp.StatusCode != http.StatusOK || me.ID != httpGuest.User {
		t.Fatalf("me with the restored token: %d %+v %v", resp.StatusCode, me, err)
	}
	resp.Body.Close()

	resp, err = http.Get("http://" + s.cfg.OpsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`hokm_session_fallbacks_total{path="restored"} 2`, `hokm_session_mirror_written_total{kind="save"}`,
		`hokm_session_mirror_queued{kind="revocation"} 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// hello opens a socket, says hello with token ("" for a new guest) and
// returns the user and token of the session.
func hello(t *testing.T, s *server, token string) (string, string) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(s.wsURL()+"?v=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	msg := map[string]any{"type": "hello", "id": "h", "name": "ws"}
	if token != "" {
		msg = map[string]any{"type": "hello", "id": "h", "token": token}
	}
	if err := ws.WriteJSON(msg); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var ack struct {
			Type, ID, Code string
			Data           struct{ User, Token string }
		}
		if err := ws.ReadJSON(&ack); err != nil {
			t.Fatalf("hello: %v", err)
		}
		if ack.ID == "h" {
			if ack.Type != "ack" {
				t.Fatalf("hello: %+v", ack)
			}
			return ack.Data.User, ack.Data.Token
		}
	}
}

func sha(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
