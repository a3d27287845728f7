package botclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/hokm-project/hokm/game"
)

// leakCheck follows what one seat may know of its table and refuses any
// frame that names another card (docs/protocol.md, docs/security.md: no frame
// to a player holds a card outside its own hand or the public table).
//
// It decodes every frame as plain JSON, finds every string (values and
// object keys alike) that game.ParseCard accepts, and requires each such
// card to be
//   - in the seat's own hand of the current hand: the cards of a
//     cards_dealt addressed to the seat, or of its snapshot's view.cards;
//   - played in the current hand: a card_played seen before or in this
//     frame (or the card of a timeout event: the server announces the card
//     it plays for a seat that ran out of time, right before its
//     card_played), or a card of the trick or the done tricks of a snapshot;
//   - or in the ace draw of a match_started, until the first hand starts
//     (the drawn cards are dealt again and are hidden from then on).
//
// A trick_won grants nothing: its cards must have been played already, and
// a client receives every seq in order. The sets are reset when a hand or
// a match starts and replaced by each snapshot and each resync (a
// snapshot of a table the server rebuilt: what the seat may see is what
// it shows, whatever the client saw before).
//
// Text people wrote is not the server's information and is not checked:
// the value of every "name" field (a player called "AS") and a chat
// frame's "text". Any other field, known or not, is.
type leakCheck struct {
	seat   int
	own    game.CardSet
	played game.CardSet
	draw   game.CardSet
	frames int // frames checked
}

// check grants what the frame itself makes visible, then checks every card
// it names.
func (l *leakCheck) check(raw []byte) error {
	l.frames++
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("seat %d: leak check: undecodable frame %s: %w", l.seat, short(raw), err)
	}
	l.grant(v)
	allowed := l.own | l.played | l.draw
	var leaked []string
	walkCards(v, "", func(c game.Card) {
		if !allowed.Has(c) {
			leaked = append(leaked, c.String())
		}
	})
	if len(leaked) > 0 {
		sort.Strings(leaked)
		return fmt.Errorf("seat %d: hidden card leak: frame names %v, neither its own, played nor in the draw (own %v, played %v, draw %v): %s",
			l.seat, leaked, l.own.Cards(), l.played.Cards(), l.draw.Cards(), short(raw))
	}
	return nil
}

// grant updates the sets with what the frame shows legitimately.
func (l *leakCheck) grant(v any) {
	f, _ := v.(map[string]any)
	switch f["type"] {
	case "snapshot", "resync":
		l.own, l.played, l.draw = 0, 0, 0
		view, _ := f["view"].(map[string]any)
		if view == nil {
			return
		}
		l.own = cardsIn(view["cards"])
		trick, _ := view["trick"].(map[string]any)
		l.played |= playsIn(trick)
		done, _ := view["done"].([]any)
		for _, d := range done {
			t, _ := d.(map[string]any)
			l.played |= playsIn(t)
		}
	case "event":
		e, _ := f["event"].(map[string]any)
		switch e["type"] {
		case "match_started":
			l.own, l.played, l.draw = 0, 0, cardsIn(e["draw"])
		case "hand_started":
			l.own, l.played, l.draw = 0, 0, 0
		case "cards_dealt":
			if seatIs(e["seat"], l.seat) {
				l.own |= cardsIn(e["cards"])
			}
		case "card_played":
			if c, ok := cardOf(e["card"]); ok {
				l.played = l.played.Add(c)
			}
		case "timeout":
			a, _ := e["action"].(map[string]any)
			if c, ok := cardOf(a["card"]); ok {
				l.played = l.played.Add(c)
			}
		}
	}
}

// playsIn is the cards of a trick object's plays.
func playsIn(trick map[string]any) game.CardSet {
	var s game.CardSet
	plays, _ := trick["plays"].([]any)
	for _, p := range plays {
		pm, _ := p.(map[string]any)
		if c, ok := cardOf(pm["card"]); ok {
			s = s.Add(c)
		}
	}
	return s
}

func cardsIn(v any) game.CardSet {
	var s game.CardSet
	list, _ := v.([]any)
	for _, x := range list {
		if c, ok := cardOf(x); ok {
			s = s.Add(c)
		}
	}
	return s
}

func cardOf(v any) (game.Card, bool) {
	s, ok := v.(string)
	if !ok {
		return game.InvalidCard, false
	}
	return game.ParseCard(s)
}

func seatIs(v any, seat int) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	i, err := n.Int64()
	return err == nil && i == int64(seat)
}

// walkCards calls found for every string in v, key or value, that is a
// card, except for what people wrote: names and chat texts. key is the
// field v is the value of.
func walkCards(v any, key string, found func(game.Card)) {
	switch v := v.(type) {
	case string:
		if c, ok := game.ParseCard(v); ok {
			found(c)
		}
	case []any:
		for _, x := range v {
			walkCards(x, key, found)
		}
	case map[string]any:
		chat := v["type"] == "chat" || key == "messages" // a chat frame, or one in a chat_history
		for k, x := range v {
			if k == "name" || chat && k == "text" {
				continue
			}
			walkCards(k, "", found)
			walkCards(x, k, found)
		}
	}
}

// short is a frame cut to a readable length for an error message.
func short(raw []byte) string {
	const max = 400
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}
