// Package gateway is the thin WebSocket front of the server. It speaks the
// protocol of package gateway/protocol to players, puts their table
// commands on the Redis action stream for the game workers, and fans the
// workers' published events out to the players' sockets, each frame built
// for its recipient (a seat sees its own cards only).
//
// Per socket there is one reader and one writer goroutine; per process one
// Redis Pub/Sub connection (the hub) subscribed to the channels of the
// tables its sockets follow. See docs/protocol.md.
package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/internal/readiness"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Options tune a Server. Zero values take the defaults.
type Options struct {
	// AllowedOrigins are browser origins ("https://example.org") allowed on
	// /ws besides the server's own host. A request without Origin (not a
	// browser) is always allowed.
	AllowedOrigins []string
	// ReadyChecks are further dependencies /readyz checks besides Redis
	// (PostgreSQL, for instance, not Required: play goes on without it).
	ReadyChecks []ReadyCheck
	// Status tunes the watch of Redis and PostgreSQL behind the status
	// notices (status.go).
	Status StatusOptions

	PingInterval     time.Duration // between pings to the client; default 25s
	PongWait         time.Duration // a socket silent this long (from 7/8 of it on: lazyDeadline; keep PingInterval under that) is closed; default 60s
	WriteWait        time.Duration // deadline of one write (it gets at least 7/8 of it: lazyDeadline); default 10s
	HelloTimeout     time.Duration // a socket without hello by then is closed; default 10s
	HandshakeTimeout time.Duration // the WebSocket upgrade; default 10s (the caller's http.Server bounds header reads)
	CloseGrace       time.Duration // wait for the client's close reply; default 1s
	AnswerTimeout    time.Duration // wait for a worker's answer; default 5s
	RedisTimeout     time.Duration // one Redis call for a client; default 2s
	// SessionRefresh is how often an open socket slides its session's
	// expiry (and closes, 1008, if the session was revoked); default 5m.
	SessionRefresh time.Duration
	SendQueue      int     // frames queued per socket before it is dropped; default 256
	Rate           float64 // frames per second a client may send; default 20
	Burst          int     // burst of frames above Rate; default 40
	// FloodRate is how many refused (rate-limited) frames per second, with
	// a burst of Burst, a client may send before its socket is closed with
	// 1008; default 3×Rate, so about 4×Rate sustained closes it.
	FloodRate float64
	ChatRate  float64 // chat messages per second one socket may send; default 1
	ChatBurst int     // burst above ChatRate; default 5
	// Maintenance, when set and true, refuses create_table and quick_match
	// with code maintenance; running tables are unaffected.
	Maintenance func() bool

	// Abuse limits (docs/operations.md, "Abuse limits"). A limit left zero
	// takes its default; a negative one is off.
	//
	// IP finds a request's client address (X-Forwarded-For believed only
	// from trusted proxies); the zero Resolver trusts no proxy.
	IP clientip.Resolver
	// SocketsPerIP caps the sockets one client IP (an IPv6 /64) holds open
	// on this gateway at once (limit ws:ip, HTTP 429 at the upgrade);
	// default config.DefaultWSPerIP. Counted in this process: the cap is per
	// gateway.
	SocketsPerIP int
	// SocketsPerUser caps the sockets of one user on this gateway (limit
	// ws:user: the hello is refused rate_limited and the socket closed
	// 1013); default config.DefaultWSPerUser.
	SocketsPerUser int
	// GuestLimit bounds the guest sessions a hello without token starts
	// per client IP (limit guest:ip); default 60 per hour.
	GuestLimit ratelimit.Limit
	// TablesPerUser caps the waiting tables one user hosts at once (limit
	// tables:user, checked at create_table); default 3. A waiting table
	// nobody sits at stops counting after EmptyTableIdle.
	TablesPerUser int
	// TableLimit bounds create_table per user (limit table:user); default
	// 10 per minute.
	TableLimit ratelimit.Limit
	// JoinCodeMisses bounds the join_code misses (codes naming no table)
	// per client IP and per user (limits joincode:ip, joincode:user);
	// default 20 per 10 minutes each.
	JoinCodeMisses ratelimit.Limit
	// EmptyTableIdle is how long a waiting table with no person seated
	// counts against its host's TablesPerUser; it should match the
	// cleanup's redisstore.DefaultEmptyIdle; default that.
	EmptyTableIdle time.Duration
	// ShedAfter: while this gateway's commands wait longer than this for
	// their answers (smoothed), new tables and quick-match entries are
	// refused unavailable with a retry_after (load.go); default 1s,
	// negative: never.
	ShedAfter time.Duration
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PingInterval, 25*time.Second)
	def(&o.PongWait, 60*time.Second)
	def(&o.WriteWait, 10*time.Second)
	def(&o.HelloTimeout, 10*time.Second)
	def(&o.HandshakeTimeout, 10*time.Second)
	def(&o.CloseGrace, time.Second)
	def(&o.AnswerTimeout, 5*time.Second)
	def(&o.RedisTimeout, 2*time.Second)
	def(&o.SessionRefresh, 5*time.Minute)
	if o.ShedAfter == 0 {
		o.ShedAfter = time.Second
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.Rate <= 0 {
		o.Rate = config.DefaultClientRate
	}
	if o.Burst <= 0 {
		o.Burst = config.DefaultClientBurst
	}
	if o.ChatRate <= 0 {
		o.ChatRate = 1
	}
	if o.ChatBurst <= 0 {
		o.ChatBurst = 5
	}
	if o.FloodRate <= 0 {
		o.FloodRate = 3 * o.Rate
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	defInt(&o.SocketsPerIP, config.DefaultWSPerIP)
	defInt(&o.SocketsPerUser, config.DefaultWSPerUser)
	defInt(&o.TablesPerUser, config.DefaultTablesPerUser)
	defLimit := func(l *ratelimit.Limit, v ratelimit.Limit) {
		if *l == (ratelimit.Limit{}) {
			*l = v
		}
	}
	defLimit(&o.GuestLimit, config.DefaultGuestLimit)
	defLimit(&o.TableLimit, ratelimit.Limit{Max: config.DefaultTableCreateLimit, Window: config.TableCreateWindow})
	defLimit(&o.JoinCodeMisses, ratelimit.Limit{Max: config.DefaultJoinCodeMisses, Window: config.JoinCodeMissWindow})
	def(&o.EmptyTableIdle, redisstore.DefaultEmptyIdle)
	return o
}

// ReadyCheck is one dependency /readyz checks. Check must return within
// the context's deadline (1 s). A Required check failing makes /readyz
// 503; another one makes it 200 "degraded".
type ReadyCheck = readiness.Check

// Server is the gateway of one process.
type Server struct {
	store    *redisstore.Store
	log      *slog.Logger
	opts     Options
	hub      *hub
	upgrader websocket.Upgrader
	checks   []ReadyCheck
	origins  httpedge.Origins
	status   *statusMonitor
	lag      answerLag // how long commands wait for their answers (load.go)
	// quiet throttles the warnings every client's request would repeat
	// while Redis is down; the status monitor ends their runs when Redis
	// is back. readyLog does the same for failing readiness checks.
	quiet    *logthrottle.Logger
	readyLog *logthrottle.Logger

	ctx    context.Context // canceled when Shutdown gives up waiting
	cancel context.CancelFunc

	mu      sync.Mutex
	closing bool
	conns   map[*conn]struct{}
	users   map[string]*conn // the socket of each user on this process
	wg      sync.WaitGroup   // one per socket being served
	// Sockets open on this process per client IP key (from the upgrade)
	// and per user (from the hello), for SocketsPerIP and SocketsPerUser.
	perIP   map[string]int
	perUser map[string]int

	limits *ratelimit.Limiter // the shared quotas (guests, tables, join codes)

	// The lobby: lobbyMu orders a socket's listing (its lobby ack) with
	// the changes pushed to it; lobbyEv feeds the pushing goroutine.
	lobbyMu    sync.Mutex
	lobbyConns map[*conn]struct{}
	lobbyEv    chan string
	lobbyDone  chan struct{}
	lobbyOnce  sync.Once
}

// NewServer returns a gateway on store. It starts the hub's goroutine
// (Redis Pub/Sub), which Shutdown stops.
func NewServer(store *redisstore.Store, log *slog.Logger, opts Options) *Server {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		store: store, log: log, opts: opts, ctx: ctx, cancel: cancel,
		conns: map[*conn]struct{}{}, users: map[string]*conn{},
		perIP: map[string]int{}, perUser: map[string]int{},
		limits:   ratelimit.New(store.Client(), store.Keys().RateLimit),
		quiet:    logthrottle.New(log, logthrottle.DefaultInterval),
		readyLog: logthrottle.New(log, logthrottle.DefaultInterval),
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: opts.HandshakeTimeout,
		Subprotocols:     protocol.Subprotocols,
		CheckOrigin:      func(*http.Request) bool { return true }, // checked before upgrading
		WriteBufferPool:  &sync.Pool{},
		// its own 1 KiB reader instead of net/http's 4 KiB one: a client's
		// frames are small (a chat line at most ~1 KB), a longer one takes
		// more reads; 3 KiB less per socket
		ReadBufferSize: 1024,
	}
	s.origins = httpedge.NewOrigins(opts.AllowedOrigins)
	rdb := store.Client()
	s.checks = append([]ReadyCheck{{Name: "redis", Required: true, Check: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}},
		opts.ReadyChecks...)
	s.lobbyConns, s.lobbyEv, s.lobbyDone = map[*conn]struct{}{}, make(chan string, 1024), make(chan struct{})
	go s.pushLobby()
	go s.reportOnline() // online.go
	s.status = newStatusMonitor(s)
	go s.status.run() // status.go
	keys := store.Keys()
	s.hub = newHub(rdb, keys, log, hubHooks{
		globals: map[string]func(string){keys.LobbyEvents(): s.lobbyChanged, keys.Kick(): s.kicked},
		onUser:  s.userMessage,
		onResubscribe: func(ch string) {
			if ch == keys.Kick() { // once per reconnection: Redis may have lost the queue
				go s.requeue()
			}
		},
	})
	go s.watchRedis(time.Second)
	return s
}

