// Package pgstoretest builds real match records for tests of the
// persistence path: matches played through the table lifecycle and the rules
// engine with seeded random legal moves, never hand-written fixtures.
package pgstoretest

import (
	"fmt"
	"math/rand/v2"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// Game describes the match to play. Zero values take defaults: table
// "t-<seed>", guests "guest-<seed>-0" and "guest-<seed>-1", standard rules,
// played to the end.
type Game struct {
	TableID string
	Guests  [2]string // user ids of the two guests, at seats 0 and 1
	Rules   game.Rules
	Seed    uint64 // deals and moves
	// MaxMoves stops the match after that many actions (0: play it out;
	// negative: stop before the first).
	MaxMoves int
}

// Play runs g through table.Apply — two guests sit, bots fill seats 2 and
// 3, the second guest is ready, the host (the first) starts, every seat
// plays random legal actions — and returns
// the match record the server would persist. It panics on an engine error,
// which is a bug in game or table.
func Play(g Game) table.MatchRecord {
	g = g.withDefaults()
	now := int64(1_700_000_000_000) + int64(g.Seed%1_000_000)*1000
	t, err := table.New(g.TableID, g.Rules, g.Guests[0], now)
	must(err)
	t = apply(t, g.Guests[0], table.Command{Op: table.OpSit, Seat: 0, Name: "Guest A"}, now, 0)
	t = apply(t, g.Guests[1], table.Command{Op: table.OpSit, Seat: 1, Name: "Guest B"}, now, 0)
	t = apply(t, g.Guests[0], table.Command{Op: table.OpAddBots}, now, 0)
	t = apply(t, g.Guests[1], table.Command{Op: table.OpReady, Ready: true}, now, 0)
	t = apply(t, g.Guests[0], table.Command{Op: table.OpStart}, now, g.Seed)
	rng := rand.New(rand.NewPCG(g.Seed, 0x5eed))
	for n := 0; !t.Game.Over() && (g.MaxMoves == 0 || n < g.MaxMoves); n++ {
		now += 700
		seat, a := randomLegal(&t.Game, rng)
		t = apply(t, t.Seats[seat].ID, table.Act(a), now, 0)
	}
	return t.MatchRecord()
}

func (g Game) withDefaults() Game {
	if g.TableID == "" {
		g.TableID = fmt.Sprintf("t-%d", g.Seed)
	}
	for i, id := range g.Guests {
		if id == "" {
			g.Guests[i] = fmt.Sprintf("guest-%d-%d", g.Seed, i)
		}
	}
	return g
}

// randomLegal picks the seat to act (the Hakem choosing trump, or the seat
// whose turn it is) and one of its legal actions.
func randomLegal(s *game.State, rng *rand.Rand) (game.Seat, game.Action) {
	seat := s.Turn
	if s.Phase == game.PhaseTrump {
		seat = s.Hakem
	}
	legal := s.Legal(seat)
	return seat, legal[rng.IntN(len(legal))]
}

func apply(t table.Table, user string, c table.Command, now int64, seed uint64) table.Table {
	next, _, err := table.Apply(t, user, c, table.Env{Now: now, Seed: seed})
	must(err)
	return next
}

func must(err error) {
	if err != nil {
		panic("pgstoretest: " + err.Error())
	}
}
