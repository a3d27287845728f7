package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/redisstore"
)

// conn is one player's socket. The reader goroutine (serve, started by
// the HTTP handler, which returns) reads and handles client frames; the writer
// goroutine owns everything sent, including the per-table state, and gets
// its work through the bounded queue inbox:
//
//	[]byte        an encoded frame to send
//	helloItem     the session is known (its user and token)
//	*hubMsg       a message published on a followed table's channel
//	pendingItem   a command was enqueued; answer it when its result comes (queued without waking the writer: pushPending)
//	failItem      answer a pending command with an error now
//	syncItem      a sync request
//	catchUp       read the log: messages may have been lost
//	watchItem     start or stop watching a table as a spectator
//	matchedItem   the user was seated by quick match: send the table
//	unfollowItem  the socket no longer follows a table: forget it
//	retryItem     Redis changed under the server: answer every pending command unavailable now
type conn struct {
	srv   *Server
	ws    *websocket.Conn
	out   *batchConn // ws's connection: the writer gathers a burst's frames into one write
	inbox *mailbox
	sid   string // this socket's id (tells it apart from the user's others)
	user  string // set by claimUser, under srv.mu
	ip    string // the client IP's budget key (clientip.Key)
	// version is the protocol version the client stated: under
	// protocol.Version2 a change's events go in one frame with the ack.
	version int
	// counted is the user this socket is counted for in srv.perUser
	// (SocketsPerUser), under srv.mu; "" before the hello and after remove.
	counted string

	replaced atomic.Bool // closed because a newer socket of the user took over
	queued   atomic.Bool // waiting in the quick-match queue (joined, not matched or cancelled)

	stopOnce  sync.Once // the writer says bye and closes (wakeStop)
	byeReason string    // set before wakeStop is raised
	lastFrame []byte    // sent before the bye, if set (set before wakeStop is raised)
	closeCode int
	closeText string

	deadOnce sync.Once
	dead     chan struct{} // the socket is closed; both goroutines end
	wrote    chan struct{} // the writer has ended

	follows follows // the tables this socket follows (follows.go)

	// Owned by the reader.
	sess     *redisstore.Session // set by hello
	limiter  *rate.Limiter       // frames a client may send
	flood    *rate.Limiter       // refused frames tolerated before closing
	chat     *rate.Limiter       // chat messages
	tookOver bool                // told the user's other sockets to close
	// answerWake raises wakeExpire at answerWakeAt: the writer is not woken
	// for a command's pending answer (pushPending), so this wakes it by the
	// first such deadline it may not know of yet.
	answerWake   *time.Timer
	answerWakeAt time.Time

	hops atomic.Int32 // the reader's moves to a fresh goroutine (readFrames)
}

type (
	helloItem   struct{ user, token string }
	pendingItem struct {
		table, id string
		op        protocol.Type
		withTable bool      // the ack names the table (join_code)
		sent      time.Time // when the command was read
	}
	failItem struct {
		table, id string
		code      game.Code
	}
	syncItem struct {
		table, id string
		after     int64 // -1: no seq given
		epoch     int64 // 0: not given
	}
	watchItem struct {
		table, id string
		on        bool // watch, else unwatch
	}
	matchedItem  struct{ table string }
	unfollowItem struct{ table string }
	retryItem    struct{}
)

func newConn(s *Server, ws *websocket.Conn) *conn {
	return &conn{
		srv: s, ws: ws, inbox: newMailbox(s.opts.SendQueue), sid: randomHex(8),
		dead: make(chan struct{}), wrote: make(chan struct{}),
		limiter: rate.NewLimiter(rate.Limit(s.opts.Rate), s.opts.Burst),
		flood:   rate.NewLimiter(rate.Limit(s.opts.FloodRate), s.opts.Burst),
		chat:    rate.NewLimiter(rate.Limit(s.opts.ChatRate), s.opts.ChatBurst),
	}
}

// serve runs the socket until it closes, then ended: the writer in its
// own goroutine, the reader here and then on fresh goroutines (readFrames).
func (c *conn) serve(ended func()) {
	w := newWriter(c)
	go func() {
		defer close(c.wrote)
		w.runWriter() // recover.go
	}()
	c.read(func() {
		c.kill()
		<-c.wrote
		c.srv.hub.releaseAll(c)
		c.leaveQueue()
		ended()
	})
}

// leaveQueue takes the user out of the quick-match queue when the socket
// ends, unless a newer socket of the user took over or the gateway is
// draining (the client reconnects elsewhere and is still waiting).
func (c *conn) leaveQueue() {
	if c.sess == nil || c.replaced.Load() || c.srv.isClosing() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.opts.RedisTimeout)
	defer cancel()
	if err := c.srv.store.LeaveQueue(ctx, c.sess.User); err != nil {
		c.srv.log.Debug("leaving the quick-match queue failed", "err", err)
	}
}

