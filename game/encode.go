package game

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EncodingVersion is the first byte of MarshalBinary's output. Bump it when
// the layout changes and keep decoding the old layouts of live games.
const EncodingVersion = 1

var errShort = errors.New("game: state encoding truncated")

// MarshalBinary encodes the state compactly (about 120 bytes mid-hand) for
// storage, e.g. in Redis. The layout is versioned by its first byte.
func (s *State) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 128+len(s.Decks)*52)
	var flags byte
	for i, on := range []bool{s.Rules.PlayAllTricks, s.Rules.HideUntilTrump, s.Rules.RandomFirstHakem} {
		if on {
			flags |= 1 << i
		}
	}
	b = append(b, EncodingVersion, flags, byte(s.Rules.Target))
	b = binary.LittleEndian.AppendUint64(b, s.Seed)
	b = append(b, byte(s.FirstHakem), byte(s.Phase), byte(s.Hand), byte(s.Hakem), byte(s.Trump), byte(int8(s.Turn)))
	for _, set := range append(s.Hands[:], s.FirstFive[:]...) {
		b = binary.LittleEndian.AppendUint64(b, uint64(set))
	}
	b = appendTrick(b, &s.Trick)
	b = append(b, byte(s.DoneN))
	for i := 0; i < s.DoneN; i++ {
		b = appendTrick(b, &s.Done[i])
	}
	b = append(b, byte(s.Tricks[0]), byte(s.Tricks[1]), byte(s.Score[0]), byte(s.Score[1]), byte(int8(s.Winner)))
	b = append(b, byte(len(s.Results)))
	for _, r := range s.Results {
		b = append(b, byte(r.Hakem), byte(r.Trump), byte(r.Tricks[0]), byte(r.Tricks[1]), byte(r.Winner), byte(r.Points))
	}
	b = append(b, byte(len(s.Decks)))
	for i := range s.Decks {
		for _, c := range s.Decks[i] {
			b = append(b, byte(c))
		}
	}
	return b, nil
}

func appendTrick(b []byte, t *Trick) []byte {
	b = append(b, byte(t.Leader), byte(t.N), byte(t.Winner))
	for _, c := range t.Cards {
		b = append(b, byte(c))
	}
	return b
}

// decoder reads the layout back, remembering the first shortfall.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.err = errShort
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) int() int { return int(d.byte()) }

func (d *decoder) signed() int { return int(int8(d.byte())) }

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.err = errShort
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) trick(t *Trick) {
	t.Leader, t.N, t.Winner = d.int(), d.int(), d.int()
	for i := range t.Cards {
		t.Cards[i] = Card(d.byte())
	}
}

// UnmarshalBinary decodes MarshalBinary's output and checks the result with
// Validate, so a corrupt or foreign value is an error, never a broken state.
func (s *State) UnmarshalBinary(b []byte) error {
	d := &decoder{b: b}
	if v := d.byte(); d.err == nil && v != EncodingVersion {
		return fmt.Errorf("game: unknown state encoding version %d", v)
	}
	var n State
	flags := d.byte()
	n.Rules = Rules{Target: d.int(), PlayAllTricks: flags&1 != 0, HideUntilTrump: flags&2 != 0, RandomFirstHakem: flags&4 != 0}
	if flags > 7 {
		return fmt.Errorf("game: unknown rules flags %#x", flags)
	}
	n.Seed = d.u64()
	n.FirstHakem, n.Phase, n.Hand, n.Hakem = d.int(), Phase(d.byte()), d.int(), d.int()
	n.Trump, n.Turn = Suit(d.byte()), d.signed()
	for i := range n.Hands {
		n.Hands[i] = CardSet(d.u64())
	}
	for i := range n.FirstFive {
		n.FirstFive[i] = CardSet(d.u64())
	}
	d.trick(&n.Trick)
	if n.DoneN = d.int(); n.DoneN > len(n.Done) {
		return fmt.Errorf("game: %d completed tricks", n.DoneN)
	}
	for i := 0; i < n.DoneN; i++ {
		d.trick(&n.Done[i])
	}
	n.Tricks = [2]int{d.int(), d.int()}
	n.Score = [2]int{d.int(), d.int()}
	n.Winner = d.signed()
	if nr := d.int(); nr > 0 && d.err == nil {
		n.Results = make([]HandResult, 0, min(nr, 13))
		for i := 0; i < nr && d.err == nil; i++ {
			r := HandResult{Hakem: d.int(), Trump: Suit(d.byte()), Tricks: [2]int{d.int(), d.int()}, Winner: d.int(), Points: d.int()}
			r.Kind = kindOfPoints(r.Points)
			n.Results = append(n.Results, r)
		}
	}
	if nd := d.int(); nd > 0 && d.err == nil {
		if len(d.b) < nd*52 {
			return errShort
		}
		n.Decks = make([]Deck, nd)
		for i := range n.Decks {
			for j := range n.Decks[i] {
				n.Decks[i][j] = Card(d.byte())
			}
		}
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("game: %d trailing bytes after the state", len(d.b))
	}
	if err := n.Validate(); err != nil {
		return err
	}
	*s = n
	return nil
}

func kindOfPoints(p int) Kind {
	switch p {
	case 2:
		return KindKot
	case 3:
		return KindHakemKot
	}
	return KindNormal
}
