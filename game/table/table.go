// Package table is the pure lifecycle of a Hokm table around the rules
// engine: seats and who holds them, bots, starting a match, the accepted
// moves of the match (its record), rematches, and the turn clock (deadlines,
// timeouts played for a seat, the bot taking over an away player's seat).
// Like game, it imports only the standard library (and game/bot, for the
// timeout move, which does too); randomness (seeds) and time come in as
// arguments.
package table

import (
	"fmt"

	"github.com/hokm-project/hokm/game"
)

// Status of a table.
type Status string

// Table statuses.
const (
	Waiting  Status = "waiting"  // seats being filled; the host starts
	Playing  Status = "playing"  // a match is running
	Finished Status = "finished" // the match is over; the rematch offer runs (see rematch.go)
)

// Player holds a seat. A bot's ID is BotID(seat) and its name BotName(seat).
type Player struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Bot  bool   `json:"bot,omitempty"`
	// Ready: while the table waits, this person is ready for the host to
	// start; while it is finished, they said yes to the next match. Cleared
	// when their seat changes and when a match starts. Never set on a bot
	// (a bot is always ready).
	Ready bool `json:"ready,omitempty"`
	// Since is when this person sat down at the table (unix ms; kept when
	// they move to another seat): the longest seated becomes host when the
	// host leaves. 0 on a bot.
	Since int64 `json:"since,omitempty"`
	// Away: this person ran out of time MaxTimeouts turns in a row, and the
	// server's bot plays the seat until they send "back".
	Away bool `json:"away,omitempty"`
	// Timeouts counts this person's consecutive timeouts in the match; any
	// action of theirs resets it.
	Timeouts int `json:"timeouts,omitempty"`
	// AbandonedBy is set on the bot that took over the seat of a person who
	// left the running match: that person's user id. The match still counts
	// for them (stats and rating). Cleared when the next match starts.
	AbandonedBy string `json:"abandoned_by,omitempty"`
}

// BotID is the user id of the server's bot at seat.
func BotID(seat game.Seat) string { return fmt.Sprintf("bot:%d", seat) }

// BotNames are the display names of the server's bots, by seat: each seat's
// bot has its own, so "X's turn" and "Hakem: X" name one of them.
var BotNames = [4]string{"Rostam", "Sohrab", "Tahmineh", "Gordafarid"}

// BotName is the display name of the server's bot at seat.
func BotName(seat game.Seat) string {
	if seat < 0 || seat > 3 {
		return "bot"
	}
	return BotNames[seat]
}

// newBot is the server's bot for seat.
func newBot(seat game.Seat) *Player {
	return &Player{ID: BotID(seat), Name: BotName(seat), Bot: true}
}

// Options are a table's settings besides the game rules.
type Options struct {
	TurnSeconds  int  `json:"turn_seconds,omitempty"`  // time to play a card; 0 means DefaultTurnSeconds
	TrumpSeconds int  `json:"trump_seconds,omitempty"` // time for the Hakem to choose trump; 0 means DefaultTrumpSeconds
	MaxTimeouts  int  `json:"max_timeouts,omitempty"`  // consecutive timeouts before a bot takes the seat; 0 means DefaultMaxTimeouts
	Public       bool `json:"public,omitempty"`        // listed in the lobby
	// Untimed (private tables only): no turn or trump deadline is ever
	// armed, so no move is played for anyone and no one goes away. The
	// rematch offer after a match still has its deadline.
	Untimed bool `json:"untimed,omitempty"`
	// RematchSeconds is how long the rematch offer after a match runs
	// before the people who did not say yes lose their seats; 0 means
	// DefaultRematchSeconds.
	RematchSeconds int    `json:"rematch_seconds,omitempty"`
	Code           string `json:"code,omitempty"` // join code of a private table
	// Tournament is the id of the tournament whose game the table plays
	// (set by the tournament director, never by a client). Reserved are
	// the users its seats are kept for ("" for a bot's): nobody else sits
	// there, the seats are not swapped, and the match is the table's only
	// one — no rematch.
	Tournament string    `json:"tournament,omitempty"`
	Reserved   [4]string `json:"reserved,omitzero"`
	// AutoStart (a quick match's table, set by the matchmaker): the first
	// match starts as soon as every seat is taken and every person seated
	// is ready, without a start command — the server seats the players,
	// and two workers may apply their sits in any order, before or after a
	// start command would have come.
	AutoStart bool `json:"auto_start,omitempty"`
}

