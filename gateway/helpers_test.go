package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/worker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is one gateway and one game worker on real Redis.
type env struct {
	t      *testing.T
	rdb    redis.UniversalClient
	store  *redisstore.Store
	srv    *Server
	http   *httptest.Server
	url    string // ws://.../ws?v=1
	worker *testWorker
}

func testLogger() *slog.Logger {
	if os.Getenv("HOKM_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// setup starts a gateway (with opts) and a worker on their own keys.
func setup(t *testing.T, opts Options, wrap ...func(net.Listener) net.Listener) *env {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 1})
	e := &env{t: t, rdb: rdb, store: st}
	e.worker = startWorker(t, st)
	srv := NewServer(st, testLogger(), opts)
	e.srv = srv
	e.http = httptest.NewUnstartedServer(srv.Handler())
	for _, w := range wrap {
		e.http.Listener = w(e.http.Listener)
	}
	e.http.Start()
	t.Cleanup(e.http.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	e.url = "ws" + strings.TrimPrefix(e.http.URL, "http") + "/ws?v=1"
	return e
}

// urlV is the gateway's URL for protocol version v.
func (e *env) urlV(v int) string {
	return strings.TrimSuffix(e.url, "?v=1") + fmt.Sprintf("?v=%d", v)
}

// testWorker is a real game worker (worker.Processor and Consumer, with the
// lobby hook and the start-up recovery check, no timer loop) on the test's
// store, its deals seeded with testSeed so the hands are known. While
// paused, the actions it reads are acknowledged and dropped: an action that
// reached a worker and was lost with it.
type testWorker struct {
	paused atomic.Bool
}

// testSeed seeds every deal of the tests' worker.
const testSeed = 7

func startWorker(t *testing.T, st *redisstore.Store) *testWorker {
	t.Helper()
	w := &testWorker{}
	proc := worker.NewProcessor(st, worker.Options{Block: 50 * time.Millisecond, Seed: func() uint64 { return testSeed }, Log: testLogger(),
		AfterChange: []worker.Hook{worker.LobbyHook(st)}})
	// As the worker's recovery does at start: this Redis's tables are checked.
	ctx := context.Background()
	if err := worker.NewRecovery(st, noJournal{}, proc, worker.RecoveryOptions{}).Check(ctx); err != nil {
		t.Fatal(err)
	}
	c := worker.NewConsumer(proc, &droppingStream{Store: st, w: w}, st.Options().Partitions)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
	return w
}

// droppingStream is the worker's view of the action stream: while the
// worker is paused, what it reads is acknowledged and never applied.
type droppingStream struct {
	*redisstore.Store
	w *testWorker
}

func (d *droppingStream) ReadActions(ctx context.Context, group, consumer string, p int, count int64, block time.Duration) ([]redisstore.StreamEntry, error) {
	es, err := d.Store.ReadActions(ctx, group, consumer, p, count, block)
	if err != nil || !d.w.paused.Load() {
		return es, err
	}
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	if len(ids) > 0 {
		if err := d.Store.AckIDs(ctx, group, p, ids); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (d *droppingStream) AckAndRead(ctx context.Context, group, consumer string, p int, ids []string, count int64) ([]redisstore.StreamEntry, error) {
	if err := d.Store.AckIDs(ctx, group, p, ids); err != nil {
		return nil, err
	}
	return d.ReadActions(ctx, group, consumer, p, count, -1)
}

// frame is one frame a test client received. A version-2 events frame is
// kept as the version-1 frames it stands for (ServerFrame.Unfold), each
// with its own JSON as raw and the same wire number.
type frame struct {
	protocol.ServerFrame
	raw  string
	wire int // the number of the WebSocket message it came in, from 1
	used bool
}

// client is a test WebSocket client that reads everything it is sent.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	resp *http.Response

	mu      sync.Mutex
	frames  []*frame
	notify  chan struct{}
	done    chan struct{}
	err     error // why reading ended
	n       int   // ids sent
	wires   int   // WebSocket messages received
	reading bool  // startReading was called
}

func dial(t *testing.T, url string, hdr http.Header) *client {
	t.Helper()
	c, err := tryDial(t, url, hdr, websocket.DefaultDialer)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return c
}

func tryDial(t *testing.T, url string, hdr http.Header, d *websocket.Dialer) (*client, error) {
	ws, resp, err := d.Dial(url, hdr)
	if err != nil {
		return nil, err
	}
	c := &client{t: t, ws: ws, resp: resp, notify: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(c.close)
	return c, nil
}

// startReading reads every frame in the background.
func (c *client) startReading() *client {
	c.reading = true
	go func() {
		defer close(c.done)
		for {
			kind, b, err := c.ws.ReadMessage()
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				c.wake()
				return
			}
			var sf protocol.ServerFrame
			if kind != websocket.TextMessage || json.Unmarshal(b, &sf) != nil {
				c.t.Errorf("undecodable frame from the server: %q", b)
			}
			c.mu.Lock()
			c.wires++
			for _, u := range sf.Unfold() {
				raw := b
				if sf.Type == protocol.TypeEvents {
					raw, _ = json.Marshal(u)
				}
				c.frames = append(c.frames, &frame{ServerFrame: u, raw: string(raw), wire: c.wires})
			}
			c.mu.Unlock()
			c.wake()
		}
	}()
	return c
}

func (c *client) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *client) close() {
	_ = c.ws.Close()
	if !c.reading {
		return
	}
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
	}
}

