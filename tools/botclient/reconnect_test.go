package botclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// tableFake is a fake gateway (served on several listeners at once) with
// one table that keeps each seat's copy of every event in a log, so that
// a client that reconnects can hello with its token and sync. Its match is
// short: seat 0 is the Hakem, and once its trump is applied the hand and
// the match end. What a trump does is up to the test (onTrump); a trump
// whose id was answered before gets that answer again, as the server's.
type tableFake struct {
	t       *testing.T
	onTrump func(f *tableFake, c *fakeConn, id, suit string, n int) // n counts the trumps not answered before, from 1

	mu      sync.Mutex
	conns   [4]*fakeConn      // each seat's latest socket
	log     [][4]any          // log[i] is seq i+1, as each seat sees it
	answers map[string][]byte // by trump id
	trumps  []string          // "id suit" of every trump frame received
	hellos  []string          // "listener seat token" of every hello
	syncs   []string          // "listener seat after epoch" of every sync
	applied []string          // suits applied
	calls   int               // of onTrump
	match   int               // matches started
	starts  int               // start frames
	backs   int               // back frames
	sits    []int             // seats of the sit frames (with seated)
	// seated, when set, makes sits, readies and starts behave as the
	// server's with seats shown: the table objects name who sits where
	// (and who is ready, and u0 as the host), and each sit or ready is a
	// table event to everyone seated.
	seated *[4]string
	ready  [4]bool // with seated: the seats' ready flags
	readys []int   // seats of the ready frames
	// onStart, when set, answers the start frames instead (n counts them,
	// from 1) unless it returns false.
	onStart func(f *tableFake, c *fakeConn, id string, n int) bool
	// Abuse limits, as the gateway's: the first limitUpgrades upgrades are
	// refused with HTTP 429 (Retry-After: 1), the first limitHellos guest
	// hellos and limitCreates create_tables with rate_limited
	// (retry_after 1; a hello's socket is then closed 1013). limitLog
	// records each refusal and each request that follows, with its time.
	limitUpgrades, limitHellos, limitCreates int
	limitLog                                 []limitEntry
}

type limitEntry struct {
	what string
	at   time.Time
}

func newTableFake(t *testing.T, onTrump func(f *tableFake, c *fakeConn, id, suit string, n int)) *tableFake {
	return &tableFake{t: t, onTrump: onTrump, answers: map[string][]byte{}}
}

type fakeReq struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	Token string `json:"token"`
	Table string `json:"table"`
	Seat  int    `json:"seat"`
	Suit  string `json:"suit"`
	After *int64 `json:"after"`
	Epoch *int64 `json:"epoch"`
}

func (f *tableFake) serve(name string) *httptest.Server {
	up := websocket.Upgrader{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if f.limitUpgrades > 0 {
			f.limitUpgrades--
			f.limitLog = append(f.limitLog, limitEntry{"429", time.Now()})
			f.mu.Unlock()
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"code":"rate_limited"}`, http.StatusTooManyRequests)
			return
		}
		f.mu.Unlock()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		c, seat := &fakeConn{ws: ws}, -1
		for {
			var req fakeReq
			if err := ws.ReadJSON(&req); err != nil {
				return
			}
			seat = f.handle(name, c, seat, &req)
		}
	}))
}

// refusing is a gateway that is draining: every upgrade gets 503.
func refusing() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"code":"unavailable"}`, http.StatusServiceUnavailable)
	}))
}

func ackFrame(id string, data any) []byte {
	b, _ := json.Marshal(map[string]any{"type": "ack", "id": id, "data": data})
	return b
}

func (c *fakeConn) raw(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, b)
}

