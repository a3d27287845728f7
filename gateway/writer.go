package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/redisstore"
)

// maxFill is the most events read from a log to fill a gap; a longer gap
// gets a snapshot instead. A log keeps no more (redisstore.DefaultLogMaxLen).
const maxFill = redisstore.DefaultLogMaxLen

// writer owns all that one socket sends. Nothing here is shared, so
// nothing is locked: other goroutines talk to it through conn.inbox.
type writer struct {
	c       *conn
	srv     *Server
	user    string
	token   string
	tables  map[string]*following
	pending map[pendKey][]pending
	// The timers raise wake reasons on the socket's mailbox (mailbox.go).
	ping    *time.Timer // the next ping to the client
	hello   *time.Timer // the hello timeout (stopped at the hello)
	refresh *time.Timer // the next slide of the session's expiry
	timer   *time.Timer // the earliest pending deadline (nil until a command waits)
	retry   *time.Timer // the catch-up of the tables left behind (nil until one is)
	buf     []byte
	// ev is the open version-2 events frame (nil: none): events of table
	// evTable at consecutive seqs up to evNext-1 and, when evAck is set, the
	// ack of this socket's command evAck at the last of them. Any other
	// frame closes it first; every turn of run ends with it closed.
	ev      *[]byte
	evTable string
	evNext  int64
	evAck   string
}

// eventFrames holds the buffers of open events frames: a socket keeps none
// between its turns.
var eventFrames = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// following is what the socket knows of one table. A socket receives a
// table's events only while its user is seated there or it watches the
// table (last >= 0).
type following struct {
	seat  int   // the user's seat, -1 when not seated
	last  int64 // seq of the last event sent, -1 when not following events
	epoch int64 // the epoch of those events (0: not known yet)
	watch bool  // watching as a spectator
	// behind: events after last could not be read from the log (Redis
	// failing); none is sent out of order meanwhile, and a retry timer
	// catches up.
	behind bool
}

type pendKey struct{ table, id string }

// pending is a command waiting for its worker's answer.
type pending struct {
	op        protocol.Type
	sent      time.Time
	deadline  time.Time
	withTable bool
}

func newWriter(c *conn) *writer {
	return &writer{c: c, srv: c.srv, tables: map[string]*following{}, pending: map[pendKey][]pending{}}
}

func (w *writer) run() {
	o := &w.srv.opts
	in := w.c.inbox
	// Every timer raises a wake reason on the mailbox (mailbox.go): the
	// loop's one wait is a receive from its ready channel.
	w.setTimer(&w.ping, wakePing, o.PingInterval)
	w.setTimer(&w.hello, wakeHello, o.HelloTimeout)
	w.setTimer(&w.refresh, wakeRefresh, o.SessionRefresh)
	defer func() {
		for _, t := range []*time.Timer{w.ping, w.hello, w.refresh, w.timer, w.retry} {
			stopTimer(t)
		}
	}()
	for {
		<-in.ready
		why := in.raised()
		switch {
		case why&wakeDead != 0:
			return
		case why&wakeStop != 0:
			w.goodbye()
			return
		}
		err := w.burst(why)
		if why&wakeHello != 0 && w.user == "" { // (after the burst: its items may hold the hello)
			w.c.close("", websocket.ClosePolicyViolation, "no hello")
		}
		if err != nil {
			w.srv.log.Debug("socket write failed", "err", err)
			w.c.kill()
			return
		}
	}
}

// due does what the timers' wake reasons ask.
func (w *writer) due(why uint32) error {
	o := &w.srv.opts
	if why&wakeRefresh != 0 {
		w.refreshSession()
		w.setTimer(&w.refresh, wakeRefresh, o.SessionRefresh)
	}
	if why&wakePing != 0 {
		w.setTimer(&w.ping, wakePing, o.PingInterval)
		if err := w.write(websocket.PingMessage, nil); err != nil {
			return err
		}
	}
	if why&wakeExpire != 0 {
		if err := w.expire(); err != nil {
			return err
		}
	}
	if why&wakeRetry != 0 {
		return w.catchUpBehind()
	}
	return nil
}

// burstMax is the most inbox items handled as one burst.
const burstMax = 64

