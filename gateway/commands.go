package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// maxTables bounds how many tables one socket may follow: each costs a
// subscription while the socket lives.
const maxTables = 16

// handle answers one decoded client frame, on the reader goroutine.
func (c *conn) handle(ctx context.Context, req *protocol.Request) {
	if c.sess == nil && req.Type != protocol.TypeHello {
		c.sendError(req.ID, protocol.CodeNotAuthenticated, "")
		return
	}
	switch req.Type {
	case protocol.TypeHello:
		c.hello(ctx, req)
	case protocol.TypePing:
		c.push(protocol.AppendAck(nil, req.ID, nil))
	case protocol.TypeCreateTable:
		c.createTable(ctx, req)
	case protocol.TypeSync:
		after := int64(-1)
		if req.After != nil {
			after = *req.After
		}
		if c.follow(ctx, req) {
			c.push(syncItem{table: req.Table, id: req.ID, after: after})
		}
	default:
		c.command(ctx, req)
	}
}

func (c *conn) hello(ctx context.Context, req *protocol.Request) {
	if c.sess != nil {
		c.sendError(req.ID, protocol.CodeAlreadyAuthenticated, "")
		return
	}
	sess, token, code := c.session(ctx, req)
	if code != "" {
		c.sendError(req.ID, code, "")
		return
	}
	c.sess = &sess
	c.push(helloItem{user: sess.User, token: token})
	c.srv.claimUser(c, sess.User)
	data, _ := json.Marshal(protocol.HelloData{User: sess.User, Name: sess.Name, Token: token})
	c.push(protocol.AppendAck(nil, req.ID, data))
}

// session resumes the session of req's token or starts a guest session.
// Every kind of bad token gets the same code.
func (c *conn) session(ctx context.Context, req *protocol.Request) (redisstore.Session, string, game.Code) {
	st := c.srv.store
	if req.Token != "" {
		sess, err := st.Session(ctx, req.Token)
		if errors.Is(err, redisstore.ErrNoSession) {
			return sess, "", protocol.CodeBadToken
		}
		if err != nil {
			c.srv.log.Warn("session lookup failed", "err", err)
			return sess, "", protocol.CodeUnavailable
		}
		return sess, req.Token, ""
	}
	sess := redisstore.Session{User: "g_" + randomHex(8), Name: table.CleanName(req.Name), Guest: true}
	token, err := st.NewSession(ctx, sess)
	if err != nil {
		c.srv.log.Warn("session creation failed", "err", err)
		return sess, "", protocol.CodeUnavailable
	}
	return sess, token, ""
}

func (c *conn) createTable(ctx context.Context, req *protocol.Request) {
	var rules game.Rules
	if req.Rules != nil {
		rules = *req.Rules
	}
	for range 5 { // a fresh id is taken with odds 2^-40; retry anyway
		t, err := table.New(newTableID(), rules, c.sess.User, time.Now().UnixMilli())
		if err != nil {
			c.sendError(req.ID, table.CodeOf(err), err.Error())
			return
		}
		err = c.srv.store.CreateTable(ctx, &t)
		if errors.Is(err, redisstore.ErrExists) {
			continue
		}
		if err != nil {
			c.srv.log.Warn("create table failed", "err", err)
			break
		}
		data, _ := json.Marshal(protocol.TableData{Table: t.ID})
		c.push(protocol.AppendAck(nil, req.ID, data))
		return
	}
	c.sendError(req.ID, protocol.CodeUnavailable, "")
}

// command puts a table command on the action stream. The writer answers
// it when the worker's result arrives on the table's channel, which the
// hub is subscribed to before the command is enqueued.
func (c *conn) command(ctx context.Context, req *protocol.Request) {
	if !c.follow(ctx, req) {
		return
	}
	a := redisstore.Action{
		Table: req.Table, User: c.sess.User, Name: c.sess.Name, ID: req.ID, Op: string(req.Type),
		At: time.Now().UnixMicro(),
	}
	switch req.Type {
	case protocol.TypeSit:
		a.Seat = *req.Seat
	case protocol.TypePlay:
		a.Arg = req.Card
	case protocol.TypeTrump:
		a.Arg = req.Suit
	}
	c.push(pendingItem{table: req.Table, id: req.ID, op: req.Type})
	if err := c.srv.store.Enqueue(ctx, a); err != nil {
		c.srv.log.Warn("enqueue failed", "table", req.Table, "err", err)
		c.push(failItem{table: req.Table, id: req.ID, code: protocol.CodeUnavailable})
	}
}

// follow subscribes the socket to req's table, answering the frame itself
// when that fails.
func (c *conn) follow(ctx context.Context, req *protocol.Request) bool {
	if !c.tables[req.Table] && len(c.tables) >= maxTables {
		c.sendError(req.ID, protocol.CodeRateLimited, "too many tables on one connection")
		return false
	}
	if err := c.srv.hub.acquire(ctx, req.Table, c); err != nil {
		c.srv.log.Warn("subscribe failed", "table", req.Table, "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
		return false
	}
	if c.tables == nil {
		c.tables = map[string]bool{}
	}
	c.tables[req.Table] = true
	return true
}

// tableAlphabet has no look-alike characters (no 0/o, 1/l).
const tableAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// newTableID is 8 random characters (40 bits).
func newTableID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = tableAlphabet[b[i]&31]
	}
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
