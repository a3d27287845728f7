package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv"
)

func TestHello(t *testing.T) {
	e := setup(t, Options{})
	c := dial(t, e.url, nil).startReading()

	// Nothing but hello before hello.
	c.fails(protocol.Request{Type: protocol.TypePing}, protocol.CodeNotAuthenticated)
	c.fails(protocol.Request{Type: protocol.TypeCreateTable}, protocol.CodeNotAuthenticated)
	c.fails(protocol.Request{Type: protocol.TypeSync, Table: "abc"}, protocol.CodeNotAuthenticated)

	// Bad tokens of every kind get one generic answer.
	d := dial(t, e.url, nil).startReading().hello("seed")
	flipped := []byte(d.Token)
	flipped[10] ^= 1
	var msgs []string
	for _, tok := range []string{"x", strings.Repeat("A", 43), d.Token[:42], d.Token + "A", string(flipped), strings.Repeat("z", 256)} {
		f := c.fails(protocol.Request{Type: protocol.TypeHello, Token: tok}, protocol.CodeBadToken)
		msgs = append(msgs, f.Message)
	}
	for _, m := range msgs {
		if m != msgs[0] {
			t.Fatalf("bad token messages differ: %q", msgs)
		}
	}

	// A guest: a fresh user, the name cleaned.
	name := "  Ali\x07\u0085 " + strings.Repeat("x", 40)
	g := c.hello(name)
	if !strings.HasPrefix(g.User, "g_") || g.Token == "" || g.Name != table.CleanName(name) || strings.ContainsAny(g.Name, "\x07\u0085") {
		t.Fatalf("guest hello: %+v", g)
	}
	c.fails(protocol.Request{Type: protocol.TypeHello}, protocol.CodeAlreadyAuthenticated)
	c.ok(protocol.Request{Type: protocol.TypePing})

	// Resume: the same user on a new socket.
	r := dial(t, e.url, nil).startReading()
	f := r.ok(protocol.Request{Type: protocol.TypeHello, Token: g.Token, Name: "ignored"})
	var rd protocol.HelloData
	_ = json.Unmarshal(f.Data, &rd)
	if rd.User != g.User || rd.Name != g.Name || rd.Token != g.Token {
		t.Fatalf("resumed %+v, want %+v", rd, g)
	}
	bye := c.waitFor("bye", func(f *frame) bool { return f.Type == protocol.TypeBye })
	if bye.Reason != protocol.ByeReplaced || c.closeCode() != websocket.CloseNormalClosure {
		t.Fatalf("old socket: %s", bye.raw)
	}
	// A guest name with nothing printable becomes "player".
	p := dial(t, e.url, nil).startReading().hello("\x01\x02")
	if p.Name != "player" {
		t.Fatalf("name %q", p.Name)
	}
}