// handle answers one frame of the socket c, whose seat is seat (-1 before
// hello says), and returns the seat.
func (f *tableFake) handle(listener string, c *fakeConn, seat int, req *fakeReq) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Type == "hello" || req.Type == "create_table" {
		f.limitLog = append(f.limitLog, limitEntry{req.Type, time.Now()})
	}
	switch {
	case req.Type == "hello" && req.Token == "" && f.limitHellos > 0:
		f.limitHellos--
		f.limitLog = append(f.limitLog, limitEntry{"hello refused", time.Now()})
		c.raw([]byte(`{"type":"error","id":"` + req.ID + `","code":"rate_limited","message":"m","retry_after":1}`))
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "limited"),
			time.Now().Add(time.Second))
		return seat
	case req.Type == "create_table" && f.limitCreates > 0:
		f.limitCreates--
		f.limitLog = append(f.limitLog, limitEntry{"create_table refused", time.Now()})
		c.raw([]byte(`{"type":"error","id":"` + req.ID + `","code":"rate_limited","message":"m","retry_after":1}`))
		return seat
	}
	switch req.Type {
	case "hello":
		if req.Token != "" {
			seat, _ = strconv.Atoi(strings.TrimPrefix(req.Token, "tok-"))
			f.conns[seat] = c
		} else {
			seat, _ = strconv.Atoi(strings.TrimPrefix(req.Name, "bot"))
		}
		f.hellos = append(f.hellos, listener+" "+strconv.Itoa(seat)+" "+req.Token)
		c.raw(ackFrame(req.ID, map[string]any{"user": "u" + strconv.Itoa(seat), "name": req.Name, "token": "tok-" + strconv.Itoa(seat)}))
	case "create_table":
		f.log = append(f.log, public(map[string]any{"type": "table", "table": fakeMeta("waiting", 0)}))
		c.raw(ackFrame(req.ID, map[string]any{"table": "t1"}))
	case "sit":
		f.conns[req.Seat] = c
		if f.seated != nil {
			f.sits = append(f.sits, req.Seat)
			f.seated[req.Seat] = "u" + strconv.Itoa(seat)
			f.emit(public(map[string]any{"type": "table", "table": f.meta("waiting", f.match)}), req.Seat)
		}
		c.send(map[string]any{"type": "snapshot", "table": "t1", "seq": len(f.log), "table_info": f.meta("waiting", f.match), "view": nil})
		c.raw(ackFrame(req.ID, map[string]any{"seq": len(f.log)}))
	case "ready":
		f.readys = append(f.readys, seat)
		if f.seated != nil {
			f.ready[seat] = true
			f.emit(public(map[string]any{"type": "table", "table": f.meta("waiting", f.match)}))
		}
		c.raw(ackFrame(req.ID, map[string]any{"seq": len(f.log)}))
	case "start":
		f.starts++
		if f.onStart != nil && f.onStart(f, c, req.ID, f.starts) {
			return seat
		}
		if code := f.notStartable(); code != "" {
			c.raw([]byte(`{"type":"error","id":"` + req.ID + `","code":"` + code + `","message":"m"}`))
			return seat
		}
		f.match++
		f.ready = [4]bool{}
		f.start()
		c.raw(ackFrame(req.ID, map[string]any{"seq": len(f.log)}))
	case "sync":
		f.syncs = append(f.syncs, listener+" "+strconv.Itoa(seat)+" "+optional(req.After)+" "+optional(req.Epoch))
		if req.After != nil {
			for i := int(*req.After); i < len(f.log); i++ {
				c.send(map[string]any{"type": "event", "table": "t1", "seq": i + 1, "event": f.log[i][seat]})
			}
		}
		c.raw(ackFrame(req.ID, map[string]any{"seq": len(f.log)}))
	case "back":
		f.backs++
		c.raw(ackFrame(req.ID, map[string]any{"seq": len(f.log)}))
	case "trump":
		f.trumps = append(f.trumps, req.ID+" "+req.Suit)
		if a, ok := f.answers[req.ID]; ok {
			f.finish() // the match ends once the resent trump is answered
			c.raw(a)
			return seat
		}
		f.calls++
		f.onTrump(f, c, req.ID, req.Suit, f.calls)
	default:
		f.t.Errorf("fake gateway: unexpected %s", req.Type)
	}
	return seat
}

// notStartable is the server's refusal of a start (with seated), or "".
func (f *tableFake) notStartable() string {
	if f.seated == nil {
		return ""
	}
	for i, u := range f.seated {
		switch {
		case u == "":
			return "table_not_full"
		case i > 0 && !f.ready[i]:
			return "players_not_ready"
		}
	}
	return ""
}

