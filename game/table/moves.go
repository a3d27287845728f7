package table

import (
	"fmt"

	"github.com/hokm-project/hokm/game"
)

// Move is one accepted action of a match.
type Move struct {
	Seat   game.Seat
	Action game.Action
}

// EncodeMoves packs moves one byte each: the seat in the top two bits, then
// a card (0..51) or a trump suit (52..55).
func EncodeMoves(ms []Move) []byte {
	b := make([]byte, len(ms))
	for i, m := range ms {
		v := byte(m.Action.Card)
		if m.Action.Kind == game.KindChooseTrump {
			v = 52 + byte(m.Action.Suit)
		}
		b[i] = byte(m.Seat)<<6 | v
	}
	return b
}

// DecodeMoves unpacks EncodeMoves' output.
func DecodeMoves(b []byte) ([]Move, error) {
	ms := make([]Move, len(b))
	for i, v := range b {
		seat, x := game.Seat(v>>6), v&0x3f
		switch {
		case x < 52:
			ms[i] = Move{Seat: seat, Action: game.PlayCard(game.Card(x))}
		case x < 56:
			ms[i] = Move{Seat: seat, Action: game.ChooseTrump(game.Suit(x - 52))}
		default:
			return nil, fmt.Errorf("table: move %d: bad value %d", i, x)
		}
	}
	return ms, nil
}

// Record is the current match as a game record (the format hokm replay
// reads): rules, the ace draw or first Hakem, the deck of every hand dealt
// so far, and every accepted action.
func (t *Table) Record() game.Record {
	g := &t.Game
	rules := t.Rules
	rec := game.Record{Rules: &rules, Deals: make([][]string, 0, g.Hand+1), Actions: make([]game.RecordAction, len(t.Moves))}
	if t.Rules.RandomFirstHakem {
		h := g.FirstHakem
		rec.FirstHakem = &h
	} else {
		rec.Draw = cardStrings(game.HakemDraw(g.Seed))
	}
	for h := 0; h <= g.Hand; h++ {
		d := g.DeckOf(h)
		rec.Deals = append(rec.Deals, cardStrings(d[:]))
	}
	for i, m := range t.Moves {
		seat := m.Seat
		ra := game.RecordAction{Seat: &seat}
		if m.Action.Kind == game.KindChooseTrump {
			s := m.Action.Suit.String()
			ra.Trump = &s
		} else {
			c := m.Action.Card.String()
			ra.Card = &c
		}
		rec.Actions[i] = ra
	}
	return rec
}

func cardStrings(cs []game.Card) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

// MatchRecord is a match as it is persisted: who sat where, the replayable
// record, and the results the live server computed.
type MatchRecord struct {
	MatchID string            `json:"match_id"`
	TableID string            `json:"table_id"`
	Seats   [4]Player         `json:"seats"`
	Record  game.Record       `json:"record"`
	Results []game.HandResult `json:"results"`
	Score   [2]int            `json:"score"`
	Winner  int               `json:"winner"`  // team, or -1 while the match runs
	Started int64             `json:"started"` // unix ms
	Ended   int64             `json:"ended"`   // unix ms, 0 while the match runs
	// Tournament is the tournament whose game the table plays (its
	// Options.Tournament): the persist task records the result only then.
	Tournament string `json:"tournament,omitempty"`
}

// MatchRecord describes the table's current match for persistence.
func (t *Table) MatchRecord() MatchRecord {
	m := MatchRecord{
		MatchID: t.MatchID(), TableID: t.ID, Record: t.Record(),
		Results: append([]game.HandResult{}, t.Game.Results...), Score: t.Game.Score, Winner: t.Game.Winner,
		Started: t.Started, Ended: t.Ended, Tournament: t.Options.Tournament,
	}
	for i, p := range t.Seats {
		if p != nil {
			m.Seats[i] = *p
			// Who sat where is the record's; readiness and arrival times
			// are the table's, between matches.
			m.Seats[i].Ready, m.Seats[i].Since = false, 0
		}
	}
	return m
}
