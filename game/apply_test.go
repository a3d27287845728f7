package game_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// trickCase is a trick in play order from its leader and who must win it.
type trickCase struct {
	trump  string
	leader game.Seat
	plays  string
	winner game.Seat
	why    string
}

var trickCases = []trickCase{
	// The table of docs/rules.md.
	{"S", 0, "9H KH 3H AC", 1, "highest of led suit; off-suit ace ignored"},
	{"S", 0, "AH 2S KH 5H", 1, "lowest trump beats ace of led suit"},
	{"S", 0, "3S JS AH TS", 1, "trump led; highest trump"},
	{"S", 0, "AH 2S QS 5S", 2, "highest of several trumps"},
	{"S", 0, "4H AD AC 2H", 0, "nobody follows or trumps; the lead holds"},
	// More.
	{"H", 1, "2C 3C 4C 5C", 0, "everyone follows; the last card is highest (wraps to seat 0)"},
	{"D", 2, "KS AS 2D 3D", 1, "over-trumped by the last seat"},
	{"C", 0, "AS 2C 3C AC", 3, "trumped, over-trumped, over-trumped again"},
	{"H", 2, "2S 2H 3H 4S", 0, "over-trump by the leader's partner"},
	{"D", 3, "2D AD KD QD", 0, "trump led, followed with higher trumps"},
	{"S", 1, "2S 3D 4D 5D", 1, "low trump led, nobody can beat it"},
	{"C", 0, "KH AD AS AC", 3, "a trump ace among off-suit aces"},
	{"C", 0, "KH AD AS QH", 0, "off-suit aces never win"},
	{"S", 3, "7D 8D 9D TD", 2, "all follow; highest of the led suit"},
	{"H", 0, "AS KS QS JS", 0, "no trump played: the led ace holds"},
	{"H", 0, "2S 3S 4S 5S", 3, "no trump; rank order within the led suit"},
	{"S", 2, "TC JC QC KC", 1, "rank order T < J < Q < K"},
	{"D", 1, "QH 2D KH AH", 2, "a 2 of trump beats the ace of the led suit"},
}

func TestTrickWinner(t *testing.T) {
	t.Parallel()
	for _, tc := range trickCases {
		trump, _ := game.ParseSuit(tc.trump)
		tr := game.Trick{Leader: tc.leader, N: 4}
		copy(tr.Cards[:], tcCards(t, tc.plays))
		if got := game.TrickWinner(&tr, trump); got != tc.winner {
			t.Errorf("trump %s leader %d %s: winner %d, want %d (%s)", tc.trump, tc.leader, tc.plays, got,
				tc.winner, tc.why)
		}
	}
}

// trickHands gives each seat its card of the trick and fills the hands with
// the other cards so that a seat that does not follow is void in the led suit.
func trickHands(t *testing.T, leader game.Seat, plays []game.Card) [4]string {
	t.Helper()
	var hands [4][]game.Card
	var void [4]bool
	led := plays[0].Suit()
	rest := game.FullDeck
	for i, c := range plays {
		seat := (leader + i) % 4
		hands[seat] = append(hands[seat], c)
		void[seat] = c.Suit() != led
		rest = rest.Remove(c)
	}
	give := func(cards game.CardSet, ok func(game.Seat) bool) {
		seat := leader
		for _, c := range cards.Cards() {
			for len(hands[seat]) == 13 || !ok(seat) {
				seat = (seat + 1) % 4
			}
			hands[seat] = append(hands[seat], c)
			seat = (seat + 1) % 4
		}
	}
	give(rest.OfSuit(led), func(s game.Seat) bool { return !void[s] })
	give(rest&^rest.OfSuit(led), func(game.Seat) bool { return true })
	var out [4]string
	for i, h := range hands {
		var b []string
		for _, c := range h {
			b = append(b, c.String())
		}
		out[i] = strings.Join(b, " ")
	}
	return out
}

// TestTrickWinnerByPlay plays every trick of the table as the first trick of
// a hand, through Apply.
func TestTrickWinnerByPlay(t *testing.T) {
	t.Parallel()
	for _, tc := range trickCases {
		plays := tcCards(t, tc.plays)
		s := tcStart(t, game.Rules{}, tcDeal{tc.leader, trickHands(t, tc.leader, plays)})
		trump, _ := game.ParseSuit(tc.trump)
		s, _ = tcDo(t, s, tc.leader, game.ChooseTrump(trump))
		var evs []game.Event
		for i, c := range plays {
			if s.Turn != (tc.leader+i)%4 {
				t.Fatalf("%s: turn %d, want %d", tc.plays, s.Turn, (tc.leader+i)%4)
			}
			s, evs = tcDo(t, s, s.Turn, game.PlayCard(c))
		}
		won := evs[len(evs)-1]
		if won.Type != game.EvTrickWon || won.Seat != tc.winner || won.Leader != tc.leader ||
			!reflect.DeepEqual(won.Cards, plays) {
			t.Errorf("%s: trick_won %+v, want winner %d (%s)", tc.plays, won, tc.winner, tc.why)
		}
		wantTricks := [2]int{}
		wantTricks[game.Team(tc.winner)] = 1
		if s.DoneN != 1 || s.Done[0].Winner != tc.winner || s.Tricks != wantTricks || s.Turn != tc.winner ||
			s.Trick.Leader != tc.winner || s.Trick.N != 0 {
			t.Errorf("%s: after the trick DoneN %d winner %d tricks %v turn %d", tc.plays, s.DoneN,
				s.Done[0].Winner, s.Tricks, s.Turn)
		}
	}
}

