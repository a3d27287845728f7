package game

import "fmt"

// Phase of a match.
type Phase uint8

// The phases. A hand starts in PhaseTrump (the Hakem chooses trump), goes on in
// PhasePlay, and the next hand is dealt at once when it ends; PhaseOver is the
// end of the match.
const (
	PhaseTrump Phase = iota + 1
	PhasePlay
	PhaseOver
)

var phaseNames = [...]string{PhaseTrump: "trump", PhasePlay: "play", PhaseOver: "over"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) && phaseNames[p] != "" {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// Kind of a hand's result.
type Kind string

// Hand result kinds and their points.
const (
	KindNormal   Kind = "normal"    // 1 point
	KindKot      Kind = "kot"       // 2 points: the Hakem's team won 7–0
	KindHakemKot Kind = "hakem_kot" // 3 points: the Hakem's opponents won 7–0
)

// HandResult is the outcome of one completed hand. Tricks is indexed by team.
type HandResult struct {
	Hakem  Seat   `json:"hakem"`
	Trump  Suit   `json:"trump"`
	Tricks [2]int `json:"tricks"`
	Winner int    `json:"winner"`
	Points int    `json:"points"`
	Kind   Kind   `json:"kind"`
}

// Trick is a trick in play order: Cards[i] was played by (Leader+i)%4.
type Trick struct {
	Leader Seat
	N      int // cards played so far
	Cards  [4]Card
	Winner Seat // set once N == 4
}

// State is a whole match. It is a value: Apply returns a new one and never
// changes the one it was given (Results and Decks are never written in place).
type State struct {
	Rules Rules
	Seed  uint64
	// Decks, when set, are the deck orders of the hands in turn (a replayed
	// record); hands beyond them, or all hands when nil, use DeckFor(Seed, h).
	Decks      []Deck
	FirstHakem Seat

	Phase Phase
	Hand  int // number of the current hand, from 0
	Hakem Seat
	Trump Suit
	Turn  Seat
	// Hands holds each seat's remaining cards; FirstFive each seat's first
	// packet, the only cards it may see before trump is chosen.
	Hands     [4]CardSet
	FirstFive [4]CardSet
	Trick     Trick     // the trick in progress
	Done      [13]Trick // completed tricks of this hand
	DoneN     int
	Tricks    [2]int // tricks won this hand, by team
	Score     [2]int // match points, by team
	Results   []HandResult
	Winner    int // team that won the match, or -1
}

// Dealer of the current hand: always prev(Hakem).
func (s *State) Dealer() Seat { return Prev(s.Hakem) }

// Over reports whether the match has ended.
func (s *State) Over() bool { return s.Phase == PhaseOver }

// DeckOf is the deck order of hand h.
func (s *State) DeckOf(h int) Deck {
	if h < len(s.Decks) {
		return s.Decks[h]
	}
	return DeckFor(s.Seed, h)
}

// Played is the set of cards played so far in the current hand.
func (s *State) Played() CardSet {
	var p CardSet
	for i := 0; i < s.DoneN; i++ {
		p |= SetOf(s.Done[i].Cards[:]...)
	}
	return p | SetOf(s.Trick.Cards[:s.Trick.N]...)
}

// Visible is what seat may see of its own hand now: its first five before
// trump is chosen (nothing under HideUntilTrump unless it is the Hakem),
// its whole remaining hand afterwards. Seats outside 0..3 see nothing.
func (s *State) Visible(seat Seat) CardSet {
	if seat < 0 || seat > 3 || s.Phase == PhaseOver {
		return 0
	}
	if s.Phase == PhaseTrump {
		if s.Rules.HideUntilTrump && seat != s.Hakem {
			return 0
		}
		return s.FirstFive[seat]
	}
	return s.Hands[seat]
}

// LegalCards is the set of cards seat may play now (empty when it is not
// that seat's turn to play a card).
func (s *State) LegalCards(seat Seat) CardSet {
	if s.Phase != PhasePlay || seat != s.Turn {
		return 0
	}
	hand := s.Hands[seat]
	if s.Trick.N == 0 {
		return hand
	}
	if follow := hand.OfSuit(s.Trick.Cards[0].Suit()); follow != 0 {
		return follow
	}
	return hand
}

// Legal lists every action seat may take now.
func (s *State) Legal(seat Seat) []Action {
	if s.Phase == PhaseTrump && seat == s.Hakem {
		return []Action{ChooseTrump(Spades), ChooseTrump(Hearts), ChooseTrump(Diamonds), ChooseTrump(Clubs)}
	}
	cards := s.LegalCards(seat).Cards()
	out := make([]Action, len(cards))
	for i, c := range cards {
		out[i] = PlayCard(c)
	}
	return out
}

// ActionKind says what an Action does.
type ActionKind uint8

// Action kinds.
const (
	KindChooseTrump ActionKind = iota + 1
	KindPlayCard
)

// Action is what a seat asks to do. Card and Suit may hold InvalidCard or
// InvalidSuit (a string that did not parse); Apply reports those with the
// proper code in the proper order.
type Action struct {
	Kind ActionKind
	Suit Suit
	Card Card
}

// ChooseTrump is the Hakem's trump choice.
func ChooseTrump(s Suit) Action { return Action{Kind: KindChooseTrump, Suit: s, Card: NoCard} }

// PlayCard plays a card.
func PlayCard(c Card) Action { return Action{Kind: KindPlayCard, Suit: NoSuit, Card: c} }

func (a Action) String() string {
	switch a.Kind {
	case KindChooseTrump:
		return "trump " + a.Suit.String()
	case KindPlayCard:
		return "play " + a.Card.String()
	}
	return "unknown action"
}
