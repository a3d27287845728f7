package botclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/game"
)

// fakeGateway answers the bot clients' set-up frames and, on start, sends
// every seat a scripted match start and end, so the client's checks can be
// tested without a server. It may be served on several listeners at once
// (one table spread over gateways); they share the table.
type fakeGateway struct {
	leak bool // send a trick_won of cards nobody played

	mu     sync.Mutex
	seats  [4]*fakeConn
	sat    map[string][]int // seats taken, by listener name
	hellos []string         // the token of each hello ("" for a new guest)
}

type fakeConn struct {
	mu sync.Mutex
	ws *websocket.Conn
}

func (c *fakeConn) send(v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.WriteJSON(v)
}

// hands are the first five cards of each seat.
var hands = [4][]string{
	{"2H", "3H", "4H", "5H", "6H"}, {"7H", "8H", "9H", "TH", "JH"},
	{"2D", "3D", "4D", "5D", "6D"}, {"7D", "8D", "9D", "TD", "JD"},
}

func (g *fakeGateway) serve(name string) *httptest.Server {
	up := websocket.Upgrader{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		c := &fakeConn{ws: ws}
		for {
			var req struct {
				Type  string `json:"type"`
				ID    string `json:"id"`
				Seat  int    `json:"seat"`
				Token string `json:"token"`
			}
			if err := ws.ReadJSON(&req); err != nil {
				return
			}
			ack := func(data any) { c.send(map[string]any{"type": "ack", "id": req.ID, "data": data}) }
			switch req.Type {
			case "hello":
				g.mu.Lock()
				g.hellos = append(g.hellos, req.Token)
				g.mu.Unlock()
				ack(map[string]any{"user": "u", "name": "bot", "token": "tok"})
			case "create_table":
				ack(map[string]any{"table": "t1"})
			case "sit":
				g.mu.Lock()
				g.seats[req.Seat] = c
				g.sat[name] = append(g.sat[name], req.Seat)
				g.mu.Unlock()
				info := map[string]any{"id": "t1", "rules": map[string]any{"target": 3}, "status": "waiting", "match": 0}
				c.send(map[string]any{"type": "snapshot", "table": "t1", "seq": 1, "table_info": info, "view": nil})
				ack(map[string]any{"seq": 1})
			case "ready":
				ack(map[string]any{"seq": 1})
			case "start":
				ack(map[string]any{"seq": g.start()})
			} // trump and play are left unanswered: the script ends the match
		}
	}))
}

// start sends each seat the script and returns the last seq.
func (g *fakeGateway) start() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	var evs [4][]map[string]any
	public := func(e map[string]any) {
		for s := range evs {
			evs[s] = append(evs[s], e)
		}
	}
	public(map[string]any{"type": "table", "table": map[string]any{"id": "t1", "rules": map[string]any{"target": 3}, "status": "playing", "match": 1}})
	public(map[string]any{"type": "match_started", "hand": 0, "first_hakem": 0, "draw": []string{"AS"}})
	public(map[string]any{"type": "hand_started", "hand": 0, "hakem": 0, "dealer": 3})
	for dealt := range 4 {
		for s := range evs {
			e := map[string]any{"type": "cards_dealt", "hand": 0, "seat": dealt, "count": 5}
			if s == dealt {
				e["cards"] = hands[dealt]
			}
			evs[s] = append(evs[s], e)
		}
	}
	if g.leak { // the client's state ignores a trick_won's cards; only the leak check reads them
		public(map[string]any{"type": "trick_won", "hand": 0, "winner": 0, "leader": 0, "cards": []string{"2S", "3S", "4S", "5S"}, "tricks": []int{1, 0}})
	}
	public(map[string]any{"type": "match_ended", "hand": 0, "winner": 1, "score": []int{0, 3}})
	for s, c := range g.seats {
		for i, e := range evs[s] {
			c.send(map[string]any{"type": "event", "table": "t1", "seq": 2 + i, "event": e})
		}
	}
	return 1 + len(evs[0])
}

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

