// Package botclient plays Hokm matches over the real WebSocket protocol,
// four bot clients a table, and measures move latency. It is what
// `hokm bots` runs: a load generator and an end-to-end check in one. It
// speaks the protocol as any third-party client would (docs/protocol.md),
// rebuilding each seat's view from the events it receives, and lets the
// engine's heuristic bot choose the cards. A client that loses its socket
// reconnects as the web client does (conn.go), so a run can measure a
// rolling restart or a gateway crash.
package botclient

import (
	"encoding/json"
	"fmt"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
)

// frame is any server frame; only the fields of its type are set.
type frame struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Table   string          `json:"table"`
	Seq     int64           `json:"seq"`
	Event   json.RawMessage `json:"event"`
	// Events and Ack are a version-2 events frame's, which the reader
	// unfolds (unfold): no frame the client handles has them.
	Events []json.RawMessage `json:"events"`
	Ack    string            `json:"ack"`
	View   json.RawMessage   `json:"view"`
	Info   json.RawMessage   `json:"table_info"`
	// Epoch is a snapshot's or resync's epoch of the table's history (nil
	// from a server that sends none).
	Epoch *int64 `json:"epoch"`
	// Reason is a bye's (shutdown, replaced, logged_out, …) or a resync's
	// (restored, …).
	Reason string `json:"reason"`
	// Back is a resync's: how many of the client's seqs are no longer in
	// the table's history (its seq may be past them: play went on in the
	// new epoch before the resync was made).
	Back int64 `json:"back"`
	// RetryAfter is a rate_limited error's hint: seconds until the request
	// may succeed (0: none given).
	RetryAfter int `json:"retry_after"`
	// A notice's: its kind, and a tournament's id and new status.
	Notice     string `json:"notice"`
	Tournament string `json:"tournament"`
	Status     string `json:"status"`
}

// event is any game or table event.
type event struct {
	Type   string      `json:"type"`
	Hand   int         `json:"hand"`
	Seat   int         `json:"seat"`
	Hakem  int         `json:"hakem"`
	Dealer int         `json:"dealer"`
	Cards  []game.Card `json:"cards"`
	Card   game.Card   `json:"card"`
	Suit   game.Suit   `json:"suit"`
	Winner int         `json:"winner"`
	Leader int         `json:"leader"`
	Tricks [2]int      `json:"tricks"`
	Score  [2]int      `json:"score"`
	Table  *tableMeta  `json:"table"`
	// Result is a hand_ended's result.
	Result *game.HandResult `json:"result"`
}

type tableMeta struct {
	ID     string     `json:"id"`
	Rules  game.Rules `json:"rules"`
	Host   string     `json:"host"`
	Status string     `json:"status"`
	Match  int        `json:"match"`
	Seats  [4]*struct {
		ID    string `json:"id"`
		Ready bool   `json:"ready"`
	} `json:"seats"`
}

// seatState is one client's knowledge of its table, kept as a game.View so
// the engine's bot can decide from it.
type seatState struct {
	seat int
	// user, when set (a tournament's player, seated by the server), moves
	// seat to wherever the table seats user.
	user     string
	view     game.View
	rules    game.Rules
	match    int
	lastSeq  int64
	handOver bool // between the last trick of a hand and the next deal
	over     bool
	status   string    // the table's: waiting, playing, finished
	host     string    // the table's host, the one who starts
	seats    [4]string // the user id in each seat ("" empty)
	ready    [4]bool   // each seat's ready flag
	// What the seat saw of the match's outcome: the results of hand_ended
	// (or a snapshot's), and match_ended's score and winning team.
	hands  []game.HandResult
	winner *int
}

// snapshot replaces the state with the server's view: a snapshot's or a
// resync's (which may go back to a lower seq than the client had).
func (s *seatState) snapshot(f *frame) error {
	s.lastSeq = f.Seq
	var meta tableMeta
	if len(f.Info) > 0 {
		if err := json.Unmarshal(f.Info, &meta); err != nil {
			return fmt.Errorf("snapshot table_info: %w", err)
		}
		s.setTable(&meta)
	}
	if len(f.View) == 0 || string(f.View) == "null" {
		// No match (yet, or any more: a table rebuilt to before its start).
		s.view = game.View{Seat: s.seat, Turn: -1, Trump: game.NoSuit}
		s.handOver, s.over, s.hands, s.winner = false, false, nil, nil
		return nil
	}
	s.view = game.View{Trump: game.NoSuit}
	if err := json.Unmarshal(f.View, &s.view); err != nil {
		return fmt.Errorf("snapshot view: %w", err)
	}
	s.handOver = false
	s.over = s.view.Phase == "over"
	s.hands = append([]game.HandResult{}, s.view.Results...)
	s.winner = s.view.Winner
	return nil
}