// burst does what the timers' wake reasons ask and handles what is
// queued by now (up to burstMax items), their frames gathered into one
// write (batchConn). What is left waits for the next burst (the mailbox
// keeps its token).
func (w *writer) burst(why uint32) (err error) {
	if out := w.c.out; out != nil {
		out.hold()
		defer func() {
			if rerr := out.release(); err == nil {
				err = rerr
			}
		}()
	}
	if err := w.due(why); err != nil {
		return err
	}
	var space [16]any // (on the stack: a socket keeps no buffer between bursts)
	for _, v := range w.c.inbox.take(space[:0], burstMax) {
		if _, ok := v.(helloItem); ok {
			w.hello.Stop()
		}
		if err := w.handle(v); err != nil {
			return err
		}
	}
	return w.closeEvents() // (before release: in the burst's one write)
}

// handle does one item of the inbox; it fails only when a write fails.
func (w *writer) handle(v any) error {
	switch v := v.(type) {
	case []byte:
		return w.write(websocket.TextMessage, v)
	case helloItem:
		w.user, w.token = v.user, v.token
	case *hubMsg:
		return w.message(v)
	case pendingItem:
		k := pendKey{v.table, v.id}
		w.pending[k] = append(w.pending[k], pending{op: v.op, withTable: v.withTable,
			sent: v.sent, deadline: v.sent.Add(w.srv.opts.AnswerTimeout)})
		w.arm()
	case failItem:
		return w.resolve(v.table, v.id, v.code, 0)
	case syncItem:
		return w.sync(v)
	case catchUp:
		if f := w.tables[v.table]; f != nil && f.last >= 0 {
			return w.catchUp(v.table, f)
		}
	case watchItem:
		return w.watch(v)
	case retryItem:
		return w.retryAll()
	case unfollowItem:
		delete(w.tables, v.table)
	case matchedItem:
		if f := w.following(v.table); f.last < 0 {
			return w.snapshot(v.table, f)
		}
	}
	return nil
}

// watch starts (a spectator snapshot, then every event in its public
// form) or stops watching a table, then acks.
func (w *writer) watch(v watchItem) error {
	f := w.following(v.table)
	if !v.on {
		f.watch = false
		if f.seat < 0 {
			*f = following{seat: -1, last: -1}
		}
		w.buf = protocol.AppendAck(w.buf[:0], v.id, nil)
		return w.write(websocket.TextMessage, w.buf)
	}
	f.watch = true
	if f.last < 0 {
		if err := w.snapshot(v.table, f); err != nil {
			return err
		}
	}
	if f.last < 0 { // the table is gone
		f.watch = false
		ctx, cancel := w.ctx()
		defer cancel()
		return w.sendError(v.id, w.srv.missingTable(ctx, protocol.CodeTableNotFound))
	}
	w.buf = protocol.AppendAckSeq(w.buf[:0], v.id, f.last)
	return w.write(websocket.TextMessage, w.buf)
}

// write sends one frame, after the open events frame if there is one.
func (w *writer) write(kind int, b []byte) error {
	if err := w.closeEvents(); err != nil {
		return err
	}
	return w.send(kind, b)
}

func (w *writer) send(kind int, b []byte) error {
	if err := w.c.ws.SetWriteDeadline(time.Now().Add(w.srv.opts.WriteWait)); err != nil {
		return err
	}
	if kind == websocket.TextMessage {
		metrics.FramesOut.Inc()
	}
	return w.c.ws.WriteMessage(kind, b)
}

func (w *writer) goodbye() {
	c := w.c
	if c.lastFrame != nil {
		_ = w.write(websocket.TextMessage, c.lastFrame)
	}
	if c.byeReason != "" {
		_ = w.write(websocket.TextMessage, protocol.AppendBye(nil, c.byeReason))
	}
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText),
		time.Now().Add(w.srv.opts.WriteWait))
	grace := time.NewTimer(w.srv.opts.CloseGrace)
	defer grace.Stop()
	select { // the reader ends when the client answers the close
	case <-c.dead:
	case <-grace.C:
	}
	c.kill()
}

// refreshSession slides the session's expiry while the socket is open, so
// that a long match does not outlive it; a revoked session closes the socket.
func (w *writer) refreshSession() {
	if w.token == "" {
		return
	}
	ctx, cancel := w.ctx()
	defer cancel()
	_, err := w.srv.store.Session(ctx, w.token)
	if errors.Is(err, redisstore.ErrNoSession) {
		w.c.close("", websocket.ClosePolicyViolation, "session ended")
	} else if err != nil {
		w.srv.log.Debug("refreshing a session failed", "err", err)
	}
}