func optional(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

func fakeMeta(status string, match int) map[string]any {
	return map[string]any{"id": "t1", "rules": map[string]any{"target": 3}, "status": status, "match": match}
}

// meta is fakeMeta with the seats when the fake shows them.
func (f *tableFake) meta(status string, match int) map[string]any {
	m := fakeMeta(status, match)
	if f.seated != nil {
		var seats [4]any
		for i, u := range f.seated {
			if u != "" {
				seats[i] = map[string]any{"id": u, "name": "bot", "ready": f.ready[i]}
			}
		}
		m["seats"], m["host"] = seats, "u0"
	}
	return m
}

func public(e map[string]any) [4]any { return [4]any{e, e, e, e} }

// emit appends an event to the log and sends each seat its copy, except
// to the seats skipped (their socket is about to go: they get it by sync).
func (f *tableFake) emit(e [4]any, skip ...int) {
	f.log = append(f.log, e)
	for s, c := range f.conns {
		if c != nil && !contains(skip, s) {
			c.send(map[string]any{"type": "event", "table": "t1", "seq": len(f.log), "event": e[s]})
		}
	}
}

func contains(list []int, x int) bool {
	for _, y := range list {
		if x == y {
			return true
		}
	}
	return false
}

func (f *tableFake) start() {
	f.emit(public(map[string]any{"type": "table", "table": f.meta("playing", max(f.match, 1))}))
	f.emit(public(map[string]any{"type": "match_started", "hand": 0, "first_hakem": 0, "draw": []string{"AS"}}))
	f.emit(public(map[string]any{"type": "hand_started", "hand": 0, "hakem": 0, "dealer": 3}))
	for dealt := range 4 {
		var e [4]any
		for s := range e {
			ev := map[string]any{"type": "cards_dealt", "hand": 0, "seat": dealt, "count": 5}
			if s == dealt {
				ev["cards"] = hands[dealt]
			}
			e[s] = ev
		}
		f.emit(e)
	}
}

// apply applies seat 0's trump (sending it to every seat but skip) and
// records the answer to id.
func (f *tableFake) apply(id, suit string, skip ...int) []byte {
	f.applied = append(f.applied, suit)
	f.emit(public(map[string]any{"type": "trump_chosen", "hand": 0, "seat": 0, "suit": suit}), skip...)
	f.answers[id] = ackFrame(id, map[string]any{"seq": len(f.log)})
	return f.answers[id]
}

// end applies the trump id, ends the match and answers the trump on c.
func (f *tableFake) end(c *fakeConn, id, suit string) {
	a := f.apply(id, suit)
	f.finish()
	c.raw(a)
}

// finish ends the hand and the match: 3 points to team 0 (a Kot).
func (f *tableFake) finish() {
	f.emit(public(map[string]any{"type": "hand_ended", "hand": 0, "score": []int{3, 0},
		"result": map[string]any{"hakem": 0, "trump": f.applied[len(f.applied)-1], "tricks": []int{7, 0}, "winner": 0, "points": 3, "kind": "hakem_kot"}}))
	f.emit(public(map[string]any{"type": "match_ended", "hand": 0, "winner": 0, "score": []int{3, 0}}))
}

// kill closes the socket at once, as a crashed gateway or a broken
// network would.
func kill(c *fakeConn) { c.ws.Close() }

// byeShutdown drains the socket as a gateway's Shutdown does.
func byeShutdown(c *fakeConn) { byeClose(c, "shutdown", websocket.CloseGoingAway) }

func byeClose(c *fakeConn, reason string, code int) {
	c.send(map[string]any{"type": "bye", "reason": reason})
	c.mu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.mu.Unlock()
	c.ws.Close()
}

// runTableFake plays one match against the fake on the listeners a, a
// refusing one (503) and b; with NoReconnect, which cannot pass over the
// refusing one, on a and b.
func runTableFake(t *testing.T, f *tableFake, opts Options) Report {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	a, r, b := f.serve("a"), refusing(), f.serve("b")
	opts.URLs = []string{wsURL(a), wsURL(r), wsURL(b)}
	if opts.NoReconnect {
		opts.URLs = []string{wsURL(a), wsURL(b)}
	}
	opts.Matches, opts.Parallel, opts.Timeout, opts.CheckLeaks = 1, 1, 40*time.Second, true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	r.Close()
	b.Close()
	goleak.VerifyNone(t, ignore) // no reader of an abandoned socket is left behind
	return rep
}

// TestReconnect: seat 0's socket goes away while its trump is unanswered
// (closed before the gateway applied it, or drained with bye shutdown
// after it was applied). The client reconnects to the next gateway of the
// list that takes it (passing over one that refuses with 503), says hello
// with the token of its first hello, syncs from the last seq it had,
// sends the trump again with the same id, and the match completes with
// the trump applied once.
func TestReconnect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		onTrump func(f *tableFake, c *fakeConn, id, suit string, n int)
		syncGot int // events the sync must send
	}{
		{"socket closed, trump not applied", func(f *tableFake, c *fakeConn, id, suit string, n int) {
			if n == 1 {
				kill(c)
				return
			}
			f.end(c, id, suit)
		}, 0},
		{"bye shutdown, trump applied", func(f *tableFake, c *fakeConn, id, suit string, n int) {
			f.apply(id, suit, 0) // seat 0 gets its trump_chosen from the sync
			byeShutdown(c)
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTableFake(t, tc.onTrump)
			rep := runTableFake(t, f, Options{})
			if rep.Completed != 1 || len(rep.Errors) > 0 {
				t.Fatalf("report %+v", rep)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			// Seat 1 started at the refusing gateway and went on to b.
			want := []string{"a 0 ", "b 1 ", "b 2 ", "a 3 ", "b 0 tok-0"}
			if strings.Join(f.hellos, ",") != strings.Join(want, ",") {
				t.Fatalf("hellos %q, want %q", f.hellos, want)
			}
			seqBefore := 8 // table, table, match_started, hand_started, 4 × cards_dealt
			if len(f.syncs) != 1 || f.syncs[0] != "b 0 "+strconv.Itoa(seqBefore)+" -" {
				t.Fatalf("syncs %q, want seat 0 on b after %d without epoch", f.syncs, seqBefore)
			}
			if len(f.trumps) != 2 || f.trumps[0] != f.trumps[1] || len(f.applied) != 1 {
				t.Fatalf("trumps %q (want one sent twice with the same id), applied %q", f.trumps, f.applied)
			}
			if rep.Reconnects != 1 || len(rep.ReconnectTimes) != 1 || rep.ReconnectLatency.Max <= 0 ||
				rep.ReconnectLatency.Max != rep.ReconnectLatency.P50 || rep.Moves != 1 || rep.DroppedMoves != 0 {
				t.Fatalf("reconnects %d %v %+v, moves %d, dropped %d", rep.Reconnects, rep.ReconnectTimes,
					rep.ReconnectLatency, rep.Moves, rep.DroppedMoves)
			}
			if r := rep.Results[0]; r.Score != [2]int{3, 0} || r.Winner != 0 || len(r.Hands) != 1 {
				t.Fatalf("result %+v", r)
			}
		})
	}
}

