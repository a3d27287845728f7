package gateway

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// StatusOptions tune the gateway's watch of its dependencies, which tells
// players when the server runs degraded. Zero values take the defaults.
type StatusOptions struct {
	Interval time.Duration // between probes; default 1 s
	Timeout  time.Duration // of one probe; default 500 ms
	// Redis probes Redis; default PING on the store's client (which, in
	// the server, goes through the Redis circuit breaker: while it is
	// open the PING fails at once, and when it is half-open the PING is
	// the probe that closes it).
	Redis func(ctx context.Context) error
	// Postgres probes PostgreSQL; nil: not watched (always "ok").
	Postgres func(ctx context.Context) error
}

func (o StatusOptions) withDefaults(s *Server) StatusOptions {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 500 * time.Millisecond
	}
	if o.Redis == nil {
		rdb := s.store.Client()
		o.Redis = func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
	}
	if o.Postgres == nil {
		o.Postgres = func(context.Context) error { return nil }
	}
	return o
}

// Status values of the status notice.
const (
	statusOK   = "ok"
	statusDown = "down"
)

// statusNotice is the frame every open socket of the gateway gets when the
// health of a dependency changes:
//
//	{"type":"notice","notice":"status","redis":"ok|down","postgres":"ok|down"}
//
// With Redis down, moves fail with unavailable until it is back; with
// PostgreSQL down, play goes on and finished matches are saved once it is
// back.
type statusNotice struct {
	Type     string `json:"type"`
	Notice   string `json:"notice"`
	Redis    string `json:"redis"`
	Postgres string `json:"postgres"`
}

// health is what the monitor last saw.
type health struct{ redisDown, postgresDown bool }

func (h health) ok() bool { return !h.redisDown && !h.postgresDown }

func word(down bool) string {
	if down {
		return statusDown
	}
	return statusOK
}

func (h health) frame() []byte {
	b, _ := json.Marshal(statusNotice{Type: "notice", Notice: "status", Redis: word(h.redisDown), Postgres: word(h.postgresDown)})
	return b
}

// statusMonitor probes Redis and PostgreSQL every Interval and pushes the
// status notice to every authenticated socket of the gateway on each
// change. mu orders a change's broadcast with greet, so a socket never
// gets an older status after a newer one.
type statusMonitor struct {
	srv  *Server
	opts StatusOptions
	done chan struct{}

	mu  sync.Mutex
	cur health
}

func newStatusMonitor(s *Server) *statusMonitor {
	return &statusMonitor{srv: s, opts: s.opts.Status.withDefaults(s), done: make(chan struct{})}
}

// run probes until the server stops.
func (m *statusMonitor) run() {
	defer close(m.done)
	tick := time.NewTicker(m.opts.Interval)
	defer tick.Stop()
	for {
		m.update(m.probe())
		select {
		case <-m.srv.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// probe runs both probes at once, each within Timeout.
func (m *statusMonitor) probe() health {
	ctx, cancel := context.WithTimeout(m.srv.ctx, m.opts.Timeout)
	defer cancel()
	var h health
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.postgresDown = m.opts.Postgres(ctx) != nil
	}()
	h.redisDown = m.opts.Redis(ctx) != nil
	wg.Wait()
	return h
}

// update records h and, if it changed, tells every authenticated socket.
func (m *statusMonitor) update(h health) {
	if m.srv.ctx.Err() != nil {
		return // stopping: the probes failed because of that
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if h == m.cur {
		return
	}
	prev := m.cur
	m.cur = h
	m.logChange(prev, h)
	frame := h.frame()
	m.srv.mu.Lock()
	defer m.srv.mu.Unlock()
	for c := range m.srv.conns {
		if c.user != "" {
			c.push(frame)
		}
	}
}

func (m *statusMonitor) logChange(prev, h health) {
	log := m.srv.log
	switch {
	case h.redisDown && !prev.redisDown:
		log.Warn("Redis unusable: moves get unavailable until it is back")
	case !h.redisDown && prev.redisDown:
		log.Info("Redis is back")
		m.srv.quiet.RecoveredAll() // the per-request lines were about Redis
	}
	switch {
	case h.postgresDown && !prev.postgresDown:
		log.Warn("PostgreSQL unusable: play goes on, results are saved when it is back")
	case !h.postgresDown && prev.postgresDown:
		log.Info("PostgreSQL is back")
	}
}

// greet sends c, just authenticated, the current status unless all is ok.
func (m *statusMonitor) greet(c *conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.cur.ok() {
		c.push(m.cur.frame())
	}
}
