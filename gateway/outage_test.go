package gateway

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/redisstore"
)

// outageServer is a gateway and worker on a Redis of the test's own,
// reached through the server's own client (redisconn, the Redis breaker's
// hook), so a test can stop that Redis mid-game.
type outageServer struct {
	breaker *breaker.Breaker
	redis   *procs.Redis
	rdb     redis.UniversalClient
	store   *redisstore.Store
	srv     *Server
	url     string
}

func newOutageServer(t *testing.T, answerTimeout time.Duration) *outageServer {
	t.Helper()
	r := procs.StartRedis(t, procs.RedisOptions{})
	b := breaker.NewRedis()
	rdb := r.ServerClient(breaker.RedisHook(b))
	st := redisstore.New(rdb, redisstore.Options{Prefix: "t", Partitions: 1})
	startWorker(t, st)
	srv := NewServer(st, testLogger(), Options{AnswerTimeout: answerTimeout})
	hs := newHTTPServer(t, srv)
	return &outageServer{breaker: b, redis: r, rdb: rdb, store: st, srv: srv, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws?v=1"}
}

func (o *outageServer) dial(t *testing.T) *client { return dial(t, o.url, nil).startReading() }

// TestRedisPausedBehindBreaker: the server's setup (client timeouts as in
// internal/app, the Redis breaker's hook) on a Redis that stops answering
// (SIGSTOP) mid-game: the players are told "redis":"down", commands get the
// retryable unavailable while the socket stays usable, and once Redis
// resumes they are told "ok" and the same command id goes through. (The
// status notice comes from the probe itself, before the breaker opens.)
func TestRedisPausedBehindBreaker(t *testing.T) {
	o := newOutageServer(t, time.Second)
	b, r := o.breaker, o.redis
	c := o.dial(t)
	c.hello("x")
	var td protocol.TableData
	_ = json.Unmarshal(c.ok(protocol.Request{Type: protocol.TypeCreateTable}).Data, &td)

	r.Pause()
	if r, _ := status(t, c.waitFor("redis down notice", isStatus)); r != "down" {
		t.Fatalf("notice redis %q", r)
	}
	// With no player traffic the gateway's own probes (one a second) open
	// the breaker after three failures.
	for deadline := time.Now().Add(10 * time.Second); b.State() == breaker.Closed; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the breaker never opened while Redis is stopped")
		}
	}
	sit := protocol.Request{Type: protocol.TypeSit, ID: "s1", Table: td.Table, Seat: ptr(0)}
	c.fails(sit, protocol.CodeUnavailable)
	c.ok(protocol.Request{Type: protocol.TypePing}) // the socket stays usable

	r.Resume()
	if r, _ := status(t, c.waitFor("redis ok notice", isStatus)); r != "ok" {
		t.Fatalf("notice redis %q", r)
	}
	c.ackOnceAvailable(sit, 5*time.Second)
	c.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
}

// TestNoGapWhileTheLogCannotBeRead: events a socket missed (its hub was
// away) cannot be read back while Redis is stopped. The socket is then
// sent no later event out of order and no answer given at a later seq
// (that answer becomes unavailable); once Redis answers again it gets the
// missed events, in order, with no gap.
func TestNoGapWhileTheLogCannotBeRead(t *testing.T) {
	o := newOutageServer(t, time.Minute)
	b, r, st, rdb, srv := o.breaker, o.redis, o.store, o.rdb, o.srv
	c := o.dial(t)
	c.hello("x")
	var td protocol.TableData
	_ = json.Unmarshal(c.ok(protocol.Request{Type: protocol.TypeCreateTable}).Data, &td)
	var sd protocol.SeqData
	_ = json.Unmarshal(c.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)}).Data, &sd)
	// Two events reach the log while this socket's hub is away: the test
	// appends them to the log and publishes nothing.
	ctx := context.Background()
	ev := func(seq int64) redisstore.Entry {
		return redisstore.Entry{Seq: seq, To: -1, E: json.RawMessage(`{"type":"turn","seat":0,"deadline":` + strconv.FormatInt(seq, 10) + `}`)}
	}
	for _, seq := range []int64{sd.Seq + 1, sd.Seq + 2} {
		b, _ := json.Marshal(ev(seq))
		if err := rdb.RPush(ctx, st.Keys().Log(td.Table), b).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.drain()
	pending := protocol.Request{Type: protocol.TypeAddBots, ID: "later", Table: td.Table}
	e := srv.onlyConn(t)
	e.push(pendingItem{table: td.Table, id: pending.ID, op: pending.Type})
	r.Pause()
	for deadline := time.Now().Add(10 * time.Second); b.State() == breaker.Closed; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the breaker never opened while Redis is stopped")
		}
	}
	// The next event arrives (seq+3) with the answer to the pending
	// command at that seq: neither may reach the client before seq+1, +2.
	users := srv.userOf(e)
	e.push(&hubMsg{table: td.Table, epoch: 1, entries: []entry{{Entry: ev(sd.Seq + 3)}},
		result: &redisstore.Result{User: users, ID: pending.ID, Seq: sd.Seq + 3}})
	if f := c.answer(pending.ID); f.Type != protocol.TypeError || f.Code != protocol.CodeUnavailable {
		t.Fatalf("answer given at a seq the socket has not seen: %s", f.raw)
	}
	c.quiet(300*time.Millisecond, "an event while behind", func(f *frame) bool { return f.Type == protocol.TypeEvent })
	r.Resume()
	for _, want := range []int64{sd.Seq + 1, sd.Seq + 2} {
		f := c.waitFor("a missed event", func(f *frame) bool { return f.Type == protocol.TypeEvent })
		if f.Seq != want {
			t.Fatalf("event %s, want seq %d next", f.raw, want)
		}
	}
}

// onlyConn is the server's one socket.
func (s *Server) onlyConn(t *testing.T) *conn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) != 1 {
		t.Fatalf("%d sockets, want 1", len(s.conns))
	}
	for c := range s.conns {
		return c
	}
	return nil
}

func (s *Server) userOf(c *conn) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.user
}