// TestLegality is the HOKM_RULES example and the follow-suit rules around it.
func TestLegality(t *testing.T) {
	t.Parallel()
	hands := [4]string{
		"9H 2H 4H 5H 6H 7H 8H TH JH QH KH 2S 3S",
		"AH 3H KS 7C 2D 3D 4D 5D 6D 7D 8D 9D TD", // {AH 3H KS 7C} and no other heart
		"AS QS JS TS 9S 8S 7S 6S 5S 4S JD QD KD",
		"AD AC KC QC JC TC 9C 8C 6C 5C 4C 3C 2C",
	}
	s := tcStart(t, game.Rules{}, tcDeal{0, hands})
	s, _ = tcDo(t, s, 0, game.ChooseTrump(game.Clubs))
	if got := s.LegalCards(0); got != s.Hands[0] {
		t.Errorf("leader may lead anything: legal %v", got.Cards())
	}
	for seat := 1; seat < 4; seat++ {
		if s.LegalCards(seat) != 0 || len(s.Legal(seat)) != 0 {
			t.Errorf("seat %d has legal cards out of turn", seat)
		}
	}
	s, _ = tcDo(t, s, 0, game.PlayCard(tcCard(t, "9H")))
	if got := s.LegalCards(1); got != tcSet(t, "AH 3H") {
		t.Errorf("legal after 9H led = %v, want AH 3H", got.Cards())
	}
	for _, c := range []string{"KS", "7C", "2D"} { // 7C is trump: trumping is not allowed while holding hearts
		if _, _, err := game.Apply(s, 1, game.PlayCard(tcCard(t, c))); !errors.Is(err, game.ErrMustFollowSuit) {
			t.Errorf("%s on 9H led: %v, want must_follow_suit", c, err)
		}
	}
	s, _ = tcDo(t, s, 1, game.PlayCard(tcCard(t, "3H"))) // no duty to beat 9H
	// Seat 2 is void in hearts: anything goes, and it need not trump.
	if got := s.LegalCards(2); got != s.Hands[2] {
		t.Errorf("void seat: legal %v, want the whole hand", got.Cards())
	}
	s, _ = tcDo(t, s, 2, game.PlayCard(tcCard(t, "JD")))
	// Seat 3 is void in hearts and may trump.
	s, evs := tcDo(t, s, 3, game.PlayCard(tcCard(t, "2C")))
	if evs[len(evs)-1].Seat != 3 || s.Turn != 3 {
		t.Errorf("2C trump should win the trick: %+v", evs[len(evs)-1])
	}
	// Trump may be led at once; then a void seat may discard.
	s, _ = tcDo(t, s, 3, game.PlayCard(tcCard(t, "AC")))
	if got := s.LegalCards(0); got != s.Hands[0] {
		t.Errorf("void in trump: legal %v", got.Cards())
	}
	if got := s.LegalCards(1); got != 0 {
		t.Errorf("not seat 1's turn: legal %v", got.Cards())
	}
	s, _ = tcDo(t, s, 0, game.PlayCard(tcCard(t, "2S")))
	if got := s.LegalCards(1); got != tcSet(t, "7C") {
		t.Errorf("seat 1 must follow trump with its only club: legal %v", got.Cards())
	}
	var legal []game.Card
	for _, a := range s.Legal(1) {
		if a.Kind != game.KindPlayCard {
			t.Fatalf("Legal lists %v in play", a)
		}
		legal = append(legal, a.Card)
	}
	if !reflect.DeepEqual(legal, tcCards(t, "7C")) {
		t.Errorf("Legal(1) = %v", legal)
	}
}

func TestLegalTrumpPhase(t *testing.T) {
	t.Parallel()
	s := tcStart(t, game.Rules{}, tcDeal{2, spsHands("SHDC")})
	got := s.Legal(2)
	if len(got) != 4 {
		t.Fatalf("Hakem's legal actions: %v", got)
	}
	for i, a := range got {
		if a.Kind != game.KindChooseTrump || a.Suit != game.Suit(i) {
			t.Errorf("Legal(2)[%d] = %v", i, a)
		}
	}
	for _, seat := range []game.Seat{0, 1, 3, -1, 4} {
		if l := s.Legal(seat); len(l) != 0 || s.LegalCards(seat) != 0 {
			t.Errorf("seat %d may act in the trump phase: %v", seat, l)
		}
	}
}

// spsHands gives seat i the whole suit order[i].
func spsHands(order string) [4]string {
	var h [4]string
	for i := range h {
		h[i] = tcSuit(order[i : i+1])
	}
	return h
}

// kotPlays are the 7 tricks of a hand dealt spsHands with the Hakem holding
// the trump suit (seat order from the Hakem: trump, then the three others).
func kotPlays(trump string, others [3]string) string {
	var b []string
	for i := 0; i < 7; i++ {
		b = append(b, string("AKQJT98"[i])+trump)
		for _, o := range others {
			b = append(b, string("23456789"[i])+o)
		}
	}
	return strings.Join(b, " ")
}

