package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// maxLobbyTables bounds the listing sent in a lobby ack.
const maxLobbyTables = 500

// lobby subscribes the socket to the public listing: the ack carries the
// current listing, and every later change is pushed after it (lobbyMu
// keeps a change from overtaking the listing it is not part of).
func (c *conn) lobby(ctx context.Context, req *protocol.Request) {
	s := c.srv
	s.lobbyMu.Lock()
	defer s.lobbyMu.Unlock()
	s.lobbyConns[c] = struct{}{}
	vals, err := s.store.Lobby(ctx)
	if err != nil {
		delete(s.lobbyConns, c)
		s.quiet.Warn("reading the lobby failed", "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
		return
	}
	if len(vals) > maxLobbyTables {
		vals = vals[:maxLobbyTables]
	}
	data := []byte(`{"tables":[` + strings.Join(vals, ",") + `]}`)
	c.push(protocol.AppendAck(nil, req.ID, data))
}

func (c *conn) lobbyLeave(req *protocol.Request) {
	c.srv.lobbyMu.Lock()
	delete(c.srv.lobbyConns, c)
	c.srv.lobbyMu.Unlock()
	c.push(protocol.AppendAck(nil, req.ID, nil))
}

// quickMatch enters or leaves the quick-match queue.
func (c *conn) quickMatch(ctx context.Context, req *protocol.Request) {
	var err error
	if m := c.srv.opts.Maintenance; m != nil && m() && req.Type == protocol.TypeQuickMatch {
		c.sendError(req.ID, protocol.CodeMaintenance, "maintenance: no new tables for now")
		return
	}
	if req.Type == protocol.TypeQuickMatch && c.shed(req) {
		return
	}
	if req.Type == protocol.TypeQuickMatch {
		err = c.srv.store.JoinQueue(ctx, c.sess.User, c.sess.Name, time.Now())
	} else {
		err = c.srv.store.LeaveQueue(ctx, c.sess.User)
	}
	if err != nil {
		c.srv.quiet.Warn("quick-match queue", "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
		return
	}
	c.queued.Store(req.Type == protocol.TypeQuickMatch)
	c.push(protocol.AppendAck(nil, req.ID, nil))
}

// requeue puts the sockets still waiting for a quick match back in the
// queue: called when the hub reconnected to Redis, which may have lost the
// queue (restarted empty, or failed over). Joining again keeps a place
// that is still there.
func (s *Server) requeue() {
	s.mu.Lock()
	var waiting []*conn
	for c := range s.conns {
		if c.queued.Load() && c.sess != nil {
			waiting = append(waiting, c)
		}
	}
	s.mu.Unlock()
	for _, c := range waiting {
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.RedisTimeout)
		err := s.store.JoinQueue(ctx, c.sess.User, c.sess.Name, time.Now())
		cancel()
		if err != nil {
			s.log.Warn("putting a waiting player back in the quick-match queue failed", "err", err)
		}
	}
}

// watch starts or stops watching a table as a spectator. A user seated
// there gets already_seated (they sync instead); a missing table,
// table_not_found.
func (c *conn) watch(ctx context.Context, req *protocol.Request) {
	if req.Type == protocol.TypeUnwatch {
		c.unwatch(req.Table)
		c.push(watchItem{table: req.Table, id: req.ID})
		return
	}
	l, err := c.srv.store.LoadTable(ctx, req.Table)
	switch {
	case errors.Is(err, redisstore.ErrNotFound):
		c.sendError(req.ID, c.srv.missingTable(ctx, protocol.CodeTableNotFound), "")
		return
	case err != nil:
		c.srv.quiet.Warn("loading a table to watch failed", "table", req.Table, "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
		return
	case l.Table.SeatOf(c.sess.User) >= 0:
		c.sendError(req.ID, table.CodeAlreadySeated, "")
		return
	}
	if !c.followReq(ctx, req, true) {
		return
	}
	c.push(watchItem{table: req.Table, id: req.ID, on: true})
}

// sendChat publishes a chat message at a table where the user sits or
// which the socket watches.
func (c *conn) sendChat(ctx context.Context, req *protocol.Request) {
	text := cleanChat(req.Text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		c.sendError(req.ID, protocol.CodeBadMessage, "empty text")
		return
	case n > protocol.MaxChatLen:
		c.sendError(req.ID, protocol.CodeTooLong, "")
		return
	}
	seat, ok := c.chatSeat(ctx, req)
	if !ok {
		return
	}
	if !c.chat.Allow() {
		c.sendError(req.ID, protocol.CodeRateLimited, "too many chat messages")
		return
	}
	frame, _ := json.Marshal(protocol.Chat{
		Type: protocol.TypeChat, Table: req.Table, Text: text, At: time.Now().UnixMilli(),
		From: protocol.ChatFrom{User: c.sess.User, Name: c.sess.Name, Seat: seat},
	})
	if err := c.srv.store.PostChat(ctx, req.Table, frame); err != nil {
		c.srv.quiet.Warn("posting chat failed", "table", req.Table, "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
		return
	}
	c.push(protocol.AppendAck(nil, req.ID, nil))
}

// chatSeat is the user's seat at req's table (-1 when watching); it
// answers the frame itself when the user may not chat there.
func (c *conn) chatSeat(ctx context.Context, req *protocol.Request) (int, bool) {
	l, err := c.srv.store.LoadTable(ctx, req.Table)
	switch {
	case errors.Is(err, redisstore.ErrNotFound):
		c.sendError(req.ID, table.CodeNotInGame, "")
		return 0, false
	case err != nil:
		c.srv.quiet.Warn("loading a table for chat failed", "table", req.Table, "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
		return 0, false
	}
	if seat := l.Table.SeatOf(c.sess.User); seat >= 0 {
		return seat, true
	}
	if c.watches(req.Table) {
		return -1, true
	}
	c.sendError(req.ID, table.CodeNotInGame, "")
	return 0, false
}

// cleanChat drops control and bidirectional-override characters and
// trims white space.
func cleanChat(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