func TestVersionNegotiation(t *testing.T) {
	e := setup(t, Options{})
	base := strings.TrimSuffix(e.url, "?v=1")
	refused := func(url string, protos []string) {
		t.Helper()
		d := *websocket.DefaultDialer
		d.Subprotocols = protos
		_, err := tryDial(t, url, nil, &d)
		if err == nil {
			t.Fatalf("%s %v: connected", url, protos)
		}
		// Dial does not return the response on failure; ask again over HTTP.
		req, _ := http.NewRequest("GET", strings.Replace(url, "ws", "http", 1), nil)
		for _, p := range protos {
			req.Header.Add("Sec-WebSocket-Protocol", p)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != http.StatusBadRequest || body["code"] != string(protocol.CodeVersionUnsupported) {
			t.Fatalf("%s %v: %d %v", url, protos, resp.StatusCode, body)
		}
	}
	refused(base, nil)
	refused(base+"?v=3", nil)
	refused(base+"?v=0", nil)
	refused(base+"?v=hokm.v1", nil)
	refused(base+"?v=1&v=1", nil)
	refused(base+"?v=1&v=2", nil)
	refused(base, []string{"hokm.v3"})
	refused(base, []string{"1"})
	refused(base+"?v=2", []string{protocol.Subprotocol}) // they disagree
	refused(base+"?v=1", []string{"hokm.v2"})

	for _, v := range []string{"1", "2"} {
		c := dial(t, base+"?v="+v, nil)
		if c.ws.Subprotocol() != "" {
			t.Fatalf("subprotocol %q chosen without being offered", c.ws.Subprotocol())
		}
	}
	// The subprotocol: the newest of ours offered is echoed, and is the
	// version spoken (a version-2 socket's change comes as one events frame).
	for _, offer := range [][]string{{"other", protocol.Subprotocol}, {"hokm.v2", "hokm.v1"}, {"other", "hokm.v1", "hokm.v2"}} {
		d := *websocket.DefaultDialer
		d.Subprotocols = offer
		url := base
		if offer[0] == "hokm.v2" {
			url += "?v=2" // agreeing with the query is fine too
		}
		c, err := tryDial(t, url, nil, &d)
		if err != nil {
			t.Fatalf("%v: %v", offer, err)
		}
		want := offer[len(offer)-1]
		if slices.Contains(offer, "hokm.v2") {
			want = "hokm.v2"
		}
		if c.ws.Subprotocol() != want {
			t.Fatalf("offered %v: subprotocol %q, want %q echoed", offer, c.ws.Subprotocol(), want)
		}
		c.startReading().hello("x")
		var td protocol.TableData
		_ = json.Unmarshal(c.ok(protocol.Request{Type: protocol.TypeCreateTable}).Data, &td)
		c.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})
		ack := c.ok(protocol.Request{Type: protocol.TypeAddBots, Table: td.Table})
		if folded := len(c.wireOf(ack)) == 2; folded != (want == "hokm.v2") {
			t.Fatalf("offered %v: add_bots answered in %s", offer, ack.raw)
		}
	}
}