func TestScore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hakem  game.Seat
		tricks [2]int
		winner int
		points int
		kind   game.Kind
	}{
		// The table of docs/rules.md (Hakem 0).
		{0, [2]int{7, 3}, 0, 1, game.KindNormal},
		{0, [2]int{7, 0}, 0, 2, game.KindKot},
		{0, [2]int{0, 7}, 1, 3, game.KindHakemKot},
		{0, [2]int{3, 7}, 1, 1, game.KindNormal},
		{0, [2]int{7, 6}, 0, 1, game.KindNormal},
		{0, [2]int{1, 7}, 1, 1, game.KindNormal},
		// The Hakem's partner's seat: same team, same scores.
		{2, [2]int{7, 0}, 0, 2, game.KindKot},
		{2, [2]int{0, 7}, 1, 3, game.KindHakemKot},
		{2, [2]int{7, 1}, 0, 1, game.KindNormal},
		// Hakem in team 1.
		{1, [2]int{0, 7}, 1, 2, game.KindKot},
		{3, [2]int{0, 7}, 1, 2, game.KindKot},
		{1, [2]int{7, 0}, 0, 3, game.KindHakemKot},
		{3, [2]int{7, 0}, 0, 3, game.KindHakemKot},
		{1, [2]int{7, 6}, 0, 1, game.KindNormal},
		{3, [2]int{2, 7}, 1, 1, game.KindNormal},
		// play_all_tricks: Kot only when the losers took none of the 13.
		{0, [2]int{13, 0}, 0, 2, game.KindKot},
		{0, [2]int{12, 1}, 0, 1, game.KindNormal},
		{1, [2]int{0, 13}, 1, 2, game.KindKot},
		{2, [2]int{0, 13}, 1, 3, game.KindHakemKot},
		{3, [2]int{13, 0}, 0, 3, game.KindHakemKot},
		{1, [2]int{1, 12}, 1, 1, game.KindNormal},
	} {
		p, k := game.Score(tc.hakem, tc.tricks, tc.winner)
		if p != tc.points || k != tc.kind {
			t.Errorf("Score(hakem %d, %v, winner %d) = %d %s, want %d %s", tc.hakem, tc.tricks, tc.winner, p, k,
				tc.points, tc.kind)
		}
	}
}

// handCase is one whole hand from a crafted deal: the result, the next Hakem
// and dealer.
type handCase struct {
	name      string
	rules     game.Rules
	hakem     game.Seat
	hands     [4]string
	trump     game.Suit
	plays     string
	result    game.HandResult
	nextHakem game.Seat
}

