// Package bot holds computer players for Hokm and the server's timeout move.
//
// Every player decides from a game.View only, so it sees exactly what a human
// in that seat would: its own cards and the public table. The package is pure
// like package game: standard library only, no clock, and randomness only
// from a *rand.Rand the caller seeds.
package bot

import (
	"fmt"

	"github.com/hokm-project/hokm/game"
)

// Bot chooses the action of the seat whose view it is given. Choose is called
// only when that seat must act: in the trump phase when it is the Hakem, in
// the play phase when it is its turn. It must then return a legal action;
// called at any other time it returns the zero Action, which game.Apply
// rejects with wrong_phase.
type Bot interface {
	Choose(v game.View) game.Action
}

// maxActions bounds a match: at most 13 hands of one trump choice and 52
// cards each. More means something loops and PlayMatch gives up.
const maxActions = 13 * 53

// PlayMatch plays a whole match with rules and seed, asking bots[seat] for
// each of seat's actions, and returns the final state. It returns an error
// if the match cannot start or a bot returns an action game.Apply rejects
// (wrapping the engine's *game.Error); the state is then the one the
// rejected action was applied to.
func PlayMatch(rules game.Rules, seed uint64, bots [4]Bot) (game.State, error) {
	s, _, err := game.NewMatch(rules, seed)
	if err != nil {
		return s, fmt.Errorf("bot: start match %d: %w", seed, err)
	}
	for n := 0; !s.Over(); n++ {
		if n == maxActions {
			return s, fmt.Errorf("bot: match %d not over after %d actions", seed, n)
		}
		if s, err = Step(s, bots[s.Turn]); err != nil {
			return s, fmt.Errorf("bot: match %d: %w", seed, err)
		}
	}
	return s, nil
}

// Step asks b for the action of the seat whose turn it is in s (the Hakem in
// the trump phase) and applies it. It returns s unchanged and an error
// wrapping the engine's *game.Error when the action is illegal, or when the
// match is over.
func Step(s game.State, b Bot) (game.State, error) {
	if s.Over() {
		return s, fmt.Errorf("bot: step: %w", game.ErrGameOver)
	}
	seat := s.Turn
	a := b.Choose(game.ViewFor(&s, seat))
	next, _, err := game.Apply(s, seat, a)
	if err != nil {
		return s, fmt.Errorf("hand %d, seat %d, %v: %w", s.Hand, seat, a, err)
	}
	return next, nil
}

// mustAct reports what v's seat has to do now: choose trump, play a card, or
// nothing (it is not its turn).
func mustAct(v *game.View) (trump, play bool) {
	switch {
	case v.Seat == game.Spectator:
		return false, false
	case v.Phase == game.PhaseTrump.String():
		return v.Seat == v.Hakem, false
	case v.Phase == game.PhasePlay.String():
		return false, v.Turn == v.Seat && len(v.Legal) > 0
	}
	return false, false
}
