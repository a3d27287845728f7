package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestLogoutClosesSockets: an account logs in over HTTP, opens a
// WebSocket with its token, logs out over HTTP; the socket is told why and
// closed within a second, and the token no longer opens a session.
func TestLogoutClosesSockets(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	api := "http://" + s.cfg.HTTPAddr + "/api/"
	post := func(path, token string, body any) *http.Response {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, api+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		return resp
	}
	resp := post("register", "", map[string]string{"username": "leyla_k", "password": "correct horse battery"})
	var acct struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&acct); err != nil || resp.StatusCode != http.StatusCreated || acct.Token == "" {
		t.Fatalf("register: status %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	ws, _, err := websocket.DefaultDialer.Dial(s.wsURL()+"?v=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"type": "hello", "id": "h", "token": acct.Token}); err != nil {
		t.Fatal(err)
	}
	var ack struct{ Type, ID, Code string }
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&ack); err != nil || ack.Type != "ack" {
		t.Fatalf("hello with the account's token: %+v %v", ack, err)
	}

	if r := post("logout", acct.Token, map[string]string{}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: status %d", r.StatusCode)
	}
	loggedOut := time.Now()
	ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	var bye struct{ Type, Reason string }
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.ClosePolicyViolation {
				t.Fatalf("socket ended with %v, want close 1008", err)
			}
			break
		}
		_ = json.Unmarshal(b, &bye)
	}
	if took := time.Since(loggedOut); took > time.Second {
		t.Fatalf("the socket closed %v after logout, want within 1 s", took)
	}
	if bye.Type != "bye" || bye.Reason != "logged_out" {
		t.Fatalf("last frame %+v, want bye logged_out", bye)
	}

	ws2, _, err := websocket.DefaultDialer.Dial(s.wsURL()+"?v=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.Close()
	ws2.WriteJSON(map[string]any{"type": "hello", "id": "h2", "token": acct.Token})
	ws2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws2.ReadJSON(&ack); err != nil || ack.Type != "error" || ack.Code != "bad_token" {
		t.Fatalf("hello with the revoked token: %+v %v, want error bad_token", ack, err)
	}
}
