package gateway

import (
	"context"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/panics"
)

// Components of hokm_panics_total in the gateway.
const (
	panicFrame  = metrics.ComponentGateway // a client frame's handler (reader goroutine)
	panicWriter = "gateway_writer"         // a socket's writer goroutine
)

// beforeFrame, set only by tests, runs before each decoded frame is
// handled (to inject a panic).
var beforeFrame func(*protocol.Request)

// handleFrame handles one decoded frame. A panic in its handler is a bug
// reached by one frame: it is recovered (logged with its stack, counted
// in hokm_panics_total{component="gateway"}) and the frame answered
// internal_error; the socket, and every other one, go on.
func (c *conn) handleFrame(ctx context.Context, req *protocol.Request) {
	var err error
	defer func() {
		if err != nil {
			c.sendError(req.ID, protocol.CodeInternalError, "")
		}
	}()
	defer panics.Catch(panicFrame, c.srv.log, &err)
	if beforeFrame != nil {
		beforeFrame(req)
	}
	c.handle(ctx, req)
}

// runWriter runs the socket's writer. A panic in it is recovered (logged,
// counted in hokm_panics_total{component="gateway_writer"}) and closes
// this socket with 1011 (internal error): the writer's view of the tables
// and of the pending commands may be half updated, so the client is made
// to reconnect and resync rather than be served from it. The process and
// every other socket go on.
func (w *writer) runWriter() {
	var err error
	defer func() {
		if err != nil {
			c := w.c
			_ = c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "internal error"),
				time.Now().Add(w.srv.opts.WriteWait))
			c.kill()
		}
	}()
	defer panics.Catch(panicWriter, w.srv.log, &err)
	w.run()
}
