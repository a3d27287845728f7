package table

import "github.com/hokm-project/hokm/game"

// Table error codes (the engine's own codes pass through unchanged).
const (
	CodeSeatTaken     game.Code = "seat_taken"
	CodeAlreadySeated game.Code = "already_seated"
	CodeInvalidSeat   game.Code = "invalid_seat"
	CodeNotInGame     game.Code = "not_in_game"
	CodeTableNotFull  game.Code = "table_not_full"
	CodeBadRules      game.Code = "bad_rules"
	CodeMatchRunning  game.Code = "match_running"
	CodeNotFinished   game.Code = "match_not_finished"
	// CodeNotHost: start, add_bots and swap are the host's (Meta.Host).
	CodeNotHost game.Code = "not_host"
	// CodePlayersNotReady: start while a person seated, other than the
	// host, is not ready (has not said yes, after a match).
	CodePlayersNotReady game.Code = "players_not_ready"
	// CodeUnknownCommand: Apply got an Op it does not know (a caller's bug:
	// the worker answers an unknown op from the stream unknown_type first).
	CodeUnknownCommand game.Code = "unknown_command"
	// CodeSeatReserved: a tournament's table (Options.Reserved) keeps each
	// seat for its player: nobody else sits there, seats are not swapped.
	CodeSeatReserved game.Code = "seat_reserved"
	// CodeNoRematch: a tournament's table plays its one match; there is no
	// next one to say yes to.
	CodeNoRematch game.Code = "no_rematch"
)

// Error is a refused table command. A refused command changes nothing.
type Error struct {
	Code game.Code
	Msg  string
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return "table: " + string(e.Code) + ": " + e.Msg
	}
	return "table: " + string(e.Code)
}

func refuse(code game.Code) error { return &Error{Code: code} }

// CodeOf returns the stable code of an error from this package or from
// game, and "" for anything else.
func CodeOf(err error) game.Code {
	switch e := err.(type) {
	case *Error:
		return e.Code
	case *game.Error:
		return e.Code
	}
	return ""
}

// Codes of the turn clock and the bot taking over.
const (
	CodeStaleTimeout game.Code = "stale_timeout" // the timer is not the table's current one (the turn moved on)
	CodeNotAway      game.Code = "not_away"      // back: the bot is not playing this seat
	CodeSeatAway     game.Code = "seat_away"     // the bot plays this seat: send back first
)
