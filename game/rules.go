package game

import "fmt"

// Rules are a table's options. The zero value is standard Hokm to 7 points.
type Rules struct {
	// Target is the points needed to win the match: 3, 5 or 7 (0 means 7).
	Target int `json:"target,omitempty"`
	// PlayAllTricks plays all 13 tricks; the hand is still won at 7, and Kot
	// means the losers took none of the 13.
	PlayAllTricks bool `json:"play_all_tricks,omitempty"`
	// HideUntilTrump shows no card to anyone but the Hakem before trump is chosen.
	HideUntilTrump bool `json:"hide_until_trump,omitempty"`
	// RandomFirstHakem picks the first Hakem at random (from the seed) instead
	// of by the ace draw.
	RandomFirstHakem bool `json:"random_first_hakem,omitempty"`
}

// Validate reports an error naming the bad option.
func (r Rules) Validate() error {
	switch r.Target {
	case 0, 3, 5, 7:
		return nil
	}
	return fmt.Errorf("game: target must be 3, 5 or 7, not %d", r.Target)
}

// TargetPoints is the effective match target.
func (r Rules) TargetPoints() int {
	if r.Target == 0 {
		return 7
	}
	return r.Target
}

// Normalized returns the rules with defaults made explicit (Target 7).
func (r Rules) Normalized() Rules {
	r.Target = r.TargetPoints()
	return r
}

// Seat is a place at the table, 0..3 in play order. Team of seat s is s%2.
type Seat = int

// Next is the seat after s in play order.
func Next(s Seat) Seat { return (s + 1) % 4 }

// Prev is the seat before s in play order.
func Prev(s Seat) Seat { return (s + 3) % 4 }

// Team of a seat: 0 for seats 0 and 2, 1 for seats 1 and 3.
func Team(s Seat) int { return s % 2 }

// Partner is the seat opposite s.
func Partner(s Seat) Seat { return (s + 2) % 4 }
