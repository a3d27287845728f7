// Package protocol is the WebSocket protocol (version 1) between players and
// the gateway: the frame types, the error codes, strict decoding of client
// frames and encoding of server frames. Bots and test clients use it too.
// docs/protocol.md describes it for client authors.
//
// It imports only the standard library and the pure game packages.
package protocol

import (
	"encoding/json"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// Version is the protocol version this package speaks; a client states it
// with the query parameter v=1 or the subprotocol Subprotocol.
const Version = "1"

// Subprotocol is the Sec-WebSocket-Protocol name of this version.
const Subprotocol = "hokm.v1"

// Type is the "type" of a frame.
type Type string

// Client frame types.
const (
	TypeHello       Type = "hello"
	TypeCreateTable Type = "create_table"
	TypeSit         Type = "sit"
	TypeLeave       Type = "leave"
	TypeAddBots     Type = "add_bots"
	TypeStart       Type = "start"
	TypeRematch     Type = "rematch"
	TypeTrump       Type = "trump"
	TypePlay        Type = "play"
	TypeSync        Type = "sync"
	TypePing        Type = "ping"
)

// Server frame types.
const (
	TypeAck      Type = "ack"
	TypeError    Type = "error"
	TypeEvent    Type = "event"
	TypeSnapshot Type = "snapshot"
	TypeBye      Type = "bye"
)

// Error codes of the protocol itself. The table's and the engine's codes
// (table.Code*, game.Code*) reach the client unchanged as well.
const (
	CodeBadMessage           game.Code = "bad_message"
	CodeUnknownType          game.Code = "unknown_type"
	CodeNotAuthenticated     game.Code = "not_authenticated"
	CodeAlreadyAuthenticated game.Code = "already_authenticated"
	CodeBadToken             game.Code = "bad_token"
	CodeNotInGame            game.Code = table.CodeNotInGame
	CodeTableNotFound        game.Code = "table_not_found"
	CodeInvalidCard          game.Code = game.CodeInvalidCard
	CodeInvalidSuit          game.Code = game.CodeInvalidSuit
	CodeRateLimited          game.Code = "rate_limited"
	CodeUnavailable          game.Code = "unavailable"
	CodeActionIDReused       game.Code = "action_id_reused"
	CodeVersionUnsupported   game.Code = "version_unsupported"
	CodeOriginNotAllowed     game.Code = "origin_not_allowed"
)

// Bye reasons.
const (
	ByeShutdown = "shutdown" // the server is draining; reconnect (to any gateway)
	ByeReplaced = "replaced" // the same session connected again elsewhere
)

// Limits on client frames.
const (
	MaxIDLen    = 64 // an id is 1..64 printable ASCII characters
	MaxTableLen = 32 // a table id is 1..32 of [A-Za-z0-9_-]
	MaxTokenLen = 256
	MaxDepth    = 4 // nesting of objects and arrays, the frame itself being 1
)

// Request is one decoded client frame. Which fields are set depends on
// Type; Decode guarantees the required ones are present and well formed.
// It also encodes a frame on the client side (omitted fields stay out).
type Request struct {
	Type  Type        `json:"type"`
	ID    string      `json:"id"`
	Token string      `json:"token,omitempty"` // hello: resume this session
	Name  string      `json:"name,omitempty"`  // hello: a guest's display name
	Rules *game.Rules `json:"rules,omitempty"` // create_table
	Table string      `json:"table,omitempty"` // every table command and sync
	Seat  *int        `json:"seat,omitempty"`  // sit only
	Suit  string      `json:"suit,omitempty"`  // trump: one of S H D C
	Card  string      `json:"card,omitempty"`  // play: rank then suit, e.g. "TD"
	After *int64      `json:"after,omitempty"` // sync: the last seq the client has
}

// Error is a client frame refused by the protocol layer, with the frame's
// id when it could be read.
type Error struct {
	Code game.Code
	ID   string
	Msg  string
}

func (e *Error) Error() string { return "protocol: " + string(e.Code) + ": " + e.Msg }

// Server frames. The gateway writes them with the Append functions below;
// clients may decode any of them into ServerFrame.

// HelloData is the data of the ack of a hello.
type HelloData struct {
	User  string `json:"user"`
	Name  string `json:"name"`
	Token string `json:"token"`
}

// TableData is the data of the ack of a create_table.
type TableData struct {
	Table string `json:"table"`
}

// SeqData is the data of the ack of a table command or a sync: the table's
// seq after the command, or the last seq the client now has.
type SeqData struct {
	Seq int64 `json:"seq"`
}

// Snapshot is the whole state of a table as one seat may see it. View is
// nil before the first match.
type Snapshot struct {
	Type      Type       `json:"type"` // always "snapshot"
	Table     string     `json:"table"`
	Seq       int64      `json:"seq"`
	TableInfo table.Meta `json:"table_info"`
	View      *game.View `json:"view"`
}

// ServerFrame is any server frame, for clients to decode. Event and View
// are left raw.
type ServerFrame struct {
	Type      Type            `json:"type"`
	ID        string          `json:"id,omitempty"`
	Code      game.Code       `json:"code,omitempty"`
	Message   string          `json:"message,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	Table     string          `json:"table,omitempty"`
	Seq       int64           `json:"seq,omitempty"`
	Event     json.RawMessage `json:"event,omitempty"`
	TableInfo *table.Meta     `json:"table_info,omitempty"`
	View      json.RawMessage `json:"view,omitempty"`
	Reason    string          `json:"reason,omitempty"`
}

// Message is the default human-readable text of a code.
func Message(code game.Code) string {
	if m, ok := messages[code]; ok {
		return m
	}
	return string(code)
}

var messages = map[game.Code]string{
	CodeBadMessage:           "malformed frame",
	CodeUnknownType:          "unknown frame type",
	CodeNotAuthenticated:     "send hello first",
	CodeAlreadyAuthenticated: "hello was already sent on this connection",
	CodeBadToken:             "invalid or expired session token",
	CodeNotInGame:            "you are not at this table",
	CodeTableNotFound:        "no such table",
	CodeInvalidCard:          "not a card (rank then suit, e.g. \"TD\")",
	CodeInvalidSuit:          "not a suit (one of S H D C)",
	CodeRateLimited:          "too many frames; slow down",
	CodeUnavailable:          "temporarily unavailable; retry with the same id",
	CodeActionIDReused:       "this id was used before for another command",
	CodeVersionUnsupported:   "state protocol version 1: ?v=1 or subprotocol hokm.v1",
	CodeOriginNotAllowed:     "origin not allowed",
	table.CodeSeatTaken:      "that seat is taken",
	table.CodeAlreadySeated:  "you are already seated",
	table.CodeInvalidSeat:    "seat must be 0..3",
	table.CodeTableNotFull:   "all four seats must be taken",
	table.CodeBadRules:       "invalid rules",
	table.CodeMatchRunning:   "a match is running",
	table.CodeNotFinished:    "the match has not finished",
	game.CodeNotYourTurn:     "not your turn",
	game.CodeWrongPhase:      "not possible in this phase",
	game.CodeNotHakem:        "only the Hakem chooses trump",
	game.CodeCardNotInHand:   "card not in your hand",
	game.CodeMustFollowSuit:  "you must follow suit",
	game.CodeGameOver:        "the match is over",
}