var handCases = []handCase{
	{
		// Scoring table, row 1: [7,3]. T1–T3 seat 1 wins with AH KH QH, T4 the
		// Hakem trumps the diamonds, then cashes his spades (seat 2 follows
		// with its three small spades).
		name:  "normal 7-3",
		hakem: 0,
		hands: [4]string{"AS KS QS JS TS 9S 8S 7S 6S 5S 2H 3H 4H", "AH KH QH AD KD QD JD TD 9D 8D 7D 6D 5D",
			"JH TH 9H 8H 7H 6H 5H 4S 3S 2S 4D 3D 2D", tcSuit("C")},
		trump: game.Spades,
		plays: "2H AH 5H 2C  KH 6H 3C 3H  QH 7H 4C 4H  AD 2D 5C 5S  AS 5D 2S 6C  KS 6D 3S 7C  QS 7D 4S 8C" +
			"  JS 8D 8H 9C  TS 9D 9H TC  9S TD TH JC",
		result:    game.HandResult{Hakem: 0, Trump: game.Spades, Tricks: [2]int{7, 3}, Winner: 0, Points: 1, Kind: game.KindNormal},
		nextHakem: 0,
	},
	{
		name: "Kot by the Hakem", hakem: 0, hands: spsHands("SHDC"), trump: game.Spades,
		plays:     kotPlays("S", [3]string{"H", "D", "C"}),
		result:    game.HandResult{Hakem: 0, Trump: game.Spades, Tricks: [2]int{7, 0}, Winner: 0, Points: 2, Kind: game.KindKot},
		nextHakem: 0,
	},
	{
		// The Hakem chooses hearts, a suit only seat 1 holds: seat 1 trumps
		// the first trick and runs its hearts.
		name: "Hakem-Kot", hakem: 0, hands: spsHands("SHDC"), trump: game.Hearts,
		plays:     "AS 2H 2D 2C " + strings.TrimPrefix(kotPlays("H", [3]string{"D", "C", "S"}), "AH 2D 2C 2S "),
		result:    game.HandResult{Hakem: 0, Trump: game.Hearts, Tricks: [2]int{0, 7}, Winner: 1, Points: 3, Kind: game.KindHakemKot},
		nextHakem: 1,
	},
	{
		// Hakem 2 leads AS and chooses hearts, held by his partner, seat 0,
		// who trumps and takes every trick: Kot for the Hakem's team.
		name: "Kot by the Hakem's partner", hakem: 2, hands: spsHands("HDSC"), trump: game.Hearts,
		plays:     "AS 2C 2H 2D " + strings.TrimPrefix(kotPlays("H", [3]string{"D", "S", "C"}), "AH 2D 2S 2C "),
		result:    game.HandResult{Hakem: 2, Trump: game.Hearts, Tricks: [2]int{7, 0}, Winner: 0, Points: 2, Kind: game.KindKot},
		nextHakem: 2,
	},
	{
		// Hakem 3 (team 1) chooses spades, held by seat 0: team 0 wins 7-0,
		// Hakem-Kot, and the Hakem passes from 3 to 0.
		name: "Hakem-Kot against seat 3, rotation 3 to 0", hakem: 3, hands: spsHands("SHDC"), trump: game.Spades,
		plays:     "AC 2S 2H 2D " + strings.TrimPrefix(kotPlays("S", [3]string{"H", "D", "C"}), "AS 2H 2D 2C "),
		result:    game.HandResult{Hakem: 3, Trump: game.Spades, Tricks: [2]int{7, 0}, Winner: 0, Points: 3, Kind: game.KindHakemKot},
		nextHakem: 0,
	},
	{
		// Hakem 1 holds the clubs and makes them trump: Kot for team 1.
		name: "Kot by a team-1 Hakem", hakem: 1, hands: spsHands("SCDH"), trump: game.Clubs,
		plays:     kotPlays("C", [3]string{"D", "H", "S"}),
		result:    game.HandResult{Hakem: 1, Trump: game.Clubs, Tricks: [2]int{0, 7}, Winner: 1, Points: 2, Kind: game.KindKot},
		nextHakem: 1,
	},
	{
		// play_all_tricks: the Hakem takes 12, seat 1 the last trick with AD
		// (it kept it while throwing 3D..KD): 12-1 is a normal win.
		name: "play all tricks 12-1", rules: game.Rules{PlayAllTricks: true}, hakem: 0,
		hands: [4]string{"AS KS QS JS TS 9S 8S 7S 6S 5S 4S 3S 2D", "2S AD KD QD JD TD 9D 8D 7D 6D 5D 4D 3D",
			tcSuit("H"), tcSuit("C")},
		trump: game.Spades,
		plays: "AS 2S 2H 2C  KS 3D 3H 3C  QS 4D 4H 4C  JS 5D 5H 5C  TS 6D 6H 6C  9S 7D 7H 7C  8S 8D 8H 8C" +
			"  7S 9D 9H 9C  6S TD TH TC  5S JD JH JC  4S QD QH QC  3S KD KH KC  2D AD AH AC",
		result:    game.HandResult{Hakem: 0, Trump: game.Spades, Tricks: [2]int{12, 1}, Winner: 0, Points: 1, Kind: game.KindNormal},
		nextHakem: 0,
	},
	{
		name: "play all tricks 13-0", rules: game.Rules{PlayAllTricks: true}, hakem: 0, hands: spsHands("SHDC"),
		trump: game.Spades,
		plays: "AS AH AD AC KS KH KD KC QS QH QD QC JS JH JD JC TS TH TD TC 9S 9H 9D 9C 8S 8H 8D 8C " +
			"7S 7H 7D 7C 6S 6H 6D 6C 5S 5H 5D 5C 4S 4H 4D 4C 3S 3H 3D 3C 2S 2H 2D 2C",
		result:    game.HandResult{Hakem: 0, Trump: game.Spades, Tricks: [2]int{13, 0}, Winner: 0, Points: 2, Kind: game.KindKot},
		nextHakem: 0,
	},
	{
		// play_all_tricks, team 1 Hakem: seat 3 holds the spades but chooses
		// hearts, held by seat 0, who takes all 13: Hakem-Kot.
		name: "play all tricks Hakem-Kot 0-13", rules: game.Rules{PlayAllTricks: true}, hakem: 3,
		hands: spsHands("HDCS"), trump: game.Hearts,
		plays: "AS 2H 2D 2C  AH 3D 3C KS  KH 4D 4C QS  QH 5D 5C JS  JH 6D 6C TS  TH 7D 7C 9S  9H 8D 8C 8S" +
			"  8H 9D 9C 7S  7H TD TC 6S  6H JD JC 5S  5H QD QC 4S  4H KD KC 3S  3H AD AC 2S",
		result:    game.HandResult{Hakem: 3, Trump: game.Hearts, Tricks: [2]int{13, 0}, Winner: 0, Points: 3, Kind: game.KindHakemKot},
		nextHakem: 0,
	},
}