// reserved reports a tournament's table (see Options.Reserved).
func (o Options) reserved() bool { return o.Tournament != "" }

// NewTournament is the table of a tournament's game: its seats kept for
// reserved (by seat; "" is a bot's seat, taken by the bot at once), the
// first player its host, and its match starting by itself as soon as every
// player sat down (in whatever order their sits are applied: no start
// command, whose place in the order could refuse it).
func NewTournament(id string, rules game.Rules, tournament string, reserved [4]string, now int64) (Table, error) {
	host := ""
	for _, u := range reserved {
		if u != "" {
			host = u
			break
		}
	}
	if host == "" || tournament == "" {
		return Table{}, &Error{Code: CodeBadRules, Msg: "a tournament's table needs its tournament and a player"}
	}
	t, err := New(id, rules, host, now)
	if err != nil {
		return t, err
	}
	t.Options.Tournament, t.Options.Reserved = tournament, reserved
	for s, u := range reserved {
		if u == "" {
			t.Seats[s] = newBot(s)
		}
	}
	return t, nil
}

// NewQuickMatch is the public table the matchmaker seats a group of
// people (1 to 4) at: bots already in the seats after theirs, host the
// first of them, and its first match starting by itself once they are all
// seated and ready (Options.AutoStart).
func NewQuickMatch(id string, rules game.Rules, host string, people int, now int64) (Table, error) {
	t, err := New(id, rules, host, now)
	if err != nil {
		return t, err
	}
	t.Options.Public, t.Options.AutoStart = true, true
	for s := max(people, 1); s < 4; s++ {
		t.Seats[s] = newBot(s)
	}
	return t, nil
}

// startsByItself reports a table the server seated, before its first
// match, once everyone is there: a tournament's with every seat held by
// its player (or bot), a quick match's full with every person ready. Its
// match starts (Apply).
func (t *Meta) startsByItself() bool {
	tournament := t.Options.reserved()
	if !tournament && !t.Options.AutoStart || t.Status != Waiting || t.Match > 0 || !t.Full() {
		return false
	}
	for s, p := range t.Seats {
		want := t.Options.Reserved[s]
		switch {
		case !tournament && !p.Bot && !p.Ready: // a quick match's person not ready yet
			return false
		case tournament && want == "" && !p.Bot: // a bot's seat
			return false
		case tournament && want != "" && p.ID != want:
			return false
		}
	}
	return true
}

// Defaults of Options.
const (
	DefaultTurnSeconds    = 30
	DefaultTrumpSeconds   = 30
	DefaultMaxTimeouts    = 2
	DefaultRematchSeconds = 60
)

// Validate reports an error naming the bad option.
func (o Options) Validate() error {
	switch {
	case o.TurnSeconds != 0 && (o.TurnSeconds < 5 || o.TurnSeconds > 300):
		return fmt.Errorf("turn_seconds must be 5..300")
	case o.TrumpSeconds != 0 && (o.TrumpSeconds < 5 || o.TrumpSeconds > 300):
		return fmt.Errorf("trump_seconds must be 5..300")
	case o.MaxTimeouts < 0 || o.MaxTimeouts > 10:
		return fmt.Errorf("max_timeouts must be 0..10")
	case o.RematchSeconds != 0 && (o.RematchSeconds < 10 || o.RematchSeconds > 600):
		return fmt.Errorf("rematch_seconds must be 10..600")
	case o.Untimed && o.Public:
		return fmt.Errorf("untimed is only for private tables")
	case o.Untimed && (o.TurnSeconds != 0 || o.TrumpSeconds != 0 || o.MaxTimeouts != 0):
		return fmt.Errorf("an untimed table has no turn_seconds, trump_seconds or max_timeouts")
	}
	return nil
}

