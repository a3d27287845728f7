package table

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hokm-project/hokm/game"
)

// Op is a table command. Its value is the command's only name: the client
// frame that asks for it has this type (gateway/protocol declares its
// command types as these), an action on the Redis stream carries it, and
// metrics label moves with it. Adding a command is a constant here, a case
// in Apply and ParseCommand, and a frame shape in the protocol.
type Op string

// Table commands.
const (
	OpSit     Op = "sit"      // take Seat (or move to it) while no match runs
	OpLeave   Op = "leave"    // give up the seat; during a match a bot takes it over
	OpAddBots Op = "add_bots" // fill every empty seat with a bot
	OpStart   Op = "start"    // start a match (all seats taken, none running)
	OpRematch Op = "rematch"  // start the next match; only after one has finished
	OpTrump   Op = "trump"    // the Hakem chooses trump (Action)
	OpPlay    Op = "play"     // a card for the user's own seat (Action)
	OpBack    Op = "back"     // an Away player takes their seat back from the bot
	OpTimeout Op = "timeout"  // server only: the seat on turn ran out of time (Timer): play for it
	OpResume  Op = "resume"   // server only: the table came back after a server fault; the seat on turn gets a fresh deadline
)

// ServerOnly reports whether only the server itself (its turn clock, its
// recovery) may send op; a client's action with it is an unknown command.
func (op Op) ServerOnly() bool { return op == OpTimeout || op == OpResume }

// Command is one user's request to the table.
type Command struct {
	Op     Op
	Seat   game.Seat   // OpSit
	Name   string      // OpSit: the display name to show
	Action game.Action // OpTrump, OpPlay (its kind matches the op: see Act)
	Timer  int64       // OpTimeout: the Meta.Timer the deadline was armed as
}

// Act is the command of a game action: OpTrump or OpPlay by its kind.
func Act(a game.Action) Command {
	if a.Kind == game.KindChooseTrump {
		return Command{Op: OpTrump, Action: a}
	}
	return Command{Op: OpPlay, Action: a}
}

// ParseCommand builds op's command from the arguments an action carries:
// seat and name for sit; arg is the card of play, the suit of trump, the
// timer number of timeout. ok is false for an op this package does not
// know. A malformed card or suit is not refused here: Apply refuses it with
// the engine's code, in the engine's order of checks.
func ParseCommand(op Op, seat int, name, arg string) (c Command, ok bool) {
	switch op {
	case OpSit:
		return Command{Op: op, Seat: game.Seat(seat), Name: name}, true
	case OpTrump:
		s, _ := game.ParseSuit(arg)
		return Act(game.ChooseTrump(s)), true
	case OpPlay:
		card, _ := game.ParseCard(arg)
		return Act(game.PlayCard(card)), true
	case OpTimeout:
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			n = -1 // no such timer: refused as stale
		}
		return Command{Op: op, Timer: n}, true
	case OpLeave, OpAddBots, OpStart, OpRematch, OpBack, OpResume:
		return Command{Op: op}, true
	}
	return Command{}, false
}

// Env is what a command may need from the world: the time and, to start a
// match, a fresh seed. The caller provides both; the package reads no clock.
type Env struct {
	Now  int64 // unix milliseconds
	Seed uint64
}

// MaxNameLen bounds a display name, in characters.
const MaxNameLen = 32

// Event is something that happened at the table, for To (game.Everyone or
// one seat). Data marshals to a JSON object with a "type" field; a private
// event's Public is its redacted form for everyone else.
type Event struct {
	To     int
	Data   any
	Public any
}

// MetaEvent is the "table" event: the table's public state after a change.
type MetaEvent struct {
	Type  string `json:"type"` // always "table"
	Table Meta   `json:"table"`
}

// Apply runs user's command against t. It returns the new table and its
// events, or t unchanged and an error with a stable code (*Error, or the
// engine's *game.Error for a rejected game action).
//
// Every accepted change also sets the turn clock (Meta.Deadline, Timer):
// see withClock.
func Apply(t Table, user string, c Command, env Env) (Table, []Event, error) {
	next, evs, err := apply(t, user, c, env)
	if err != nil || evs == nil {
		return next, evs, err
	}
	next, evs = withClock(&t, next, evs, env.Now)
	return next, evs, nil
}

