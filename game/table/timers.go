package table

import (
	"strconv"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
)

// TimeoutEvent is the public "timeout" event: the server played for Seat,
// whose time ran out. It comes right before the engine's events of that
// action (trump_chosen or card_played).
type TimeoutEvent struct {
	Type   string        `json:"type"` // always "timeout"
	Seat   game.Seat     `json:"seat"`
	Action TimeoutAction `json:"action"`
}

// TimeoutAction is what the server played: a card or a trump suit.
type TimeoutAction struct {
	Card  string `json:"card,omitempty"`
	Trump string `json:"trump,omitempty"`
}

// TurnEvent is the public "turn" event: Seat must act by Deadline (unix
// ms) or the server plays for it. A change that started a new timer says
// so on its last event (Turned); a "turn" event of its own only ends a
// change with no event to carry it, and no "table" event (whose deadline
// field says the same).
type TurnEvent struct {
	Type     string    `json:"type"` // always "turn"
	Seat     game.Seat `json:"seat"`
	Deadline int64     `json:"deadline"`
}

// Clock is a turn timer as an event carries it: Seat must act by Deadline.
type Clock struct {
	Seat     game.Seat `json:"seat"`
	Deadline int64     `json:"deadline"`
}

// Turned is the last event of a change that started a new turn timer,
// with that timer: its JSON is the event's own with "turn": {seat,
// deadline} added. The card and the next turn reach each seat in one
// frame, not two.
type Turned struct {
	Event game.Event
	Turn  Clock
}

// MarshalJSON writes the event's object with the "turn" field added.
func (t Turned) MarshalJSON() ([]byte, error) { return t.AppendJSON(nil) }

// AppendJSON appends what MarshalJSON writes to b (by hand: every card of
// a timed table is encoded so, twice).
func (t Turned) AppendJSON(b []byte) ([]byte, error) {
	b, err := t.Event.AppendJSON(b) // an object: {"type":…}
	if err != nil {
		return nil, err
	}
	b = append(b[:len(b)-1], `,"turn":{"seat":`...)
	b = strconv.AppendInt(b, int64(t.Turn.Seat), 10)
	b = append(b, `,"deadline":`...)
	b = strconv.AppendInt(b, t.Turn.Deadline, 10)
	return append(b, "}}"...), nil
}

// OnTurn is the seat that must act now (the Hakem choosing trump, or the
// seat to play a card), or -1 when no match is running.
func (t *Table) OnTurn() game.Seat {
	switch {
	case t.Status != Playing:
		return -1
	case t.Game.Phase == game.PhaseTrump:
		return t.Game.Hakem
	case t.Game.Phase == game.PhasePlay:
		return t.Game.Turn
	}
	return -1
}

// timed reports whether seat's time is counted: the table is not untimed
// and a person who is not away holds it.
func (t *Table) timed(seat game.Seat) bool {
	return !t.Options.Untimed && seat >= 0 && t.Seats[seat] != nil && !t.Seats[seat].Bot && !t.Seats[seat].Away
}

// TimeLimit is the time (ms) the seat on turn gets in phase.
func (o Options) TimeLimit(phase game.Phase) int64 {
	if phase == game.PhaseTrump {
		return int64(or(o.TrumpSeconds, DefaultTrumpSeconds)) * 1000
	}
	return int64(or(o.TurnSeconds, DefaultTurnSeconds)) * 1000
}

// TimeoutsAllowed is how many consecutive timeouts make a player Away.
func (o Options) TimeoutsAllowed() int { return or(o.MaxTimeouts, DefaultMaxTimeouts) }

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// withClock sets next's clock after an accepted change from prev. During a
// match: a new deadline (now + the phase's time limit, under a new Timer
// number) when a timed seat is newly on turn, the game moved on or the
// timed seat just came back; the old one when the same turn goes on; none
// when no person who is present is to act. After a match (finished) with a
// person seated, except at a tournament's table (no rematch): the rematch
// offer's deadline, armed when the offer opens
// (the match ended, or a person sat down at a finished table that had
// none) and kept while it runs. Otherwise none. Table events get the final
// meta, and a new deadline no table event shows is announced: by a "turn"
// event during a match, by a table event after one.
func withClock(prev *Table, next Table, evs []Event, now int64) (Table, []Event) {
	seat := next.OnTurn()
	switch {
	case next.Status == Finished:
		switch {
		case !next.HasPerson() || next.Options.reserved(): // a tournament's table offers no rematch: nothing to time
			next.Deadline = 0
		case prev.Status != Finished || prev.Deadline == 0 || prev.Match != next.Match:
			next.Deadline = now + next.Options.RematchLimit()
			next.Timer = prev.Timer + 1
		}
	case !next.timed(seat):
		next.Deadline = 0
	case prev.Deadline == 0 || prev.OnTurn() != seat || len(prev.Moves) != len(next.Moves) || prev.Match != next.Match:
		next.Deadline = now + next.Options.TimeLimit(next.Game.Phase)
		next.Timer = prev.Timer + 1
	}
	announced := false
	for i := range evs {
		if _, ok := evs[i].Data.(MetaEvent); ok {
			evs[i] = next.metaEvent()
			announced = true
		}
	}
	switch {
	case next.Timer == prev.Timer || announced:
	case next.Status == Playing:
		if !carryTurn(evs, Clock{Seat: seat, Deadline: next.Deadline}) {
			evs = append(evs, Event{To: game.Everyone, Data: TurnEvent{Type: "turn", Seat: seat, Deadline: next.Deadline}})
		}
	default:
		evs = append(evs, next.metaEvent())
	}
	return next, evs
}