// TestNoReconnectOrKick: with NoReconnect a lost socket fails the match;
// and a bye replaced, or a close 1008 (a kick), fails it in any case.
func TestNoReconnectOrKick(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		onTrump func(f *tableFake, c *fakeConn, id, suit string, n int)
		err     string
	}{
		{"no reconnect, closed", Options{NoReconnect: true}, func(_ *tableFake, c *fakeConn, _, _ string, _ int) { kill(c) }, "connection lost"},
		{"no reconnect, bye shutdown", Options{NoReconnect: true}, func(_ *tableFake, c *fakeConn, _, _ string, _ int) { byeShutdown(c) }, "bye shutdown"},
		{"replaced", Options{}, func(_ *tableFake, c *fakeConn, _, _ string, _ int) {
			byeClose(c, "replaced", websocket.CloseNormalClosure)
		}, `bye "replaced"`},
		{"logged out", Options{}, func(_ *tableFake, c *fakeConn, _, _ string, _ int) {
			byeClose(c, "logged_out", websocket.ClosePolicyViolation)
		}, `bye "logged_out"`},
		{"closed 1008", Options{}, func(_ *tableFake, c *fakeConn, _, _ string, _ int) {
			c.mu.Lock()
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "flood"), time.Now().Add(time.Second))
			c.mu.Unlock()
		}, "closed by the server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTableFake(t, tc.onTrump)
			rep := runTableFake(t, f, tc.opts)
			if rep.Completed != 0 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], tc.err) {
				t.Fatalf("report %+v, want one error with %q", rep, tc.err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.hellos) != 4 || len(f.syncs) != 0 || rep.Reconnects != 0 {
				t.Fatalf("hellos %q, syncs %q, reconnects %d: the client tried to come back", f.hellos, f.syncs, rep.Reconnects)
			}
		})
	}
}

