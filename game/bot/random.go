package bot

import (
	"math/rand/v2"

	"github.com/hokm-project/hokm/game"
)

// Random plays a uniformly random legal action. Its only source of
// randomness is the *rand.Rand it was built with, so a seeded Random is
// reproducible. It is not safe for concurrent use (nor is *rand.Rand).
type Random struct {
	r *rand.Rand
}

// NewRandom returns a Random bot drawing from r, for example
// rand.New(rand.NewPCG(seed, stream)).
func NewRandom(r *rand.Rand) *Random { return &Random{r: r} }

// Choose returns a uniformly random suit as the Hakem's trump, or a
// uniformly random card of v.Legal; the zero Action when v's seat has
// nothing to do.
func (b *Random) Choose(v game.View) game.Action {
	trump, play := mustAct(&v)
	switch {
	case trump:
		return game.ChooseTrump(game.Suit(b.r.IntN(4)))
	case play:
		return game.PlayCard(v.Legal[b.r.IntN(len(v.Legal))])
	}
	return game.Action{}
}
