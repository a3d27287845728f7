package botclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestSockReadFollowsItsContext: a read blocked when its context ends
// returns the context's error (not a lost socket), and a context that ends
// between reads (a request's, cancelled as it returns) leaves the socket
// working for the next read.
func TestSockReadFollowsItsContext(t *testing.T) {
	send := make(chan string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for m := range send {
			if ws.WriteMessage(websocket.TextMessage, []byte(m)) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	defer close(send)
	s, err := dialSock(context.Background(), 0, "ws"+strings.TrimPrefix(srv.URL, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.abandon()

	// A request's context: one frame read, then the context ends.
	req, cancel := context.WithCancel(context.Background())
	send <- `{"type":"ack","id":"m1","data":{}}`
	if fe := s.read(req); fe.readErr != nil || fe.f.ID != "m1" {
		t.Fatalf("first read: %+v", fe)
	}
	cancel()

	// The match's context: the socket still reads.
	match, stop := context.WithCancel(context.Background())
	go func() { send <- `{"type":"ack","id":"m2","data":{}}` }()
	if fe := s.read(match); fe.readErr != nil || fe.f.ID != "m2" {
		t.Fatalf("a read after another context ended: %+v", fe)
	}

	// Nothing comes: the read ends with its context.
	time.AfterFunc(50*time.Millisecond, stop)
	done := make(chan frameOrErr, 1)
	go func() { done <- s.read(match) }()
	select {
	case fe := <-done:
		if !errors.Is(fe.readErr, context.Canceled) {
			t.Fatalf("a read whose context ended: %+v, want context.Canceled", fe.readErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a blocked read did not end with its context")
	}
	// An ended read ended the socket: reading again says so at once.
	if fe := s.read(context.Background()); fe.readErr == nil {
		t.Fatal("a socket whose read ended read again")
	}
}

// TestRecentSummaryKeepsTheLastFrames: a client remembers its last
// recentFrames frames, oldest first, and forgets those before.
func TestRecentSummaryKeepsTheLastFrames(t *testing.T) {
	c := &client{}
	if got := c.recentSummary(); got != "" {
		t.Fatalf("no frame yet: %q", got)
	}
	for seq := int64(1); seq <= recentFrames+3; seq++ {
		c.remember(&frame{Type: "events", Seq: seq})
	}
	sums := strings.Split(c.recentSummary(), " | ")
	if len(sums) != recentFrames {
		t.Fatalf("%d frames summarized, want %d: %q", len(sums), recentFrames, sums)
	}
	for i, sum := range sums {
		if want := "events seq=" + strconv.Itoa(i+4); sum != want {
			t.Fatalf("frame %d summarized as %q, want %q", i, sum, want)
		}
	}
}
