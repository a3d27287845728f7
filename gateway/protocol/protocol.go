// Package protocol is the WebSocket protocol (versions 1 and 2) between players and
// the gateway: the frame types, the error codes, strict decoding of client
// frames and encoding of server frames. Bots and test clients use it too.
// docs/protocol.md describes it for client authors.
//
// It imports only the standard library and the pure game packages.
package protocol

import (
	"encoding/json"
	"strings"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// The protocol versions a client may state, with the query parameter v=N
// or the subprotocol hokm.vN. They differ in one thing: under version 2 the
// events one change of a table brings a socket come in one TypeEvents frame,
// which also carries the ack of the socket's own command that caused them
// (AppendEvents); version 1 sends each event, and the ack, in a frame of its
// own.
const (
	Version1 = 1
	Version2 = 2
	Latest   = Version2
)

// Subprotocol is the Sec-WebSocket-Protocol name of version 1, and
// Subprotocols those of every version, the newest first.
const Subprotocol = "hokm.v1"

var Subprotocols = []string{"hokm.v2", Subprotocol}

// VersionOf is the version a query v names ("2"), 0 when none this
// package speaks.
func VersionOf(v string) int {
	switch v {
	case "1":
		return Version1
	case "2":
		return Version2
	}
	return 0
}

// SubprotocolVersion is the version a Sec-WebSocket-Protocol name names
// ("hokm.v2"), 0 when none this package speaks.
func SubprotocolVersion(name string) int {
	v, ok := strings.CutPrefix(name, "hokm.v")
	if !ok {
		return 0
	}
	return VersionOf(v)
}

// Type is the "type" of a frame.
type Type string

// Client frame types. A table command's frame type is the command itself
// (table.Op): the gateway puts it on the action stream under that name.
const (
	TypeHello       Type = "hello"
	TypeCreateTable Type = "create_table"
	TypeSit         Type = Type(table.OpSit)
	TypeLeave       Type = Type(table.OpLeave)
	TypeAddBots     Type = Type(table.OpAddBots)
	TypeStart       Type = Type(table.OpStart)
	TypeRematch     Type = Type(table.OpRematch)
	TypeReady       Type = Type(table.OpReady) // set one's ready flag (ready, default true)
	TypeSwap        Type = Type(table.OpSwap)  // the host swaps the holders of seat and to
	TypeTrump       Type = Type(table.OpTrump)
	TypePlay        Type = Type(table.OpPlay)
	TypeBack        Type = Type(table.OpBack) // take back the seat a bot played for you
	TypeSync        Type = "sync"
	TypePing        Type = "ping"

	TypeJoinCode         Type = "join_code"          // resolve a private table's code (and sit)
	TypeLobby            Type = "lobby"              // subscribe to the public listing (also the pushed frame)
	TypeLobbyLeave       Type = "lobby_leave"        // unsubscribe
	TypeQuickMatch       Type = "quick_match"        // enter the matchmaking queue
	TypeQuickMatchCancel Type = "quick_match_cancel" // leave it
	TypeWatch            Type = "watch"              // spectate a table
	TypeUnwatch          Type = "unwatch"
	TypeChat             Type = "chat" // say something at a table (also the pushed frame)
)

// Command is the table command a frame of type t asks for; ok is false for
// a frame the gateway answers itself. A server-only op is no frame type.
func (t Type) Command() (op table.Op, ok bool) {
	op = table.Op(t)
	if _, known := table.ParseCommand(op, 0, "", ""); !known || op.ServerOnly() {
		return "", false
	}
	return op, true
}

// Server frame types.
const (
	TypeAck   Type = "ack"
	TypeError Type = "error"
	TypeEvent Type = "event"
	// TypeEvents (version 2) is the events of one change, and the ack of
	// the recipient's command that caused them if it did (AppendEvents).
	TypeEvents   Type = "events"
	TypeSnapshot Type = "snapshot"
	TypeBye      Type = "bye"
	// TypeNotice is a message to the user: {"notice":"matched","table":...}.
	TypeNotice      Type = "notice"
	TypeChatHistory Type = "chat_history"
	// TypeResync is a snapshot that replaces what the client had because
	// the table's history changed under it (Snapshot.Reason, Back).
	TypeResync Type = "resync"
)

// Error codes of the protocol itself. The table's and the engine's codes
// (table.Code*, game.Code*) reach the client unchanged as well; each code is
// declared once, where it arises, and every one has its message in
// messages below and its row in docs/protocol.md (checked by a test).
const (
	CodeBadMessage           game.Code = "bad_message"
	CodeUnknownType          game.Code = "unknown_type"
	CodeNotAuthenticated     game.Code = "not_authenticated"
	CodeAlreadyAuthenticated game.Code = "already_authenticated"
	CodeBadToken             game.Code = "bad_token"
	CodeTableNotFound        game.Code = "table_not_found"
	CodeRateLimited          game.Code = "rate_limited"
	CodeUnavailable          game.Code = "unavailable"
	CodeActionIDReused       game.Code = "action_id_reused"
	CodeVersionUnsupported   game.Code = "version_unsupported"
	CodeOriginNotAllowed     game.Code = "origin_not_allowed"
	CodeBadOptions           game.Code = "bad_options"
	CodeCodeNotFound         game.Code = "code_not_found"
	CodeTooLong              game.Code = "too_long"
	CodeMaintenance          game.Code = "maintenance"    // create_table / quick_match in maintenance mode
	CodeInternalError        game.Code = "internal_error" // a bug on the server's side: this frame or action failed
)

// Bye reasons.
const (
	ByeShutdown = "shutdown" // the server is draining; reconnect (to any gateway)
	ByeReplaced = "replaced" // the same session connected again elsewhere
	// Reasons from the kick channel (accounts): the socket is closed 1008.
	ByeLoggedOut       = "logged_out"
	ByeAccountDeleted  = "account_deleted"
	ByePasswordChanged = "password_changed"
)

// Limits on client frames.
const (
	MaxIDLen    = 64 // an id is 1..64 printable ASCII characters
	MaxTableLen = 32 // a table id is 1..32 of [A-Za-z0-9_-]
	MaxTokenLen = 256
	MaxDepth    = 4   // nesting of objects and arrays, the frame itself being 1
	MaxChatLen  = 200 // characters of a chat text after cleaning

	// JoinCodeLen is the length of new join codes (45 bits, and never a
	// table id's length, 8; see
	// docs/security.md, "Join codes"); codes of OldJoinCodeLen, made by
	// earlier releases, are still accepted while their tables live.
	JoinCodeLen      = 9
	OldJoinCodeLen   = 6
	JoinCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // no I, O, 0, 1
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
	Seat  *int        `json:"seat,omitempty"`  // sit, join_code, swap
	To    *int        `json:"to,omitempty"`    // swap: the other seat
	Ready *bool       `json:"ready,omitempty"` // ready: the flag (absent: true)
	Suit  string      `json:"suit,omitempty"`  // trump: one of S H D C
	Card  string      `json:"card,omitempty"`  // play: rank then suit, e.g. "TD"
	After *int64      `json:"after,omitempty"` // sync: the last seq the client has
	Epoch *int64      `json:"epoch,omitempty"` // sync: the epoch of that seq (of the client's last snapshot)

	Options *TableOptions `json:"options,omitempty"` // create_table
	Code    string        `json:"code,omitempty"`    // join_code: upper-cased by Decode
	Text    string        `json:"text,omitempty"`    // chat
}

// TableOptions are create_table's options (table.Options without the code,
// which the server makes).
type TableOptions struct {
	TurnSeconds    int  `json:"turn_seconds,omitempty"`
	TrumpSeconds   int  `json:"trump_seconds,omitempty"`
	MaxTimeouts    int  `json:"max_timeouts,omitempty"`
	Public         bool `json:"public,omitempty"`
	Untimed        bool `json:"untimed,omitempty"`
	RematchSeconds int  `json:"rematch_seconds,omitempty"`
}

// Table returns the options as table options.
func (o *TableOptions) Table() table.Options {
	if o == nil {
		return table.Options{}
	}
	return table.Options{TurnSeconds: o.TurnSeconds, TrumpSeconds: o.TrumpSeconds, MaxTimeouts: o.MaxTimeouts, Public: o.Public,
		Untimed: o.Untimed, RematchSeconds: o.RematchSeconds}
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

// TableData is the data of the ack of a create_table (Code for a private
// table) and of a join_code (Seq when it sat the user).
type TableData struct {
	Table string `json:"table"`
	Code  string `json:"code,omitempty"`
	Seq   *int64 `json:"seq,omitempty"`
}

// LobbyData is the data of the ack of a lobby frame: the public tables.
type LobbyData struct {
	Tables []LobbyTable `json:"tables"`
}

// LobbyTable is a public table as the lobby lists it.
type LobbyTable struct {
	ID      string        `json:"id"`
	Rules   game.Rules    `json:"rules"`
	Options table.Options `json:"options"` // never with a code
	Seats   [4]*LobbySeat `json:"seats"`   // null when empty
	Status  table.Status  `json:"status"`
	Match   int           `json:"match"`
	Created int64         `json:"created"`
}

// LobbySeat is who holds a seat, as the lobby shows it.
type LobbySeat struct {
	Name string `json:"name"`
	Bot  bool   `json:"bot,omitempty"`
}

// NewLobbyTable is the lobby's summary of a table.
func NewLobbyTable(m *table.Meta) LobbyTable {
	lt := LobbyTable{ID: m.ID, Rules: m.Rules, Options: m.Options, Status: m.Status, Match: m.Match, Created: m.Created}
	lt.Options.Code = ""
	for i, p := range m.Seats {
		if p != nil {
			lt.Seats[i] = &LobbySeat{Name: p.Name, Bot: p.Bot}
		}
	}
	return lt
}

// ChatFrom is who said a chat message; Seat is -1 for a spectator.
type ChatFrom struct {
	User string `json:"user"`
	Name string `json:"name"`
	Seat int    `json:"seat"`
}

// Chat is a chat frame: {"type":"chat","table","from","text","at"}.
type Chat struct {
	Type  Type     `json:"type"` // always "chat"
	Table string   `json:"table"`
	From  ChatFrom `json:"from"`
	Text  string   `json:"text"`
	At    int64    `json:"at"` // unix ms
}

// SeqData is the data of the ack of a table command or a sync: the table's
// seq after the command, or the last seq the client now has.
type SeqData struct {
	Seq int64 `json:"seq"`
}

// Snapshot is the whole state of a table as one seat may see it. View is
// nil before the first match.
type Snapshot struct {
	Type  Type   `json:"type"` // "snapshot", or "resync"
	Table string `json:"table"`
	Seq   int64  `json:"seq"`
	// Epoch numbers the table's histories: events with the same seq in the
	// same epoch are the same. It changes when the server rebuilt the table
	// after losing state; a client sends it back in sync.
	Epoch     int64      `json:"epoch"`
	TableInfo table.Meta `json:"table_info"`
	View      *game.View `json:"view"`
	// Reason (resync only) says why the table's history changed: "restored"
	// (the server rebuilt the table after losing part of its live state).
	Reason string `json:"reason,omitempty"`
	// Back (resync only) is how many of the seqs the client had are no
	// longer part of the table's history (0 when it lost nothing).
	Back *int64 `json:"back,omitempty"`
}

// ResyncRestored is Snapshot.Reason when the server rebuilt the table.
const ResyncRestored = "restored"

// ServerFrame is any server frame, for clients to decode. Event and View
// are left raw.
type ServerFrame struct {
	Type    Type      `json:"type"`
	ID      string    `json:"id,omitempty"`
	Code    game.Code `json:"code,omitempty"`
	Message string    `json:"message,omitempty"`
	// RetryAfter (error rate_limited): seconds until the request may
	// succeed, when the server knows.
	RetryAfter int             `json:"retry_after,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Table      string          `json:"table,omitempty"`
	Seq        int64           `json:"seq,omitempty"`
	Event      json.RawMessage `json:"event,omitempty"`
	// Events (events, version 2) are at Seq, Seq+1, …; Ack is the id of
	// the recipient's command they answer, acked at the last one's seq.
	Events    []json.RawMessage `json:"events,omitempty"`
	Ack       string            `json:"ack,omitempty"`
	TableInfo *table.Meta       `json:"table_info,omitempty"`
	View      json.RawMessage   `json:"view,omitempty"`
	Reason    string            `json:"reason,omitempty"` // bye, resync
	Epoch     int64             `json:"epoch,omitempty"`  // snapshot, resync
	Back      int64             `json:"back,omitempty"`   // resync

	Notice   string            `json:"notice,omitempty"`   // notice
	Removed  string            `json:"removed,omitempty"`  // lobby: a table left the listing
	From     *ChatFrom         `json:"from,omitempty"`     // chat
	Text     string            `json:"text,omitempty"`     // chat
	At       int64             `json:"at,omitempty"`       // chat
	Messages []json.RawMessage `json:"messages,omitempty"` // chat_history: chat frames, oldest first
	// Lobby is the "table" object of a lobby frame (whose "table" is not an id).
	Lobby *LobbyTable `json:"-"`
}

// Unfold is the frames of version 1 that f stands for: a version-2 events
// frame's events each in an event frame, then the ack it carries; any other
// frame is itself.
func (f *ServerFrame) Unfold() []ServerFrame {
	if f.Type != TypeEvents {
		return []ServerFrame{*f}
	}
	out := make([]ServerFrame, 0, len(f.Events)+1)
	for i, ev := range f.Events {
		out = append(out, ServerFrame{Type: TypeEvent, Table: f.Table, Seq: f.Seq + int64(i), Event: ev})
	}
	if f.Ack != "" {
		out = append(out, ServerFrame{Type: TypeAck, ID: f.Ack, Data: AppendSeqData(nil, f.Seq+int64(len(f.Events))-1)})
	}
	return out
}

// UnmarshalJSON decodes any server frame; a lobby frame's table object
// goes to Lobby.
func (f *ServerFrame) UnmarshalJSON(b []byte) error {
	type plain ServerFrame
	var head struct {
		Type  Type            `json:"type"`
		Table json.RawMessage `json:"table"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	if head.Type != TypeLobby || len(head.Table) == 0 || head.Table[0] != '{' {
		return json.Unmarshal(b, (*plain)(f))
	}
	var l struct {
		Type    Type        `json:"type"`
		Table   *LobbyTable `json:"table"`
		Removed string      `json:"removed"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*f = ServerFrame{Type: l.Type, Lobby: l.Table, Removed: l.Removed}
	return nil
}

// Message is the default human-readable text of a code.
func Message(code game.Code) string {
	if m, ok := messages[code]; ok {
		return m
	}
	return string(code)
}

var messages = map[game.Code]string{
	CodeBadMessage:            "malformed frame",
	CodeUnknownType:           "unknown frame type",
	CodeNotAuthenticated:      "send hello first",
	CodeAlreadyAuthenticated:  "hello was already sent on this connection",
	CodeBadToken:              "invalid or expired session token",
	CodeTableNotFound:         "no such table",
	CodeRateLimited:           "too many frames; slow down",
	CodeUnavailable:           "temporarily unavailable; retry with the same id",
	CodeInternalError:         "internal error on the server; sync to see what was applied",
	CodeActionIDReused:        "this id was used before for another command",
	CodeVersionUnsupported:    "state the protocol version: ?v=2 or subprotocol hokm.v2 (or 1)",
	CodeOriginNotAllowed:      "origin not allowed",
	CodeBadOptions:            "invalid table options",
	CodeCodeNotFound:          "no table has this code",
	CodeTooLong:               "text too long",
	table.CodeNotInGame:       "you are not at this table",
	table.CodeSeatTaken:       "that seat is taken",
	table.CodeSeatReserved:    "that seat is kept for its tournament player",
	table.CodeNoRematch:       "a tournament table plays one match",
	table.CodeAlreadySeated:   "you are seated at this table; sync instead",
	table.CodeInvalidSeat:     "seat must be 0..3",
	table.CodeTableNotFull:    "all four seats must be taken",
	table.CodeBadRules:        "invalid rules",
	table.CodeMatchRunning:    "a match is running",
	table.CodeNotFinished:     "the match has not finished",
	table.CodeNotHost:         "only the table's host may do that",
	table.CodePlayersNotReady: "not everyone seated is ready",
	game.CodeNotYourTurn:      "not your turn",
	game.CodeWrongPhase:       "not possible in this phase",
	game.CodeNotHakem:         "only the Hakem chooses trump",
	game.CodeCardNotInHand:    "card not in your hand",
	game.CodeMustFollowSuit:   "you must follow suit",
	game.CodeGameOver:         "the match is over",
	game.CodeInvalidCard:      "not a card (rank then suit, e.g. \"TD\")",
	game.CodeInvalidSuit:      "not a suit (one of S H D C)",
	table.CodeSeatAway:        "the bot plays this seat: send back first",
	table.CodeNotAway:         "the bot is not playing this seat",
	table.CodeStaleTimeout:    "the turn moved on before this timeout",
	table.CodeUnknownCommand:  "no such table command",
	CodeMaintenance:           "the server is in maintenance; running matches go on, try again later",
}
