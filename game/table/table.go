// Package table is the pure lifecycle of a Hokm table around the rules
// engine: seats and who holds them, bots, starting a match, the accepted
// moves of the match (its record) and rematches. Like game, it imports only
// the standard library; randomness (seeds) and time come in as arguments.
package table

import (
	"fmt"

	"github.com/hokm-project/hokm/game"
)

// Status of a table.
type Status string

// Table statuses.
const (
	Waiting  Status = "waiting"  // seats being filled
	Playing  Status = "playing"  // a match is running
	Finished Status = "finished" // the match is over; a rematch may start
)

// Player holds a seat. A bot's ID is BotID(seat).
type Player struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Bot  bool   `json:"bot,omitempty"`
}

// BotID is the user id of the server's bot at seat.
func BotID(seat game.Seat) string { return fmt.Sprintf("bot:%d", seat) }

// Options are a table's settings besides the game rules.
type Options struct {
	TurnSeconds  int    `json:"turn_seconds,omitempty"`  // time to play a card; 0 means DefaultTurnSeconds
	TrumpSeconds int    `json:"trump_seconds,omitempty"` // time for the Hakem to choose trump; 0 means DefaultTrumpSeconds
	MaxTimeouts  int    `json:"max_timeouts,omitempty"`  // consecutive timeouts before a bot takes the seat; 0 means DefaultMaxTimeouts
	Public       bool   `json:"public,omitempty"`        // listed in the lobby
	Code         string `json:"code,omitempty"`          // join code of a private table
}

// Defaults of Options.
const (
	DefaultTurnSeconds  = 30
	DefaultTrumpSeconds = 30
	DefaultMaxTimeouts  = 2
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
	}
	return nil
}

// Meta is the public, rarely changing part of a table.
type Meta struct {
	ID      string     `json:"id"`
	Rules   game.Rules `json:"rules"`
	Options Options    `json:"options"`
	Host    string     `json:"host"`
	Seats   [4]*Player `json:"seats"`
	Status  Status     `json:"status"`
	Match   int        `json:"match"` // number of the current match, from 1; 0 before the first
	Created int64      `json:"created"`
	Started int64      `json:"started,omitempty"` // unix ms when the current match started
	Ended   int64      `json:"ended,omitempty"`
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

// IsBot reports whether seat is held by a bot.
func (t *Meta) IsBot(seat game.Seat) bool {
	return seat >= 0 && seat < 4 && t.Seats[seat] != nil && t.Seats[seat].Bot
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
