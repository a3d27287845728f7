package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/store/redisstore"
)

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
		item := syncItem{table: req.Table, id: req.ID, after: -1}
		if req.After != nil {
			item.after = *req.After
		}
		if req.Epoch != nil {
			item.epoch = *req.Epoch
		}
		if c.followReq(ctx, req, false) {
			c.push(item)
			c.replaceOthers(ctx)
		}
	case protocol.TypeJoinCode:
		c.joinCode(ctx, req)
	case protocol.TypeLobby:
		c.lobby(ctx, req)
	case protocol.TypeLobbyLeave:
		c.lobbyLeave(req)
	case protocol.TypeQuickMatch, protocol.TypeQuickMatchCancel:
		c.quickMatch(ctx, req)
	case protocol.TypeWatch, protocol.TypeUnwatch:
		c.watch(ctx, req)
	case protocol.TypeChat:
		c.sendChat(ctx, req)
	default:
		// A table command: the decoder knows no other type.
		if op, ok := req.Type.Command(); ok {
			c.enqueue(ctx, req, op, false)
		} else {
			c.sendError(req.ID, protocol.CodeUnknownType, "")
		}
	}
}

func (c *conn) hello(ctx context.Context, req *protocol.Request) {
	if c.sess != nil {
		c.sendError(req.ID, protocol.CodeAlreadyAuthenticated, "")
		return
	}
	sess, token, code := c.session(ctx, req)
	if code == protocol.CodeRateLimited {
		return // answered, and the socket closes
	}
	if code != "" {
		c.sendError(req.ID, code, "")
		return
	}
	if !c.srv.holdUser(c, sess.User) {
		metrics.RateLimited.WithLabelValues(LimitSocketsPerUser).Inc()
		c.refuseRetry(req.ID, LimitSocketsPerUser, socketRetrySeconds*time.Second, "too many connections of this user")
		return
	}
	c.sess = &sess
	c.push(helloItem{user: sess.User, token: token})
	c.srv.claimUser(c, sess.User)
	c.takeOver(ctx, sess.User)
	data, _ := json.Marshal(protocol.HelloData{User: sess.User, Name: sess.Name, Token: token})
	c.push(protocol.AppendAck(nil, req.ID, data))
	c.srv.status.greet(c) // status.go: the status notice when the server runs degraded
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
			c.srv.quiet.Warn("session lookup failed", "err", err)
			return sess, "", protocol.CodeUnavailable
		}
		return sess, req.Token, ""
	}
	err := c.srv.limits.Allow(ctx, ratelimit.Count{What: LimitGuest, Who: c.ip, Limit: c.srv.opts.GuestLimit})
	if refused := (*ratelimit.Refused)(nil); errors.As(err, &refused) {
		c.refuseRetry(req.ID, LimitGuest, refused.Retry, "too many new guests from this address; try again later")
		return redisstore.Session{}, "", protocol.CodeRateLimited
	}
	sess := redisstore.Session{User: "g_" + randomHex(8), Name: table.CleanName(req.Name), Guest: true}
	token, err := st.NewSession(ctx, sess)
	if err != nil {
		c.srv.quiet.Warn("session creation failed", "err", err)
		return sess, "", protocol.CodeUnavailable
	}
	return sess, token, ""
}

// takeOver subscribes the socket to its user's channel (notices, kicks by
// a newer socket).
func (c *conn) takeOver(ctx context.Context, user string) {
	if err := c.srv.hub.acquireUser(ctx, user, c); err != nil {
		c.srv.log.Warn("subscribing to a user channel failed", "err", err)
	}
}

// replaceOthers tells the user's other sockets, on every gateway, to close
// ("replaced"): a socket that syncs a table is the user's live one. Once
// per socket.
func (c *conn) replaceOthers(ctx context.Context) {
	if c.tookOver {
		return
	}
	c.tookOver = true
	if err := c.srv.store.Notify(ctx, c.sess.User, notice{Type: noticeReplaced, Socket: c.sid}); err != nil {
		c.srv.log.Warn("replacing older sockets failed", "err", err)
	}
}