// resyncView is seat s's view of the rebuilt table: still hand 0 and
// seat 0 the Hakem to choose trump, but from other cards than the first
// deal (seat 0 now holds mostly spades).
func resyncView(s int) map[string]any {
	cards := [4][]string{{"AS", "KS", "QS", "2D", "3C"}, {"7H", "8H", "9H", "TH", "JH"},
		{"4D", "5D", "6D", "7D", "8D"}, {"2C", "4C", "5C", "6C", "7C"}}
	return map[string]any{"seat": s, "rules": map[string]any{"target": 3}, "phase": "trump", "hand": 0, "hakem": 0,
		"dealer": 3, "trump": nil, "turn": 0, "cards": cards[s], "legal": []string{}, "hand_sizes": []int{5, 5, 5, 5},
		"trick": map[string]any{"leader": 0, "plays": []any{}}, "done": []any{}, "tricks": []int{0, 0},
		"score": []int{0, 0}, "results": []any{}, "winner": nil}
}

// TestResync: while seat 0's first trump is pending the table is rebuilt
// (a resync to every seat, 3 seqs back, with another deal) and the trump
// is answered not_your_turn. The client adopts the resync, drops the
// move, and decides again from the new cards (spades, not hearts). That
// second trump's socket is then lost: the reconnect syncs from the
// resync's seq with its epoch, the trump is sent again with its id, and
// the match completes; the leak check accepts the resync's cards.
func TestResync(t *testing.T) {
	const restoredSeq, epoch = 5, 2
	f := newTableFake(t, func(f *tableFake, c *fakeConn, id, suit string, n int) {
		switch n {
		case 1:
			back := len(f.log) - restoredSeq
			f.log = f.log[:restoredSeq]
			for s, sc := range f.conns {
				sc.send(map[string]any{"type": "resync", "table": "t1", "seq": restoredSeq, "epoch": epoch,
					"reason": "restored", "back": back, "table_info": fakeMeta("playing", 1), "view": resyncView(s)})
			}
			f.answers[id] = []byte(`{"type":"error","id":"` + id + `","code":"not_your_turn","message":"not your turn"}`)
			c.raw(f.answers[id])
		case 2:
			kill(c)
		default:
			f.end(c, id, suit)
		}
	})
	rep := runTableFake(t, f, Options{})
	if rep.Completed != 1 || len(rep.Errors) > 0 {
		t.Fatalf("report %+v", rep)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := func(i int) string { return strings.Fields(f.trumps[i])[0] }
	if len(f.trumps) != 3 || !strings.HasSuffix(f.trumps[0], " H") || f.trumps[1] != f.trumps[2] ||
		!strings.HasSuffix(f.trumps[1], " S") || ids(0) == ids(1) {
		t.Fatalf("trumps %q: want H, then S from the resync's cards with a new id, sent twice", f.trumps)
	}
	if want := "b 0 " + strconv.Itoa(restoredSeq) + " " + strconv.Itoa(epoch); len(f.syncs) != 1 || f.syncs[0] != want {
		t.Fatalf("syncs %q, want %q", f.syncs, want)
	}
	if rep.Resyncs != 4 || rep.Reconnects != 1 || rep.DroppedMoves != 1 || rep.Moves != 1 {
		t.Fatalf("resyncs %d, reconnects %d, dropped %d, moves %d", rep.Resyncs, rep.Reconnects, rep.DroppedMoves, rep.Moves)
	}
	if r := rep.Results[0]; r.Score != [2]int{3, 0} || len(r.Hands) != 1 || r.Hands[0].Trump.String() != "S" {
		t.Fatalf("result %+v", r)
	}
	b, _ := json.Marshal(rep)
	for _, k := range []string{`"reconnects":1`, `"reconnect_ms":{"p50":`, `"resyncs":4`, `"dropped_moves":1`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("report JSON %s lacks %s", b, k)
		}
	}
}

