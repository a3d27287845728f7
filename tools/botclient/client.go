package botclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
	"github.com/hokm-project/hokm/game/table"
)

// typeReconnected is the pseudo-frame next returns after it replaced a
// lost socket: the caller sends again what was not answered.
const typeReconnected = "-reconnected"

// client is one bot at its table. Its socket may be replaced: the session
// (token), the seat, the state and the ids outlive any one socket.
type client struct {
	name        string
	urls        []string // gateways; reconnects go round robin
	at          int      // index in urls of the current socket's gateway
	sock        *sock
	noReconnect bool

	user, token string
	table       string
	seated      bool   // the sit was acked: a reconnect syncs the table
	epoch       *int64 // of the last snapshot or resync, sent with sync

	state      seatState
	nextID     int
	moves      int                 // trumps and cards made: sent once, and not dropped as stale
	dropped    int                 // moves refused after the state changed under them, and decided again
	backs      int                 // seats taken back from the server's bot (seat_away)
	resyncs    int                 // resync frames adopted
	rejoins    int                 // seats taken again after a table went back to before its start
	wentBack   bool                // a resync took the table back to before its match started
	recent     [recentFrames]frame // the last frames received (for errors): a ring
	received   int                 // frames received in all (the ring's next slot)
	reconnects []time.Duration     // each from the loss of a socket to the answer of the sync on the next
	changes    int                 // snapshots, resyncs and reconnects so far: a move sent before one may be stale
	catchingUp bool                // the frames are a reconnect's sync answer
	own        []ownMove           // the seat's moves seen at its current table (whoever made them), for rollBack
	lastEvent  time.Time           // when the newest event was read
	rolledBack int                 // moves of the seat seen, then taken back by a snapshot (lost with Redis)
	lossSpan   time.Duration       // the longest of those losses (rollBack)

	sw       *stopwatch
	pace     *Pacer
	onFrame  func()
	bot      bot.Bot
	leaks    *leakCheck // nil unless Options.CheckLeaks
	onMove   func()
	onPlayed func(table string)
}

func newClient(seat int, opts *Options, sw *stopwatch) *client {
	urls := opts.urls()
	c := &client{name: "bot" + strconv.Itoa(seat), urls: urls, at: seat % len(urls), noReconnect: opts.NoReconnect,
		state: seatState{seat: seat}, sw: sw, bot: bot.NewHeuristic(), onMove: opts.OnMove, onPlayed: opts.OnPlayed, onFrame: opts.OnFrame,
		pace: &Pacer{}}
	if opts.CheckLeaks {
		c.leaks = &leakCheck{seat: seat}
	}
	return c
}

// handle applies a frame to the seat's state. A resync is adopted exactly
// like a snapshot: the server's truth replaces the client's.
func (c *client) handle(f *frame) error {
	if f.Table != "" && c.table != "" && f.Table != c.table && (f.Type == "event" || f.Type == "snapshot" || f.Type == "resync") {
		return nil // an earlier table's (a tournament player moves on)
	}
	switch f.Type {
	case "snapshot", "resync":
		if f.Type == "resync" {
			c.resyncs++
		}
		c.epoch = f.Epoch
		c.changes++
		if f.Type == "resync" && f.Back > 0 {
			c.rollBack(c.state.lastSeq - f.Back)
		}
		err := c.state.snapshot(f)
		if f.Type == "resync" && c.state.status == "waiting" {
			c.wentBack = true
		}
		return err
	case "event":
		e, err := c.state.apply(f.Seq, f.Event)
		c.lastEvent = time.Now()
		if err == nil && e.Seat == c.state.seat && (e.Type == "card_played" || e.Type == "trump_chosen") {
			c.own = append(c.own, ownMove{seq: f.Seq, at: c.lastEvent})
			// The seat acted. It is this client's pending move — or the server
			// acting for the seat (a timeout, or an earlier move of the seat
			// applied again after the table was rebuilt): a move sent before
			// it may then be refused by the rules without any bot fault.
			c.changes++
		}
		if err == nil && e.Type == "card_played" {
			key := moveKey(c.state.view.Hand, e.Seat, e.Card)
			if c.catchingUp {
				c.sw.untime(key)
			} else {
				c.sw.saw(key)
				if e.Seat == c.state.seat && c.onPlayed != nil {
					c.onPlayed(c.table)
				}
			}
		}
		return err
	case "bye":
		if f.Reason == "shutdown" {
			return lost(c.state.seat, "bye shutdown")
		}
		return fmt.Errorf("seat %d: server said bye %q", c.state.seat, f.Reason)
	}
	return nil
}

// ownMove is a move of the client's seat seen as an event.
type ownMove struct {
	seq int64
	at  time.Time
}

