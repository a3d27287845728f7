package game

// Code is a stable error code; it is what clients and records see.
type Code string

// The engine's error codes (docs/rules.md). They are part of the wire protocol.
const (
	CodeNotYourTurn    Code = "not_your_turn"
	CodeWrongPhase     Code = "wrong_phase"
	CodeNotHakem       Code = "not_hakem"
	CodeCardNotInHand  Code = "card_not_in_hand"
	CodeMustFollowSuit Code = "must_follow_suit"
	CodeInvalidCard    Code = "invalid_card"
	CodeInvalidSuit    Code = "invalid_suit"
	CodeGameOver       Code = "game_over"
)

// Error is a rejected action. A rejected action changes nothing.
type Error struct {
	Code Code
}

func (e *Error) Error() string { return "game: " + string(e.Code) }

// Is lets errors.Is match by code, so callers can compare with the Err values.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinel errors, one per code, for errors.Is.
var (
	ErrNotYourTurn    = &Error{CodeNotYourTurn}
	ErrWrongPhase     = &Error{CodeWrongPhase}
	ErrNotHakem       = &Error{CodeNotHakem}
	ErrCardNotInHand  = &Error{CodeCardNotInHand}
	ErrMustFollowSuit = &Error{CodeMustFollowSuit}
	ErrInvalidCard    = &Error{CodeInvalidCard}
	ErrInvalidSuit    = &Error{CodeInvalidSuit}
	ErrGameOver       = &Error{CodeGameOver}
)