// TestRejoinAfterTableWentBack: while seat 0's trump is pending, the
// table is rebuilt from a copy older than the match's start (the server
// lost the start with Redis): a resync shows it waiting, with only seat 0
// still seated, and the trump is answered not_in_game. The other three sit
// again and say they are ready again, seat 0 (the host) starts the match
// again once all four are seated and ready, and the match is played to its
// end.
func TestRejoinAfterTableWentBack(t *testing.T) {
	var seated [4]string
	f := newTableFake(t, func(f *tableFake, c *fakeConn, id, suit string, n int) {
		if n > 1 {
			f.end(c, id, suit)
			return
		}
		f.log, f.match = f.log[:2], 0 // created, seat 0 sat
		seated = [4]string{"u0"}
		for _, sc := range f.conns {
			sc.send(map[string]any{"type": "resync", "table": "t1", "seq": 2, "epoch": 2, "reason": "restored",
				"back": 10, "table_info": f.meta("waiting", 0), "view": nil})
		}
		c.raw([]byte(`{"type":"error","id":"` + id + `","code":"not_in_game","message":"you are not at this table"}`))
	})
	f.seated = &seated
	rep := runTableFake(t, f, Options{})
	f.mu.Lock()
	defer f.mu.Unlock()
	if rep.Completed != 1 || len(rep.Errors) > 0 {
		t.Fatalf("report %+v; sits %v, ready frames from %v, starts %d, seated %v", rep, f.sits, f.readys, f.starts, seated)
	}
	if again := f.sits[4:]; len(again) != 3 || contains(again, 0) || f.starts != 2 || f.match != 1 {
		t.Fatalf("sits %v, starts %d: want seats 1-3 taken again and a second start", f.sits, f.starts)
	}
	if len(f.readys) != 6 || contains(f.readys, 0) {
		t.Fatalf("ready frames from seats %v: want seats 1-3, twice each", f.readys)
	}
	if rep.Rejoins != 3 || rep.Resyncs != 4 || rep.DroppedMoves != 1 {
		t.Fatalf("rejoins %d, resyncs %d, dropped %d", rep.Rejoins, rep.Resyncs, rep.DroppedMoves)
	}
}

// TestRejoinWhenTheStartWentBack: between the readies and the start the
// table is rebuilt from a copy in which only seat 0 sits (Redis lost it and
// the journal did not have the last sits): the start is refused
// players_not_ready and a resync shows the table waiting. The set-up does
// not fail: the three others sit and say they are ready again, the host
// starts again, and the match is played.
func TestRejoinWhenTheStartWentBack(t *testing.T) {
	var seated [4]string
	f := newTableFake(t, func(f *tableFake, c *fakeConn, id, suit string, n int) {
		f.end(c, id, suit)
	})
	f.seated = &seated
	f.onStart = func(f *tableFake, c *fakeConn, id string, n int) bool {
		if n > 1 {
			return false
		}
		c.raw([]byte(`{"type":"error","id":"` + id + `","code":"players_not_ready","message":"not everyone seated is ready"}`))
		f.log, f.ready = f.log[:2], [4]bool{}
		seated = [4]string{"u0"}
		for _, sc := range f.conns {
			sc.send(map[string]any{"type": "resync", "table": "t1", "seq": 2, "epoch": 2, "reason": "restored",
				"back": 7, "table_info": f.meta("waiting", 0), "view": nil})
		}
		return true
	}
	rep := runTableFake(t, f, Options{})
	f.mu.Lock()
	defer f.mu.Unlock()
	if rep.Completed != 1 || len(rep.Errors) > 0 {
		t.Fatalf("report %+v; sits %v, ready frames from %v, starts %d, seated %v", rep, f.sits, f.readys, f.starts, seated)
	}
	// The host may try once more before the others are back (its view is
	// behind the resync), which is refused as the server would.
	if again := f.sits[4:]; len(again) != 3 || contains(again, 0) || f.starts < 2 || f.match != 1 {
		t.Fatalf("sits %v, starts %d, matches %d: want seats 1-3 taken again and one match started", f.sits, f.starts, f.match)
	}
	if rep.Rejoins != 3 || rep.Resyncs != 4 {
		t.Fatalf("rejoins %d, resyncs %d", rep.Rejoins, rep.Resyncs)
	}
}