// Handler serves /ws (the WebSocket), /healthz (the process runs) and
// /readyz: 200 while the gateway can do its job — Redis usable, not
// draining — with "status":"degraded" and the failing check "degraded"
// when only an optional dependency (PostgreSQL) fails; else 503.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle("/readyz", readiness.Handler(s.checks, readiness.Options{Draining: s.isClosing, Log: s.readyLog}))
	return mux
}

// Shutdown drains the gateway: new sockets are refused, every socket gets
// bye {"reason":"shutdown"} and a close frame 1001 (going away), and
// Shutdown waits for them to close, at most until ctx ends; then it closes
// what remains and stops the hub. It returns ctx's error if it had to cut
// sockets short.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for c := range s.conns {
		c.close(protocol.ByeShutdown, websocket.CloseGoingAway, "server shutting down")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.kill()
		}
		s.mu.Unlock()
		<-done
	}
	s.cancel()
	<-s.status.done
	s.hub.close()
	s.lobbyOnce.Do(func() { close(s.lobbyEv) })
	<-s.lobbyDone
	return err
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if s.isClosing() {
		httpError(w, http.StatusServiceUnavailable, protocol.CodeUnavailable, "server shutting down")
		return
	}
	version := requestedVersion(r)
	if version == 0 {
		httpError(w, http.StatusBadRequest, protocol.CodeVersionUnsupported, "")
		return
	}
	if !s.origins.Allow(r) {
		httpError(w, http.StatusForbidden, protocol.CodeOriginNotAllowed, "")
		return
	}
	ip := s.opts.IP.Key(r)
	if !s.holdIP(ip) {
		metrics.RateLimited.WithLabelValues(LimitSocketsPerIP).Inc()
		w.Header().Set("Retry-After", strconv.Itoa(socketRetrySeconds))
		httpError(w, http.StatusTooManyRequests, protocol.CodeRateLimited, "too many connections from this address")
		return
	}
	hj := &batchHijack{ResponseWriter: w}
	ws, err := s.upgrader.Upgrade(hj, r, nil) // answers the client itself on error
	if err != nil {
		s.releaseIP(ip)
		s.log.Debug("websocket upgrade failed", "err", err, "remote", r.RemoteAddr)
		return
	}
	c := newConn(s, ws)
	c.version = version
	c.out = hj.conn
	c.ip = ip
	if !s.add(c) {
		s.releaseIP(ip)
		c.refuse()
		return
	}
	// The socket lives on in a goroutine of its own: returning lets net/http
	// drop what it keeps for the request — its connection's buffered writer,
	// the request and its headers, the handler's deeper stack — about 9 KiB
	// of RSS a socket (make idlebench).
	metrics.ConnectedPlayers.Inc()
	go c.serve(func() {
		s.remove(c)
		metrics.ConnectedPlayers.Dec()
		s.releaseIP(ip)
		s.wg.Done()
	})
}