func (c *client) send(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) sendReq(r protocol.Request) {
	c.t.Helper()
	b, _ := json.Marshal(r)
	c.send(string(b))
}

func (c *client) nextID() string {
	c.n++
	return fmt.Sprintf("q%d", c.n)
}

// waitFor returns the first frame not returned before that matches, or
// fails the test after a few seconds.
func (c *client) waitFor(what string, match func(f *frame) bool) *frame {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		for _, f := range c.frames {
			if !f.used && match(f) {
				f.used = true
				c.mu.Unlock()
				return f
			}
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			c.t.Fatalf("waiting for %s: connection ended: %v", what, err)
		}
		select {
		case <-c.notify:
		case <-deadline:
			c.t.Fatalf("no %s within 5s; frames so far:\n%s", what, c.dump())
		}
	}
}

func (c *client) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, f := range c.frames {
		fmt.Fprintf(&b, "  %s\n", f.raw)
	}
	return b.String()
}

// wireOf is the frames that came in the same WebSocket message as f (f
// included): several only for a version-2 events frame.
func (c *client) wireOf(f *frame) []*frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*frame
	for _, g := range c.frames {
		if g.wire == f.wire {
			out = append(out, g)
		}
	}
	return out
}

// answer waits for the ack or error of id.
func (c *client) answer(id string) *frame {
	c.t.Helper()
	return c.waitFor("answer to "+id, func(f *frame) bool {
		return (f.Type == protocol.TypeAck || f.Type == protocol.TypeError) && f.ID == id
	})
}

// call sends r (with a fresh id unless it has one) and returns its answer.
func (c *client) call(r protocol.Request) *frame {
	c.t.Helper()
	if r.ID == "" {
		r.ID = c.nextID()
	}
	c.sendReq(r)
	return c.answer(r.ID)
}

// ok is call that fails the test unless the answer is an ack.
func (c *client) ok(r protocol.Request) *frame {
	c.t.Helper()
	f := c.call(r)
	if f.Type != protocol.TypeAck {
		c.t.Fatalf("%s %s: %s", r.Type, r.ID, f.raw)
	}
	return f
}

// fails is call that fails the test unless the answer is error code.
func (c *client) fails(r protocol.Request, code game.Code) *frame {
	c.t.Helper()
	f := c.call(r)
	if f.Type != protocol.TypeError || f.Code != code {
		c.t.Fatalf("%s: got %s, want error %s", r.Type, f.raw, code)
	}
	return f
}

// event waits for the next event of type typ.
func (c *client) event(typ string) (*frame, map[string]any) {
	c.t.Helper()
	var ev map[string]any
	f := c.waitFor("event "+typ, func(f *frame) bool {
		if f.Type != protocol.TypeEvent {
			return false
		}
		ev = nil
		_ = json.Unmarshal(f.Event, &ev)
		return ev["type"] == typ
	})
	return f, ev
}

// hello starts a guest session and returns its data.
func (c *client) hello(name string) protocol.HelloData {
	c.t.Helper()
	f := c.ok(protocol.Request{Type: protocol.TypeHello, Name: name})
	var d protocol.HelloData
	if err := json.Unmarshal(f.Data, &d); err != nil {
		c.t.Fatal(err)
	}
	return d
}

// all returns a copy of every frame received so far.
func (c *client) all() []*frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*frame(nil), c.frames...)
}

// quiet fails if a frame matching arrives within d.
func (c *client) quiet(d time.Duration, what string, match func(f *frame) bool) {
	c.t.Helper()
	time.Sleep(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.frames {
		if !f.used && match(f) {
			c.t.Fatalf("unexpected %s: %s", what, f.raw)
		}
	}
}

// closeCode waits until the server closes the connection and returns the
// close code (-1 when it ended without a close frame).
func (c *client) closeCode() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.t.Fatal("the server did not close the connection")
	}
	var ce *websocket.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code
	}
	return -1
}

func ptr[T any](v T) *T { return &v }

// ackOnceAvailable sends r (the same command id each time) until it is
// acked, retrying while the answer is the retryable unavailable, as a
// client does when the server comes back.
func (c *client) ackOnceAvailable(r protocol.Request, within time.Duration) {
	c.t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		f := c.call(r)
		if f.Type == protocol.TypeAck {
			return
		}
		if f.Code != protocol.CodeUnavailable || time.Now().After(deadline) {
			c.t.Fatalf("%s once the server is back: %s", r.Type, f.raw)
		}
	}
}