// TestStartAnsweredAgainAfterItRan: the host's start is applied but
// answered unavailable (its answer lost, as with Redis), and the start sent
// again with the same id is judged anew: match_running. The set-up does not
// fail — the running match is the host's own — and the match is played.
// A start refused match_running the first time it is sent still fails.
func TestStartAnsweredAgainAfterItRan(t *testing.T) {
	for _, resend := range []bool{true, false} {
		f := newTableFake(t, func(f *tableFake, c *fakeConn, id, suit string, n int) {
			f.end(c, id, suit)
		})
		f.onStart = func(f *tableFake, c *fakeConn, id string, n int) bool {
			if n == 1 {
				f.match++
				f.start()
				if resend {
					c.raw([]byte(`{"type":"error","id":"` + id + `","code":"unavailable","message":"m"}`))
					return true
				}
			}
			c.raw([]byte(`{"type":"error","id":"` + id + `","code":"match_running","message":"a match is running"}`))
			return true
		}
		rep := runTableFake(t, f, Options{})
		f.mu.Lock()
		if resend && (rep.Completed != 1 || len(rep.Errors) > 0 || f.starts != 2) {
			t.Errorf("start sent again, refused match_running: report %+v, starts %d; want the match played", rep, f.starts)
		}
		if !resend && (rep.Completed != 0 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "start refused: match_running")) {
			t.Errorf("start refused match_running when first sent: report %+v; want it failed", rep)
		}
		f.mu.Unlock()
	}
}

// TestRulesErrorWithoutChangeFails: a move refused by the rules with no
// resync, snapshot or reconnect since it was sent is the bot's fault and
// fails the match; only a changed state excuses it.
func TestRulesErrorWithoutChangeFails(t *testing.T) {
	f := newTableFake(t, func(_ *tableFake, c *fakeConn, id, _ string, _ int) {
		c.raw([]byte(`{"type":"error","id":"` + id + `","code":"not_your_turn","message":"not your turn"}`))
	})
	rep := runTableFake(t, f, Options{})
	if rep.Completed != 0 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "move refused: not_your_turn") {
		t.Fatalf("report %+v", rep)
	}
}

// TestSeatAwayTakesTheSeatBack: a move refused seat_away (the server's bot
// played the seat while the client was not at the table: not yet called to
// it, or gone) is followed by "back", as a player's, and decided again;
// the match completes.
func TestSeatAwayTakesTheSeatBack(t *testing.T) {
	f := newTableFake(t, func(f *tableFake, c *fakeConn, id, suit string, n int) {
		if n == 1 {
			c.raw([]byte(`{"type":"error","id":"` + id + `","code":"seat_away","message":"the bot plays this seat: send back first"}`))
			return
		}
		if f.backs == 0 {
			f.t.Errorf("trump %d sent before the seat was taken back", n)
		}
		f.end(c, id, suit)
	})
	rep := runTableFake(t, f, Options{})
	if rep.Completed != 1 || len(rep.Errors) > 0 || rep.Backs != 1 || rep.DroppedMoves != 1 {
		t.Fatalf("report %+v", rep)
	}
	if f.backs != 1 || f.calls != 2 || len(f.trumps) != 2 || strings.Fields(f.trumps[0])[0] == strings.Fields(f.trumps[1])[0] {
		t.Fatalf("backs %d, trumps %v: want one back, then the trump decided again under a new id", f.backs, f.trumps)
	}
}

func TestBackoff(t *testing.T) {
	for n, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		4: 800 * time.Millisecond, 5: 1600 * time.Millisecond, 6: 2 * time.Second, 40: 2 * time.Second} {
		lo, hi := base/2, base*3/2
		for range 50 {
			if d := backoff(n); d < lo || d > hi {
				t.Fatalf("backoff(%d) = %v, want %v..%v", n, d, lo, hi)
			}
		}
	}
}

// TestStopwatch: a card is timed when all four clients saw it live, not
// when one got it in a catch-up or it was sent again; played again after
// a resync took it back, it is timed afresh.
func TestStopwatch(t *testing.T) {
	w := newStopwatch(nil)
	as, ks, qs := ck(t, 0, 0, "AS"), ck(t, 0, 1, "KS"), ck(t, 0, 2, "QS")
	w.start(as)
	for range 4 {
		w.saw(as)
	}
	w.start(ks)
	w.untime(ks)
	for range 4 {
		w.saw(ks)
	}
	w.start(qs)
	for range 3 {
		w.saw(qs)
	}
	w.untime(qs) // the fourth client caught up by sync
	if n := len(w.latencies()); n != 1 {
		t.Fatalf("%d moves timed, want 1", n)
	}
	w.start(ks) // the same card again, after a resync
	for range 4 {
		w.saw(ks)
	}
	if n := len(w.latencies()); n != 2 {
		t.Fatalf("%d moves timed, want 2", n)
	}
}

