package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// conn is one player's socket. The reader goroutine (serve, on the HTTP
// handler's goroutine) reads and handles client frames; the writer
// goroutine owns everything sent, including the per-table state, and gets
// its work through the bounded queue inbox:
//
//	[]byte        an encoded frame to send
//	helloItem     the session is known (its user and token)
//	*hubMsg       a message published on a followed table's channel
//	pendingItem   a command was enqueued; answer it when its result comes
//	failItem      answer a pending command with an error now
//	syncItem      a sync request
//	catchUp       read the log: messages may have been lost
type conn struct {
	srv   *Server
	ws    *websocket.Conn
	inbox chan any

	stopOnce  sync.Once
	stop      chan struct{} // the writer says bye and closes
	byeReason string        // set before stop is closed
	closeCode int
	closeText string

	deadOnce sync.Once
	dead     chan struct{} // the socket is closed; both goroutines end
	wrote    chan struct{} // the writer has ended

	// Owned by the reader.
	sess    *redisstore.Session // set by hello
	tables  map[string]bool     // tables this socket follows
	limiter *rate.Limiter       // frames a client may send
	flood   *rate.Limiter       // refused frames tolerated before closing
}

type (
	helloItem   struct{ user, token string }
	pendingItem struct {
		table, id string
		op        protocol.Type
	}
	failItem struct {
		table, id string
		code      game.Code
	}
	syncItem struct {
		table, id string
		after     int64 // -1: no seq given
	}
)

func newConn(s *Server, ws *websocket.Conn) *conn {
	return &conn{
		srv: s, ws: ws, inbox: make(chan any, s.opts.SendQueue),
		stop: make(chan struct{}), dead: make(chan struct{}), wrote: make(chan struct{}),
		limiter: rate.NewLimiter(rate.Limit(s.opts.Rate), s.opts.Burst),
		flood:   rate.NewLimiter(rate.Limit(s.opts.FloodRate), s.opts.Burst),
	}
}

// serve runs the socket until it closes: the writer in its own goroutine,
// the reader here.
func (c *conn) serve() {
	w := newWriter(c)
	go func() {
		defer close(c.wrote)
		w.run()
	}()
	c.read()
	c.kill()
	<-c.wrote
	c.srv.hub.releaseAll(c)
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
func (c *conn) push(v any) {
	select {
	case c.inbox <- v:
	case <-c.dead:
	default:
		c.srv.log.Info("dropping a socket whose send queue is full", "remote", c.ws.RemoteAddr().String())
		c.kill()
	}
}

// close asks the writer to send bye (when reason is set) and a close frame.
func (c *conn) close(reason string, code int, text string) {
	c.stopOnce.Do(func() {
		c.byeReason, c.closeCode, c.closeText = reason, code, text
		close(c.stop)
	})
}

// kill closes the socket at once, without a close frame.
func (c *conn) kill() {
	c.deadOnce.Do(func() {
		close(c.dead)
		_ = c.ws.Close()
	})
}

func (c *conn) sendError(id string, code game.Code, msg string) {
	c.push(protocol.AppendError(nil, id, code, msg))
}

// read is the reader loop.
func (c *conn) read() {
	o := &c.srv.opts
	c.ws.SetReadLimit(protocol.MaxFrameLen) // gorilla closes with 1009 beyond it
	_ = c.ws.SetReadDeadline(time.Now().Add(o.PongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(o.PongWait)) })
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			if !errors.Is(err, websocket.ErrReadLimit) && !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				c.srv.log.Debug("socket read ended", "err", err)
			}
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(o.PongWait))
		if !c.limiter.Allow() {
			if !c.flood.Allow() {
				_ = c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "rate limit exceeded"),
					time.Now().Add(o.WriteWait))
				return
			}
			c.sendError(frameID(data), protocol.CodeRateLimited, "")
			continue
		}
		if kind != websocket.TextMessage {
			c.sendError("", protocol.CodeBadMessage, "binary frames are not accepted")
			continue
		}
		req, err := protocol.Decode(data)
		if err != nil {
			pe := &protocol.Error{Code: protocol.CodeBadMessage}
			errors.As(err, &pe)
			c.sendError(pe.ID, pe.Code, pe.Msg)
			continue
		}
		ctx, cancel := context.WithTimeout(c.srv.ctx, o.RedisTimeout)
		c.handle(ctx, req)
		cancel()
	}
}

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