func (w *writer) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(w.srv.ctx, w.srv.opts.RedisTimeout)
}

func (w *writer) following(tableID string) *following {
	f := w.tables[tableID]
	if f == nil {
		f = &following{seat: -1, last: -1}
		w.tables[tableID] = f
	}
	return f
}

// message sends what the socket may see of one published message: the
// events (in seq order, gaps filled from the log) and the answer to one
// of its own pending commands. A message of a newer epoch than the one the
// socket follows (the table was rebuilt after Redis lost state), events or
// only an answer, first replaces the client's state with a resync; the
// events of an older one (late) are dropped.
func (w *writer) message(m *hubMsg) error {
	f := w.following(m.table)
	if f.last >= 0 && f.epoch != 0 && m.epoch > f.epoch {
		shown, err := w.resync(m.table, f, f.last)
		if err != nil {
			return err
		}
		if !shown {
			// The rebuilt table could not be read (Redis is just back):
			// nothing of its new epoch may reach the client before it.
			// The answer becomes unavailable: sent again, the command gets
			// its stored answer behind a resync.
			if r := m.result; r != nil && r.User == w.user {
				return w.resolve(m.table, r.ID, protocol.CodeUnavailable, 0)
			}
			return nil
		}
	}
	if m.epoch == 0 || f.epoch == 0 || m.epoch == f.epoch {
		for i := range m.entries {
			if err := w.entry(m.table, f, &m.entries[i]); err != nil {
				return err
			}
		}
	}
	if m.chat != nil && f.last >= 0 {
		return w.write(websocket.TextMessage, m.chat)
	}
	if r := m.result; r != nil && r.User == w.user {
		return w.answer(m.table, r)
	}
	return nil
}

// answer resolves a pending command with its worker's answer, once the
// socket has every event up to the answer's seq (else unavailable: sent
// again, the command gets its stored answer then).
func (w *writer) answer(tableID string, r *redisstore.Result) error {
	code, seq := game.Code(r.Code), r.Seq
	caught, err := w.caughtUpTo(tableID, r.Seq)
	if err != nil {
		return err
	}
	if !caught {
		code, seq = protocol.CodeUnavailable, 0
	}
	return w.resolve(tableID, r.ID, code, seq)
}

// catchUp sends what the socket may have missed of a table while the hub
// was reconnecting: the log after the last seq, or a resync when the table
// was rebuilt meanwhile.
func (w *writer) catchUp(tableID string, f *following) error {
	ctx, cancel := w.ctx()
	l, err := w.srv.store.LoadTable(ctx, tableID)
	cancel()
	switch {
	case err != nil:
		return nil // gone, or Redis still away: a later message or the client's sync settles it
	case l.Epoch != f.epoch && f.epoch != 0:
		_, err := w.resync(tableID, f, f.last)
		return err
	}
	_, err = w.fill(tableID, f, -1)
	return err
}

// resync replaces what the client has of a table whose history changed
// (a new epoch) with the server's truth: a resync frame, which says how
// many of the client's seqs (it had up to had) are gone. shown is false
// when the table could not be read (then nothing was sent).
func (w *writer) resync(tableID string, f *following, had int64) (shown bool, err error) {
	ctx, cancel := w.ctx()
	l, err := w.srv.store.LoadTable(ctx, tableID)
	cancel()
	if err != nil {
		if !errors.Is(err, redisstore.ErrNotFound) {
			w.srv.quiet.Warn("loading a table for a resync failed", "table", tableID, "err", err)
		}
		return false, nil
	}
	return true, w.sendResync(tableID, &l, f, had, f.epoch)
}

// sendResync sends l as a resync to a client that had the table up to seq
// had of epoch hadEpoch (0: not known). Its seqs after the point where its
// history and the table's part are gone: the start of the table's epoch
// when the client's is older — not the table's seq now, which has moved on
// if play went on since the rebuild — else the table's seq.
func (w *writer) sendResync(tableID string, l *redisstore.Loaded, f *following, had, hadEpoch int64) error {
	parted := l.Seq
	if hadEpoch != 0 && hadEpoch < l.Epoch && l.EpochFrom >= 0 {
		parted = min(parted, l.EpochFrom)
	}
	back := max(0, had-parted)
	metrics.Resyncs.Inc()
	return w.sendState(tableID, l, f, &back)
}