func apply(t Table, user string, c Command, env Env) (Table, []Event, error) {
	switch c.Op {
	case OpSit:
		return sit(t, user, c.Seat, c.Name)
	case OpLeave:
		return leave(t, user, env)
	case OpAddBots:
		return addBots(t, user)
	case OpStart, OpRematch:
		return startMatch(t, user, c.Op, env)
	case OpTrump, OpPlay:
		return act(t, user, c.Action, env)
	case OpBack:
		return back(t, user)
	case OpTimeout:
		return timeout(t, c.Timer, env)
	case OpResume:
		return resume(t, env)
	}
	return t, nil, refuse(CodeUnknownCommand)
}

func (t *Table) metaEvent() Event {
	return Event{To: game.Everyone, Data: MetaEvent{Type: "table", Table: t.Meta}}
}

// withSeats copies the seat array so the caller's table never changes.
func withSeats(t Table, seat game.Seat, p *Player) Table {
	seats := t.Seats
	seats[seat] = p
	t.Seats = seats
	return t
}

func sit(t Table, user string, seat game.Seat, name string) (Table, []Event, error) {
	switch {
	case seat < 0 || seat > 3:
		return t, nil, refuse(CodeInvalidSeat)
	case t.Status == Playing && t.SeatOf(user) == seat:
		return t, nil, nil // already there: nothing to do
	case t.Status == Playing:
		return t, nil, refuse(CodeMatchRunning)
	case t.Seats[seat] != nil && t.Seats[seat].ID == user:
		return t, nil, nil
	case t.Seats[seat] != nil && !t.Seats[seat].Bot:
		return t, nil, refuse(CodeSeatTaken)
	}
	if old := t.SeatOf(user); old >= 0 {
		t = withSeats(t, old, nil)
	}
	t = withSeats(t, seat, &Player{ID: user, Name: CleanName(name)})
	return t, []Event{t.metaEvent()}, nil
}

// CleanName trims a display name to MaxNameLen characters of valid UTF-8
// without control or bidirectional-override characters (which could make
// one player's name pass for another's) and without the blank "letters"
// (Hangul fillers, Braille blank: see Invisible); a name with nothing
// visible left becomes "player". Letters of every script, joiners and
// emoji stay.
func CleanName(name string) string {
	out := make([]rune, 0, len(name))
	visible := false
	for _, r := range name {
		if r == utf8.RuneError || unicode.IsControl(r) || isBidiControl(r) || isFiller(r) {
			continue
		}
		if len(out) == MaxNameLen {
			break
		}
		out = append(out, r)
		if !Invisible(r) {
			visible = true
		}
	}
	if !visible {
		return "player"
	}
	return strings.TrimSpace(string(out))
}

// Invisible reports a character that shows nothing by itself: white
// space, control and format characters (Cf: zero-width space and joiners,
// soft hyphen, bidirectional marks, tags …), the blank "letters" (Hangul
// fillers U+115F U+1160 U+3164 U+FFA0, Braille blank U+2800) and the other
// default-ignorable code points of Unicode (variation selectors, the
// combining grapheme joiner, Khmer inherent vowels, Mongolian free
// variation selectors, musical formatting, shorthand format controls,
// unassigned U+2065, U+FFF0–U+FFF8, U+E0000–U+E0FFF). A name made of these
// alone is empty. (Some are needed inside a name — ZWNJ in Persian, ZWJ
// and variation selectors in emoji — so they are kept there.)
func Invisible(r rune) bool {
	switch {
	case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || isFiller(r):
		return true
	case r == 0x034F, r == 0x17B4, r == 0x17B5, r >= 0x180B && r <= 0x180F, r == 0x2065,
		r >= 0xFE00 && r <= 0xFE0F, r >= 0xFFF0 && r <= 0xFFF8, r >= 0x1BCA0 && r <= 0x1BCA3,
		r >= 0x1D173 && r <= 0x1D17A, r >= 0xE0000 && r <= 0xE0FFF:
		return true
	}
	return false
}