// requestedVersion is the protocol version r states, 0 when it states none
// this gateway speaks: the query v (given once), else the newest hokm.vN
// subprotocol offered that it speaks (the one the upgrade echoes: gorilla
// takes the first of protocol.Subprotocols the client offers). A query v
// and an offered subprotocol of ours must name the same version.
func requestedVersion(r *http.Request) int {
	offered := 0
	for _, p := range protocol.Subprotocols {
		if slices.Contains(websocket.Subprotocols(r), p) {
			offered = protocol.SubprotocolVersion(p)
			break
		}
	}
	v, hasV := r.URL.Query()["v"]
	if !hasV {
		return offered
	}
	if len(v) != 1 {
		return 0
	}
	if n := protocol.VersionOf(v[0]); offered == 0 || offered == n {
		return n
	}
	return 0
}

func httpError(w http.ResponseWriter, status int, code game.Code, msg string) {
	if msg == "" {
		msg = protocol.Message(code)
	}
	httpedge.Error(w, status, string(code), msg)
}

// Draining tells whether Shutdown has begun (the gateway refuses new
// sockets and is unready).
func (s *Server) Draining() bool { return s.isClosing() }

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// add registers a new socket; false once the server is draining.
func (s *Server) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// Names of the limits the gateway counts itself (hokm_rate_limited_total).
const (
	LimitSocketsPerIP   = "ws:ip"
	LimitSocketsPerUser = "ws:user"
	LimitGuest          = "guest:ip"
	LimitTablesOpen     = "tables:user"
	LimitTablesFollowed = "tables:socket"
	LimitTableCreate    = "table:user"
	LimitJoinCodeIP     = "joincode:ip"
	LimitJoinCodeUser   = "joincode:user"
)