// entry sends one event if the socket is seated and may see it.
func (w *writer) entry(tableID string, f *following, e *entry) error {
	if f.last < 0 {
		if e.meta != nil && seatOf(e.meta, w.user) >= 0 {
			return w.snapshot(tableID, f) // just seated: the whole table first
		}
		return nil
	}
	if e.Seq <= f.last {
		return nil
	}
	if e.Seq > f.last+1 {
		caught, err := w.fill(tableID, f, e.Seq-1)
		if err != nil || !caught {
			return err // behind: e comes from the log when the retry catches up
		}
		return w.entry(tableID, f, e) // fill has moved f.last to e.Seq-1 or beyond, or stopped following
	}
	f.last = e.Seq
	// The event itself if it is public or this seat's own, else its
	// redacted form (none: the seat gets nothing for that seq).
	if raw := e.For(f.seat, w.user); len(raw) > 0 {
		if err := w.event(tableID, e.Seq, raw); err != nil {
			return err
		}
	}
	if e.meta != nil {
		if seat := seatOf(e.meta, w.user); seat >= 0 {
			f.seat = seat
		} else if f.watch {
			f.seat = -1
		} else {
			*f = following{seat: -1, last: -1} // left the table: no more events
		}
	}
	return nil
}

// event sends one event of a table: in a frame of its own under protocol
// version 1; under version 2 into the open events frame, which is closed
// first (and another opened) when the event does not follow its last, or
// the frame carries an ack already (the ack's seq is its frame's last).
func (w *writer) event(tableID string, seq int64, raw json.RawMessage) error {
	if w.c.version < protocol.Version2 {
		w.buf = protocol.AppendEvent(w.buf[:0], tableID, seq, raw)
		return w.write(websocket.TextMessage, w.buf)
	}
	if w.ev != nil && (w.evTable != tableID || w.evNext != seq || w.evAck != "") {
		if err := w.closeEvents(); err != nil {
			return err
		}
	}
	first := w.ev == nil
	if first {
		w.ev = eventFrames.Get().(*[]byte)
		*w.ev = protocol.AppendEventsOpen((*w.ev)[:0], tableID, seq)
		w.evTable = tableID
	}
	*w.ev = protocol.AppendEventsNext(*w.ev, raw, first)
	w.evNext = seq + 1
	return nil
}

// ackWithEvents puts the ack of command id, at seq, into the open events
// frame when that frame ends at seq: under version 2 a command's answer
// rides on the frame of the events it caused. false: it must be sent alone.
func (w *writer) ackWithEvents(tableID, id string, seq int64) bool {
	if w.ev == nil || w.evAck != "" || w.evTable != tableID || w.evNext != seq+1 {
		return false
	}
	w.evAck = id
	return true
}

// closeEvents sends the open events frame, if there is one.
func (w *writer) closeEvents() error {
	if w.ev == nil {
		return nil
	}
	buf := w.ev
	*buf = protocol.AppendEventsClose(*buf, w.evAck)
	w.ev, w.evAck = nil, ""
	err := w.send(websocket.TextMessage, *buf)
	if cap(*buf) <= 16<<10 { // (a rare long catch-up's buffer is not kept)
		eventFrames.Put(buf)
	}
	return err
}

// fill sends the logged events after f.last up to upto (-1: all there
// are), or a snapshot when the log no longer reaches back that far. caught
// is false when Redis could not be read: then nothing is skipped (the
// socket is left behind, never sent a gap) and a retry is scheduled.
func (w *writer) fill(tableID string, f *following, upto int64) (caught bool, err error) {
	n := int64(maxFill)
	if upto >= 0 {
		n = upto - f.last
	}
	if n > maxFill {
		return w.snapshotCaught(tableID, f, upto)
	}
	ctx, cancel := w.ctx()
	logged, rerr := w.srv.store.ReadLog(ctx, tableID, f.last, n)
	cancel()
	switch {
	case rerr != nil:
		w.srv.quiet.Warn("reading the event log failed", "table", tableID, "err", rerr)
		w.leftBehind(f)
		return false, nil
	case len(logged) > 0 && logged[0].Seq == f.last+1:
		if err := w.replay(tableID, f, logged); err != nil {
			return false, err
		}
	case len(logged) > 0 || upto >= 0: // trimmed or expired
		return w.snapshotCaught(tableID, f, upto)
	}
	f.behind = false
	return f.last < 0 || upto < 0 || f.last >= upto, nil
}