func (c *conn) createTable(ctx context.Context, req *protocol.Request) {
	var rules game.Rules
	if req.Rules != nil {
		rules = *req.Rules
	}
	if m := c.srv.opts.Maintenance; m != nil && m() {
		c.sendError(req.ID, protocol.CodeMaintenance, "maintenance: no new tables for now")
		return
	}
	if c.shed(req) {
		return
	}
	opts := req.Options.Table()
	if err := opts.Validate(); err != nil {
		c.sendError(req.ID, protocol.CodeBadOptions, err.Error())
		return
	}
	if !c.tableBudget(ctx, req.ID) {
		return
	}
	for range 5 { // a fresh id or code is taken with odds 2^-40 or less; retry anyway
		t, err := table.New(redisstore.NewTableID(), rules, c.sess.User, time.Now().UnixMilli())
		if err != nil {
			c.sendError(req.ID, table.CodeOf(err), err.Error())
			return
		}
		t.Options = opts
		created, err := c.storeTable(ctx, &t)
		if err != nil {
			c.srv.log.Warn("create table failed", "err", err)
			break
		}
		if !created {
			continue
		}
		data, _ := json.Marshal(protocol.TableData{Table: t.ID, Code: t.Options.Code})
		c.push(protocol.AppendAck(nil, req.ID, data))
		return
	}
	c.sendError(req.ID, protocol.CodeUnavailable, "")
}

// tableBudget checks the user's table quotas before a create_table,
// answering id itself when one refuses: at most TablesPerUser waiting
// tables hosted at once (tables:user), and TableLimit creations
// (table:user), counted here. A Redis failure reading the hosted tables
// lets the creation through (the creation itself then likely fails).
func (c *conn) tableBudget(ctx context.Context, id string) bool {
	o := &c.srv.opts
	if o.TablesPerUser > 0 {
		n, err := c.srv.store.HostedWaiting(ctx, c.sess.User, o.EmptyTableIdle)
		if err != nil {
			c.srv.quiet.Warn("counting hosted tables failed", "err", err)
		} else if n >= o.TablesPerUser {
			metrics.RateLimited.WithLabelValues(LimitTablesOpen).Inc()
			metrics.Error(metrics.ComponentGateway, string(protocol.CodeRateLimited))
			c.push(protocol.AppendErrorRetry(nil, id, protocol.CodeRateLimited,
				fmt.Sprintf("you host %d waiting tables already: sit at one, or leave them empty for a few minutes", n),
				o.EmptyTableIdle))
			return false
		}
	}
	err := c.srv.limits.Allow(ctx, ratelimit.Count{What: LimitTableCreate, Who: c.sess.User, Limit: o.TableLimit})
	if refused := (*ratelimit.Refused)(nil); errors.As(err, &refused) {
		metrics.Error(metrics.ComponentGateway, string(protocol.CodeRateLimited))
		c.push(protocol.AppendErrorRetry(nil, id, protocol.CodeRateLimited, "too many tables created; try again later", refused.Retry))
		return false
	}
	return true
}

// storeTable stores a new table: a private one with a fresh join code, a
// public one listed in the lobby once a person sits there (the worker's
// lobby hook). False when the id or code was taken.
func (c *conn) storeTable(ctx context.Context, t *table.Table) (bool, error) {
	st := c.srv.store
	if !t.Options.Public {
		t.Options.Code = redisstore.NewJoinCode()
		ok, err := st.ReserveCode(ctx, t.Options.Code, t.ID)
		if err != nil || !ok {
			return false, err
		}
	}
	err := st.CreateTable(ctx, t)
	if err != nil && t.Options.Code != "" {
		if rerr := st.ReleaseCode(ctx, t.Options.Code); rerr != nil {
			c.srv.log.Debug("releasing a join code failed", "err", rerr)
		}
	}
	if errors.Is(err, redisstore.ErrExists) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := st.AddHosted(ctx, c.sess.User, t.ID); err != nil {
		c.srv.quiet.Warn("recording a hosted table failed", "table", t.ID, "err", err)
	}
	return true, nil
}

