package botclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// protocolVersion is the version of docs/protocol.md this client speaks
// (written from the document, not from the server's code).
const protocolVersion = "2"

// errLost marks a socket lost in a way a client recovers from by
// reconnecting: a read or write error, a close other than a kick, a bye
// "shutdown", a failed dial, or an unavailable answer to hello or sync.
var errLost = errors.New("connection lost")

// lost is seat's socket lost for the reason given; errors.Is(err, errLost).
func lost(seat int, format string, args ...any) error {
	return fmt.Errorf("seat %d: %w: %s", seat, errLost, fmt.Sprintf(format, args...))
}

// throttled is a refusal by one of the server's abuse limits (HTTP 429 at
// the upgrade, rate_limited on hello): the socket is lost (errLost), and
// the next attempt waits at least wait.
type throttled struct {
	err  error
	wait time.Duration
}

func (e *throttled) Error() string { return fmt.Sprintf("%v (retry in %v)", e.err, e.wait) }
func (e *throttled) Unwrap() error { return e.err }

// hinted is the wait a server asked for: retry_after seconds, else
// (none given) fallback.
func hinted(secs int, fallback time.Duration) time.Duration {
	if secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return fallback
}

// refused is a request the server answered with an error code that ends
// the client.
type refused struct {
	seat      int
	what      any
	code, msg string
	resent    bool // the command went more than once (its first sending may have been applied)
}

func (e *refused) Error() string {
	return fmt.Sprintf("seat %d: %v refused: %s %s", e.seat, e.what, e.code, e.msg)
}

// Reconnect backoff, as the web client's (web/static/js/conn.js) but
// shorter: bots measure a restart, people should not hammer a server.
const (
	backoffFirst = 100 * time.Millisecond
	backoffMax   = 2 * time.Second
)

// backoff is the wait before reconnect attempt n (from 1): backoffFirst
// doubling up to backoffMax, ±50 % at random so that the clients of a
// drained gateway do not all come back at once.
func backoff(n int) time.Duration {
	d := backoffFirst << min(n-1, 5)
	d = min(d, backoffMax)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// sock is one WebSocket of a client. Its frames are read by the goroutine
// that handles them (client.recv), not handed over from a reader of their
// own: that goroutine switch per frame (four a card) made the scheduler
// about a quarter of the load client's CPU profile, CPU that on a machine
// shared with the server is taken from the server.
type sock struct {
	ws      *websocket.Conn
	pending []frameOrErr // the rest of the last message's frames (unfolded)
	dead    error        // the read error that ended the socket
	once    sync.Once

	// A read blocked when its ctx ends is ended by a read deadline of now.
	// The context watched is kept from one read to the next (a match's
	// reads share one): watching a context costs a registration with it.
	mu      sync.Mutex
	reading context.Context // of the read in progress, nil between reads
	watched context.Context
	unwatch func() bool
}

type frameOrErr struct {
	f       frame
	raw     []byte // nil for a frame unfolded from an events frame (bytes makes it)
	first   bool   // the first frame of its WebSocket message
	readErr error  // the socket is gone
	bad     error  // the frame is not JSON
}

// unfold is the frames of version 1 a version-2 events frame stands for —
// its events one by one, then the ack it carries — so that the client
// handles both versions alike; any other frame is itself.
func unfold(f frame, raw []byte) []frameOrErr {
	if f.Type != "events" {
		return []frameOrErr{{f: f, raw: raw, first: true}}
	}
	out := make([]frameOrErr, 0, len(f.Events)+1)
	for i, ev := range f.Events {
		out = append(out, frameOrErr{f: frame{Type: "event", Table: f.Table, Seq: f.Seq + int64(i), Event: ev}, first: i == 0})
	}
	if f.Ack != "" {
		seq := f.Seq + int64(len(f.Events)) - 1
		out = append(out, frameOrErr{f: frame{Type: "ack", ID: f.Ack, Data: []byte(`{"seq":` + strconv.FormatInt(seq, 10) + `}`)}})
	}
	return out
}

// bytes is the frame's JSON: as received, or for an unfolded frame as
// version 1 would have sent it (what the leak check reads).
func (fe *frameOrErr) bytes() []byte {
	if fe.raw != nil {
		return fe.raw
	}
	f := fe.f
	var b []byte
	if f.Type == "event" {
		b, _ = json.Marshal(struct {
			Type  string          `json:"type"`
			Table string          `json:"table"`
			Seq   int64           `json:"seq"`
			Event json.RawMessage `json:"event"`
		}{f.Type, f.Table, f.Seq, f.Event})
	} else {
		b, _ = json.Marshal(struct {
			Type string          `json:"type"`
			ID   string          `json:"id"`
			Data json.RawMessage `json:"data"`
		}{f.Type, f.ID, f.Data})
	}
	return b
}

// versioned is the gateway URL rawURL asking for protocol version 2,
// unless it names a version (v=1) itself.
func versioned(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	if q.Get("v") != "" {
		return u, nil
	}
	q.Set("v", protocolVersion)
	u.RawQuery = q.Encode()
	return u, nil
}

// dialSock opens a socket to the gateway at rawURL (protocol version 2
// unless rawURL names another: versioned).
// Any failure, an HTTP refusal included (503 while a gateway drains), is
// errLost: another gateway may take the client.
func dialSock(ctx context.Context, seat int, rawURL string) (*sock, error) {
	u, err := versioned(rawURL)
	if err != nil {
		return nil, err
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.DialContext(ctx, u.String(), http.Header{})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			return nil, &throttled{err: lost(seat, "dial %s: HTTP 429", u), wait: hinted(secs, backoffMax)}
		}
		if resp != nil {
			return nil, lost(seat, "dial %s: %v (HTTP %d)", u, err, resp.StatusCode)
		}
		return nil, lost(seat, "dial %s: %v", u, err)
	}
	return &sock{ws: ws}, nil
}