// snapshotCaught sends a snapshot for fill; caught as fill's.
func (w *writer) snapshotCaught(tableID string, f *following, upto int64) (bool, error) {
	read, err := w.trySnapshot(tableID, f)
	if err != nil {
		return false, err
	}
	if !read {
		w.leftBehind(f)
		return false, nil
	}
	f.behind = false
	return f.last < 0 || upto < 0 || f.last >= upto, nil
}

// leftBehind marks f behind and arms the retry.
func (w *writer) leftBehind(f *following) {
	f.behind = true
	w.setTimer(&w.retry, wakeRetry, 250*time.Millisecond)
}

// catchUpBehind fills the tables left behind (the retry timer).
func (w *writer) catchUpBehind() error {
	for id, f := range w.tables {
		if f.behind && f.last >= 0 {
			if _, err := w.fill(id, f, -1); err != nil {
				return err
			}
		}
	}
	return nil
}

// caughtUpTo brings the socket up to seq at a table it follows before it
// is told an answer given at that seq (a socket may have missed the events
// before it while the hub was reconnecting): false when that failed.
func (w *writer) caughtUpTo(tableID string, seq int64) (bool, error) {
	f := w.tables[tableID]
	if f == nil || f.last < 0 || seq <= f.last {
		return true, nil
	}
	return w.fill(tableID, f, seq)
}

// replay sends logged events that follow f.last.
func (w *writer) replay(tableID string, f *following, logged []redisstore.Entry) error {
	for _, le := range logged {
		e, err := parseEntry(le)
		if err != nil {
			w.srv.quiet.Warn("undecodable log entry", "table", tableID, "seq", le.Seq, "err", err)
			return nil
		}
		if err := w.entry(tableID, f, &e); err != nil {
			return err
		}
	}
	return nil
}

// snapshot loads the table and sends it as the user's seat sees it; a
// user who is not seated gets nothing and stops following.
func (w *writer) snapshot(tableID string, f *following) error {
	_, err := w.trySnapshot(tableID, f)
	return err
}

// trySnapshot is snapshot, reporting whether the table could be read.
func (w *writer) trySnapshot(tableID string, f *following) (read bool, err error) {
	ctx, cancel := w.ctx()
	defer cancel()
	l, err := w.srv.store.LoadTable(ctx, tableID)
	if err != nil {
		if !errors.Is(err, redisstore.ErrNotFound) {
			w.srv.quiet.Warn("loading a table for a snapshot failed", "table", tableID, "err", err)
			return false, nil
		}
		return true, nil // gone: nothing to catch up with
	}
	return true, w.sendSnapshot(tableID, &l, f)
}

func (w *writer) sendSnapshot(tableID string, l *redisstore.Loaded, f *following) error {
	return w.sendState(tableID, l, f, nil)
}

// sendState sends the table as the user's seat sees it: a snapshot, or a
// resync when back is set.
func (w *writer) sendState(tableID string, l *redisstore.Loaded, f *following, back *int64) error {
	seat := seatOf(&l.Table.Meta, w.user)
	if seat < 0 && !f.watch {
		*f = following{seat: -1, last: -1}
		if back == nil {
			return nil
		}
		// Rebuilt to before the user sat down: they are told (the public
		// table only), and may sit again.
	}
	snap := protocol.Snapshot{Table: tableID, Seq: l.Seq, Epoch: l.Epoch, TableInfo: l.Table.Meta}
	if back != nil {
		snap.Reason, snap.Back = protocol.ResyncRestored, back
	}
	if l.Table.Match > 0 {
		// This seat's cards only, and only if they were dealt to this user:
		// whoever sits down after a match sees it as a spectator does.
		viewer := seat
		if !l.Table.DealtTo(seat, w.user) {
			viewer = -1
		}
		v := game.ViewFor(&l.Table.Game, viewer)
		snap.View = &v
	}
	b, err := protocol.MarshalSnapshot(snap)
	if err != nil {
		w.srv.log.Error("encoding a snapshot failed", "table", tableID, "err", err)
		return nil
	}
	if seat >= 0 || f.watch {
		f.seat, f.last, f.epoch = seat, l.Seq, l.Epoch
	}
	if err := w.write(websocket.TextMessage, b); err != nil {
		return err
	}
	if f.last < 0 {
		return nil
	}
	return w.chatHistory(tableID)
}

