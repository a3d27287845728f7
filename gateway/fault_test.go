package gateway

import (
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestRedisOutage: while the gateway cannot reach Redis, commands get the
// retryable unavailable and sockets stay open; once Redis is back the same
// id goes through and events flow again.
func TestRedisOutage(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	direct := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 1})
	startWorker(t, direct) // the worker keeps its own connection

	px := newCutProxy(t, testenv.SingleServer(t, rdb).Options().Addr)
	viaProxy := redis.NewClient(&redis.Options{Addr: px.addr(), DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = viaProxy.Close() })
	st := redisstore.New(viaProxy, redisstore.Options{Prefix: prefix, Partitions: 1})
	srv := NewServer(st, testLogger(), Options{RedisTimeout: 500 * time.Millisecond, AnswerTimeout: time.Second})
	hs := newHTTPServer(t, srv)
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws?v=1"

	c := dial(t, url, nil).startReading()
	c.hello("x")
	f := c.ok(protocol.Request{Type: protocol.TypeCreateTable})
	var td protocol.TableData
	_ = json.Unmarshal(f.Data, &td)

	px.cut()
	sit := protocol.Request{Type: protocol.TypeSit, ID: "s1", Table: td.Table, Seat: ptr(0)}
	began := time.Now()
	c.fails(sit, protocol.CodeUnavailable)
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("unavailable took %v", d)
	}
	c.fails(protocol.Request{Type: protocol.TypeSync, Table: td.Table}, protocol.CodeUnavailable)
	c.ok(protocol.Request{Type: protocol.TypePing}) // the socket stays usable

	px.restore()
	c.ackOnceAvailable(sit, 5*time.Second)
	c.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	c.ok(protocol.Request{Type: protocol.TypeAddBots, Table: td.Table})
	c.event("table")
}

// cutProxy forwards TCP to Redis until cut, which drops every connection
// and refuses new ones until restore.
type cutProxy struct {
	t      *testing.T
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[in], p.conns[out] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *cutProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
