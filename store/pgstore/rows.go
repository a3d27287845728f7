package pgstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// matchRows is a match record checked and laid out as the columns of the
// persist statement: one slice per column, so that each child table is one
// unnest of arrays.
type matchRows struct {
	// matches
	id, tableID string
	rules       string // JSON
	firstHakem  int16
	draw        []string // nil: random first Hakem
	score       [2]int16
	winner      *int16
	handsPlayed int16
	movesCount  int32
	started     time.Time
	ended       *time.Time

	// players: the guests, sorted by id (the lock order)
	playerIDs, playerNames []string
	// match_seats, by seat; a NULL player id is a bot
	seatPlayers []*string
	seatNames   []string
	// match_hands, by hand number from 0
	hakem, tricks0, tricks1 []int16
	trump                   []*string
	handWinner, points      []*int16
	kind                    []*string
	deck                    []string // 52 cards joined by ","
	// each hand's moves: the match's actions in order, hand h's being
	// moveSeat[moveFrom[h]-1 : moveTo[h]] (SQL's 1-based inclusive slice)
	moveSeat         []int16
	moveValue        []string // a suit letter (trump) or a card
	moveFrom, moveTo []int32
}

// newMatchRows replays m's record with the engine, checks it against the
// results m carries, and lays it out as columns. Errors wrap ErrInvalidMatch.
func newMatchRows(m *table.MatchRecord) (*matchRows, error) {
	if m.MatchID == "" {
		return nil, invalid("empty match id")
	}
	st, err := replay(m)
	if err != nil {
		return nil, err
	}
	r := &matchRows{id: m.MatchID, tableID: m.TableID, firstHakem: int16(st.FirstHakem)}
	steps := []func(*table.MatchRecord, *game.State) error{r.setMatch, r.setSeats, r.setHands, r.setMoves}
	for _, step := range steps {
		if err := step(m, &st); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMatch, fmt.Sprintf(format, args...))
}

// replay plays m's record through the engine (game.Record.Replay) and checks
// that it is legal and reaches the results, score and winner m reports.
func replay(m *table.MatchRecord) (game.State, error) {
	for i, a := range m.Record.Actions {
		if a.Seat == nil || *a.Seat < 0 || *a.Seat > 3 || (a.Trump == nil) == (a.Card == nil) {
			return game.State{}, invalid("action %d: needs a seat 0..3 and exactly one of trump and card", i)
		}
	}
	st, res, err := m.Record.Replay()
	switch {
	case err != nil:
		return st, invalid("%v", err)
	case !res.OK:
		return st, invalid("action %d is illegal: %s", *res.Error.Index, res.Error.Code)
	case !slices.Equal(res.Hands, m.Results) || res.Score != m.Score || st.Winner != m.Winner:
		return st, invalid("results, score or winner differ from the replay of the record")
	}
	return st, nil
}

func (r *matchRows) setMatch(m *table.MatchRecord, st *game.State) error {
	rules, err := json.Marshal(st.Rules)
	if err != nil {
		return invalid("rules: %v", err)
	}
	r.rules = string(rules)
	if m.Record.FirstHakem == nil {
		if r.draw, err = checkDraw(m.Record.Draw); err != nil {
			return err
		}
	}
	r.score = [2]int16{int16(m.Score[0]), int16(m.Score[1])}
	if m.Winner >= 0 {
		w := int16(m.Winner)
		r.winner = &w
	}
	r.handsPlayed, r.movesCount = int16(len(m.Results)), int32(len(m.Record.Actions))
	return r.setTimes(m)
}

// checkDraw checks the whole ace draw (the replay reads it only up to the
// first ace).
func checkDraw(draw []string) ([]string, error) {
	if len(draw) > 52 {
		return nil, invalid("draw has %d cards", len(draw))
	}
	for i, c := range draw {
		if _, ok := game.ParseCard(c); !ok {
			return nil, invalid("draw card %d: %q is not a card", i, c)
		}
	}
	return draw, nil
}

