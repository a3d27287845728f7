package game

// Spectator is the seat number of a view for someone who holds no seat.
const Spectator = -1

// Play is one card on the table and who played it.
type Play struct {
	Seat Seat `json:"seat"`
	Card Card `json:"card"`
}

// TrickView is a trick as the table sees it, in play order.
type TrickView struct {
	Leader Seat   `json:"leader"`
	Plays  []Play `json:"plays"`
	Winner *Seat  `json:"winner,omitempty"` // set once the trick is complete
}

// View is what one seat (or a spectator) may know of a match: the public
// table and, for a seat, its own visible cards and legal moves. It never
// holds another seat's cards.
type View struct {
	Seat      Seat         `json:"seat"` // Spectator for a spectator
	Rules     Rules        `json:"rules"`
	Phase     string       `json:"phase"`
	Hand      int          `json:"hand"`
	Hakem     Seat         `json:"hakem"`
	Dealer    Seat         `json:"dealer"`
	Trump     Suit         `json:"trump"`
	Turn      Seat         `json:"turn"` // -1 once the match is over
	Cards     []Card       `json:"cards,omitempty"`
	Legal     []Card       `json:"legal,omitempty"`
	HandSizes [4]int       `json:"hand_sizes"`
	Trick     TrickView    `json:"trick"`
	Done      []TrickView  `json:"done"` // completed tricks of this hand
	Tricks    [2]int       `json:"tricks"`
	Score     [2]int       `json:"score"`
	Results   []HandResult `json:"results"`
	Winner    *int         `json:"winner"`
}

// ViewFor builds seat's view of s; any seat outside 0..3 gets the spectator
// view, with no cards at all.
func ViewFor(s *State, seat Seat) View {
	if seat < 0 || seat > 3 {
		seat = Spectator
	}
	v := View{
		Seat: seat, Rules: s.Rules.Normalized(), Phase: s.Phase.String(), Hand: s.Hand,
		Hakem: s.Hakem, Dealer: s.Dealer(), Trump: s.Trump, Turn: s.Turn,
		Trick: trickView(&s.Trick), Done: make([]TrickView, s.DoneN),
		Tricks: s.Tricks, Score: s.Score, Results: append([]HandResult{}, s.Results...),
	}
	if s.Phase == PhaseTrump {
		v.Trump = NoSuit
	}
	for i := range v.Done {
		v.Done[i] = trickView(&s.Done[i])
	}
	for i := range v.HandSizes {
		v.HandSizes[i] = s.Hands[i].Len()
		if s.Phase == PhaseTrump {
			v.HandSizes[i] = s.FirstFive[i].Len()
		}
	}
	if seat != Spectator {
		v.Cards = s.Visible(seat).Cards()
		v.Legal = s.LegalCards(seat).Cards()
	}
	if s.Over() {
		w := s.Winner
		v.Winner = &w
	}
	return v
}

func trickView(t *Trick) TrickView {
	tv := TrickView{Leader: t.Leader, Plays: make([]Play, t.N)}
	for i := 0; i < t.N; i++ {
		tv.Plays[i] = Play{Seat: (t.Leader + i) % 4, Card: t.Cards[i]}
	}
	if t.N == 4 {
		w := t.Winner
		tv.Winner = &w
	}
	return tv
}
