package gateway

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/worker"
)

// realEnv is n gateways on one Redis with a worker (startWorker) and, when
// asked, the matchmaker.
type realEnv struct {
	t     *testing.T
	rdb   redis.UniversalClient
	store *redisstore.Store
	srvs  []*Server
	urls  []string
}

func setupReal(t *testing.T, gateways int, opts Options) *realEnv {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2})
	e := &realEnv{t: t, rdb: rdb, store: st}
	startWorker(t, st)
	for range gateways {
		srv := NewServer(st, testLogger(), opts)
		hs := newHTTPServer(t, srv)
		e.srvs = append(e.srvs, srv)
		e.urls = append(e.urls, "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws?v=1")
	}
	return e
}

// noJournal is an empty table journal.
type noJournal struct{}

func (noJournal) LiveTables(context.Context, time.Time, string, int) ([]pgstore.LiveTable, error) {
	return nil, nil
}

func (noJournal) LiveTable(context.Context, string, time.Time) (*pgstore.LiveTable, error) {
	return nil, nil
}

func (noJournal) PassedFinished(context.Context, int) ([]pgstore.LiveTable, error) { return nil, nil }

// matchmaker runs a matchmaker with wait on e's store until the test ends.
func (e *realEnv) matchmaker(wait time.Duration) {
	m := worker.NewMatchmaker(e.store, worker.MatchmakerOptions{Wait: wait, Interval: 20 * time.Millisecond, Log: testLogger()})
	_ = m.Start(context.Background())
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Stop(ctx)
	})
}

// guest connects to gateway i and says hello.
func (e *realEnv) guest(i int, name string) (*client, protocol.HelloData) {
	c := dial(e.t, e.urls[i], nil).startReading()
	return c, c.hello(name)
}

// createTable creates a table and returns its ack data.
func createTable(t *testing.T, c *client, opts *protocol.TableOptions) protocol.TableData {
	t.Helper()
	f := c.ok(protocol.Request{Type: protocol.TypeCreateTable, Rules: ptrRules(3), Options: opts})
	var td protocol.TableData
	if err := json.Unmarshal(f.Data, &td); err != nil {
		t.Fatal(err)
	}
	return td
}

// waitLong is waitFor with a longer deadline (a whole match).
func (c *client) waitLong(what string, d time.Duration, match func(f *frame) bool) *frame {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
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
		case <-time.After(100 * time.Millisecond):
		}
	}
	c.t.Fatalf("no %s within %s; last frames:\n%s", what, d, lastLines(c.dump(), 20))
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// eventType is the type of an event frame's event, or "".
func eventType(f *frame) string {
	if f.Type != protocol.TypeEvent {
		return ""
	}
	var ev struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(f.Event, &ev)
	return ev.Type
}

// newHTTPServer serves srv until the test ends, then shuts it down.
func newHTTPServer(t *testing.T, srv *Server) *httptest.Server {
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return hs
}

func ptrRules(target int) *game.Rules { return &game.Rules{Target: target} }

// drain marks every frame received so far as seen.
func (c *client) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.frames {
		f.used = true
	}
}