// rollBack counts the seat's moves seen after seq that a resync of its
// table takes back (seq is where the client's history and the table's part: the
// seq the client had less the resync's back — not the resync's own seq,
// which may be past it): the server lost them (Redis lost the table and it
// was rebuilt from its journal, which is up to an interval behind), and
// they are played again. lossSpan keeps the longest such loss, from the
// oldest move taken back to the newest event read before the resync: a
// lower bound on the play the server lost, which docs/operations.md bounds.
func (c *client) rollBack(seq int64) {
	kept := c.own[:0]
	var oldest time.Time
	for _, m := range c.own {
		if m.seq <= seq {
			kept = append(kept, m)
			continue
		}
		c.rolledBack++
		if oldest.IsZero() || m.at.Before(oldest) {
			oldest = m.at
		}
	}
	c.own = kept
	if !oldest.IsZero() {
		c.lossSpan = max(c.lossSpan, c.lastEvent.Sub(oldest))
	}
}

// maxRetries bounds how often one command is resent after unavailable:
// with the backoff below, about a minute — longer than a Redis outage the
// server rides out (the breaker answers unavailable at once meanwhile).
const maxRetries = 40

// retry waits before resending a command that got unavailable, or
// rate_limited (then at least as long as its retry_after says), (attempt
// from 1); false when it should not be resent.
func retry(ctx context.Context, msg map[string]any, f *frame, attempt int) bool {
	if f.Type != "error" || f.Code != "unavailable" && f.Code != "rate_limited" || attempt > maxRetries {
		return false // (a retried create_table may create a second table, which expires unused)
	}
	wait := min(100*time.Millisecond<<min(attempt-1, 5), 2*time.Second)
	wait = wait/2 + time.Duration(rand.Int64N(int64(wait)))/2 // jittered: 50–100 % of the backoff
	if f.Code == "rate_limited" {
		wait = max(wait, hinted(f.RetryAfter, 0))
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return false // not worth waiting for: refused
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// request sends a command and waits for its answer, applying whatever
// frames arrive meanwhile. An unavailable answer is retried with the same
// id, as the protocol says, and so is a command whose socket was lost
// before the answer. That includes create_table: at worst the server makes
// a second table and the first, empty, expires (docs/protocol.md).
func (c *client) request(ctx context.Context, msg map[string]any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	id, err := c.send(msg)
	if err != nil {
		return nil, err
	}
	resent := false
	for attempt := 1; ; {
		f, err := c.next(ctx)
		if err != nil {
			return nil, err
		}
		resend := f.Type == typeReconnected
		if !resend && f.ID != id {
			continue
		}
		if !resend && retry(ctx, msg, &f, attempt) {
			attempt++
			resend = true
		}
		if resend {
			if _, err := c.send(msg); err != nil {
				return nil, err
			}
			resent = true
			continue
		}
		if f.Type == "error" {
			return nil, &refused{seat: c.state.seat, what: msg["type"], code: f.Code, msg: f.Message, resent: resent}
		}
		return f.Data, nil
	}
}

// move is a trump or card sent and not yet answered.
type move struct {
	msg     map[string]any
	id      string
	key     cardKey // the stopwatch's, for a card (timed: set)
	timed   bool
	attempt int // sends after unavailable, from 1
	changes int // client.changes when it was sent
}

// staleCodes are the refusals a move may get when the state it was chosen
// from was replaced before the answer (a resync, a snapshot, a reconnect):
// it is dropped and the bot decides again from the new state. From any
// other state they fail the match, as a bot that breaks the rules should.
var staleCodes = map[string]bool{
	string(game.CodeNotYourTurn): true, string(game.CodeWrongPhase): true, string(game.CodeNotHakem): true,
	string(game.CodeCardNotInHand): true, string(game.CodeMustFollowSuit): true, string(game.CodeGameOver): true,
	string(table.CodeStaleTimeout): true, string(table.CodeNotInGame): true,
}

// play acts whenever it is this seat's turn until the match ends. A move
// answered unavailable, or whose socket was lost, is sent again with the
// same id.
func (c *client) play(ctx context.Context) error {
	var p *move
	for !c.state.over {
		if c.wentBack { // a resync took the table back to before the start
			if c.state.status != "waiting" {
				c.wentBack = false // started again
			} else if err := c.rejoin(ctx); err != nil {
				return err
			} else if p != nil { // its answer, if any, is for a match that no longer is
				c.moves--
				c.dropped++
				p = nil
			}
		}
		if p == nil && c.state.myTurn() {
			if err := c.pace.Wait(ctx); err != nil {
				return fmt.Errorf("seat %d: %w", c.state.seat, err)
			}
			m, err := c.act()
			if err != nil {
				return err
			}
			p = m
		}
		f, err := c.next(ctx)
		if err != nil {
			return err
		}
		if p == nil || f.Type != typeReconnected && f.ID != p.id {
			continue
		}
		if f.Type == typeReconnected || retry(ctx, p.msg, &f, p.attempt) {
			if f.Type == typeReconnected && p.timed {
				c.sw.untime(p.key) // its delay is the reconnect's
			} else {
				p.attempt++
			}
			if _, err := c.send(p.msg); err != nil {
				return err
			}
			continue
		}
		if f.Type == "error" && f.Code == string(table.CodeSeatAway) {
			// The server's bot played this seat while the client was not
			// at the table (gone, or not yet called to it): take the seat
			// back, as a player does, and decide again.
			if err := c.takeBack(ctx); err != nil {
				return err
			}
			c.moves--
			c.dropped++
			p = nil
			continue
		}
		if f.Type == "error" {
			if p.changes == c.changes || !staleCodes[f.Code] {
				return fmt.Errorf("seat %d: move refused: %s %s (sent %s %v at turn %d; last frames: %s)", c.state.seat, f.Code,
					f.Message, p.id, p.msg, c.state.view.Turn, c.recentSummary())
			}
			c.moves--
			c.dropped++
		}
		p = nil
	}
	return nil
}

// takeBack takes this client's seat back from the server's bot ("back");
// a seat no longer away (taken back already) is as good.
func (c *client) takeBack(ctx context.Context) error {
	_, err := c.request(ctx, map[string]any{"type": "back", "table": c.table})
	var r *refused
	if err != nil && !(errors.As(err, &r) && r.code == string(table.CodeNotAway)) {
		return fmt.Errorf("taking the seat back from the bot: %w", err)
	}
	c.backs++
	return nil
}

// rejoin takes the seat again after a resync took the table back to
// before its start (the server lost the start with Redis): what players do
// when the table they see is waiting again. Every client sits again and,
// but the host, says it is ready again at once; the host (seat 0's client, which
// created the table and sat first) starts the match once all four are
// seated and ready. Refusals that a race with the other clients explains
// are not errors; the next table event settles it.
func (c *client) rejoin(ctx context.Context) error {
	s := &c.state
	if s.seats[s.seat] != c.user {
		if _, err := c.request(ctx, map[string]any{"type": "sit", "table": c.table, "seat": s.seat}); err != nil {
			return fmt.Errorf("sitting again after the table went back: %w", err)
		}
		c.rejoins++
		// On to ready at once: the last to sit may see no other event.
	}
	var r *refused
	if s.host != c.user {
		if s.ready[s.seat] {
			return nil // wait for the host
		}
		_, err := c.request(ctx, map[string]any{"type": "ready", "table": c.table})
		if err != nil && !(errors.As(err, &r) && r.code == string(table.CodeMatchRunning)) {
			return fmt.Errorf("saying ready again after the table went back: %w", err)
		}
		return nil
	}
	for i, u := range s.seats {
		if u == "" || u != c.user && !s.ready[i] {
			return nil // wait for the others
		}
	}
	_, err := c.request(ctx, map[string]any{"type": "start", "table": c.table})
	if err != nil && !(errors.As(err, &r) && (r.code == string(table.CodeMatchRunning) || r.code == string(table.CodeTableNotFull) ||
		r.code == string(table.CodePlayersNotReady))) {
		return fmt.Errorf("starting again after the table went back: %w", err)
	}
	return nil
}

// tookBack reports a refusal during the set-up that the table going back
// explains (Redis lost it and it was rebuilt from the journal, without the
// latest sits or readies): the client takes its seat again as after a
// resync to a waiting table (client.rejoin), once it sees the table as it
// is now. Were the refusal a server fault instead, the match would not
// start and its timeout tells.
func tookBack(err error) bool {
	var r *refused
	return errors.As(err, &r) && (r.code == string(table.CodeNotInGame) ||
		r.code == string(table.CodePlayersNotReady) || r.code == string(table.CodeTableNotFull))
}

// startedBefore reports a start sent more than once and refused because a
// match is running: the first sending started it and its answer was lost
// with Redis (answers are kept there only), so the one sent again was
// judged anew. Only the host starts, so the running match is its own.
func startedBefore(err error) bool {
	var r *refused
	return errors.As(err, &r) && r.resent && r.code == string(table.CodeMatchRunning)
}

// act chooses and sends this seat's trump or card.
func (c *client) act() (*move, error) {
	a := c.state.choose(c.bot)
	p := &move{msg: map[string]any{"table": c.table}, attempt: 1, changes: c.changes}
	if a.Kind == game.KindChooseTrump {
		p.msg["type"], p.msg["suit"] = "trump", a.Suit.String()
	} else {
		p.msg["type"], p.msg["card"] = "play", a.Card.String()
		p.key, p.timed = moveKey(c.state.view.Hand, c.state.seat, a.Card), true
		c.sw.start(p.key)
	}
	c.moves++
	id, err := c.send(p.msg)
	if err == nil && c.onMove != nil {
		c.onMove()
	}
	p.id = id
	return p, err
}