// read returns the socket's next frame, waiting for it until ctx ends
// (then readErr is ctx's error). A read error, or ctx's end, ends the
// socket: every later read returns it again.
func (s *sock) read(ctx context.Context) frameOrErr {
	if len(s.pending) > 0 {
		fe := s.pending[0]
		s.pending = s.pending[1:]
		return fe
	}
	if s.dead != nil {
		return frameOrErr{readErr: s.dead}
	}
	s.watch(ctx)
	s.mu.Lock()
	s.reading = ctx
	s.mu.Unlock()
	var fe frameOrErr
	if fe.readErr = ctx.Err(); fe.readErr == nil { // (after reading is set: see watch)
		_, fe.raw, fe.readErr = s.ws.ReadMessage()
	}
	s.mu.Lock()
	s.reading = nil
	s.mu.Unlock()
	if fe.readErr != nil && ctx.Err() != nil {
		fe.readErr = ctx.Err()
	}
	if fe.readErr != nil {
		s.dead = fe.readErr
		return fe
	}
	if fe.bad = decodeFrame(fe.raw, &fe.f); fe.bad != nil { // fe.raw is the reader's own: never reused
		return fe
	}
	all := unfold(fe.f, fe.raw)
	s.pending = all[1:]
	return all[0]
}

// write sends one text frame.
func (s *sock) write(b []byte) error {
	s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.ws.WriteMessage(websocket.TextMessage, b)
}

// watch makes ctx's end end a read of ctx in progress. A context that
// ends between reads ends none; one that ends before a read of it sets
// reading is seen by that read's own check of ctx.
func (s *sock) watch(ctx context.Context) {
	if ctx == s.watched {
		return
	}
	if s.unwatch != nil {
		s.unwatch()
	}
	s.watched = ctx
	s.unwatch = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.reading == ctx {
			_ = s.ws.SetReadDeadline(time.Now())
		}
	})
}

// abandon closes the socket; its frames not read are dropped.
func (s *sock) abandon() {
	s.once.Do(func() {
		if s.unwatch != nil {
			s.unwatch()
		}
		s.ws.Close()
	})
}

// readError says what a failed read means: a kick (closed 1008, policy,
// or 1009, a frame too big) ends the client; anything else is errLost.
func readError(seat int, err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && (ce.Code == websocket.ClosePolicyViolation || ce.Code == websocket.CloseMessageTooBig) {
		return fmt.Errorf("seat %d: closed by the server: %w", seat, err)
	}
	return lost(seat, "read: %v", err)
}