func TestOriginCheck(t *testing.T) {
	e := setup(t, Options{AllowedOrigins: []string{"https://play.example.org/"}})
	host := strings.TrimPrefix(e.http.URL, "http://")
	for origin, ok := range map[string]bool{
		"":                          true,
		"http://" + host:            true,
		"https://play.example.org":  true,
		"https://PLAY.example.org":  true,
		"https://evil.example.org":  false,
		"https://play.example.org.": false,
		"null":                      false,
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		_, err := tryDial(t, e.url, h, websocket.DefaultDialer)
		if (err == nil) != ok {
			t.Errorf("origin %q: err %v, want allowed=%v", origin, err, ok)
		}
	}
	req, _ := http.NewRequest("GET", e.http.URL+"/ws?v=1", nil)
	req.Header.Set("Origin", "https://evil.example.org")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), `"origin_not_allowed"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

// TestMalformedFrames: each bad frame gets its error, with the id when it
// can be read; nothing is enqueued and the socket stays usable.
func TestMalformedFrames(t *testing.T) {
	e := setup(t, Options{Rate: 1000, Burst: 1000})
	c := dial(t, e.url, nil).startReading()
	c.hello("x")
	f := c.ok(protocol.Request{Type: protocol.TypeCreateTable})
	var td protocol.TableData
	_ = json.Unmarshal(f.Data, &td)
	tid := td.Table
	c.ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(0)})
	c.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	streamLen := func() int64 { return e.rdb.XLen(context.Background(), e.store.Keys().Actions(0)).Val() }
	before := streamLen()

	cases := []struct {
		in   string
		code game.Code
		id   string
	}{
		{`not json`, protocol.CodeBadMessage, ""},
		{`{"type":"play","id":"m1","table":"` + tid + `","card":"AS"`, protocol.CodeBadMessage, "m1"},
		{`null`, protocol.CodeBadMessage, ""},
		{`[]`, protocol.CodeBadMessage, ""},
		{`{"type":"ping","id":"m2"}{"type":"ping","id":"m3"}`, protocol.CodeBadMessage, "m2"},
		{`{"type":"ping","id":"m4"} x`, protocol.CodeBadMessage, "m4"},
		{"{\"type\":\"hello\",\"id\":\"m5\",\"name\":\"\xc3\x28\"}", protocol.CodeBadMessage, ""},
		{`{"type":"sit","id":"m6","table":"` + tid + `","seat":"1"}`, protocol.CodeBadMessage, "m6"},
		{`{"type":"play","table":"` + tid + `","card":"AS"}`, protocol.CodeBadMessage, ""},
		{`{"type":"play","id":"m7","table":"` + tid + `","Card":"AS"}`, protocol.CodeBadMessage, "m7"},
		{`{"type":"play","id":"m8","table":"` + tid + `","card":"AS","card":"KS"}`, protocol.CodeBadMessage, "m8"},
		{`{"type":"play","id":"m9","table":"` + tid + `","card":"AS","seat":3}`, protocol.CodeBadMessage, "m9"},
		{`{"type":"create_table","id":"m10","rules":{"target":{"a":{"b":{"c":1}}}}}`, protocol.CodeBadMessage, "m10"},
		{`{"type":"dance","id":"m11"}`, protocol.CodeUnknownType, "m11"},
		{`{"type":"play","id":"m12","table":"` + tid + `","card":"10H"}`, game.CodeInvalidCard, "m12"},
		{`{"type":"trump","id":"m13","table":"` + tid + `","suit":"spades"}`, game.CodeInvalidSuit, "m13"},
		{`{"type":"create_table","id":"m14","rules":{"target":4}}`, game.Code("bad_rules"), "m14"},
	}
	for _, tc := range cases {
		c.send(tc.in)
		got := c.waitFor("error for "+tc.in, func(f *frame) bool { return f.Type == protocol.TypeError })
		if got.Code != tc.code || got.ID != tc.id {
			t.Errorf("%s: got %s, want code %s id %q", tc.in, got.raw, tc.code, tc.id)
		}
		c.ok(protocol.Request{Type: protocol.TypePing})
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping","id":"b1"}`)); err != nil {
		t.Fatal(err)
	}
	got := c.waitFor("error for a binary frame", func(f *frame) bool { return f.Type == protocol.TypeError })
	if got.Code != protocol.CodeBadMessage || got.ID != "" {
		t.Errorf("binary frame: %s", got.raw)
	}
	c.ok(protocol.Request{Type: protocol.TypePing})
	if n := streamLen(); n != before {
		t.Fatalf("malformed frames enqueued %d actions", n-before)
	}
	l, _ := e.store.LoadTable(context.Background(), tid)
	if l.Seq != 1 {
		t.Fatalf("table changed: seq %d", l.Seq)
	}
}

func TestReadLimit(t *testing.T) {
	e := setup(t, Options{})
	c := dial(t, e.url, nil).startReading()
	c.hello("x")
	c.send(`{"type":"hello","id":"big","name":"` + strings.Repeat("x", protocol.MaxFrameLen) + `"}`)
	if code := c.closeCode(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", code)
	}

	// A frame header claiming 2^63-1 bytes is refused the same way.
	r := dial(t, e.url, nil).startReading()
	hdr := []byte{0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	binary.BigEndian.PutUint64(hdr[2:10], 1<<63-1)
	if _, err := r.ws.NetConn().Write(hdr); err != nil {
		t.Fatal(err)
	}
	if code := r.closeCode(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", code)
	}
}

func TestRateLimit(t *testing.T) {
	e := setup(t, Options{Rate: 20, Burst: 10})
	c := dial(t, e.url, nil).startReading()
	c.hello("x")
	time.Sleep(600 * time.Millisecond) // refill the burst
	for i := 0; i < 15; i++ {
		c.send(`{"type":"ping","id":"r` + string(rune('a'+i)) + `"}`)
	}
	limited := c.waitFor("rate_limited", func(f *frame) bool { return f.Code == protocol.CodeRateLimited })
	if limited.ID == "" {
		t.Fatalf("rate_limited without the id: %s", limited.raw)
	}
	time.Sleep(600 * time.Millisecond)
	c.ok(protocol.Request{Type: protocol.TypePing}) // a slowed-down client goes on

	// A flood (far beyond the rate) is closed with 1008.
	for i := 0; i < 1000; i++ {
		if c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","id":"f"}`)) != nil {
			break
		}
	}
	if code := c.closeCode(); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d, want 1008", code)
	}
}