// TestHands plays whole crafted hands and checks the result, the score, the
// events, the next Hakem and dealer, and the deal of the next hand (dealt
// 5–4–4 from the new Hakem).
func TestHands(t *testing.T) {
	t.Parallel()
	next := spsHands("CSHD")
	for _, tc := range handCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tcStart(t, tc.rules, tcDeal{tc.hakem, tc.hands}, tcDeal{tc.nextHakem, next})
			s, _ = tcDo(t, s, tc.hakem, game.ChooseTrump(tc.trump))
			cards := tcCards(t, tc.plays)
			var evs []game.Event
			for i, c := range cards {
				if len(s.Results) != 0 {
					t.Fatalf("hand ended after %d cards", i)
				}
				if tc.rules.PlayAllTricks && s.DoneN > 7 && (s.Phase != game.PhasePlay || s.Hand != 0) {
					t.Fatalf("play_all_tricks: hand stopped after %d tricks", s.DoneN)
				}
				s, evs = tcDo(t, s, s.Turn, game.PlayCard(c))
			}
			if len(s.Results) != 1 || s.Results[0] != tc.result {
				t.Fatalf("results %+v, want %+v", s.Results, tc.result)
			}
			var score [2]int
			score[tc.result.Winner] = tc.result.Points
			if s.Score != score || s.Over() || s.Winner != -1 {
				t.Errorf("score %v over %v, want %v", s.Score, s.Over(), score)
			}
			if s.Hand != 1 || s.Hakem != tc.nextHakem || s.Dealer() != (tc.nextHakem+3)%4 ||
				s.Phase != game.PhaseTrump || s.Turn != tc.nextHakem || s.Trump != game.NoSuit ||
				s.DoneN != 0 || s.Tricks != [2]int{} {
				t.Errorf("next hand: hand %d Hakem %d dealer %d phase %v turn %d, want Hakem %d", s.Hand, s.Hakem,
					s.Dealer(), s.Phase, s.Turn, tc.nextHakem)
			}
			for seat := range next {
				if s.Hands[seat] != tcSet(t, next[seat]) {
					t.Errorf("next hand seat %d: %v, want %s", seat, s.Hands[seat].Cards(), next[seat])
				}
			}
			var types []game.EventType
			for _, e := range evs {
				types = append(types, e.Type)
				if e.Type == game.EvHandEnded && (e.Result == nil || *e.Result != tc.result || e.Score != score) {
					t.Errorf("hand_ended %+v", e)
				}
				if e.Type == game.EvHandStarted && (e.Seat != tc.nextHakem || e.Dealer != (tc.nextHakem+3)%4 || e.Hand != 1) {
					t.Errorf("hand_started %+v", e)
				}
			}
			want := []game.EventType{game.EvCardPlayed, game.EvTrickWon, game.EvHandEnded, game.EvHandStarted}
			if len(types) < 4 || !reflect.DeepEqual(types[:4], want) {
				t.Errorf("events of the last card: %v", types)
			}
			// An action of the finished hand now meets the next hand's trump phase.
			if _, _, err := game.Apply(s, s.Hakem, game.PlayCard(s.Hands[s.Hakem].Cards()[0])); !errors.Is(err, game.ErrWrongPhase) {
				t.Errorf("card after the hand ended: %v, want wrong_phase", err)
			}
		})
	}
}

// TestDefaultHandStopsAtSeven: the deal of "play all tricks 12-1" under the
// default rules ends after 7 tricks with a Kot.
func TestDefaultHandStopsAtSeven(t *testing.T) {
	t.Parallel()
	tc := handCases[6]
	s := tcStart(t, game.Rules{}, tcDeal{0, tc.hands}, tcDeal{0, spsHands("SHDC")})
	s, _ = tcDo(t, s, 0, game.ChooseTrump(game.Spades))
	cards := tcCards(t, tc.plays)
	for _, c := range cards[:28] {
		s, _ = tcDo(t, s, s.Turn, game.PlayCard(c))
	}
	want := game.HandResult{Hakem: 0, Trump: game.Spades, Tricks: [2]int{7, 0}, Winner: 0, Points: 2, Kind: game.KindKot}
	if len(s.Results) != 1 || s.Results[0] != want || s.Hand != 1 || s.Phase != game.PhaseTrump {
		t.Fatalf("after 7 tricks: results %+v hand %d phase %v", s.Results, s.Hand, s.Phase)
	}
	if _, _, err := game.Apply(s, 0, game.PlayCard(cards[28])); !errors.Is(err, game.ErrWrongPhase) {
		t.Errorf("8th trick under default rules: %v, want wrong_phase", err)
	}
}

// TestOvershoot: three Kots make 6, the fourth makes 8 and ends the match.
func TestOvershoot(t *testing.T) {
	t.Parallel()
	deal := tcDeal{0, spsHands("SHDC")}
	s := tcStart(t, game.Rules{}, deal, deal, deal, deal)
	plays := kotPlays("S", [3]string{"H", "D", "C"})
	var evs []game.Event
	for hand := 0; hand < 4; hand++ {
		if s.Over() || s.Score != [2]int{2 * hand, 0} {
			t.Fatalf("before hand %d: score %v over %v", hand, s.Score, s.Over())
		}
		s, _ = tcDo(t, s, 0, game.ChooseTrump(game.Spades))
		for _, c := range tcCards(t, plays) {
			s, evs = tcDo(t, s, s.Turn, game.PlayCard(c))
		}
	}
	if !s.Over() || s.Winner != 0 || s.Score != [2]int{8, 0} || s.Turn != -1 || len(s.Results) != 4 || s.Hand != 3 {
		t.Fatalf("after 4 Kots: over %v winner %d score %v turn %d results %d hand %d", s.Over(), s.Winner, s.Score,
			s.Turn, len(s.Results), s.Hand)
	}
	last := evs[len(evs)-1]
	if last.Type != game.EvMatchEnded || last.Winner != 0 || last.Score != [2]int{8, 0} {
		t.Errorf("last event %+v", last)
	}
	for seat := 0; seat < 4; seat++ {
		if s.Hands[seat] != 0 || s.Visible(seat) != 0 || s.LegalCards(seat) != 0 || len(s.Legal(seat)) != 0 {
			t.Errorf("seat %d still holds or may play cards after the match", seat)
		}
	}
}