// replace closes the socket because a newer one of its user took over.
func (c *conn) replace() {
	c.replaced.Store(true)
	c.close(protocol.ByeReplaced, websocket.CloseNormalClosure, "replaced by a newer connection")
}

// matched follows a table quick match seated the user at, so the socket
// gets its snapshot (now, or once the seat is taken) and its events.
func (c *conn) matched(tableID string) {
	c.queued.Store(false)
	ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.opts.RedisTimeout)
	defer cancel()
	if err := c.follow(ctx, tableID, false); err != nil {
		c.srv.quiet.Warn("following a matched table failed", "table", tableID, "err", err)
		return
	}
	select {
	case <-c.wrote: // the socket ended meanwhile: undo what its end released
		c.srv.hub.releaseAll(c)
		return
	default:
	}
	c.push(matchedItem{table: tableID})
}

// refuse closes a socket accepted while the server started draining.
func (c *conn) refuse() {
	deadline := time.Now().Add(c.srv.opts.WriteWait)
	_ = c.ws.SetWriteDeadline(deadline)
	_ = c.ws.WriteMessage(websocket.TextMessage, protocol.AppendBye(nil, protocol.ByeShutdown))
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), deadline)
	_ = c.ws.Close()
}

// push queues work for the writer without blocking; a socket whose queue
// is full is dropped (the game goes on without it).
func (c *conn) push(v any) { c.queue(v, true) }

// queue puts v in the mailbox, waking the writer or not; false when the
// socket is closed, or was just dropped for a full send queue.
func (c *conn) queue(v any, wake bool) bool {
	select {
	case <-c.dead:
		return false
	default:
	}
	if !c.inbox.put(v, wake) {
		c.srv.log.Info("dropping a socket whose send queue is full", "remote", c.ws.RemoteAddr().String())
		c.kill()
		return false
	}
	return true
}

// pushPending queues a command's pending answer for the writer without
// waking it: the answer's message, which comes after it through the
// mailbox, wakes it — one wake a command less (a card wakes its sender's
// writer once, not twice). Should no answer come, answerWake wakes the
// writer by the command's deadline, unless it is set to wake it earlier
// already (then the writer, woken, knows of this command and times it
// itself).
func (c *conn) pushPending(p pendingItem) {
	if !c.queue(p, false) {
		return
	}
	d := c.srv.opts.AnswerTimeout
	switch {
	case c.answerWake == nil:
		c.answerWake = c.inbox.raiseAfter(d, wakeExpire)
	case c.answerWakeAt.After(p.sent):
		return // it wakes the writer before this deadline
	default:
		if c.answerWake.Stop() { // its time came, but it has not fired yet
			c.inbox.raise(wakeExpire)
		}
		c.answerWake.Reset(d)
	}
	c.answerWakeAt = p.sent.Add(d)
}

// close asks the writer to send bye (when reason is set) and a close frame.
func (c *conn) close(reason string, code int, text string) {
	c.closeAfter(nil, reason, code, text)
}

// closeAfter is close with a last frame sent before the bye (an error
// answer that ends the socket: frames still queued may be left unsent).
func (c *conn) closeAfter(last []byte, reason string, code int, text string) {
	c.stopOnce.Do(func() {
		c.lastFrame, c.byeReason, c.closeCode, c.closeText = last, reason, code, text
		c.inbox.raise(wakeStop)
	})
}

// refuseRetry answers frame id with rate_limited and a retry hint, and
// closes the socket politely with 1013 (try again later).
func (c *conn) refuseRetry(id, what string, retry time.Duration, msg string) {
	metrics.Error(metrics.ComponentGateway, string(protocol.CodeRateLimited))
	c.closeAfter(protocol.AppendErrorRetry(nil, id, protocol.CodeRateLimited, msg, retry), "",
		websocket.CloseTryAgainLater, "rate limited: "+what)
}

// kill closes the socket at once, without a close frame.
func (c *conn) kill() {
	c.deadOnce.Do(func() {
		close(c.dead)
		c.inbox.raise(wakeDead)
		_ = c.ws.Close()
	})
}

func (c *conn) sendError(id string, code game.Code, msg string) {
	metrics.Error(metrics.ComponentGateway, string(code))
	c.push(protocol.AppendError(nil, id, code, msg))
}

// read is the reader loop; end runs when the socket is read no more.
func (c *conn) read(end func()) {
	o := &c.srv.opts
	c.ws.SetReadLimit(protocol.MaxFrameLen) // gorilla closes with 1009 beyond it
	_ = c.ws.SetReadDeadline(time.Now().Add(o.PongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(o.PongWait)) })
	// A client's pings count against the socket's frame budget like any
	// frame: one over it goes unanswered, a flood of them closes the socket.
	pong := c.ws.PingHandler() // gorilla's own answer
	c.ws.SetPingHandler(func(data string) error {
		metrics.FramesIn.Inc()
		if !c.limiter.Allow() {
			if !c.flood.Allow() {
				c.closeFlood()
				return errFlood
			}
			return nil
		}
		return pong(data)
	})
	c.readFrames(time.Time{}, end)
}