func runFake(t *testing.T, g *fakeGateway, opts Options) Report {
	t.Helper()
	g.sat = map[string][]int{}
	a, b := g.serve("a"), g.serve("b")
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	if opts.URLs != nil {
		opts.URLs = []string{wsURL(a), wsURL(b)}
	} else {
		opts.URL = wsURL(a)
	}
	opts.Matches, opts.Parallel, opts.Timeout = 1, 1, 10*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRunFailsOnLeak: with CheckLeaks, a frame naming cards the seat may
// not see fails the match; without it the same match completes.
func TestRunFailsOnLeak(t *testing.T) {
	rep := runFake(t, &fakeGateway{leak: true}, Options{CheckLeaks: true})
	if rep.Completed != 0 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "hidden card leak") ||
		!strings.Contains(rep.Errors[0], "[2S 3S 4S 5S]") {
		t.Fatalf("leaking match: %+v", rep)
	}
	rep = runFake(t, &fakeGateway{leak: true}, Options{})
	if rep.Completed != 1 || rep.FramesChecked != 0 {
		t.Fatalf("same match without the check: %+v", rep)
	}
}

// TestRunCleanMatch: the scripted match passes the check, and the report
// carries the outcome the four seats saw.
func TestRunCleanMatch(t *testing.T) {
	rep := runFake(t, &fakeGateway{}, Options{CheckLeaks: true})
	if rep.Completed != 1 || len(rep.Errors) > 0 {
		t.Fatalf("report %+v", rep)
	}
	// Each seat: the hello ack, the sit's snapshot and ack, 8 events; seat 0
	// also the create_table and start acks, seats 1-3 the ready acks.
	if rep.FramesChecked != 4*(1+2+8)+2+3 {
		t.Errorf("%d frames checked", rep.FramesChecked)
	}
	want := MatchSummary{ID: "t1-1", Score: [2]int{0, 3}, Winner: 1}
	if len(rep.Results) != 1 || rep.MatchIDs[0] != "t1-1" || fmt.Sprint(rep.Results[0]) != fmt.Sprint(want) {
		t.Fatalf("results %+v, ids %v", rep.Results, rep.MatchIDs)
	}
}

// TestRunSpreadsSeatsOverURLs: seat i dials URLs[i % len(URLs)].
func TestRunSpreadsSeatsOverURLs(t *testing.T) {
	g := &fakeGateway{}
	rep := runFake(t, g, Options{URLs: []string{}, CheckLeaks: true})
	if rep.Completed != 1 {
		t.Fatalf("report %+v", rep)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	a, b := slices.Sorted(slices.Values(g.sat["a"])), slices.Sorted(slices.Values(g.sat["b"]))
	if !slices.Equal(a, []int{0, 2}) || !slices.Equal(b, []int{1, 3}) {
		t.Fatalf("seats on a %v, on b %v", a, b)
	}
}

func TestRunOptions(t *testing.T) {
	for _, o := range []Options{{Matches: 1, Parallel: 1}, {URLs: []string{"ws://x/ws", ""}, Matches: 1, Parallel: 1},
		{URL: "ws://x/ws", Matches: 0, Parallel: 1}, {URL: "ws://%zz", Matches: 1, Parallel: 1}} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestSeatsMustAgree: a match whose seats saw different outcomes fails.
func TestSeatsMustAgree(t *testing.T) {
	var cs [4]*client
	for i := range cs {
		w := 0
		cs[i] = &client{state: seatState{seat: i, winner: &w, hands: []game.HandResult{{Hakem: 1, Points: 1}}}}
		cs[i].state.view.Score = [2]int{3, 1}
	}
	if _, err := agree("x-1", cs); err != nil {
		t.Fatal(err)
	}
	cs[2].state.hands = []game.HandResult{{Hakem: 1, Points: 2}}
	if _, err := agree("x-1", cs); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("disagreeing seats: %v", err)
	}
	cs[3].state.winner = nil
	if _, err := agree("x-1", cs); err == nil {
		t.Fatal("a seat without match_ended passed")
	}
}

// TestRunKeepsSessions: a worker's clients resume the sessions of its
// previous match, so a run starts 4 guests per parallel table, not per
// match (the server limits new guests per IP).
func TestRunKeepsSessions(t *testing.T) {
	g := &fakeGateway{sat: map[string][]int{}}
	a := g.serve("a")
	t.Cleanup(a.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{URL: wsURL(a), Matches: 3, Parallel: 1, Timeout: 10 * time.Second})
	if err != nil || rep.Completed != 3 {
		t.Fatalf("report %+v %v", rep, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	guests := 0
	for _, tok := range g.hellos {
		if tok == "" {
			guests++
		} else if tok != "tok" {
			t.Fatalf("hello with token %q, want the session's", tok)
		}
	}
	if guests != 4 || len(g.hellos) != 12 {
		t.Fatalf("hellos %q: want 4 new guests, then their sessions resumed", g.hellos)
	}
}
