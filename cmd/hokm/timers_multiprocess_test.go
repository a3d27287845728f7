package main

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/internal/testenv/procs"
)

// wsClient is a bare protocol client for one socket.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
	id int
}

func dialWS(t *testing.T, addr string) *wsClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?v=1", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

// frame is what the test reads of a server frame.
type wsFrame struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Code  string          `json:"code"`
	Data  json.RawMessage `json:"data"`
	Event json.RawMessage `json:"event"`
}

func (c *wsClient) send(msg map[string]any) string {
	c.t.Helper()
	c.id++
	msg["id"] = "c" + strconv.Itoa(c.id)
	if err := c.ws.WriteJSON(msg); err != nil {
		c.t.Fatalf("send %v: %v", msg["type"], err)
	}
	return msg["id"].(string)
}

func (c *wsClient) read(deadline time.Time) (wsFrame, error) {
	var f wsFrame
	c.ws.SetReadDeadline(deadline)
	_, b, err := c.ws.ReadMessage()
	if err == nil {
		err = json.Unmarshal(b, &f)
	}
	return f, err
}

// request sends msg and returns its ack's data, failing on an error frame.
func (c *wsClient) request(msg map[string]any) json.RawMessage {
	c.t.Helper()
	id := c.send(msg)
	deadline := time.Now().Add(15 * time.Second)
	for {
		f, err := c.read(deadline)
		if err != nil {
			c.t.Fatalf("waiting for the answer to %v: %v", msg["type"], err)
		}
		if f.ID != id {
			continue
		}
		if f.Type == "error" {
			c.t.Fatalf("%v refused: %s", msg["type"], f.Code)
		}
		return f.Data
	}
}

// TestTimeoutsWithTwoWorkerProcesses: a player who never acts, at a table
// with three bots, two worker processes both running their timer loops.
// Each of the player's turns times out exactly once (one timeout event,
// one auto-played move), and after max_timeouts (2) a bot takes the seat
// and the match runs to its end.
func TestTimeoutsWithTwoWorkerProcesses(t *testing.T) {
	c, _, _, _ := newCluster(t)
	migrate := c.Start("migrate", nil, "migrate")
	if !migrate.Wait(60*time.Second) || migrate.Err() != nil {
		t.Fatalf("hokm migrate: %v", migrate.Err())
	}
	addr := procs.FreePort(t)
	gw := c.Start("gateway", []string{"HOKM_HTTP_ADDR=" + addr}, "gateway")
	c.Start("worker w1", []string{"HOKM_WORKER_ID=w1"}, "worker")
	c.Start("worker w2", []string{"HOKM_WORKER_ID=w2"}, "worker")
	gw.WaitReady(addr)

	cl := dialWS(t, addr)
	cl.request(map[string]any{"type": "hello", "name": "sleeper"})
	var created struct {
		Table string `json:"table"`
	}
	data := cl.request(map[string]any{"type": "create_table", "rules": map[string]any{"target": 3},
		"options": map[string]any{"turn_seconds": 5, "trump_seconds": 5, "max_timeouts": 2}})
	if err := json.Unmarshal(data, &created); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]any{
		{"type": "sit", "table": created.Table, "seat": 0},
		{"type": "add_bots", "table": created.Table},
		{"type": "start", "table": created.Table},
	} {
		cl.request(m)
	}

	// Read every event until the match ends; the player never acts.
	var timeouts []int // seq-order list of timed-out seats
	lastWasTimeout, away, over := false, false, false
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	for !over {
		f, err := cl.read(deadline)
		if err != nil {
			t.Fatalf("reading events (timeouts so far %v): %v", timeouts, err)
		}
		if f.Type != "event" {
			continue
		}
		var ev struct {
			Type  string `json:"type"`
			Seat  int    `json:"seat"`
			Table struct {
				Seats []*struct {
					Away bool `json:"away"`
				} `json:"seats"`
			} `json:"table"`
		}
		if err := json.Unmarshal(f.Event, &ev); err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case "timeout":
			if ev.Seat != 0 {
				t.Fatalf("seat %d timed out; only seat 0 has a person", ev.Seat)
			}
			timeouts = append(timeouts, ev.Seat)
			lastWasTimeout = true
			continue
		case "card_played", "trump_chosen":
			if lastWasTimeout && ev.Seat != 0 {
				t.Fatalf("the move after a timeout was seat %d's", ev.Seat)
			}
		case "table":
			if len(ev.Table.Seats) == 4 && ev.Table.Seats[0] != nil && ev.Table.Seats[0].Away {
				away = true
			}
		case "match_ended":
			over = true
		}
		lastWasTimeout = false
	}
	if len(timeouts) != 2 {
		t.Fatalf("%d timeouts for the sleeping player, want exactly 2 (then a bot takes over)", len(timeouts))
	}
	if !away {
		t.Fatal("the seat was never marked away after two timeouts")
	}
}