func (s *seatState) setTable(m *tableMeta) {
	s.rules, s.match, s.status, s.host = m.Rules, m.Match, m.Status, m.Host
	for i, p := range m.Seats {
		s.seats[i], s.ready[i] = "", false
		if p != nil {
			s.seats[i], s.ready[i] = p.ID, p.Ready
		}
		if s.user != "" && s.seats[i] == s.user {
			s.seat, s.view.Seat = i, i
		}
	}
}

// apply updates the state with one event.
func (s *seatState) apply(seq int64, raw json.RawMessage) (event, error) {
	var e event
	if err := decodeEvent(raw, &e); err != nil {
		return e, fmt.Errorf("event %d: %w", seq, err)
	}
	if seq != s.lastSeq+1 {
		return e, fmt.Errorf("event seq %d after %d: gap or repeat", seq, s.lastSeq)
	}
	s.lastSeq = seq
	v := &s.view
	switch e.Type {
	case "table":
		s.setTable(e.Table)
	case "match_started":
		s.hands, s.winner = nil, nil
	case "hand_started":
		*v = game.View{Seat: s.seat, Rules: s.rules, Phase: "trump", Hand: e.Hand, Hakem: e.Hakem, Dealer: e.Dealer,
			Trump: game.NoSuit, Turn: e.Hakem, Trick: game.TrickView{Leader: e.Hakem}, Score: v.Score}
		s.handOver = false
	case "cards_dealt":
		if e.Seat != s.seat {
			if len(e.Cards) > 0 { // another seat's deal must come redacted
				return e, fmt.Errorf("seat %d received seat %d's cards", s.seat, e.Seat)
			}
			break
		}
		v.Cards = e.Cards
	case "trump_chosen":
		v.Trump, v.Phase, v.Turn = e.Suit, "play", v.Hakem
	case "card_played":
		v.Trick.Plays = append(v.Trick.Plays, game.Play{Seat: e.Seat, Card: e.Card})
		if e.Seat == s.seat {
			v.Cards = remove(v.Cards, e.Card)
		}
		v.Turn = game.Next(e.Seat)
	case "trick_won":
		w := e.Winner
		v.Done = append(v.Done, game.TrickView{Leader: e.Leader, Plays: v.Trick.Plays, Winner: &w})
		v.Trick, v.Turn, v.Tricks = game.TrickView{Leader: w}, w, e.Tricks
		s.handOver = e.Tricks[0] == 7 || e.Tricks[1] == 7
		if s.rules.PlayAllTricks {
			s.handOver = len(v.Done) == 13
		}
	case "hand_ended":
		v.Score, s.handOver = e.Score, true
		if e.Result != nil {
			s.hands = append(s.hands, *e.Result)
		}
	case "match_ended":
		w := e.Winner
		v.Score, s.over, s.winner = e.Score, true, &w
	}
	return e, nil
}

func remove(cards []game.Card, c game.Card) []game.Card {
	out := cards[:0:0]
	for _, x := range cards {
		if x != c {
			out = append(out, x)
		}
	}
	return out
}

// myTurn reports whether this seat must act now.
func (s *seatState) myTurn() bool {
	v := &s.view
	if s.over || s.handOver || v.Turn != s.seat {
		return false
	}
	return v.Phase == "trump" && v.Hakem == s.seat || v.Phase == "play" && len(v.Trick.Plays) < 4
}

// choose asks the heuristic bot, after filling in the legal cards.
func (s *seatState) choose(b bot.Bot) game.Action {
	v := s.view
	v.Seat, v.Legal = s.seat, legal(v.Cards, v.Trick.Plays)
	return b.Choose(v)
}

func legal(hand []game.Card, trick []game.Play) []game.Card {
	if len(trick) == 0 {
		return hand
	}
	led := trick[0].Card.Suit()
	var follow []game.Card
	for _, c := range hand {
		if c.Suit() == led {
			follow = append(follow, c)
		}
	}
	if len(follow) == 0 {
		return hand
	}
	return follow
}