func (r *matchRows) setTimes(m *table.MatchRecord) error {
	if m.Started <= 0 {
		return invalid("no start time")
	}
	r.started = time.UnixMilli(m.Started)
	if m.Ended != 0 {
		if m.Ended < m.Started {
			return invalid("ends before it starts")
		}
		end := time.UnixMilli(m.Ended)
		r.ended = &end
	}
	if m.Winner >= 0 && r.ended == nil {
		return invalid("has a winner but no end time")
	}
	return nil
}

// setSeats lays out the seats and the guests to record: every seat not held
// by a bot, once per id, sorted by id.
func (r *matchRows) setSeats(m *table.MatchRecord, _ *game.State) error {
	names := map[string]string{}
	for seat, p := range m.Seats {
		r.seatNames = append(r.seatNames, p.Name)
		if p.Bot {
			r.seatPlayers = append(r.seatPlayers, nil)
			continue
		}
		if p.ID == "" {
			return invalid("seat %d has no player", seat)
		}
		r.seatPlayers = append(r.seatPlayers, &p.ID)
		names[p.ID] = p.Name
	}
	r.playerIDs = slices.Sorted(maps.Keys(names))
	for _, id := range r.playerIDs {
		r.playerNames = append(r.playerNames, names[id])
	}
	return nil
}

// setHands lays out every completed hand and, in a match that stopped in the
// middle of one, that hand (with no result), each with the deck it was dealt
// from.
func (r *matchRows) setHands(m *table.MatchRecord, st *game.State) error {
	for i, res := range m.Results {
		trump, w, pts, kind := res.Trump.String(), int16(res.Winner), int16(res.Points), string(res.Kind)
		r.addHand(m.Record.Deals[i], res.Hakem, &trump, res.Tricks, &w, &pts, &kind)
	}
	if !st.Over() && st.Hand < len(m.Record.Deals) {
		var trump *string
		if st.Trump.Valid() {
			t := st.Trump.String()
			trump = &t
		}
		r.addHand(m.Record.Deals[st.Hand], st.Hakem, trump, st.Tricks, nil, nil, nil)
	}
	return nil
}

func (r *matchRows) addHand(deck []string, hakem game.Seat, trump *string, tricks [2]int, winner, points *int16, kind *string) {
	r.hakem = append(r.hakem, int16(hakem))
	r.trump = append(r.trump, trump)
	r.tricks0 = append(r.tricks0, int16(tricks[0]))
	r.tricks1 = append(r.tricks1, int16(tricks[1]))
	r.handWinner = append(r.handWinner, winner)
	r.points = append(r.points, points)
	r.kind = append(r.kind, kind)
	r.deck = append(r.deck, strings.Join(deck, ","))
}

// setMoves lays out the actions and the slice of them each stored hand
// holds. A legal record needs no second replay for that: hand h is its
// trump choice and four cards per trick played in it, and only the last
// hand can be cut short.
func (r *matchRows) setMoves(m *table.MatchRecord, _ *game.State) error {
	n := len(m.Record.Actions)
	r.moveSeat, r.moveValue = make([]int16, n), make([]string, n)
	r.moveFrom, r.moveTo = make([]int32, len(r.hakem)), make([]int32, len(r.hakem))
	for i, a := range m.Record.Actions {
		r.moveSeat[i] = int16(*a.Seat)
		if a.Trump != nil {
			r.moveValue[i] = *a.Trump
		} else {
			r.moveValue[i] = *a.Card
		}
	}
	next := 0 // the first action not in a hand yet
	for h := range r.hakem {
		take := min(r.actionsIn(h), n-next)
		r.moveFrom[h], r.moveTo[h] = int32(next+1), int32(next+take)
		next += take
	}
	if next < n {
		return invalid("action %d belongs to no stored hand", next)
	}
	return nil
}

// actionsIn is the number of actions of stored hand h: one trump choice and
// four cards per trick, or every remaining action for a hand with no result.
func (r *matchRows) actionsIn(h int) int {
	if r.handWinner[h] == nil {
		return math.MaxInt
	}
	return 1 + 4*int(r.tricks0[h]+r.tricks1[h])
}
