package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/ratelimit"
)

func limited(what string) float64 {
	return testutil.ToFloat64(metrics.RateLimited.WithLabelValues(what))
}

// refusedRetry checks that f is a rate_limited error with a retry hint.
func refusedRetry(t *testing.T, f *frame) {
	t.Helper()
	if f.Type != protocol.TypeError || f.Code != protocol.CodeRateLimited || f.RetryAfter < 1 {
		t.Fatalf("got %s, want error rate_limited with retry_after", f.raw)
	}
}

// trustLoopback makes 127.0.0.1 a trusted proxy, so that each test client
// can state its own address in X-Forwarded-For.
func trustLoopback() clientip.Resolver {
	return clientip.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
}

func fromIP(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

// TestGuestLimitPerIP (finding 2): a hello without token starts at most
// GuestLimit guest sessions per client IP; the next is refused
// rate_limited with retry_after and the socket closed with 1013. Resuming
// a session (hello with its token) and other IPs are not affected.
func TestGuestLimitPerIP(t *testing.T) {
	e := setup(t, Options{IP: trustLoopback(), GuestLimit: ratelimit.Limit{Max: 3, Window: time.Hour}})
	var first protocol.HelloData
	for i := range 3 {
		d := dial(t, e.url, fromIP("192.0.2.1")).startReading().hello("g" + strconv.Itoa(i))
		if i == 0 {
			first = d
		}
	}
	before := limited(LimitGuest)
	c := dial(t, e.url, fromIP("192.0.2.1")).startReading()
	refusedRetry(t, c.call(protocol.Request{Type: protocol.TypeHello, Name: "one too many"}))
	if code := c.closeCode(); code != websocket.CloseTryAgainLater {
		t.Fatalf("close code %d, want 1013", code)
	}
	if got := limited(LimitGuest) - before; got != 1 {
		t.Fatalf("hokm_rate_limited_total{limit=guest:ip} rose by %v, want 1", got)
	}
	// The session of a guest is resumed from the same IP.
	c = dial(t, e.url, fromIP("192.0.2.1")).startReading()
	c.ok(protocol.Request{Type: protocol.TypeHello, Token: first.Token})
	// Another IP has its own budget.
	dial(t, e.url, fromIP("192.0.2.2")).startReading().hello("elsewhere")
}

// TestSocketsPerIP (finding 3): a client IP holds at most SocketsPerIP
// sockets on a gateway; the next upgrade is refused with HTTP 429 and
// Retry-After, and once one closes a new one is accepted.
func TestSocketsPerIP(t *testing.T) {
	e := setup(t, Options{IP: trustLoopback(), SocketsPerIP: 3})
	var open []*client
	for range 3 {
		c := dial(t, e.url, fromIP("198.51.100.7")).startReading()
		c.hello("s")
		open = append(open, c)
	}
	before := limited(LimitSocketsPerIP)
	// gorilla returns the response of a failed handshake with its error.
	ws, resp, _ := websocket.DefaultDialer.Dial(e.url, fromIP("198.51.100.7"))
	if ws != nil {
		ws.Close()
		t.Fatal("a fourth socket from one IP was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("refusal %+v, want 429 with Retry-After", resp)
	}
	if got := limited(LimitSocketsPerIP) - before; got != 1 {
		t.Fatalf("hokm_rate_limited_total{limit=ws:ip} rose by %v, want 2", got)
	}
	// Another IP is not affected.
	dial(t, e.url, fromIP("198.51.100.8")).startReading().hello("other")

	// Once a socket closes, its place is free again.
	open[0].close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := tryDial(t, e.url, fromIP("198.51.100.7"), websocket.DefaultDialer)
		if err == nil {
			c.startReading().hello("again")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket accepted after one closed: %v", err)
		}
	}
}

// TestSocketsPerUser (finding 3): one user holds at most SocketsPerUser
// sockets on a gateway; a hello over the cap is refused rate_limited and
// the socket closed with 1013.
func TestSocketsPerUser(t *testing.T) {
	e := setup(t, Options{SocketsPerUser: 1})
	a := dial(t, e.url, nil).startReading()
	d := a.hello("a")
	before := limited(LimitSocketsPerUser)
	b := dial(t, e.url, nil).startReading()
	refusedRetry(t, b.call(protocol.Request{Type: protocol.TypeHello, Token: d.Token}))
	if code := b.closeCode(); code != websocket.CloseTryAgainLater {
		t.Fatalf("close code %d, want 1013", code)
	}
	if got := limited(LimitSocketsPerUser) - before; got != 1 {
		t.Fatalf("hokm_rate_limited_total{limit=ws:user} rose by %v, want 1", got)
	}
	a.ok(protocol.Request{Type: protocol.TypePing}) // the first socket is untouched
	a.close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c := dial(t, e.url, nil).startReading()
		f := c.call(protocol.Request{Type: protocol.TypeHello, Token: d.Token})
		if f.Type == protocol.TypeAck {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hello after the user's socket closed: %s", f.raw)
		}
	}
}