// chatHistory sends the table's recent chat, if there is any.
func (w *writer) chatHistory(tableID string) error {
	ctx, cancel := w.ctx()
	msgs, err := w.srv.store.ChatHistory(ctx, tableID)
	cancel()
	if err != nil {
		w.srv.quiet.Warn("reading chat history failed", "table", tableID, "err", err)
		return nil
	}
	if len(msgs) == 0 {
		return nil
	}
	b, _ := json.Marshal(struct {
		Type     protocol.Type     `json:"type"`
		Table    string            `json:"table"`
		Messages []json.RawMessage `json:"messages"`
	}{protocol.TypeChatHistory, tableID, msgs})
	return w.write(websocket.TextMessage, b)
}

// sync answers a sync request: the events after v.after if the log still
// holds them all, else a snapshot; then an ack with the seq now reached.
func (w *writer) sync(v syncItem) error {
	ctx, cancel := w.ctx()
	defer cancel()
	l, err := w.srv.store.LoadTable(ctx, v.table)
	if errors.Is(err, redisstore.ErrNotFound) {
		return w.sendError(v.id, w.srv.missingTable(ctx, table.CodeNotInGame))
	}
	if err != nil {
		w.srv.quiet.Warn("loading a table for sync failed", "table", v.table, "err", err)
		return w.sendError(v.id, protocol.CodeUnavailable)
	}
	f := w.following(v.table)
	if seatOf(&l.Table.Meta, w.user) < 0 && !f.watch {
		*f = following{seat: -1, last: -1}
		return w.sendError(v.id, table.CodeNotInGame)
	}
	if (v.epoch != 0 && v.epoch != l.Epoch) || v.after > l.Seq {
		// The client's history is not the table's (it was rebuilt, or went
		// back): the server's truth replaces it.
		if err := w.sendResync(v.table, &l, f, v.after, v.epoch); err != nil {
			return err
		}
		w.buf = protocol.AppendAckSeq(w.buf[:0], v.id, l.Seq)
		return w.write(websocket.TextMessage, w.buf)
	}
	var logged []redisstore.Entry
	if n := l.Seq - v.after; v.after >= 0 && n > 0 && n <= maxFill {
		if logged, err = w.srv.store.ReadLog(ctx, v.table, v.after, n); err != nil {
			w.srv.quiet.Warn("reading the event log for sync failed", "table", v.table, "err", err)
			return w.sendError(v.id, protocol.CodeUnavailable)
		}
	}
	switch {
	case v.after >= 0 && v.after == l.Seq: // nothing missed
		f.seat, f.last, f.epoch = seatOf(&l.Table.Meta, w.user), l.Seq, l.Epoch
	case len(logged) > 0 && logged[0].Seq == v.after+1:
		f.seat, f.last, f.epoch = seatOf(&l.Table.Meta, w.user), v.after, l.Epoch
		if err := w.replay(v.table, f, logged); err != nil {
			return err
		}
	default:
		if err := w.sendSnapshot(v.table, &l, f); err != nil {
			return err
		}
	}
	seq := f.last
	if seq < 0 {
		seq = l.Seq
	}
	w.buf = protocol.AppendAckSeq(w.buf[:0], v.id, seq)
	return w.write(websocket.TextMessage, w.buf)
}

func (w *writer) sendError(id string, code game.Code) error {
	metrics.Error(metrics.ComponentGateway, string(code))
	w.buf = protocol.AppendError(w.buf[:0], id, code, "")
	return w.write(websocket.TextMessage, w.buf)
}

// resolve answers the oldest pending command with id at tableID, if there
// is one: ack with the seq when code is "", else an error.
func (w *writer) resolve(tableID, id string, code game.Code, seq int64) error {
	k := pendKey{tableID, id}
	ps := w.pending[k]
	if len(ps) == 0 {
		return nil // not ours: another socket of the user, or answered already
	}
	p := ps[0]
	if len(ps) == 1 {
		delete(w.pending, k)
	} else {
		w.pending[k] = ps[1:]
	}
	w.arm()
	w.srv.lag.observe(time.Since(p.sent))
	if code == "" {
		// An accepted command at a table whose events the socket does not
		// follow yet (a reconnect without sync): send the table first.
		if f := w.following(tableID); f.last < 0 {
			if err := w.snapshot(tableID, f); err != nil {
				return err
			}
		}
		if !p.withTable && w.ackWithEvents(tableID, id, seq) {
			return nil
		}
		if p.withTable {
			data, _ := json.Marshal(protocol.TableData{Table: tableID, Seq: &seq})
			w.buf = protocol.AppendAck(w.buf[:0], id, data)
		} else {
			w.buf = protocol.AppendAckSeq(w.buf[:0], id, seq)
		}
		return w.write(websocket.TextMessage, w.buf)
	}
	if code == protocol.CodeTableNotFound && p.op != protocol.TypeSit {
		code = table.CodeNotInGame // tell nothing about tables the user is not at
	}
	return w.sendError(id, code)
}

