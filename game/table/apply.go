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
	OpAddBots Op = "add_bots" // the host fills every empty seat with a bot
	OpStart   Op = "start"    // the host starts a match (all seats taken, every other person ready, none running)
	OpReady   Op = "ready"    // set the user's own ready flag (Ready) while no match runs
	OpSwap    Op = "swap"     // the host swaps the holders of Seat and To while no match runs
	OpRematch Op = "rematch"  // say yes to the next match; only after one has finished
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
	Seat   game.Seat   // OpSit, OpSwap
	To     game.Seat   // OpSwap: the other seat
	Name   string      // OpSit: the display name to show
	Ready  bool        // OpReady: the flag's new value; OpSit: sit down ready (the matchmaker's players)
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
// seat and name for sit; seat for swap, whose arg is the other seat; arg
// is the card of play, the suit of trump, the timer number of timeout, and
// for ready "0" (not ready) or anything else (ready). ok is false for an op
// this package does not know. A malformed card or suit is not refused
// here: Apply refuses it with the engine's code, in the engine's order of
// checks; a malformed seat is invalid_seat.
func ParseCommand(op Op, seat int, name, arg string) (c Command, ok bool) {
	switch op {
	case OpSit:
		return Command{Op: op, Seat: game.Seat(seat), Name: name}, true
	case OpSwap:
		to, err := strconv.Atoi(arg)
		if err != nil {
			to = -1 // no such seat: refused as invalid_seat
		}
		return Command{Op: op, Seat: game.Seat(seat), To: game.Seat(to)}, true
	case OpReady:
		return Command{Op: op, Ready: arg != ReadyNo}, true
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

// ReadyNo is the arg of a ready action that clears the flag (ReadyYes, or
// anything else, sets it).
const (
	ReadyYes = "1"
	ReadyNo  = "0"
)

// Env is what a command may need from the world: the time and, to start a
// match, a fresh seed. The caller provides both; the package reads no clock.
type Env struct {
	Now  int64 // unix milliseconds
	Seed uint64
	// Once says the caller applies a command to this table once at most
	// (it drops the table, or keeps it only to read): the result may then
	// append to the table's move list in place. Otherwise every card copies
	// the match's moves so far — hundreds, ≈ 8 KB a card late in a match,
	// a fifth of all the server allocated under load.
	Once bool
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

// Game is the engine's event e is, with the turn timer it may carry
// (Turned) set aside.
func (e Event) Game() (game.Event, bool) {
	if t, ok := e.Data.(Turned); ok {
		return t.Event, true
	}
	ge, ok := e.Data.(game.Event)
	return ge, ok
}

// Clock is the turn timer e announces: on a game event (Turned) or as a
// "turn" event of its own.
func (e Event) Clock() (Clock, bool) {
	switch d := e.Data.(type) {
	case Turned:
		return d.Turn, true
	case TurnEvent:
		return Clock{Seat: d.Seat, Deadline: d.Deadline}, true
	}
	return Clock{}, false
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
//
// A change that leaves a finished table full with every person seated
// there ready (each said yes) starts the next match at once: see
// rematchAgreed.
func Apply(t Table, user string, c Command, env Env) (Table, []Event, error) {
	next, evs, err := apply(t, user, c, env)
	if err != nil || evs == nil {
		return next, evs, err
	}
	if next.rematchAgreed() || next.startsByItself() {
		if next, evs, err = begin(next, env); err != nil {
			return t, nil, err
		}
	}
	next, evs = withClock(&t, next, evs, env.Now)
	return next, evs, nil
}

func apply(t Table, user string, c Command, env Env) (Table, []Event, error) {
	switch c.Op {
	case OpSit:
		return sit(t, user, c, env)
	case OpLeave:
		return leave(t, user)
	case OpAddBots:
		return addBots(t, user)
	case OpStart:
		return start(t, user, env)
	case OpReady:
		return ready(t, user, c.Ready)
	case OpRematch:
		return rematch(t, user)
	case OpSwap:
		return swap(t, user, c.Seat, c.To)
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

// sit takes a free seat, or a bot's, while no match runs; a seated user
// moves there. A person who sits down is not ready (unless c.Ready: the
// matchmaker seats its players ready) and becomes host of a table whose
// host is not seated (none, or a creator who never sat down); a person who
// moves is no longer ready.
func sit(t Table, user string, c Command, env Env) (Table, []Event, error) {
	seat := c.Seat
	switch {
	case seat < 0 || seat > 3:
		return t, nil, refuse(CodeInvalidSeat)
	case t.Options.reserved() && t.Options.Reserved[seat] != user:
		return t, nil, refuse(CodeSeatReserved)
	case t.Status == Playing && t.SeatOf(user) == seat:
		return t, nil, nil // already there: nothing to do
	case t.Status == Playing:
		return t, nil, refuse(CodeMatchRunning)
	case t.Seats[seat] != nil && t.Seats[seat].ID == user:
		return t, nil, nil
	case t.Seats[seat] != nil && !t.Seats[seat].Bot:
		return t, nil, refuse(CodeSeatTaken)
	}
	p := &Player{ID: user, Name: CleanName(c.Name), Since: env.Now, Ready: c.Ready}
	if old := t.SeatOf(user); old >= 0 {
		p.Since, p.Ready = t.Seats[old].Since, false
		t = withSeats(t, old, nil)
	}
	if t.SeatOf(t.Host) < 0 && !t.Options.reserved() { // a tournament's host is its first player, seated or not
		t.Host = user
	}
	t = withSeats(t, seat, p)
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

// leave gives up the user's seat: empty while no match runs, the bot's
// (AbandonedBy the user) during one. A host who leaves passes the table to
// the person seated longest (see nextHost).
func leave(t Table, user string) (Table, []Event, error) {
	seat := t.SeatOf(user)
	if seat < 0 {
		return t, nil, refuse(CodeNotInGame)
	}
	var p *Player
	if t.Status == Playing {
		p = newBot(seat)
		p.AbandonedBy = user
	}
	t = withSeats(t, seat, p)
	if t.Host == user {
		t.Host = t.nextHost()
	}
	return t, []Event{t.metaEvent()}, nil
}

// nextHost is the person seated longest (the earliest Since; the lower
// seat on a tie), or "" when no person is seated.
func (t *Meta) nextHost() string {
	best := -1
	for s, p := range t.Seats {
		if p != nil && !p.Bot && (best < 0 || p.Since < t.Seats[best].Since) {
			best = s
		}
	}
	if best < 0 {
		return ""
	}
	return t.Seats[best].ID
}

// hostOnly refuses a host's command from anyone else: a user neither
// seated nor the host learns nothing about the table (not_in_game); a
// seated one gets not_host.
func (t *Meta) hostOnly(user string) error {
	switch {
	case user != "" && user == t.Host:
		return nil
	case t.SeatOf(user) < 0:
		return refuse(CodeNotInGame)
	}
	return refuse(CodeNotHost)
}

// addBots fills every empty seat with its bot (the host only; seated, or
// the creator of a table nobody sits at). Nobody's ready flag changes.
func addBots(t Table, user string) (Table, []Event, error) {
	if err := t.hostOnly(user); err != nil {
		return t, nil, err
	}
	changed := false
	for seat := range t.Seats {
		if t.Seats[seat] == nil {
			t = withSeats(t, seat, newBot(seat))
			changed = true
		}
	}
	if !changed {
		return t, nil, nil
	}
	return t, []Event{t.metaEvent()}, nil
}

// start starts a match: the seated host's, with all four seats taken and
// every other person seated ready. After a match (finished) it is the
// host's yes that needs every other person's yes already given. Who may ask
// is checked first, so a stranger learns nothing about the table's state
// from the refusal.
func start(t Table, user string, env Env) (Table, []Event, error) {
	switch {
	case t.SeatOf(user) < 0:
		return t, nil, refuse(CodeNotInGame)
	case user != t.Host:
		return t, nil, refuse(CodeNotHost)
	case t.Status == Playing:
		return t, nil, refuse(CodeMatchRunning)
	case t.Options.reserved() && t.Match > 0:
		return t, nil, refuse(CodeNoRematch)
	case !t.Full():
		return t, nil, refuse(CodeTableNotFull)
	}
	for _, p := range t.Seats {
		if !p.Bot && !p.Ready && p.ID != user {
			return t, nil, refuse(CodePlayersNotReady)
		}
	}
	return begin(t, env)
}

// begin deals a new match (the table is full and none runs). Every seat is
// fresh for it: ready flags, timeouts and abandonment belong to the time
// before, and every person in it either started it or said they were ready
// since the last match, so no one is away.
func begin(t Table, env Env) (Table, []Event, error) {
	g, gevs, err := game.NewMatch(t.Rules, env.Seed)
	if err != nil {
		return t, nil, &Error{Code: CodeBadRules, Msg: err.Error()}
	}
	t.Game, t.Moves = g, nil
	t = freshPlayers(t)
	for s, p := range t.Seats {
		t.Dealt[s] = p.ID // Full: every seat is taken
	}
	t.Match++
	t.Status, t.Started, t.Ended = Playing, env.Now, 0
	return t, append([]Event{t.metaEvent()}, wrap(gevs)...), nil
}

// ready sets the user's own ready flag while no match runs: while the
// table waits, ready for the host to start; once a match finished, the
// user's yes (or no) to the next one. Setting it to what it is changes
// nothing.
func ready(t Table, user string, on bool) (Table, []Event, error) {
	seat := t.SeatOf(user)
	switch {
	case seat < 0:
		return t, nil, refuse(CodeNotInGame)
	case t.Status == Playing:
		return t, nil, refuse(CodeMatchRunning)
	case t.Options.reserved() && t.Match > 0:
		return t, nil, refuse(CodeNoRematch)
	case t.Seats[seat].Ready == on:
		return t, nil, nil
	}
	p := *t.Seats[seat]
	p.Ready = on
	t = withSeats(t, seat, &p)
	return t, []Event{t.metaEvent()}, nil
}

// rematch is a seated user's yes to the next match, once one finished
// (ready with true, only then).
func rematch(t Table, user string) (Table, []Event, error) {
	switch {
	case t.SeatOf(user) < 0:
		return t, nil, refuse(CodeNotInGame)
	case t.Status != Finished:
		return t, nil, refuse(CodeNotFinished)
	}
	return ready(t, user, true)
}

// swap exchanges the holders of seats a and b (the host only, while no
// match runs). A person moved is no longer ready; a bot moved becomes the
// bot of its new seat (its id and name); an empty seat moves as empty.
func swap(t Table, user string, a, b game.Seat) (Table, []Event, error) {
	if err := t.hostOnly(user); err != nil {
		return t, nil, err
	}
	switch {
	case a < 0 || a > 3 || b < 0 || b > 3:
		return t, nil, refuse(CodeInvalidSeat)
	case t.Options.reserved():
		return t, nil, refuse(CodeSeatReserved)
	case t.Status == Playing:
		return t, nil, refuse(CodeMatchRunning)
	case a == b || t.Seats[a] == nil && t.Seats[b] == nil:
		return t, nil, nil
	case t.Seats[a] != nil && t.Seats[b] != nil && t.Seats[a].Bot && t.Seats[b].Bot:
		return t, nil, nil // each seat keeps its own bot
	}
	pa, pb := moved(t.Seats[a], b), moved(t.Seats[b], a)
	t = withSeats(t, a, pb)
	t = withSeats(t, b, pa)
	return t, []Event{t.metaEvent()}, nil
}

// moved is p (a copy) after moving to seat to.
func moved(p *Player, to game.Seat) *Player {
	switch {
	case p == nil:
		return nil
	case p.Bot:
		return newBot(to)
	}
	q := *p
	q.Ready = false
	return &q
}

// rematchAgreed reports a finished table whose next match may start: all
// four seats taken, a person among them, and every person ready (each
// said yes; bots always do).
func (t *Meta) rematchAgreed() bool {
	if t.Status != Finished || !t.Full() || !t.HasPerson() {
		return false
	}
	for _, p := range t.Seats {
		if !p.Bot && !p.Ready {
			return false
		}
	}
	return true
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
	if env.Once {
		t.Moves = append(t.Moves, Move{Seat: seat, Action: a})
	} else {
		t.Moves = append(t.Moves[:len(t.Moves):len(t.Moves)], Move{Seat: seat, Action: a})
	}
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