// socketRetrySeconds is the Retry-After of a socket refused by a cap: the
// count is of open sockets, which close at any time.
const socketRetrySeconds = 30

// holdIP counts one more socket of ip; false (nothing counted) when ip
// holds SocketsPerIP already.
func (s *Server) holdIP(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.opts.SocketsPerIP; n > 0 && s.perIP[ip] >= n {
		return false
	}
	s.perIP[ip]++
	return true
}

func (s *Server) releaseIP(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
}

// holdUser counts c as a socket of user (once per socket); false (nothing
// counted) when user holds SocketsPerUser sockets here already. remove
// takes it back.
func (s *Server) holdUser(c *conn, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.opts.SocketsPerUser; n > 0 && s.perUser[user] >= n {
		return false
	}
	s.perUser[user]++
	c.counted = user
	return true
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if u := c.counted; u != "" {
		if s.perUser[u]--; s.perUser[u] <= 0 {
			delete(s.perUser, u)
		}
		c.counted = ""
	}
	if c.sess != nil && s.users[c.sess.User] == c {
		delete(s.users, c.sess.User)
	}
	s.mu.Unlock()
	s.lobbyMu.Lock()
	delete(s.lobbyConns, c)
	s.lobbyMu.Unlock()
}

// claimUser makes c the socket of user on this process; an older socket
// of the same user is closed with bye "replaced".
func (s *Server) claimUser(c *conn, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.users[user]; old != nil && old != c {
		old.replace()
	}
	s.users[user] = c
	c.user = user
}