// TestTargetThreeEndsAtOnce: a Hakem-Kot in the first hand is 3 points, the
// whole match at target 3.
func TestTargetThreeEndsAtOnce(t *testing.T) {
	t.Parallel()
	tc := handCases[2]
	for _, target := range []int{3, 5} {
		s := tcStart(t, game.Rules{Target: target}, tcDeal{0, tc.hands}, tcDeal{1, spsHands("SHDC")})
		s, _ = tcDo(t, s, 0, game.ChooseTrump(tc.trump))
		s = tcPlays(t, s, tc.plays)
		if s.Over() != (target == 3) || s.Score != [2]int{0, 3} {
			t.Fatalf("target %d: over %v score %v", target, s.Over(), s.Score)
		}
		if target == 3 && s.Winner != 1 {
			t.Fatalf("winner %d", s.Winner)
		}
	}
}

// stateAt names a crafted position for the error table.
type stateAt string

const (
	atTrump    stateAt = "trump phase"        // spsHands("SHDC"), Hakem 0
	atLead     stateAt = "first lead"         // the same, trump S chosen, seat 0 to lead
	atFollow   stateAt = "AS led"             // deal "12-1", trump S, AS led, seat 1 (2S + diamonds) to play
	atSecond   stateAt = "second trick"       // atLead after AS 2H 2D 2C, seat 0 to lead again
	atOver     stateAt = "match over"         // target 3, Hakem-Kot in the first hand
	atNextHand stateAt = "after a hand ended" // Kot by Hakem 0, hand 2 in the trump phase
)

func errorTableState(t *testing.T, at stateAt) game.State {
	t.Helper()
	sps := tcDeal{0, spsHands("SHDC")}
	switch at {
	case atTrump:
		return tcStart(t, game.Rules{}, sps)
	case atLead:
		s, _ := tcDo(t, tcStart(t, game.Rules{}, sps), 0, game.ChooseTrump(game.Spades))
		return s
	case atFollow:
		s, _ := tcDo(t, tcStart(t, game.Rules{}, tcDeal{0, handCases[6].hands}), 0, game.ChooseTrump(game.Spades))
		return tcPlays(t, s, "AS")
	case atSecond:
		return tcPlays(t, errorTableState(t, atLead), "AS 2H 2D 2C")
	case atOver:
		s, _ := tcDo(t, tcStart(t, game.Rules{Target: 3}, sps), 0, game.ChooseTrump(game.Hearts))
		return tcPlays(t, s, handCases[2].plays)
	case atNextHand:
		s, _ := tcDo(t, tcStart(t, game.Rules{}, sps, sps), 0, game.ChooseTrump(game.Spades))
		return tcPlays(t, s, kotPlays("S", [3]string{"H", "D", "C"}))
	}
	t.Fatalf("unknown position %q", at)
	return game.State{}
}