// TestSlowReader: a socket that never reads is dropped, whether its
// queue fills first or a write times out; the others at the table play on.
func TestSlowReader(t *testing.T) {
	// Small socket buffers on both ends in both cases, so that unread
	// frames block the server's writes to the slow socket after a few KiB
	// (the kernel would otherwise take megabytes of them).
	d := *websocket.DefaultDialer
	d.NetDial = func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}
	t.Run("queue full", func(t *testing.T) {
		// The write blocks (for up to 10 s) while the queue fills behind
		// it. The queue is small but not so small that a reading socket
		// overflows it in a burst on a busy machine (4 did, in CI).
		e := setup(t, Options{SendQueue: 24, Rate: 1000, Burst: 1000}, smallBuffers)
		slowReader(t, e, &d, 300)
	})
	t.Run("write deadline", func(t *testing.T) {
		// The write times out long before the queue of 256 fills.
		e := setup(t, Options{WriteWait: 300 * time.Millisecond, Rate: 1000, Burst: 1000}, smallBuffers)
		slowReader(t, e, &d, 150)
	})
}

// smallBuffers makes the server's accepted sockets have a small send buffer.
func smallBuffers(l net.Listener) net.Listener { return smallBufListener{l} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		_ = c.(*net.TCPConn).SetWriteBuffer(4096)
	}
	return c, err
}