// TestPingFlood (finding 16): WebSocket pings count against the socket's
// frame budget: those over it go unanswered and a flood of them closes the
// socket with 1008, as a flood of frames does.
func TestPingFlood(t *testing.T) {
	e := setup(t, Options{Rate: 1, Burst: 5})
	c := dial(t, e.url, nil)
	var pongs atomic.Int32
	c.ws.SetPongHandler(func(string) error { pongs.Add(1); return nil })
	c.startReading()
	c.hello("p")
	for range 2000 {
		if c.ws.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(time.Second)) != nil {
			break
		}
	}
	if code := c.closeCode(); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d, want 1008", code)
	}
	// The burst (5, less the hello), plus what the rate refilled meanwhile.
	if n := pongs.Load(); n > 20 {
		t.Fatalf("%d pings answered, want at most the budget", n)
	}
}

// TestTablesPerUser (finding 4): a user hosts at most TablesPerUser
// waiting tables at once; a table that starts playing stops counting.
func TestTablesPerUser(t *testing.T) {
	e := setupReal(t, 1, Options{TablesPerUser: 2})
	host, _ := e.guest(0, "host")
	t1 := createTable(t, host, &protocol.TableOptions{Public: true})
	createTable(t, host, nil)
	before := limited(LimitTablesOpen)
	refusedRetry(t, host.call(protocol.Request{Type: protocol.TypeCreateTable, Rules: ptrRules(3)}))
	if got := limited(LimitTablesOpen) - before; got != 1 {
		t.Fatalf("hokm_rate_limited_total{limit=tables:user} rose by %v, want 1", got)
	}
	// Another user is not affected.
	other, _ := e.guest(0, "other")
	createTable(t, other, nil)

	// The first table starts: it is no longer waiting.
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: t1.Table, Seat: ptr(0)})
	host.ok(protocol.Request{Type: protocol.TypeAddBots, Table: t1.Table})
	host.ok(protocol.Request{Type: protocol.TypeStart, Table: t1.Table})
	createTable(t, host, nil)
	refusedRetry(t, host.call(protocol.Request{Type: protocol.TypeCreateTable, Rules: ptrRules(3)}))

	// A waiting table nobody sat at stops counting once idle for
	// EmptyTableIdle (and the cleanup removes it). Idle time is read from
	// the table's TTL in whole milliseconds: let the last one be 1 ms old.
	time.Sleep(2 * time.Millisecond)
	n, err := e.store.HostedWaiting(context.Background(), host.helloUser(t), time.Nanosecond)
	if err != nil || n != 0 {
		t.Fatalf("HostedWaiting with no idle allowed: %d %v, want 0", n, err)
	}
}

// helloUser is the user of the client's hello ack.
func (c *client) helloUser(t *testing.T) string {
	t.Helper()
	for _, f := range c.all() {
		if f.Type == protocol.TypeAck && len(f.Data) > 0 {
			var d protocol.HelloData
			if json.Unmarshal(f.Data, &d) == nil && d.User != "" && d.Token != "" {
				return d.User
			}
		}
	}
	t.Fatal("no hello ack")
	return ""
}

