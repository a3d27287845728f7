package history

import (
	"errors"
	"fmt"

	"github.com/hokm-project/hokm/game"
)

// Replay is a finished match trick by trick, as its stored record replays
// with the engine. Everything is open: the match is over.
type Replay struct {
	Rules      game.Rules   `json:"rules"`
	FirstHakem game.Seat    `json:"first_hakem"`
	Draw       []string     `json:"draw,omitempty"` // the ace draw that chose the first Hakem
	Hands      []ReplayHand `json:"hands"`
	Score      [2]int       `json:"score"`
	Winner     *int         `json:"winner"` // team; nil if the match has none
}

// ReplayHand is one hand: the deal, the trump choice, every trick and the
// result (nil for a hand the match stopped in).
type ReplayHand struct {
	Hand   int            `json:"hand"`
	Hakem  game.Seat      `json:"hakem"`
	Dealer game.Seat      `json:"dealer"`
	Trump  *game.Suit     `json:"trump"` // nil until chosen
	Dealt  [4][]game.Card `json:"dealt"` // each seat's 13 cards, by seat
	// FirstFive is each seat's first packet of five: all the Hakem saw when
	// choosing trump.
	FirstFive [4][]game.Card   `json:"first_five"`
	Tricks    []game.TrickView `json:"tricks"`
	Result    *game.HandResult `json:"result"`
	Score     [2]int           `json:"score"` // match score after the hand
}

// errReplay says the stored record does not replay (a bug: records are
// checked before they are stored).
var errReplay = errors.New("history: stored record does not replay")

// NewReplay plays rec with the engine (game.NewMatchFromDecks, then Apply
// for each action) and lays the match out hand by hand and trick by trick.
func NewReplay(rec game.Record) (*Replay, error) {
	s, first, err := startReplay(rec)
	if err != nil {
		return nil, err
	}
	r := &Replay{Rules: s.Rules.Normalized(), FirstHakem: first, Draw: rec.Draw}
	r.Hands = append(r.Hands, newHand(&s))
	for i, ra := range rec.Actions {
		if ra.Seat == nil {
			return nil, fmt.Errorf("%w: action %d has no seat", errReplay, i)
		}
		var evs []game.Event
		if s, evs, err = game.Apply(s, *ra.Seat, ra.Action()); err != nil {
			return nil, fmt.Errorf("%w: action %d: %w", errReplay, i, err)
		}
		r.add(&s, evs)
	}
	r.Score = s.Score
	if s.Over() {
		w := s.Winner
		r.Winner = &w
	}
	return r, nil
}

// startReplay starts the record's match: its first Hakem (given, or chosen
// by the ace draw) and its decks.
func startReplay(rec game.Record) (game.State, game.Seat, error) {
	first, err := recordFirstHakem(rec)
	if err != nil {
		return game.State{}, 0, err
	}
	decks := make([]game.Deck, len(rec.Deals))
	for i, deal := range rec.Deals {
		if len(deal) != 52 {
			return game.State{}, 0, fmt.Errorf("%w: deal %d has %d cards", errReplay, i, len(deal))
		}
		for j, str := range deal {
			c, ok := game.ParseCard(str)
			if !ok {
				return game.State{}, 0, fmt.Errorf("%w: deal %d card %d is %q", errReplay, i, j, str)
			}
			decks[i][j] = c
		}
	}
	var rules game.Rules
	if rec.Rules != nil {
		rules = *rec.Rules
	}
	s, _, err := game.NewMatchFromDecks(rules, first, decks)
	if err != nil {
		return game.State{}, 0, fmt.Errorf("%w: %w", errReplay, err)
	}
	return s, first, nil
}

func recordFirstHakem(rec game.Record) (game.Seat, error) {
	if rec.FirstHakem != nil {
		return *rec.FirstHakem, nil
	}
	draw := make([]game.Card, 0, len(rec.Draw))
	for _, str := range rec.Draw {
		c, ok := game.ParseCard(str)
		if !ok {
			return 0, fmt.Errorf("%w: draw card %q", errReplay, str)
		}
		draw = append(draw, c)
	}
	first, ok := game.HakemFromDraw(draw)
	if !ok {
		return 0, fmt.Errorf("%w: no ace in the draw", errReplay)
	}
	return first, nil
}

// newHand is the hand s has just dealt.
func newHand(s *game.State) ReplayHand {
	h := ReplayHand{Hand: s.Hand, Hakem: s.Hakem, Dealer: s.Dealer(), Tricks: []game.TrickView{}, Score: s.Score}
	for seat := range 4 {
		h.Dealt[seat] = s.Hands[seat].Cards()
		h.FirstFive[seat] = s.FirstFive[seat].Cards()
	}
	return h
}

// add records what one action did; s is the state after it.
func (r *Replay) add(s *game.State, evs []game.Event) {
	for _, e := range evs {
		h := &r.Hands[len(r.Hands)-1]
		switch e.Type {
		case game.EvTrumpChosen:
			su := e.Suit
			h.Trump = &su
		case game.EvTrickWon:
			h.Tricks = append(h.Tricks, trickOf(e))
		case game.EvHandEnded:
			res := *e.Result
			h.Result, h.Score = &res, e.Score
		case game.EvHandStarted:
			// Apply deals the next hand before it returns, so s holds it.
			r.Hands = append(r.Hands, newHand(s))
		}
	}
}

// trickOf is the completed trick a trick_won event reports.
func trickOf(e game.Event) game.TrickView {
	tv := game.TrickView{Leader: e.Leader, Plays: make([]game.Play, len(e.Cards))}
	for i, c := range e.Cards {
		tv.Plays[i] = game.Play{Seat: (e.Leader + i) % 4, Card: c}
	}
	w := e.Seat
	tv.Winner = &w
	return tv
}