// slowReader seats a socket that never reads with three that do, makes the
// server send it syncs' snapshots, and checks that it is dropped while the
// table goes on.
func slowReader(t *testing.T, e *env, d *websocket.Dialer, syncs int) {
	slow, err := tryDial(t, e.url, nil, d)
	if err != nil {
		t.Fatal(err)
	}
	var cs [4]*client
	for i := 1; i < 4; i++ {
		cs[i] = dial(t, e.url, nil).startReading()
		cs[i].hello("p")
	}
	slow.send(`{"type":"hello","id":"h"}`)
	f := cs[1].ok(protocol.Request{Type: protocol.TypeCreateTable})
	var td protocol.TableData
	_ = json.Unmarshal(f.Data, &td)
	tid := td.Table
	cs[1].ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(1)}) // the host first
	slow.send(`{"type":"sit","id":"s","table":"` + tid + `","seat":0}`)
	slow.send(`{"type":"ready","id":"r","table":"` + tid + `"}`)
	for i := 2; i < 4; i++ {
		cs[i].ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(i)})
		cs[i].ok(protocol.Request{Type: protocol.TypeReady, Table: tid})
	}
	// The slow socket reads no answer: see its seat taken (and it ready) in the store.
	if !testenv.Until(5*time.Second, func() bool {
		l, err := e.store.LoadTable(context.Background(), tid)
		return err == nil && l.Table.Full() && l.Table.Seats[0].Ready
	}) {
		t.Fatal("the slow socket's sit and ready were not applied")
	}
	for i := 0; i < syncs; i++ {
		if slow.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"sync","id":"y","table":"`+tid+`"}`)) != nil {
			break
		}
	}
	began := time.Now()
	cs[1].ok(protocol.Request{Type: protocol.TypeStart, Table: tid})
	for i := 1; i < 4; i++ {
		cs[i].event("hand_started")
	}
	// A fan-out that waited on the slow socket would take its write
	// deadline (10 s) or many of them; 3 s leaves a busy machine room.
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("the table waited %v for a slow socket", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.connCount() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the slow socket was not dropped (%d sockets)", e.srv.connCount())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cs[1].ok(protocol.Request{Type: protocol.TypePing})
}

// TestNoPong: a client that never answers pings is closed after PongWait.
func TestNoPong(t *testing.T) {
	e := setup(t, Options{PingInterval: 50 * time.Millisecond, PongWait: 300 * time.Millisecond})
	c := dial(t, e.url, nil) // never reads, so never answers a ping
	c.send(`{"type":"hello","id":"h"}`)
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.connCount() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a socket that never pongs stays open")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A client that reads (and so pongs) stays.
	r := dial(t, e.url, nil).startReading()
	r.hello("x")
	time.Sleep(700 * time.Millisecond)
	r.ok(protocol.Request{Type: protocol.TypePing})
}

// TestHelloTimeout: a socket without hello is closed after HelloTimeout;
// one that said hello in time stays past it.
func TestHelloTimeout(t *testing.T) {
	e := setup(t, Options{HelloTimeout: 200 * time.Millisecond})
	greeted := dial(t, e.url, nil).startReading()
	greeted.hello("x")
	c := dial(t, e.url, nil).startReading()
	if code := c.closeCode(); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d, want 1008", code)
	}
	time.Sleep(200 * time.Millisecond)
	greeted.ok(protocol.Request{Type: protocol.TypePing})
}

// TestSessionRefresh: an open socket keeps its session alive, and is
// closed once the session is revoked.
func TestSessionRefresh(t *testing.T) {
	e := setup(t, Options{SessionRefresh: 50 * time.Millisecond})
	c := dial(t, e.url, nil).startReading()
	h := c.hello("x")
	key := e.store.Keys().Session(sessionHash(h.Token))
	if err := e.rdb.Expire(context.Background(), key, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if ttl := e.rdb.TTL(context.Background(), key).Val(); ttl < 20*time.Minute {
		t.Fatalf("session TTL %v: not refreshed", ttl)
	}
	if err := e.store.DeleteSession(context.Background(), h.Token); err != nil {
		t.Fatal(err)
	}
	if code := c.closeCode(); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d, want 1008", code)
	}
}

// sessionHash is the key suffix redisstore stores a session under.
func sessionHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func TestShutdown(t *testing.T) {
	e := setup(t, Options{})
	a := dial(t, e.url, nil).startReading()
	a.hello("a")
	b := dial(t, e.url, nil).startReading() // no hello yet
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, b} {
		bye := c.waitFor("bye", func(f *frame) bool { return f.Type == protocol.TypeBye })
		if bye.Reason != protocol.ByeShutdown {
			t.Fatalf("bye %s", bye.raw)
		}
		if code := c.closeCode(); code != websocket.CloseGoingAway {
			t.Fatalf("close code %d, want 1001", code)
		}
	}
	if _, err := tryDial(t, e.url, nil, websocket.DefaultDialer); err == nil {
		t.Fatal("connected to a draining server")
	}
	resp, err := http.Get(e.http.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining: %d", resp.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	pgDown := errors.New("connection refused")
	var pg error
	e := setup(t, Options{ReadyChecks: []ReadyCheck{{Name: "postgres", Check: func(context.Context) error { return pg }}}})
	get := func(path string) (int, string) {
		resp, err := http.Get(e.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok" {
		t.Fatalf("healthz %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"redis":"ok"`) || !strings.Contains(body, `"postgres":"ok"`) {
		t.Fatalf("readyz %d %s", code, body)
	}
	pg = pgDown // optional: ready, degraded
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"postgres":"degraded"`) || strings.Contains(body, "refused") {
		t.Fatalf("readyz with postgres down: %d %s", code, body)
	}
}

// TestWorkerSilent: with no answer from a worker the client gets
// unavailable, and the same id later gets the real answer.
func TestWorkerSilent(t *testing.T) {
	e := setup(t, Options{AnswerTimeout: 300 * time.Millisecond})
	c := dial(t, e.url, nil).startReading()
	c.hello("x")
	f := c.ok(protocol.Request{Type: protocol.TypeCreateTable})
	var td protocol.TableData
	_ = json.Unmarshal(f.Data, &td)
	e.worker.paused.Store(true)
	sit := protocol.Request{Type: protocol.TypeSit, ID: "sit1", Table: td.Table, Seat: ptr(2)}
	c.fails(sit, protocol.CodeUnavailable)
	// Nothing else wakes the socket's writer for a command: the next one,
	// after the first one's deadline went by, is answered by its own.
	c.fails(protocol.Request{Type: protocol.TypeSit, ID: "sit0", Table: td.Table, Seat: ptr(1)}, protocol.CodeUnavailable)
	e.worker.paused.Store(false)
	ack := c.ok(sit)
	if string(ack.Data) != `{"seq":1}` {
		t.Fatalf("retry: %s", ack.raw)
	}
}

// Frames are read into buffers shared by every socket (frameBufs): what a
// frame asked must not change when its buffer goes on to another frame.
// Four sockets at once send frames of many sizes up to the read limit,
// good and refused, each answered with its own id.
func TestFramesOfManySocketsKeepTheirIDs(t *testing.T) {
	e := setup(t, Options{Rate: 1000, Burst: 1000})
	clients := make([]*client, 4)
	ids := make([][]string, len(clients))
	var wg sync.WaitGroup
	for s := range clients {
		c := dial(t, e.url, nil).startReading()
		c.hello(fmt.Sprintf("s%d", s))
		clients[s] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				id := fmt.Sprintf("s%d-f%d-%s", s, i, strings.Repeat("i", i%20))
				pad := strings.Repeat(string(rune('a'+s)), (i*397+s*1013)%(protocol.MaxFrameLen-200))
				typ := "ping"
				if i%4 == 3 {
					typ = "fly" // refused: unknown_type, with its id
				}
				frame := `{"type":"` + typ + `","id":"` + id + `","pad":"` + pad + `"}`
				if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
					t.Errorf("socket %d: %v", s, err)
					return
				}
				ids[s] = append(ids[s], id)
			}
		}()
	}
	wg.Wait()
	for s, c := range clients {
		for _, id := range ids[s] {
			if f := c.answer(id); f.ID != id {
				t.Errorf("frame %s answered as %s", id, f.ID)
			}
		}
	}
}

// The reader goes on on a fresh goroutine after the hello (whose handling
// grew its stack) and not again within readerHop; a socket ends alike
// whether its reader moved or not: the server lets go of it, and
// Shutdown (the setup's cleanup) does not wait for it.
func TestReaderStartsOverOnAFreshGoroutine(t *testing.T) {
	e := setup(t, Options{})
	c := dial(t, e.url, nil).startReading()
	c.fails(protocol.Request{Type: protocol.TypePing}, protocol.CodeNotAuthenticated) // (a frame handled all the same)
	conn := e.srv.onlyConn(t)
	if n := conn.hops.Load(); n != 1 {
		t.Fatalf("%d hops after the first frame, want 1", n)
	}
	c.hello("hopper")
	for range 5 {
		c.ok(protocol.Request{Type: protocol.TypePing})
	}
	if n := conn.hops.Load(); n != 1 {
		t.Fatalf("%d hops after 7 frames within %v, want 1", n, readerHop)
	}
	c.close()
	waitSockets(t, e.srv, 0) // (else the socket counted next may be c, still going)
	// One that never sent a frame ends on the reader it started with.
	d := dial(t, e.url, nil)
	waitSockets(t, e.srv, 1)
	if n := e.srv.onlyConn(t).hops.Load(); n != 0 {
		t.Fatalf("%d hops before any frame", n)
	}
	d.close()
	waitSockets(t, e.srv, 0)
}

// waitSockets waits until s holds n sockets.
func waitSockets(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := len(s.conns)
		s.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