// kicked closes every socket of the user a kick message names, with bye
// and the message's reason, close code 1008.
func (s *Server) kicked(payload string) {
	var k redisstore.Kick
	if err := json.Unmarshal([]byte(payload), &k); err != nil || k.User == "" || k.Reason == "" {
		s.log.Warn("undecodable kick message", "payload", payload)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.user == k.User {
			c.close(k.Reason, websocket.ClosePolicyViolation, "session ended")
		}
	}
}

// notice is a message on a user's channel.
type notice struct {
	Type   string `json:"type"`
	Table  string `json:"table,omitempty"`
	Socket string `json:"socket,omitempty"` // replaced: the socket that stays
}

// noticeReplaced is the notice a user's new socket sends to close the
// others, on any gateway.
const noticeReplaced = "replaced"

// userMessage handles a message on the channel of user t.id, for the
// sockets t.conns (called with the hub's lock held: it must not block).
func (s *Server) userMessage(t *hubTable, payload string) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.Type == "" {
		s.log.Warn("undecodable user notice", "user", t.id)
		return
	}
	if n.Type == noticeReplaced {
		for c := range t.conns {
			if c.sid != n.Socket {
				c.replace()
			}
		}
		return
	}
	frame, err := noticeFrame(payload)
	if err != nil {
		s.log.Warn("undecodable user notice", "user", t.id, "err", err)
		return
	}
	for c := range t.conns {
		c.push(frame)
		if n.Type == "matched" && protocol.ValidTableID(n.Table) {
			go c.matched(n.Table)
		}
	}
}

// noticeFrame turns {"type":X,...} into {"type":"notice","notice":X,...}.
func noticeFrame(payload string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return nil, err
	}
	m["notice"] = m["type"]
	m["type"] = json.RawMessage(`"notice"`)
	return json.Marshal(m)
}

// lobbyChanged queues a lobby change ({"table":...} or {"removed":...})
// for the sockets in the lobby; it never blocks the hub.
func (s *Server) lobbyChanged(payload string) {
	if len(payload) < 2 || payload[0] != '{' {
		return
	}
	select {
	case s.lobbyEv <- payload:
	default:
		s.log.Warn("lobby change dropped: queue full")
	}
}

// pushLobby sends each lobby change to the sockets in the lobby.
func (s *Server) pushLobby() {
	defer close(s.lobbyDone)
	for payload := range s.lobbyEv {
		frame := append([]byte(`{"type":"lobby",`), payload[1:]...)
		s.lobbyMu.Lock()
		for c := range s.lobbyConns {
			c.push(frame)
		}
		s.lobbyMu.Unlock()
	}
}

// watchRedis reads Redis's run id every interval until the server stops;
// when it changes (a restart, or a failover to another server) the hub
// subscribes again on the server now in use (see hub.reopen).
func (s *Server) watchRedis(every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := ""
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.RedisTimeout)
		id, err := s.store.RunID(ctx)
		cancel()
		if err != nil || id == last {
			continue
		}
		if last != "" {
			s.log.Warn("Redis server changed (restart or failover): subscribing again", "run_id", id)
			s.hub.reopen()
			s.mu.Lock()
			for c := range s.conns {
				c.push(retryItem{})
			}
			s.mu.Unlock()
		}
		last = id
	}
}

// missingTable is the answer to a request for a table Redis does not have:
// unavailable (retry) while the tables of the Redis server in use are still
// being recovered after a restart or failover, else code.
func (s *Server) missingTable(ctx context.Context, code game.Code) game.Code {
	if _, pending, err := s.store.RecoveryNeeded(ctx); err != nil || pending {
		return protocol.CodeUnavailable
	}
	return code
}

// connCount is the number of sockets being served (for tests).
func (s *Server) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