// connect opens the client's first socket and says hello. Unless
// reconnecting is off, a gateway that cannot be reached or refuses (one
// that drains answers 503) is passed over for the next, as in reconnect.
func (c *client) connect(ctx context.Context) error {
	err := c.open(ctx)
	if err != nil && !c.noReconnect && errors.Is(err, errLost) {
		err = c.redial(ctx, err)
	}
	return err
}

// reconnect replaces a lost socket (see redial) and records how long the
// client was away.
func (c *client) reconnect(ctx context.Context, cause error) error {
	lostAt := time.Now()
	if err := c.redial(ctx, cause); err != nil {
		return err
	}
	c.reconnects = append(c.reconnects, time.Since(lostAt))
	c.changes++
	return nil
}

// redial abandons the current socket and, after a jittered backoff, opens
// one to the next gateway of the list; again until one works, a gateway
// gives an answer that ends the client (bad_token, a kick), or ctx ends.
func (c *client) redial(ctx context.Context, cause error) error {
	for n := 1; ; n++ {
		if c.sock != nil {
			c.sock.abandon()
		}
		wait := backoff(n)
		if th := (*throttled)(nil); errors.As(cause, &th) {
			wait = max(wait, th.wait) // the server said when
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("seat %d: gave up reconnecting (%v): %w", c.state.seat, cause, ctx.Err())
		case <-t.C:
		}
		c.at = (c.at + 1) % len(c.urls)
		err := c.open(ctx)
		if err == nil || !errors.Is(err, errLost) {
			return err
		}
		cause = err
	}
}

// open dials urls[c.at] and says hello, with the session's token once
// there is one (same user, same seat); once seated, it syncs the table
// from the last seq received, naming the epoch of the last snapshot or
// resync when the server gave one.
func (c *client) open(ctx context.Context) error {
	s, err := dialSock(ctx, c.state.seat, c.urls[c.at])
	if err != nil {
		return err
	}
	c.sock = s
	hello := map[string]any{"type": "hello", "name": c.name}
	if c.token != "" {
		hello = map[string]any{"type": "hello", "token": c.token}
	}
	data, err := c.exchange(ctx, hello)
	if r := (*refused)(nil); c.user == "" && c.token != "" && errors.As(err, &r) && r.code == "bad_token" {
		// A session kept from an earlier match has expired: a new guest.
		c.token = ""
		data, err = c.exchange(ctx, map[string]any{"type": "hello", "name": c.name})
	}
	if err != nil {
		return err
	}
	var ack struct{ User, Token string }
	if err := json.Unmarshal(data, &ack); err != nil || ack.Token == "" {
		return fmt.Errorf("seat %d: hello answer %s: %v", c.state.seat, data, err)
	}
	if c.user != "" && ack.User != c.user {
		return fmt.Errorf("seat %d: the token resumed user %s, not %s", c.state.seat, ack.User, c.user)
	}
	c.user, c.token = ack.User, ack.Token
	if !c.seated {
		return nil
	}
	sync := map[string]any{"type": "sync", "table": c.table}
	if c.state.lastSeq > 0 {
		sync["after"] = c.state.lastSeq
	}
	if c.epoch != nil && *c.epoch >= 1 { // the protocol's epochs start at 1
		sync["epoch"] = *c.epoch
	}
	c.catchingUp = true
	defer func() { c.catchingUp = false }()
	_, err = c.exchange(ctx, sync)
	return err
}

// exchange sends msg on the current socket and waits for its answer there,
// applying the frames that come first; it never reconnects. unavailable is
// errLost (another gateway may do better), any other error ends the client.
func (c *client) exchange(ctx context.Context, msg map[string]any) (json.RawMessage, error) {
	id, err := c.send(msg)
	if err != nil {
		return nil, err
	}
	for {
		f, err := c.recv(ctx)
		if err != nil {
			return nil, err
		}
		if f.ID != id {
			continue
		}
		if f.Type == "error" && f.Code == "unavailable" {
			return nil, lost(c.state.seat, "%v: unavailable", msg["type"])
		}
		if f.Type == "error" && f.Code == "rate_limited" { // the socket closes; try again when told
			return nil, &throttled{err: lost(c.state.seat, "%v: rate_limited", msg["type"]), wait: hinted(f.RetryAfter, backoffMax)}
		}
		if f.Type == "error" {
			return nil, &refused{seat: c.state.seat, what: msg["type"], code: f.Code, msg: f.Message}
		}
		return f.Data, nil
	}
}