// TestTableCreateLimit (finding 4): create_table is limited per user per
// window (table:user), with a retry hint.
func TestTableCreateLimit(t *testing.T) {
	e := setupReal(t, 1, Options{TablesPerUser: -1, TableLimit: ratelimit.Limit{Max: 3, Window: time.Hour}})
	host, _ := e.guest(0, "host")
	for range 3 {
		createTable(t, host, &protocol.TableOptions{Public: true})
	}
	before := limited(LimitTableCreate)
	refusedRetry(t, host.call(protocol.Request{Type: protocol.TypeCreateTable, Rules: ptrRules(3)}))
	if got := limited(LimitTableCreate) - before; got != 1 {
		t.Fatalf("hokm_rate_limited_total{limit=table:user} rose by %v, want 1", got)
	}
	// None of the empty tables reached the lobby.
	if vals, err := e.store.Lobby(context.Background()); err != nil || len(vals) != 0 {
		t.Fatalf("lobby %v %v, want empty", vals, err)
	}
}

// TestJoinCodeMisses (finding 12): join_code misses are budgeted per
// client IP and per user; once a budget is spent join_code is refused
// rate_limited, even for a good code, until the window ends.
func TestJoinCodeMisses(t *testing.T) {
	e := setupReal(t, 1, Options{IP: trustLoopback(), JoinCodeMisses: ratelimit.Limit{Max: 3, Window: time.Hour}})
	host := dial(t, e.urls[0], fromIP("203.0.113.1")).startReading()
	host.hello("host")
	td := createTable(t, host, nil)
	if len(td.Code) != protocol.JoinCodeLen {
		t.Fatalf("code %q, want %d characters", td.Code, protocol.JoinCodeLen)
	}

	guesser := dial(t, e.urls[0], fromIP("203.0.113.2")).startReading()
	gd := guesser.hello("guesser")
	for _, code := range []string{"ZZZZZZZZZ", "ZZZZZZZZY", "ZZZZZZ"} {
		guesser.fails(protocol.Request{Type: protocol.TypeJoinCode, Code: code}, protocol.CodeCodeNotFound)
	}
	beforeIP := limited(LimitJoinCodeIP)
	refusedRetry(t, guesser.call(protocol.Request{Type: protocol.TypeJoinCode, Code: td.Code}))
	if got := limited(LimitJoinCodeIP) - beforeIP; got < 1 {
		t.Fatalf("hokm_rate_limited_total{limit=joincode:ip} rose by %v", got)
	}
	// Another user from the same IP: the IP's budget is spent.
	neighbour := dial(t, e.urls[0], fromIP("203.0.113.2")).startReading()
	neighbour.hello("neighbour")
	refusedRetry(t, neighbour.call(protocol.Request{Type: protocol.TypeJoinCode, Code: td.Code}))
	// The guesser from another IP: the user's budget is spent.
	moved := dial(t, e.urls[0], fromIP("203.0.113.3")).startReading()
	moved.ok(protocol.Request{Type: protocol.TypeHello, Token: gd.Token})
	beforeUser := limited(LimitJoinCodeUser)
	refusedRetry(t, moved.call(protocol.Request{Type: protocol.TypeJoinCode, Code: td.Code}))
	if got := limited(LimitJoinCodeUser) - beforeUser; got != 1 {
		t.Fatalf("hokm_rate_limited_total{limit=joincode:user} rose by %v, want 1", got)
	}
	// Someone else elsewhere joins by the code; hits cost nothing.
	friend := dial(t, e.urls[0], fromIP("203.0.113.4")).startReading()
	friend.hello("friend")
	for range 5 {
		friend.ok(protocol.Request{Type: protocol.TypeJoinCode, Code: td.Code})
	}
}

// TestOldJoinCodesResolve: a table whose code has the length of earlier
// releases (6) is still joined by it.
func TestOldJoinCodesResolve(t *testing.T) {
	e := setupReal(t, 1, Options{})
	host, _ := e.guest(0, "host")
	td := createTable(t, host, nil)
	ctx := context.Background()
	if ok, err := e.store.ReserveCode(ctx, "ABCDEF", td.Table); err != nil || !ok {
		t.Fatalf("ReserveCode: %v %v", ok, err)
	}
	friend, _ := e.guest(0, "friend")
	f := friend.ok(protocol.Request{Type: protocol.TypeJoinCode, Code: "abcdef"})
	var jd protocol.TableData
	if err := json.Unmarshal(f.Data, &jd); err != nil || jd.Table != td.Table {
		t.Fatalf("join_code of an old code: %s", f.raw)
	}
}