// expire answers the commands whose worker did not answer in time: with
// the stored answer if there is one by now, else unavailable (the client
// may send the same id again) — or, while the gateway is behind, gives
// them more time (load.go).
func (w *writer) expire() error {
	now := time.Now()
	for k, ps := range w.pending {
		for len(ps) > 0 && !ps[0].deadline.After(now) {
			code, seq := protocol.CodeUnavailable, int64(0)
			ctx, cancel := w.ctx()
			r, err := w.srv.store.LookupAnswer(ctx, k.table, w.user, k.id)
			cancel()
			if err != nil {
				w.srv.quiet.Warn("looking up an answer failed", "table", k.table, "err", err)
			} else if r != nil {
				code, seq = game.Code(r.Code), r.Seq
				// Its published answer was missed (the hub was away): so may
				// have been the table's rebuild. The client must see that
				// before an answer given from the rebuilt table.
				ok, err := w.epochCheck(k.table)
				if err != nil {
					return err
				}
				if ok {
					ok, err = w.caughtUpTo(k.table, r.Seq)
					if err != nil {
						return err
					}
				}
				if !ok {
					code, seq = protocol.CodeUnavailable, 0
				}
			} else if o := &w.srv.opts; w.srv.lag.over(o.ShedAfter) && now.Sub(ps[0].sent) < maxWaits*o.AnswerTimeout {
				// Still queued behind others (load.go): more time, not a
				// resend that would be handled twice.
				ps[0].deadline = now.Add(o.AnswerTimeout)
				break
			}
			if err := w.resolve(k.table, k.id, code, seq); err != nil {
				return err
			}
			ps = w.pending[k]
		}
	}
	w.arm()
	return nil
}

// epochCheck resyncs the socket's view of a table it follows if the table
// has entered a newer epoch than the socket knows (a rebuild whose message
// it missed). ok is false when that could not be settled (the table could
// not be read): then the client must not be told anything of the table yet.
func (w *writer) epochCheck(tableID string) (ok bool, err error) {
	f := w.tables[tableID]
	if f == nil || f.last < 0 || f.epoch == 0 {
		return true, nil
	}
	ctx, cancel := w.ctx()
	l, lerr := w.srv.store.LoadTable(ctx, tableID)
	cancel()
	switch {
	case errors.Is(lerr, redisstore.ErrNotFound):
		return true, nil
	case lerr != nil:
		return false, nil
	case l.Epoch <= f.epoch:
		return true, nil
	}
	return true, w.sendResync(tableID, &l, f, f.last, f.epoch)
}

// retryAll answers every pending command unavailable at once: Redis
// restarted or failed over, so an action queued before may be lost with its
// stream (it would otherwise be answered only after AnswerTimeout). Sending
// the same id again is safe either way: applied at most once.
func (w *writer) retryAll() error {
	for k, ps := range w.pending {
		for range ps {
			if err := w.resolve(k.table, k.id, protocol.CodeUnavailable, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// arm sets the timer to the earliest pending deadline.
func (w *writer) arm() {
	var first time.Time
	for _, ps := range w.pending {
		if d := ps[0].deadline; first.IsZero() || d.Before(first) {
			first = d
		}
	}
	if first.IsZero() {
		stopTimer(w.timer)
		return
	}
	w.setTimer(&w.timer, wakeExpire, time.Until(first))
}

// setTimer makes *t raise wake reason r in d, making the timer the first
// time: a socket keeps no timer it has never needed. (A reason raised by a
// firing the Reset came too late to stop is harmless: expire and
// catchUpBehind look at what is due.)
func (w *writer) setTimer(t **time.Timer, r uint32, d time.Duration) {
	if *t == nil {
		*t = w.c.inbox.raiseAfter(d, r)
		return
	}
	(*t).Reset(d)
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// seatOf is the seat user holds in m, or -1.
func seatOf(m *table.Meta, user string) int {
	return (&table.Table{Meta: *m}).SeatOf(user)
}