// readerHop is how often at most the reader goes on on a fresh goroutine.
//
// Handling a frame that calls Redis grows the reader's stack to 8 KiB,
// and the collector halves a stack only while less than a quarter of it is
// in use, which a reader waiting for its next frame is not (≈ 1.7 KiB
// deep, with the runtime's margin over 2 KiB): every socket kept 8 KiB of
// stack for its life. A fresh goroutine waiting for the next frame needs
// 4 KiB. It takes one goroutine start a socket every readerHop at most
// (and after the first frame, the hello): nothing a move pays for.
const readerHop = 10 * time.Second

// readFrames handles frames until the socket is read no more, then runs
// end — or, after a frame handled readerHop or more after hopped (the
// reader's start, or its last hop), goes on on a fresh goroutine.
func (c *conn) readFrames(hopped time.Time, end func()) {
	for {
		kind, buf, err := c.nextFrame()
		if err != nil {
			if !errors.Is(err, websocket.ErrReadLimit) && !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				c.srv.log.Debug("socket read ended", "err", err)
			}
			break
		}
		stop := c.frame(kind, buf.Bytes())
		releaseFrame(buf)
		if stop {
			break
		}
		if now := time.Now(); now.Sub(hopped) >= readerHop {
			c.hops.Add(1)
			go c.readFrames(now, end)
			return
		}
	}
	stopTimer(c.answerWake) // (the reader's: the writer stops its own)
	end()
}

// frame handles one client frame; true when the socket is to be read no
// more (closed for flooding). data is the reader's buffer: nothing here
// keeps it (a request's fields are copies).
func (c *conn) frame(kind int, data []byte) (stop bool) {
	o := &c.srv.opts
	metrics.FramesIn.Inc()
	metrics.Request(metrics.ComponentGateway)
	_ = c.ws.SetReadDeadline(time.Now().Add(o.PongWait))
	if !c.limiter.Allow() {
		if !c.flood.Allow() {
			c.closeFlood()
			return true
		}
		c.sendError(frameID(data), protocol.CodeRateLimited, "")
		return false
	}
	if kind != websocket.TextMessage {
		c.sendError("", protocol.CodeBadMessage, "binary frames are not accepted")
		return false
	}
	req, err := protocol.Decode(data)
	if err != nil {
		pe := &protocol.Error{Code: protocol.CodeBadMessage}
		errors.As(err, &pe)
		c.sendError(pe.ID, pe.Code, pe.Msg)
		return false
	}
	ctx, cancel := context.WithTimeout(c.srv.ctx, o.RedisTimeout)
	c.handleFrame(ctx, req) // recover.go
	cancel()
	return false
}

// nextFrame reads the next frame whole into a buffer of frameBufs (what
// gorilla's ReadMessage does into a new slice, at least 512 bytes, for each
// frame). The buffer is taken once a frame has begun, so a socket waiting
// for its next frame holds none; the caller hands it back (releaseFrame).
func (c *conn) nextFrame() (kind int, buf *bytes.Buffer, err error) {
	kind, r, err := c.ws.NextReader()
	if err != nil {
		return kind, nil, err
	}
	buf = frameBufs.Get().(*bytes.Buffer)
	if _, err := buf.ReadFrom(r); err != nil {
		releaseFrame(buf)
		return kind, nil, err
	}
	return kind, buf, nil
}

// frameBufs are the readers' frame buffers.
var frameBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// releaseFrame returns buf to frameBufs, unless a large frame made it
// larger than a play's frames need.
func releaseFrame(buf *bytes.Buffer) {
	if buf.Cap() <= 2*protocol.MaxFrameLen {
		buf.Reset()
		frameBufs.Put(buf)
	}
}

// errFlood ends the reader of a socket closed for sending too much.
var errFlood = errors.New("rate limit exceeded")

// closeFlood closes a socket that sent too many frames (pings included)
// over its budget: close frame 1008, then the reader ends. In between it
// reads and drops what the client still sends, until it stops or for
// floodLinger at most: a socket closed with unread data in it is reset,
// and a reset can make the client lose the close frame (and why) that was
// already on its way.
func (c *conn) closeFlood() {
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "rate limit exceeded"),
		time.Now().Add(c.srv.opts.WriteWait))
	nc := c.ws.NetConn()
	if nc.SetReadDeadline(time.Now().Add(floodLinger)) == nil {
		_, _ = io.Copy(io.Discard, nc)
	}
}

// floodLinger bounds how long a flooding socket is drained before it is
// closed (a client that got the close frame stops sending at once).
const floodLinger = 500 * time.Millisecond

// frameID is the id of a frame, if it can be read.
func frameID(data []byte) string {
	req, err := protocol.Decode(data)
	if err != nil {
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return pe.ID
		}
		return ""
	}
	return req.ID
}