// joinCode resolves a private table's code; with a seat it sits the user
// there (answered like sit, the ack also naming the table).
//
// Misses (codes naming no table) are budgeted per client IP and per user
// (JoinCodeMisses): once either budget is spent, join_code is refused
// rate_limited until its window ends, hit or not.
func (c *conn) joinCode(ctx context.Context, req *protocol.Request) {
	budgets := []ratelimit.Count{
		{What: LimitJoinCodeIP, Who: c.ip, Limit: c.srv.opts.JoinCodeMisses},
		{What: LimitJoinCodeUser, Who: c.sess.User, Limit: c.srv.opts.JoinCodeMisses},
	}
	for _, b := range budgets {
		if over, retry := c.srv.limits.Over(ctx, b); over {
			metrics.Error(metrics.ComponentGateway, string(protocol.CodeRateLimited))
			c.push(protocol.AppendErrorRetry(nil, req.ID, protocol.CodeRateLimited, "too many unknown codes; try again later", retry))
			return
		}
	}
	id, err := c.srv.store.ResolveCode(ctx, req.Code)
	if errors.Is(err, redisstore.ErrNoCode) {
		// Counted only for misses; one over the budget is refused next time.
		if _, err := c.srv.limits.HitAll(ctx, budgets...); err != nil && !isRefused(err) {
			c.srv.log.Debug("counting a join code miss failed", "err", err)
		}
		c.sendError(req.ID, protocol.CodeCodeNotFound, "")
		return
	}
	if err != nil {
		c.srv.log.Warn("resolving a join code failed", "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
		return
	}
	if req.Seat == nil {
		data, _ := json.Marshal(protocol.TableData{Table: id})
		c.push(protocol.AppendAck(nil, req.ID, data))
		return
	}
	sit := *req
	sit.Type, sit.Table = protocol.TypeSit, id
	c.enqueue(ctx, &sit, table.OpSit, true)
}

// enqueue puts req on the action stream as the table command op; withTable
// adds the table to the ack. The writer answers it when the worker's
// result arrives on the table's channel, which the hub is subscribed to
// before the command is enqueued.
func (c *conn) enqueue(ctx context.Context, req *protocol.Request, op table.Op, withTable bool) {
	if !c.followReq(ctx, req, false) {
		return
	}
	now := time.Now()
	a := redisstore.Action{
		Table: req.Table, User: c.sess.User, Name: c.sess.Name, ID: req.ID, Op: op,
		At: now.UnixMicro(),
	}
	switch req.Type {
	case protocol.TypeSit:
		a.Seat = *req.Seat
	case protocol.TypeSwap:
		a.Seat, a.Arg = *req.Seat, strconv.Itoa(*req.To)
	case protocol.TypeReady:
		a.Arg = table.ReadyYes
		if req.Ready != nil && !*req.Ready {
			a.Arg = table.ReadyNo
		}
	case protocol.TypePlay:
		a.Arg = req.Card
	case protocol.TypeTrump:
		a.Arg = req.Suit
	}
	c.pushPending(pendingItem{table: req.Table, id: req.ID, op: req.Type, withTable: withTable, sent: now})
	if err := c.srv.store.Enqueue(ctx, a); err != nil {
		c.srv.quiet.Warn("enqueue failed", "table", req.Table, "err", err)
		c.push(failItem{table: req.Table, id: req.ID, code: protocol.CodeUnavailable})
	}
}

// followReq follows req's table (follows.go), answering the frame itself
// when that fails.
func (c *conn) followReq(ctx context.Context, req *protocol.Request, watch bool) bool {
	err := c.follow(ctx, req.Table, watch)
	switch {
	case errors.Is(err, errTooManyTables):
		metrics.RateLimited.WithLabelValues(LimitTablesFollowed).Inc()
		c.sendError(req.ID, protocol.CodeRateLimited, err.Error())
	case err != nil:
		c.srv.quiet.Warn("subscribe failed", "table", req.Table, "err", err)
		c.sendError(req.ID, protocol.CodeUnavailable, "")
	}
	return err == nil
}

func isRefused(err error) bool {
	var r *ratelimit.Refused
	return errors.As(err, &r)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