func (c *client) close() {
	if c.sock != nil {
		c.sock.abandon()
	}
}

// send sends msg with a new id, or with its own when it has one (a retry).
// When reconnecting is allowed a failed write is not an error: it closes
// the socket, whose reader then reports the loss to next, and the caller
// sends msg again after the reconnect.
func (c *client) send(msg map[string]any) (string, error) {
	id, ok := msg["id"].(string)
	if !ok {
		c.nextID++
		id = "m" + strconv.Itoa(c.nextID)
		msg["id"] = id
	}
	b, _ := json.Marshal(msg)
	err := c.sock.write(b)
	if err != nil && !c.noReconnect {
		c.sock.ws.Close()
		return id, nil
	}
	if err != nil {
		return id, fmt.Errorf("seat %d: send %v: %w", c.state.seat, msg["type"], err)
	}
	return id, nil
}

// recv returns the next frame of the current socket, already applied to
// the seat's state. A lost socket is errLost.
func (c *client) recv(ctx context.Context) (frame, error) {
	fe := c.sock.read(ctx)
	switch {
	case ctx.Err() != nil && fe.readErr != nil:
		return frame{}, fmt.Errorf("seat %d: %w", c.state.seat, ctx.Err())
	case fe.readErr != nil:
		return frame{}, readError(c.state.seat, fe.readErr)
	case fe.bad != nil:
		return frame{}, fmt.Errorf("seat %d: undecodable frame %s: %w", c.state.seat, short(fe.raw), fe.bad)
	}
	if c.onFrame != nil && fe.first {
		c.onFrame()
	}
	if c.leaks != nil {
		if err := c.leaks.check(fe.bytes()); err != nil {
			return frame{}, err
		}
	}
	c.remember(&fe.f)
	return fe.f, c.handle(&fe.f)
}

// recentFrames is how many frames a client keeps for its errors.
const recentFrames = 12

// remember keeps f for the error a refused move reports (summarized only
// then: most runs never need it).
func (c *client) remember(f *frame) {
	c.recent[c.received%recentFrames] = *f
	c.received++
}

// recentSummary summarizes the frames remembered: type, seq, epoch, id,
// code, an event's type and seat; never cards.
func (c *client) recentSummary() string {
	sums := make([]string, 0, recentFrames)
	for i := max(c.received-recentFrames, 0); i < c.received; i++ {
		f := &c.recent[i%recentFrames]
		sum := f.Type
		if f.Seq != 0 {
			sum += " seq=" + strconv.FormatInt(f.Seq, 10)
		}
		if f.Epoch != nil {
			sum += " ep=" + strconv.FormatInt(*f.Epoch, 10)
		}
		if f.ID != "" {
			sum += " id=" + f.ID
		}
		if f.Code != "" {
			sum += " " + f.Code
		}
		if f.Type == "event" {
			var e struct {
				Type string `json:"type"`
				Seat *int   `json:"seat"`
			}
			_ = json.Unmarshal(f.Event, &e)
			sum += " " + e.Type
			if e.Seat != nil {
				sum += "@" + strconv.Itoa(*e.Seat)
			}
		}
		sums = append(sums, sum)
	}
	return strings.Join(sums, " | ")
}

// next is recv that reconnects: after replacing a lost socket it returns
// a frame of type typeReconnected, and the caller sends again, with the
// same id, what it had not had answered (the server applies an id at most
// once). With Options.NoReconnect a lost socket is an error.
func (c *client) next(ctx context.Context) (frame, error) {
	f, err := c.recv(ctx)
	if err == nil || c.noReconnect || !errors.Is(err, errLost) {
		return f, err
	}
	if err := c.reconnect(ctx, err); err != nil {
		return frame{}, err
	}
	return frame{Type: typeReconnected}, nil
}