// TestErrors is every error code, and the precedence of the codes: each case
// where several apply expects the first one of
// trump: game_over > wrong_phase > not_hakem > invalid_suit;
// card:  game_over > wrong_phase > not_your_turn > invalid_card > card_not_in_hand > must_follow_suit.
func TestErrors(t *testing.T) {
	t.Parallel()
	trump := game.ChooseTrump
	card := func(s string) game.Action {
		c, ok := game.ParseCard(s)
		if !ok && c != game.InvalidCard {
			t.Fatalf("ParseCard(%q) = %d", s, c)
		}
		return game.PlayCard(c)
	}
	for _, tc := range []struct {
		at   stateAt
		seat game.Seat
		a    game.Action
		want *game.Error
	}{
		// Trump choice.
		{atTrump, 1, trump(game.Spades), game.ErrNotHakem},
		{atTrump, 2, trump(game.Spades), game.ErrNotHakem}, // the Hakem's partner
		{atTrump, 3, trump(game.Clubs), game.ErrNotHakem},
		{atTrump, -1, trump(game.Spades), game.ErrNotHakem},
		{atTrump, 4, trump(game.Spades), game.ErrNotHakem},
		{atTrump, 0, trump(game.InvalidSuit), game.ErrInvalidSuit},
		{atTrump, 0, trump(game.NoSuit), game.ErrInvalidSuit},
		{atTrump, 0, trump(4), game.ErrInvalidSuit},
		{atTrump, 0, trump(0x80), game.ErrInvalidSuit},
		{atTrump, 1, trump(game.InvalidSuit), game.ErrNotHakem}, // not_hakem > invalid_suit
		{atLead, 0, trump(game.Hearts), game.ErrWrongPhase},
		{atLead, 0, trump(game.Spades), game.ErrWrongPhase},
		{atLead, 1, trump(game.InvalidSuit), game.ErrWrongPhase}, // wrong_phase > not_hakem > invalid_suit
		{atFollow, 2, trump(game.Hearts), game.ErrWrongPhase},
		{atOver, 1, trump(game.InvalidSuit), game.ErrGameOver}, // game_over > everything
		{atOver, 0, trump(game.Spades), game.ErrGameOver},
		// Card play.
		{atTrump, 0, card("AS"), game.ErrWrongPhase}, // the Hakem's own card before trump
		{atTrump, 1, card("10H"), game.ErrWrongPhase},
		{atTrump, 2, card("AH"), game.ErrWrongPhase},
		{atNextHand, 0, card("AS"), game.ErrWrongPhase}, // the old hand is over, the new one wants trump
		{atLead, 1, card("2H"), game.ErrNotYourTurn},
		{atLead, 2, card("AS"), game.ErrNotYourTurn},   // not_your_turn > card_not_in_hand
		{atLead, 3, card("10H"), game.ErrNotYourTurn},  // not_your_turn > invalid_card
		{atLead, -1, card("AS"), game.ErrNotYourTurn},  // spectator
		{atLead, 4, card("AS"), game.ErrNotYourTurn},   // no such seat
		{atFollow, 2, card("2H"), game.ErrNotYourTurn}, // the next seat but one
		{atFollow, 0, card("KS"), game.ErrNotYourTurn}, // the leader again
		{atLead, 0, card("10H"), game.ErrInvalidCard},
		{atLead, 0, card("as"), game.ErrInvalidCard},
		{atLead, 0, card(""), game.ErrInvalidCard},
		{atLead, 0, game.PlayCard(game.NoCard), game.ErrInvalidCard},
		{atLead, 0, game.PlayCard(52), game.ErrInvalidCard},
		{atFollow, 1, card("1S"), game.ErrInvalidCard}, // invalid_card > must_follow_suit
		{atLead, 0, card("AH"), game.ErrCardNotInHand},
		{atFollow, 1, card("AH"), game.ErrCardNotInHand}, // card_not_in_hand > must_follow_suit
		{atFollow, 1, card("AS"), game.ErrCardNotInHand}, // on the table
		{atSecond, 0, card("AS"), game.ErrCardNotInHand}, // already played
		{atFollow, 1, card("AD"), game.ErrMustFollowSuit},
		{atFollow, 1, card("3D"), game.ErrMustFollowSuit},
		{atOver, 0, card("AS"), game.ErrGameOver},
		{atOver, 1, card("10H"), game.ErrGameOver},
		{atOver, 7, card(""), game.ErrGameOver},
	} {
		s := errorTableState(t, tc.at)
		before := tcClone(s)
		got, evs, err := game.Apply(s, tc.seat, tc.a)
		var ge *game.Error
		if !errors.As(err, &ge) || ge.Code != tc.want.Code || !errors.Is(err, tc.want) {
			t.Errorf("%s: seat %d %v: error %v, want %s", tc.at, tc.seat, tc.a, err, tc.want.Code)
			continue
		}
		if evs != nil {
			t.Errorf("%s: seat %d %v: rejected action produced events %v", tc.at, tc.seat, tc.a, evs)
		}
		tcSame(t, string(tc.at)+": returned state", got, before)
		tcSame(t, string(tc.at)+": input state", s, before)
		if cerr := game.Check(&s, tc.seat, tc.a); !errors.Is(cerr, tc.want) {
			t.Errorf("%s: seat %d %v: Check = %v, want %s", tc.at, tc.seat, tc.a, cerr, tc.want.Code)
		}
		tcSame(t, string(tc.at)+": state after Check", s, before)
		if !strings.Contains(err.Error(), string(tc.want.Code)) {
			t.Errorf("error text %q lacks its code", err)
		}
	}
}

func TestErrorCodesAreStable(t *testing.T) {
	t.Parallel()
	for err, code := range map[*game.Error]string{
		game.ErrNotYourTurn: "not_your_turn", game.ErrWrongPhase: "wrong_phase", game.ErrNotHakem: "not_hakem",
		game.ErrCardNotInHand: "card_not_in_hand", game.ErrMustFollowSuit: "must_follow_suit",
		game.ErrInvalidCard: "invalid_card", game.ErrInvalidSuit: "invalid_suit", game.ErrGameOver: "game_over",
	} {
		if string(err.Code) != code {
			t.Errorf("%v has code %q, want %q", err, err.Code, code)
		}
		if errors.Is(err, game.ErrNotYourTurn) != (code == "not_your_turn") {
			t.Errorf("errors.Is matches %s with not_your_turn", code)
		}
	}
}

// expectedCode is the rules' answer to an action, written from docs/rules.md
// and the precedence of the issue, independently of the engine.
func expectedCode(s *game.State, seat game.Seat, a game.Action) game.Code {
	if s.Phase == game.PhaseOver {
		return game.CodeGameOver
	}
	if a.Kind == game.KindChooseTrump {
		switch {
		case s.Phase != game.PhaseTrump:
			return game.CodeWrongPhase
		case seat != s.Hakem:
			return game.CodeNotHakem
		case a.Suit > game.Clubs:
			return game.CodeInvalidSuit
		}
		return ""
	}
	switch {
	case s.Phase != game.PhasePlay:
		return game.CodeWrongPhase
	case seat != s.Turn:
		return game.CodeNotYourTurn
	case a.Card >= 52:
		return game.CodeInvalidCard
	case !s.Hands[seat].Has(a.Card):
		return game.CodeCardNotInHand
	}
	if s.Trick.N > 0 {
		led := s.Trick.Cards[0].Suit()
		if a.Card.Suit() != led && s.Hands[seat].OfSuit(led) != 0 {
			return game.CodeMustFollowSuit
		}
	}
	return ""
}