// carryTurn puts clock on the last of evs, in the form each recipient
// gets, when that is a game event (a card, a trump, a trick, a deal);
// false when there is none to carry it.
func carryTurn(evs []Event, clock Clock) bool {
	if len(evs) == 0 {
		return false
	}
	last := &evs[len(evs)-1]
	ge, ok := last.Data.(game.Event)
	if !ok {
		return false
	}
	last.Data = Turned{Event: ge, Turn: clock}
	if pub, ok := last.Public.(game.Event); ok {
		last.Public = Turned{Event: pub, Turn: clock}
	}
	return true
}

// timeout plays for the seat on turn when its deadline, armed as timer,
// has passed: the lowest legal card (not a trump if it can) or the longest
// suit of the first five as trump (bot.TimeoutFor). After the option's
// number of consecutive timeouts the player is Away and the bot plays on.
// A timer that is no longer the table's current one is refused as stale.
//
// At a finished table the timer is the rematch offer's: see endOffer.
func timeout(t Table, timer int64, env Env) (Table, []Event, error) {
	if t.Status == Finished {
		if timer != t.Timer || t.Deadline == 0 {
			return t, nil, refuse(CodeStaleTimeout)
		}
		return endOffer(t)
	}
	seat := t.OnTurn()
	if timer != t.Timer || t.Deadline == 0 || !t.timed(seat) {
		return t, nil, refuse(CodeStaleTimeout)
	}
	a := bot.TimeoutFor(&t.Game, seat)
	next, gevs, err := play(t, seat, a, env)
	if err != nil {
		return t, nil, err
	}
	p := *next.Seats[seat]
	p.Timeouts++
	wentAway := p.Timeouts >= next.Options.TimeoutsAllowed()
	if wentAway {
		p.Away = true
	}
	next = withSeats(next, seat, &p)
	evs := append([]Event{{To: game.Everyone, Data: TimeoutEvent{Type: "timeout", Seat: seat, Action: timeoutAction(a)}}}, gevs...)
	if wentAway || next.Status == Finished {
		evs = append(evs, next.metaEvent())
	}
	return next, evs, nil
}

func timeoutAction(a game.Action) TimeoutAction {
	if a.Kind == game.KindChooseTrump {
		return TimeoutAction{Trump: a.Suit.String()}
	}
	return TimeoutAction{Card: a.Card.String()}
}

// back gives an Away player their seat back: the bot stops playing it.
func back(t Table, user string) (Table, []Event, error) {
	seat := t.SeatOf(user)
	switch {
	case seat < 0:
		return t, nil, refuse(CodeNotInGame)
	case !t.Seats[seat].Away:
		return t, nil, refuse(CodeNotAway)
	}
	p := *t.Seats[seat]
	p.Away, p.Timeouts = false, 0
	t = withSeats(t, seat, &p)
	return t, []Event{t.metaEvent()}, nil
}

// awaySeatOfBot is the seat whose Away player the bot user plays for, or -1.
func (t *Meta) awaySeatOfBot(user string) game.Seat {
	for s, p := range t.Seats {
		if p != nil && p.Away && user == BotID(s) {
			return s
		}
	}
	return -1
}

// freshPlayers readies the seats for a new match: ready flags, timeouts and
// abandonment belong to the time before it, and no one is away (every
// person in it started it or said they were ready since the last match).
func freshPlayers(t Table) Table {
	for s, p := range t.Seats {
		if p == nil || (p.Timeouts == 0 && p.AbandonedBy == "" && !p.Away && !p.Ready) {
			continue
		}
		q := *p
		q.Timeouts, q.AbandonedBy, q.Away, q.Ready = 0, "", false, false
		t = withSeats(t, s, &q)
	}
	return t
}

// resume restarts the clock of the seat on turn (or the rematch offer's),
// under a new timer, after the table was rebuilt from a fault (its state
// may be older than what the players last saw, and the time the server was
// away is not theirs). No clock running: nothing changes.
func resume(t Table, env Env) (Table, []Event, error) {
	if t.Deadline == 0 {
		return t, nil, nil
	}
	limit := t.Options.TimeLimit(t.Game.Phase)
	if t.Status == Finished {
		limit = t.Options.RematchLimit()
	}
	t.Deadline = env.Now + limit
	t.Timer++
	return t, []Event{t.metaEvent()}, nil
}
