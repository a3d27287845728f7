package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// probe is a dependency probe a test switches between up and down.
type probe struct{ down atomic.Bool }

func (p *probe) check(context.Context) error {
	if p.down.Load() {
		return errors.New("down")
	}
	return nil
}

func isStatus(f *frame) bool { return f.Type == protocol.TypeNotice && f.Notice == "status" }

// status decodes a status notice's two fields.
func status(t *testing.T, f *frame) (redis, postgres string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(f.raw), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 4 {
		t.Fatalf("status notice with other fields: %s", f.raw)
	}
	return m["redis"].(string), m["postgres"].(string)
}

// TestStatusNotice: each change of the dependencies' health reaches every
// authenticated socket; a socket that authenticates while something is
// down gets the current status right after its hello ack.
func TestStatusNotice(t *testing.T) {
	var rp, pp probe
	e := setup(t, Options{Status: StatusOptions{Interval: 10 * time.Millisecond, Redis: rp.check, Postgres: pp.check}})
	a := dial(t, e.url, nil).startReading()
	a.hello("a")
	anon := dial(t, e.url, nil).startReading() // no hello: not told

	pp.down.Store(true)
	if r, p := status(t, a.waitFor("status notice", isStatus)); r != "ok" || p != "down" {
		t.Fatalf("postgres down: redis %s postgres %s", r, p)
	}
	rp.down.Store(true)
	if r, p := status(t, a.waitFor("status notice", isStatus)); r != "down" || p != "down" {
		t.Fatalf("both down: redis %s postgres %s", r, p)
	}

	// A socket saying hello now gets its ack, then the status.
	anon.hello("late")
	anon.mu.Lock()
	var types []string
	for _, f := range anon.frames {
		types = append(types, string(f.Type)+"/"+f.Notice)
	}
	anon.mu.Unlock()
	if len(types) == 0 || types[0] != "ack/" {
		t.Fatalf("an unauthenticated socket was sent %v before its hello ack", types)
	}
	if r, p := status(t, anon.waitFor("status after hello", isStatus)); r != "down" || p != "down" {
		t.Fatalf("greeting: redis %s postgres %s", r, p)
	}

	rp.down.Store(false)
	pp.down.Store(false)
	for _, c := range []*client{a, anon} {
		f := c.waitFor("recovery notice", func(f *frame) bool {
			if !isStatus(f) {
				return false
			}
			r, p := status(t, f)
			return r == "ok" && p == "ok"
		})
		_ = f
	}
	// All ok: a new socket is told nothing.
	b := dial(t, e.url, nil).startReading()
	b.hello("b")
	b.ok(protocol.Request{Type: protocol.TypePing})
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.frames {
		if isStatus(f) {
			t.Fatalf("status notice while all is ok: %s", f.raw)
		}
	}
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestReadinessPostgresDown: PostgreSQL unreachable (the pool points at a
// closed port) leaves the gateway ready, degraded.
func TestReadinessPostgresDown(t *testing.T) {
	pool, err := pgxpool.New(context.Background(),
		fmt.Sprintf("postgres://postgres@127.0.0.1:%d/x?sslmode=disable&connect_timeout=1", closedPort(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := setup(t, Options{ReadyChecks: []ReadyCheck{{Name: "postgres", Check: pool.Ping}}})
	code, body := getBody(t, e.http.URL+"/readyz")
	if code != 200 || !strings.Contains(body, `"status":"degraded"`) || !strings.Contains(body, `"postgres":"degraded"`) ||
		!strings.Contains(body, `"redis":"ok"`) || strings.Contains(body, "refused") {
		t.Fatalf("readyz with PostgreSQL down: %d %s", code, body)
	}
}

// TestReadinessRedisDown: Redis unreachable makes the gateway unready.
func TestReadinessRedisDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", closedPort(t)), MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	srv := NewServer(redisstore.New(rdb, redisstore.Options{Prefix: "unused", Partitions: 1}), testLogger(), Options{})
	hs := newHTTPServer(t, srv)
	code, body := getBody(t, hs.URL+"/readyz")
	if code != 503 || !strings.Contains(body, `"status":"unavailable"`) || !strings.Contains(body, `"redis":"fail"`) {
		t.Fatalf("readyz with Redis down: %d %s", code, body)
	}
}