// isFiller reports the characters that are letters or symbols to Unicode
// but draw as blank space: the Hangul fillers and the Braille blank.
// Names drop them.
func isFiller(r rune) bool {
	return r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0 || r == 0x2800
}

// isBidiControl reports the embedding, override and isolate controls
// (U+202A–U+202E, U+2066–U+2069).
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

func leave(t Table, user string, env Env) (Table, []Event, error) {
	seat := t.SeatOf(user)
	if seat < 0 {
		return t, nil, refuse(CodeNotInGame)
	}
	var p *Player
	if t.Status == Playing {
		p = &Player{ID: BotID(seat), Name: "bot", Bot: true, AbandonedBy: user}
	}
	t = withSeats(t, seat, p)
	return t, []Event{t.metaEvent()}, nil
}

func addBots(t Table, user string) (Table, []Event, error) {
	if t.SeatOf(user) < 0 && user != t.Host {
		return t, nil, refuse(CodeNotInGame)
	}
	changed := false
	for seat := range t.Seats {
		if t.Seats[seat] == nil {
			t = withSeats(t, seat, &Player{ID: BotID(seat), Name: "bot", Bot: true})
			changed = true
		}
	}
	if !changed {
		return t, nil, nil
	}
	return t, []Event{t.metaEvent()}, nil
}

// startMatch starts a match. Membership is checked first, so a stranger
// learns nothing about the table's state from the refusal.
func startMatch(t Table, user string, op Op, env Env) (Table, []Event, error) {
	switch {
	case t.SeatOf(user) < 0:
		return t, nil, refuse(CodeNotInGame)
	case op == OpRematch && t.Status != Finished:
		return t, nil, refuse(CodeNotFinished)
	case t.Status == Playing:
		return t, nil, refuse(CodeMatchRunning)
	case !t.Full():
		return t, nil, refuse(CodeTableNotFull)
	}
	g, gevs, err := game.NewMatch(t.Rules, env.Seed)
	if err != nil {
		return t, nil, &Error{Code: CodeBadRules, Msg: err.Error()}
	}
	t.Game, t.Moves = g, nil
	t = freshPlayers(t, user)
	for s, p := range t.Seats {
		t.Dealt[s] = p.ID // Full: every seat is taken
	}
	t.Match++
	t.Status, t.Started, t.Ended = Playing, env.Now, 0
	return t, append([]Event{t.metaEvent()}, wrap(gevs)...), nil
}

func act(t Table, user string, a game.Action, env Env) (Table, []Event, error) {
	seat := t.SeatOf(user)
	if seat < 0 {
		seat = t.awaySeatOfBot(user)
	}
	if seat < 0 {
		return t, nil, refuse(CodeNotInGame)
	}
	if t.Status != Playing {
		if t.Status == Finished {
			return t, nil, game.ErrGameOver
		}
		return t, nil, game.ErrWrongPhase
	}
	p := t.Seats[seat]
	if p.Away && p.ID == user {
		return t, nil, refuse(CodeSeatAway) // the bot plays this seat until "back"
	}
	next, evs, err := play(t, seat, a, env)
	if err != nil {
		return t, nil, err
	}
	if p.ID == user && p.Timeouts != 0 {
		q := *p
		q.Timeouts = 0
		next = withSeats(next, seat, &q)
	}
	if next.Status == Finished {
		evs = append(evs, next.metaEvent())
	}
	return next, evs, nil
}

// play applies a game action for seat and records it; a finished match
// ends the table's match (the caller adds the table event).
func play(t Table, seat game.Seat, a game.Action, env Env) (Table, []Event, error) {
	g, gevs, err := game.Apply(t.Game, seat, a)
	if err != nil {
		return t, nil, err
	}
	t.Game = g
	t.Moves = append(t.Moves[:len(t.Moves):len(t.Moves)], Move{Seat: seat, Action: a})
	if g.Over() {
		t.Status, t.Ended = Finished, env.Now
	}
	return t, wrap(gevs), nil
}

func wrap(gevs []game.Event) []Event {
	out := make([]Event, len(gevs))
	for i, e := range gevs {
		out[i] = Event{To: e.To, Data: e}
		if !e.Public() {
			out[i].Public = e.Redacted()
		}
	}
	return out
}