// TestBackOffOnRateLimited: a client refused by an abuse limit — HTTP 429
// at the upgrade, rate_limited on its hello (socket closed 1013) or on
// create_table — waits at least the retry hint (1 s here) before trying
// again, and the match completes.
func TestBackOffOnRateLimited(t *testing.T) {
	f := newTableFake(t, func(f *tableFake, c *fakeConn, id, suit string, _ int) {
		f.end(c, id, suit)
	})
	f.limitUpgrades, f.limitHellos, f.limitCreates = 1, 1, 1
	rep := runTableFake(t, f, Options{})
	if rep.Completed != 1 || len(rep.Errors) > 0 {
		t.Fatalf("report %+v", rep)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// Seat 0 connects first, alone: each refusal is followed by its own
	// next attempt (the 429 at a, then the 503 of the refusing gateway,
	// then b), which must come after the hint.
	var log []string
	for _, e := range f.limitLog {
		log = append(log, e.what)
	}
	want := []string{"429", "hello", "hello refused", "hello", "hello", "hello", "hello", "create_table", "create_table refused", "create_table"}
	if strings.Join(log, ",") != strings.Join(want, ",") {
		t.Fatalf("requests %q, want %q", log, want)
	}
	gap := func(from, to int) time.Duration { return f.limitLog[to].at.Sub(f.limitLog[from].at) }
	for _, c := range [][2]int{{0, 1}, {2, 3}, {8, 9}} {
		if d := gap(c[0], c[1]); d < time.Second {
			t.Errorf("%s then %s after %v, want at least the 1 s hint", log[c[0]], log[c[1]], d)
		}
	}
}

// TestRolledBack: seat 0's trump is applied, another event follows 30 ms
// later, then the table is rebuilt from a copy from before the trump and
// the trump answered: it was lost with Redis. The resync comes when the
// new epoch has two events already, so its seq is the trump's and the
// event's again (back 2 says they are not the same). Seat 0 chooses again
// and the match ends. The report counts one move taken back — seat 0's:
// the other seats saw it too, but it is not theirs —, a loss measured, and
// the match's summary both moves.
func TestRolledBack(t *testing.T) {
	const gap = 30 * time.Millisecond
	f := newTableFake(t, func(f *tableFake, c *fakeConn, id, suit string, n int) {
		if n > 1 {
			f.end(c, id, suit)
			return
		}
		// (answered last: with its answer seat 0 would lead a card)
		restored := len(f.log)
		a := f.apply(id, suit)
		time.Sleep(gap)
		turn := public(map[string]any{"type": "turn", "seat": 0, "deadline": 0})
		f.emit(turn)
		f.log = append(f.log[:restored], turn, turn) // the new epoch's first two events
		for s, sc := range f.conns {
			sc.send(map[string]any{"type": "resync", "table": "t1", "seq": len(f.log), "epoch": 2, "reason": "restored",
				"back": 2, "table_info": fakeMeta("playing", 1), "view": resyncView(s)})
		}
		c.raw(a)
	})
	rep := runTableFake(t, f, Options{})
	if rep.Completed != 1 || len(rep.Errors) > 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.RolledBack != 1 || rep.Moves != 2 || rep.DroppedMoves != 0 {
		t.Fatalf("rolled back %d, moves %d, dropped %d: want 1, 2, 0", rep.RolledBack, rep.Moves, rep.DroppedMoves)
	}
	// (how long it spans is the clients' reading: on a loaded machine the
	// first event is read late, so only that a loss was measured is asked)
	if rep.LongestLoss <= 0 {
		t.Fatalf("longest loss %.1f ms, want a loss measured", rep.LongestLoss)
	}
	if r := rep.Results[0]; r.Moves != 2 || r.RolledBack != 1 {
		t.Fatalf("match summary: moves %d, rolled back %d; want 2, 1", r.Moves, r.RolledBack)
	}
	b, _ := json.Marshal(rep)
	for _, k := range []string{`"rolled_back_moves":1`, `"longest_loss_ms":`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("report JSON %s lacks %s", b, k)
		}
	}
}