// TestEveryActionEveryState tries every action of every seat (and two
// non-seats) in every state of random matches: the engine's answer must be
// the rules' answer, Check must agree with Apply, and a rejected action must
// change nothing.
func TestEveryActionEveryState(t *testing.T) {
	t.Parallel()
	var actions []game.Action
	for c := game.Card(0); c < 52; c++ {
		actions = append(actions, game.PlayCard(c))
	}
	actions = append(actions, game.PlayCard(game.InvalidCard))
	for su := game.Spades; su <= game.Clubs; su++ {
		actions = append(actions, game.ChooseTrump(su))
	}
	actions = append(actions, game.ChooseTrump(game.InvalidSuit))
	rules := []game.Rules{{}, {PlayAllTricks: true, Target: 3}, {HideUntilTrump: true, RandomFirstHakem: true, Target: 5}}
	for i, r := range rules {
		s, _, err := game.NewMatch(r, uint64(77+i))
		if err != nil {
			t.Fatal(err)
		}
		states := []game.State{s}
		last := tcRandomPlay(t, s, uint64(i), 1<<20, func(st tcStep) { states = append(states, st.Next) })
		if !last.Over() {
			t.Fatal("match did not end")
		}
		for _, s := range states {
			before := tcClone(s)
			for seat := -1; seat <= 4; seat++ {
				for _, a := range actions {
					want := expectedCode(&s, seat, a)
					next, _, err := game.Apply(s, seat, a)
					cerr := game.Check(&s, seat, a)
					if !errors.Is(err, cerr) && !(err == nil && cerr == nil) {
						t.Fatalf("Check %v, Apply %v", cerr, err)
					}
					if want == "" {
						if err != nil {
							t.Fatalf("phase %v seat %d %v: %v, want it accepted", s.Phase, seat, a, err)
						}
						continue
					}
					var ge *game.Error
					if !errors.As(err, &ge) || ge.Code != want {
						t.Fatalf("phase %v turn %d seat %d %v: %v, want %s", s.Phase, s.Turn, seat, a, err, want)
					}
					if next.Phase != before.Phase || next.Turn != before.Turn || next.Hands != before.Hands ||
						next.Trick != before.Trick || next.Tricks != before.Tricks || next.Score != before.Score ||
						len(next.Results) != len(before.Results) {
						t.Fatalf("rejected %v changed the state", a)
					}
				}
			}
			tcSame(t, "state after trying every action", s, before)
		}
	}
}

// TestApplyDoesNotMutate keeps every state of random matches with a deep
// copy taken at once, and compares them all at the end: no later Apply may
// have written into an earlier state (Results shared across hands included).
func TestApplyDoesNotMutate(t *testing.T) {
	t.Parallel()
	for i, r := range tcAllRules()[:16] {
		var s game.State
		var err error
		if i%2 == 0 {
			s, _, err = game.NewMatch(r, uint64(i))
		} else {
			decks := make([]game.Deck, 13)
			for h := range decks {
				decks[h] = game.DeckFor(uint64(i), h)
			}
			s, _, err = game.NewMatchFromDecks(r, i%4, decks)
		}
		if err != nil {
			t.Fatal(err)
		}
		kept := []game.State{s}
		copies := []game.State{tcClone(s)}
		tcRandomPlay(t, s, uint64(i), 1<<20, func(st tcStep) {
			kept = append(kept, st.Next)
			copies = append(copies, tcClone(st.Next))
		})
		for j := range kept {
			tcSame(t, "kept state", kept[j], copies[j])
		}
	}
}

// TestResultsNotShared branches two different continuations from one state
// whose Results slice has spare capacity: neither may see the other's hands.
func TestResultsNotShared(t *testing.T) {
	t.Parallel()
	s, _, err := game.NewMatch(game.Rules{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for len(s.Results) == 0 { // to the start of the second hand
		s = tcRandomPlay(t, s, 1, 1, nil)
	}
	// Give Results spare capacity, as a decoder or a caller might.
	s.Results = append(make([]game.HandResult, 0, 16), s.Results...)
	base := tcClone(s)
	var ends []game.State
	for seed := uint64(10); seed < 14; seed++ {
		e := s
		for len(e.Results) < 2 && !e.Over() {
			e = tcRandomPlay(t, e, seed, 1, nil)
		}
		ends = append(ends, e)
	}
	var copies []game.State
	for _, e := range ends {
		copies = append(copies, tcClone(e))
	}
	for seed := uint64(20); seed < 24; seed++ { // more branches after the copies
		e := s
		for len(e.Results) < 2 && !e.Over() {
			e = tcRandomPlay(t, e, seed, 1, nil)
		}
	}
	tcSame(t, "branch point", s, base)
	for i := range ends {
		tcSame(t, "branch end", ends[i], copies[i])
	}
}