// Meta is the public, rarely changing part of a table.
type Meta struct {
	ID      string     `json:"id"`
	Rules   game.Rules `json:"rules"`
	Options Options    `json:"options"`
	// Host is the user who may start, fill with bots and swap seats: the
	// table's creator; whoever sits down while the host is not seated (the
	// creator never sat down, or no host is left); when the host leaves
	// their seat, the person seated longest, or "" when no person is left.
	Host    string     `json:"host"`
	Seats   [4]*Player `json:"seats"`
	Status  Status     `json:"status"`
	Match   int        `json:"match"` // number of the current match, from 1; 0 before the first
	Created int64      `json:"created"`
	Started int64      `json:"started,omitempty"` // unix ms when the current match started
	// Dealt are the users the current match's hands were dealt to, by
	// seat (set at its start; seats cannot change hands during a match).
	// A seat's hidden cards are shown to its holder only while the holder
	// is the user they were dealt to: someone who sits down after the
	// match never sees them.
	Dealt [4]string `json:"dealt,omitzero"`
	Ended int64     `json:"ended,omitempty"`
	// Deadline is when the seat on turn runs out of time (unix ms): set
	// while a person who is not away is to act (never at an untimed
	// table); while the table is finished with a person seated, when the
	// rematch offer ends. 0 otherwise.
	Deadline int64 `json:"deadline,omitempty"`
	// Timer numbers the deadlines armed at this table (1, 2, ...). A timeout
	// names the one it was armed for; any other is stale and changes nothing.
	Timer int64 `json:"timer,omitempty"`
}

// Table is a table with its current match. Game and Moves are meaningful
// once Match > 0.
type Table struct {
	Meta
	Game  game.State
	Moves []Move // accepted actions of the current match, in order
}

// MatchID names the table's current match; it is the match's id everywhere
// (persistence, export, task ids).
func (t *Table) MatchID() string { return MatchID(t.ID, t.Match) }

// MatchID names match number n of table id.
func MatchID(tableID string, n int) string { return fmt.Sprintf("%s-%d", tableID, n) }

// SeatOf returns the seat user holds, or -1.
func (t *Meta) SeatOf(user string) game.Seat {
	for i, p := range t.Seats {
		if p != nil && p.ID == user {
			return i
		}
	}
	return -1
}

// DealtTo reports whether user may see seat's hidden cards of the current
// match: user holds seat and the match's hands were dealt to them. Tables
// from before Dealt was recorded show them only while the match runs.
func (t *Meta) DealtTo(seat game.Seat, user string) bool {
	if seat < 0 || seat > 3 || t.Seats[seat] == nil || t.Seats[seat].ID != user {
		return false
	}
	if t.Dealt == [4]string{} {
		return t.Status == Playing
	}
	return t.Dealt[seat] == user
}

// IsBot reports whether the server's bot plays seat: a bot holds it, or
// its player is Away.
func (t *Meta) IsBot(seat game.Seat) bool {
	if seat < 0 || seat > 3 || t.Seats[seat] == nil {
		return false
	}
	return t.Seats[seat].Bot || t.Seats[seat].Away
}

// HasPerson reports whether a person (not a bot) holds a seat.
func (t *Meta) HasPerson() bool {
	for _, p := range t.Seats {
		if p != nil && !p.Bot {
			return true
		}
	}
	return false
}

// Full reports whether all four seats are taken.
func (t *Meta) Full() bool {
	for _, p := range t.Seats {
		if p == nil {
			return false
		}
	}
	return true
}

// New creates an empty table.
func New(id string, rules game.Rules, host string, now int64) (Table, error) {
	if err := rules.Validate(); err != nil {
		return Table{}, &Error{Code: CodeBadRules, Msg: err.Error()}
	}
	return Table{Meta: Meta{ID: id, Rules: rules.Normalized(), Host: host, Status: Waiting, Created: now}}, nil
}
