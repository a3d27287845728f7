package game

// Property tests: many seeded matches played by random-legal players, every
// step checked against the engine's invariants and against the naive model
// of naive_test.go run in lockstep.
//
// HOKM_PROPERTY_MATCHES sets the number of matches (default 10000);
// HOKM_PROPERTY_SEED the first seed (default 1).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
)

const (
	propDefaultMatches = 10000
	propRecordEvery    = 50 // every 50th match also checks views, encoding and its record
	propMaxSteps       = 13 * 60
)

func propEnvUint(t *testing.T, name string, def uint64) uint64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// propAllRules is every option combination with every target (0 means 7).
func propAllRules() []Rules {
	var out []Rules
	for _, target := range []int{0, 3, 5, 7} {
		for flags := 0; flags < 8; flags++ {
			out = append(out, Rules{Target: target, PlayAllTricks: flags&1 != 0, HideUntilTrump: flags&2 != 0, RandomFirstHakem: flags&4 != 0})
		}
	}
	return out
}

func propRulesName(r Rules) string {
	name := fmt.Sprintf("target%d", r.Target)
	for _, o := range []struct {
		on   bool
		name string
	}{{r.PlayAllTricks, "all13"}, {r.HideUntilTrump, "hide"}, {r.RandomFirstHakem, "randomhakem"}} {
		if o.on {
			name += "_" + o.name
		}
	}
	return name
}

// propStats is what a set of matches covered.
type propStats struct {
	Matches, Hands, Actions, Records int
	Kinds                            map[string]int
	Codes                            map[string]int
	TeamWins                         [2]int
	Ended                            map[int]int // matches ended, by target points
	HakemPassed                      int
}

func (p *propStats) add(q *propStats) {
	p.Matches += q.Matches
	p.Hands += q.Hands
	p.Actions += q.Actions
	p.Records += q.Records
	p.HakemPassed += q.HakemPassed
	p.TeamWins[0] += q.TeamWins[0]
	p.TeamWins[1] += q.TeamWins[1]
	for _, m := range []struct{ to, from map[string]int }{{p.Kinds, q.Kinds}, {p.Codes, q.Codes}} {
		for k, v := range m.from {
			m.to[k] += v
		}
	}
	for k, v := range q.Ended {
		p.Ended[k] += v
	}
}

func propNewStats() *propStats {
	return &propStats{Kinds: map[string]int{}, Codes: map[string]int{}, Ended: map[int]int{}}
}

func TestPropertyRandomMatches(t *testing.T) {
	total := int(propEnvUint(t, "HOKM_PROPERTY_MATCHES", propDefaultMatches))
	base := propEnvUint(t, "HOKM_PROPERTY_SEED", 1)
	all := propAllRules()
	per := (total + len(all) - 1) / len(all)
	t.Logf("%d matches: %d for each of %d option combinations, seeds from %d", per*len(all), per, len(all), base)

	var mu sync.Mutex
	sum := propNewStats()
	t.Run("rules", func(t *testing.T) {
		for i, r := range all {
			t.Run(propRulesName(r), func(t *testing.T) {
				t.Parallel()
				st := propNewStats()
				for m := 0; m < per; m++ {
					seed := base + uint64(i)<<32 + uint64(m)
					propPlayMatch(t, r, seed, m%propRecordEvery == 0, st)
				}
				mu.Lock()
				sum.add(st)
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	t.Logf("covered: %d matches, %d hands, %d actions, %d records; kinds %v; rejected %v; wins %v; ended by target %v; Hakem passed %d times",
		sum.Matches, sum.Hands, sum.Actions, sum.Records, sum.Kinds, sum.Codes, sum.TeamWins, sum.Ended, sum.HakemPassed)
	// The random players must really reach every outcome the checks are about.
	if sum.Matches != per*len(all) {
		t.Errorf("played %d matches, want %d", sum.Matches, per*len(all))
	}
	for _, k := range []string{"normal", "kot", "hakem_kot"} {
		if sum.Kinds[k] == 0 && total >= 1000 {
			t.Errorf("no hand of kind %s in %d matches", k, total)
		}
	}
	for _, c := range []Code{CodeNotYourTurn, CodeWrongPhase, CodeNotHakem, CodeCardNotInHand, CodeMustFollowSuit, CodeInvalidCard, CodeInvalidSuit, CodeGameOver} {
		if sum.Codes[string(c)] == 0 {
			t.Errorf("no illegal action was rejected with %s", c)
		}
	}
	for _, target := range []int{3, 5, 7} {
		if sum.Ended[target] == 0 {
			t.Errorf("no match to %d ended", target)
		}
	}
	if sum.TeamWins[0] == 0 || sum.TeamWins[1] == 0 || sum.HakemPassed == 0 {
		t.Errorf("wins %v, Hakem passed %d times: the random players do not cover the game", sum.TeamWins, sum.HakemPassed)
	}
}

// propRun is one match being played and checked.
type propRun struct {
	t      *testing.T
	rules  Rules
	seed   uint64
	rng    *rand.Rand
	s      State
	nm     *naiveMatch
	step   int
	sample bool
	stats  *propStats

	first        Seat
	dealt        [4]CardSet // what each seat was dealt this hand
	played       CardSet    // cards played this hand
	trickWinners []Seat     // every trick winner of the match, from the events

	// Sampled matches keep their record and the first illegal action that a
	// record can hold.
	actions []RecordAction
	bad     *propBad
}

type propBad struct {
	index   int
	action  RecordAction
	code    string
	results []HandResult
	score   [2]int
	over    bool
}

func (r *propRun) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s seed %d step %d: %s", propRulesName(r.rules), r.seed, r.step, fmt.Sprintf(format, args...))
}

// propPlayMatch plays one match with random legal moves and checks it.
func propPlayMatch(t *testing.T, rules Rules, seed uint64, sample bool, stats *propStats) {
	r := &propRun{t: t, rules: rules, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x70726f70)), sample: sample, stats: stats}
	s, evs, err := NewMatch(rules, seed)
	if err != nil {
		r.fatalf("NewMatch: %v", err)
	}
	r.s = s
	r.start(evs)
	for !r.s.Over() {
		if r.step++; r.step > propMaxSteps {
			r.fatalf("match not over after %d actions", propMaxSteps)
		}
		r.lockstep()
		if r.rng.IntN(8) == 0 {
			r.tryIllegal()
		}
		actor := r.s.Turn
		legal := r.s.Legal(actor)
		r.apply(actor, legal[r.rng.IntN(len(legal))])
	}
	r.finish()
}

// start checks the new match: first Hakem, the draw, the first deal, events.
func (r *propRun) start(evs []Event) {
	s := &r.s
	var draw []Card
	if r.rules.RandomFirstHakem {
		r.first = FirstHakem(r.rules, r.seed)
	} else {
		draw = HakemDraw(r.seed)
		names := make([]string, len(draw))
		for i, c := range draw {
			names[i] = naiveNames[c]
			if (c.Rank() == 14) != (i == len(draw)-1) {
				r.fatalf("draw %v: the first ace must end it", draw)
			}
		}
		r.first = naiveFirstHakem(names)
	}
	if r.first < 0 || r.first > 3 || s.FirstHakem != r.first || s.Hakem != r.first {
		r.fatalf("first Hakem %d (state %d, %d)", r.first, s.FirstHakem, s.Hakem)
	}
	r.nm = naiveNewMatch(r.rules.Target, r.rules.PlayAllTricks, r.rules.HideUntilTrump, r.first,
		func(h int) []string { return naiveDeckNames(r.s.DeckOf(h)) })
	if err := s.Validate(); err != nil {
		r.fatalf("new match: %v", err)
	}
	if len(evs) < 2 || evs[0].Type != EvMatchStarted || evs[0].To != Everyone || evs[0].Seat != r.first || !slices.Equal(evs[0].Cards, draw) {
		r.fatalf("match_started event %+v (draw %v)", evs, draw)
	}
	r.checkDealEvents(evs[1:], 0)
	r.checkDeal()
}

// checkDeal checks a fresh deal: every card dealt exactly once, 13 each,
// the same hands and first fives as the naive model.
func (r *propRun) checkDeal() {
	s, nm := &r.s, r.nm
	if nm.Problem != "" {
		r.fatalf("hand %d deck: %s", s.Hand, nm.Problem)
	}
	var all CardSet
	for seat := 0; seat < 4; seat++ {
		h := s.Hands[seat]
		if h.Len() != 13 || all&h != 0 || s.FirstFive[seat].Len() != 5 || s.FirstFive[seat]&^h != 0 {
			r.fatalf("hand %d: seat %d dealt %v (first five %v)", s.Hand, seat, h.Cards(), s.FirstFive[seat].Cards())
		}
		all |= h
		if !naiveSameCards(nm.Hands[seat], h) || !naiveSameCards(nm.FirstFive[seat], s.FirstFive[seat]) {
			r.fatalf("hand %d: seat %d dealt %v first five %v, naive %v %v", s.Hand, seat, h.Cards(), s.FirstFive[seat].Cards(), nm.Hands[seat], nm.FirstFive[seat])
		}
		if !naiveSameCards(nm.Visible(seat), s.Visible(seat)) {
			r.fatalf("hand %d: seat %d sees %v before trump, naive %v", s.Hand, seat, s.Visible(seat).Cards(), nm.Visible(seat))
		}
	}
	if all != FullDeck {
		r.fatalf("hand %d: dealt %d cards", s.Hand, all.Len())
	}
	r.dealt, r.played = s.Hands, 0
}

// checkDealEvents checks hand_started and the private cards_dealt events.
func (r *propRun) checkDealEvents(evs []Event, hand int) {
	nm := r.nm
	if len(evs) == 0 || evs[0].Type != EvHandStarted || evs[0].To != Everyone || evs[0].Hand != hand ||
		evs[0].Seat != nm.Hakem || evs[0].Dealer != (nm.Hakem+3)%4 {
		r.fatalf("hand_started %+v, want hand %d Hakem %d", evs, hand, nm.Hakem)
	}
	r.checkCardsDealt(evs[1:], hand)
}

// checkCardsDealt checks that evs is exactly one private cards_dealt for each
// seat that may see cards now, with exactly those cards.
func (r *propRun) checkCardsDealt(evs []Event, hand int) {
	i := 0
	for seat := 0; seat < 4; seat++ {
		want := r.nm.Visible(seat)
		if len(want) == 0 {
			continue
		}
		if i >= len(evs) {
			r.fatalf("no cards_dealt for seat %d", seat)
		}
		e := evs[i]
		i++
		if e.Type != EvCardsDealt || e.To != seat || e.Seat != seat || e.Hand != hand || !naiveSameCards(want, SetOf(e.Cards...)) || len(e.Cards) != len(want) {
			r.fatalf("cards_dealt %+v, want seat %d cards %v", e, seat, want)
		}
	}
	if i != len(evs) {
		r.fatalf("extra events %+v", evs[i:])
	}
}

// lockstep compares the engine and the naive model before an action.
func (r *propRun) lockstep() {
	s, nm := &r.s, r.nm
	if s.Phase.String() != nm.Phase || s.Hand != nm.HandNo || s.Hakem != nm.Hakem || s.Trump.String() != nm.Trump ||
		s.Turn != nm.Turn || s.Tricks != nm.Tricks || s.Score != nm.Score || len(s.Results) != len(nm.Results) ||
		s.Trick.Leader != nm.Leader || s.Trick.N != len(nm.Trick) || s.DoneN != len(nm.TrickWinners) || s.Dealer() != (nm.Hakem+3)%4 {
		r.fatalf("engine %s hand %d Hakem %d trump %q turn %d tricks %v score %v leader %d n %d done %d; naive %s hand %d Hakem %d trump %q turn %d tricks %v score %v leader %d n %d done %d",
			s.Phase, s.Hand, s.Hakem, s.Trump, s.Turn, s.Tricks, s.Score, s.Trick.Leader, s.Trick.N, s.DoneN,
			nm.Phase, nm.HandNo, nm.Hakem, nm.Trump, nm.Turn, nm.Tricks, nm.Score, nm.Leader, len(nm.Trick), len(nm.TrickWinners))
	}
	for seat := 0; seat < 4; seat++ {
		if !naiveSameCards(nm.LegalCards(seat), s.LegalCards(seat)) {
			r.fatalf("seat %d may play %v, naive %v (hand %v, trick %v)", seat, s.LegalCards(seat).Cards(), nm.LegalCards(seat), nm.Hands[seat], nm.Trick)
		}
	}
	if s.Phase == PhaseTrump {
		for seat := 0; seat < 4; seat++ {
			legal := s.Legal(seat)
			want := 0
			if seat == nm.Hakem {
				want = 4
			}
			if len(legal) != want {
				r.fatalf("seat %d has %d legal actions in the trump phase", seat, len(legal))
			}
			for i, a := range legal {
				if a != ChooseTrump(Suit(i)) {
					r.fatalf("Hakem's legal actions %v", legal)
				}
			}
		}
	} else if s.Phase == PhasePlay && !naiveSameCards(nm.Hands[s.Turn], s.Hands[s.Turn]) {
		r.fatalf("seat %d holds %v, naive %v", s.Turn, s.Hands[s.Turn].Cards(), nm.Hands[s.Turn])
	}
	if r.sample {
		r.checkViews()
		r.checkEncoding()
	}
}

// apply applies a legal action to both models and checks the step.
func (r *propRun) apply(seat Seat, a Action) {
	prev := r.s
	next, evs, err := Apply(prev, seat, a)
	if err != nil {
		r.fatalf("legal action %v by %d rejected: %v", a, seat, err)
	}
	na := naiveFromEngineAction(seat, a)
	if code := r.nm.Step(na); code != "" {
		r.fatalf("engine accepted %v by %d, naive says %s", a, seat, code)
	}
	if err := next.Validate(); err != nil {
		r.fatalf("after %v by %d: %v", a, seat, err)
	}
	r.s = next
	r.stats.Actions++
	if r.sample {
		r.actions = append(r.actions, propRecordAction(na))
	}
	r.checkEvents(seat, a, &prev, evs)
	if len(next.Results) != len(prev.Results) {
		r.checkSiblings(seat, &prev)
	}
}

// checkSiblings applies every legal action again to the
// state before a hand ended. Apply must change neither that state nor the
// one already made from it; and two states made from one must not share the
// array of their last result, or a second Apply from the same state (a
// retry, another seat's attempt) would overwrite the first one's result.
func (r *propRun) checkSiblings(seat Seat, prev *State) {
	results := slices.Clone(r.s.Results)
	before := *prev
	before.Results = slices.Clone(prev.Results)
	for _, other := range prev.Legal(seat) {
		sib, _, err := Apply(*prev, seat, other)
		if err != nil {
			r.fatalf("legal %v rejected: %v", other, err)
		}
		if n := len(results) - 1; len(sib.Results) == len(results) && &sib.Results[n] == &r.s.Results[n] {
			r.fatalf("two states made from one share the storage of their last hand result")
		}
	}
	if !slices.Equal(r.s.Results, results) || !propSameState(prev, &before) {
		r.fatalf("applying other actions to the same state changed it or its successor: results %v, were %v", r.s.Results, results)
	}
}

// checkEvents checks the events of an accepted action, with the engine's own
// invariants (a hand ends exactly at 7 tricks, or 13 with play_all_tricks;
// scores grow by 1, 2 or 3; the match ends exactly at the target) and against
// the naive model.
func (r *propRun) checkEvents(seat Seat, a Action, prev *State, evs []Event) {
	s, nm, last := &r.s, r.nm, r.nm.Last
	if len(evs) == 0 {
		r.fatalf("no events for %v", a)
	}
	e := evs[0]
	if a.Kind == KindChooseTrump {
		if e.Type != EvTrumpChosen || e.To != Everyone || e.Hand != prev.Hand || e.Seat != seat || e.Suit != a.Suit {
			r.fatalf("trump_chosen %+v for %v", e, a)
		}
		if s.Score != prev.Score {
			r.fatalf("score %v -> %v on a trump choice", prev.Score, s.Score)
		}
		r.checkCardsDealt(evs[1:], prev.Hand)
		return
	}
	if e.Type != EvCardPlayed || e.To != Everyone || e.Hand != prev.Hand || e.Seat != seat || e.Card != a.Card {
		r.fatalf("card_played %+v for %v by %d", e, a, seat)
	}
	if !r.dealt[seat].Has(a.Card) || r.played.Has(a.Card) {
		r.fatalf("%v by %d: not dealt to it, or played twice", a, seat)
	}
	r.played = r.played.Add(a.Card)
	evs = evs[1:]
	if prev.Trick.N < 3 {
		if len(evs) != 0 || last.TrickDone {
			r.fatalf("card %d of a trick: events %+v, naive trick done %v", prev.Trick.N+1, evs, last.TrickDone)
		}
		if s.Score != prev.Score || s.Tricks != prev.Tricks {
			r.fatalf("score or tricks changed mid-trick")
		}
		return
	}
	// The trick is complete.
	if len(evs) == 0 || !last.TrickDone {
		r.fatalf("fourth card: events %+v, naive trick done %v", evs, last.TrickDone)
	}
	e = evs[0]
	evs = evs[1:]
	var cards [4]string
	for i, c := range e.Cards {
		if i < 4 {
			cards[i] = naiveNames[c]
		}
	}
	if e.Type != EvTrickWon || e.To != Everyone || e.Hand != prev.Hand || len(e.Cards) != 4 || cards != last.TrickCards ||
		e.Leader != prev.Trick.Leader || e.Leader != last.TrickLeader || e.Seat != last.TrickWinner || e.Tricks != last.TricksAfter {
		r.fatalf("trick_won %+v, naive leader %d cards %v winner %d tricks %v", e, last.TrickLeader, last.TrickCards, last.TrickWinner, last.TricksAfter)
	}
	if e.Cards[3] != a.Card || !slices.Equal(e.Cards[:3], prev.Trick.Cards[:3]) {
		r.fatalf("trick_won cards %v, table %v + %v", e.Cards, prev.Trick.Cards, a.Card)
	}
	r.trickWinners = append(r.trickWinners, e.Seat)
	tr := e.Tricks
	if tr[0]+tr[1] != prev.DoneN+1 || tr[Team(e.Seat)] != prev.Tricks[Team(e.Seat)]+1 {
		r.fatalf("tricks %v after %v", tr, prev.Tricks)
	}
	handOver := tr[0] == 7 || tr[1] == 7
	if r.rules.PlayAllTricks {
		handOver = tr[0]+tr[1] == 13
	}
	if !handOver {
		if len(evs) != 0 || last.HandDone || s.Score != prev.Score {
			r.fatalf("hand goes on at tricks %v: events %+v, naive hand done %v", tr, evs, last.HandDone)
		}
		if w := s.Done[s.DoneN-1].Winner; w != last.TrickWinner || s.Trick.Leader != w || s.Turn != w {
			r.fatalf("trick winner %d leads %d, turn %d; naive winner %d", w, s.Trick.Leader, s.Turn, last.TrickWinner)
		}
		return
	}
	// The hand is over: exactly 7 for the winner (at most 13 played), or 13 played.
	if len(evs) == 0 || !last.HandDone {
		r.fatalf("hand over at tricks %v: events %+v, naive hand done %v", tr, evs, last.HandDone)
	}
	e = evs[0]
	evs = evs[1:]
	if e.Type != EvHandEnded || e.To != Everyone || e.Hand != prev.Hand || e.Result == nil || naiveFromEngine(*e.Result) != last.Result || e.Score != s.Score || s.Score != nm.Score {
		r.fatalf("hand_ended %+v result %+v, naive %+v score %v", e, e.Result, last.Result, nm.Score)
	}
	res := *e.Result
	if res.Tricks != tr || res.Hakem != prev.Hakem || res.Trump != prev.Trump || res.Tricks[res.Winner] < 7 {
		r.fatalf("result %+v at tricks %v Hakem %d trump %v", res, tr, prev.Hakem, prev.Trump)
	}
	if !r.rules.PlayAllTricks && res.Tricks[res.Winner] != 7 {
		r.fatalf("hand won with %d tricks", res.Tricks[res.Winner])
	}
	var gain [2]int
	gain[res.Winner] = res.Points
	if res.Points < 1 || res.Points > 3 || s.Score[0] != prev.Score[0]+gain[0] || s.Score[1] != prev.Score[1]+gain[1] {
		r.fatalf("score %v -> %v for %+v", prev.Score, s.Score, res)
	}
	if len(s.Results) != len(prev.Results)+1 || s.Results[len(prev.Results)] != res || !slices.Equal(s.Results[:len(prev.Results)], prev.Results) {
		r.fatalf("results %v after %v + %+v", s.Results, prev.Results, res)
	}
	for i, nr := range nm.Results {
		if naiveFromEngine(s.Results[i]) != nr {
			r.fatalf("result %d is %+v, naive %+v", i, s.Results[i], nr)
		}
	}
	// Every card of the hand was dealt once: played now, or still held.
	remaining := prev.Hands[0] | prev.Hands[1] | prev.Hands[2] | prev.Hands[3]
	if remaining.Remove(a.Card)&r.played != 0 || remaining.Remove(a.Card)|r.played != FullDeck {
		r.fatalf("hand end: %d cards played, %d held", r.played.Len(), remaining.Len()-1)
	}
	r.stats.Hands++
	r.stats.Kinds[string(res.Kind)]++
	target := r.rules.TargetPoints()
	if prev.Score[0] >= target || prev.Score[1] >= target {
		r.fatalf("match went on at score %v", prev.Score)
	}
	if s.Score[res.Winner] >= target {
		if len(evs) != 1 || !last.MatchDone {
			r.fatalf("target %d reached at %v: events %+v, naive over %v", target, s.Score, evs, last.MatchDone)
		}
		e = evs[0]
		if e.Type != EvMatchEnded || e.To != Everyone || e.Hand != prev.Hand || e.Winner != res.Winner || e.Score != s.Score ||
			!s.Over() || s.Winner != res.Winner || nm.Winner != res.Winner {
			r.fatalf("match_ended %+v, state over %v winner %d, naive winner %d", e, s.Over(), s.Winner, nm.Winner)
		}
		return
	}
	if last.MatchDone || s.Over() {
		r.fatalf("match over at %v below target %d", s.Score, target)
	}
	nextHakem := prev.Hakem
	if res.Winner != Team(prev.Hakem) {
		nextHakem = Next(prev.Hakem)
		r.stats.HakemPassed++
	}
	if s.Hakem != nextHakem || nm.Hakem != nextHakem || s.Dealer() != Prev(nextHakem) || s.Hand != prev.Hand+1 || s.Phase != PhaseTrump || s.Turn != nextHakem {
		r.fatalf("next hand %d Hakem %d (naive %d), want hand %d Hakem %d", s.Hand, s.Hakem, nm.Hakem, prev.Hand+1, nextHakem)
	}
	r.checkDealEvents(evs, s.Hand)
	r.checkDeal()
}

// tryIllegal makes a random illegal action and checks the engine rejects it
// with the naive model's code and changes nothing.
func (r *propRun) tryIllegal() {
	s, rng := &r.s, r.rng
	actor := s.Turn
	pick := func(set CardSet) (Card, bool) {
		cards := set.Cards()
		if len(cards) == 0 {
			return 0, false
		}
		return cards[rng.IntN(len(cards))], true
	}
	plausible := func() Action {
		if s.Phase == PhaseTrump {
			return ChooseTrump(Suit(rng.IntN(4)))
		}
		return PlayCard(s.Hands[actor].Cards()[rng.IntN(s.Hands[actor].Len())])
	}
	for try := 0; try < 20; try++ {
		seat, a := actor, Action{}
		switch rng.IntN(9) {
		case 0: // another seat
			seat = (actor + 1 + rng.IntN(3)) % 4
			a = plausible()
			if c, ok := pick(s.Visible(seat)); ok && rng.IntN(2) == 0 {
				a = PlayCard(c)
			}
		case 1: // no seat at all
			seat = []Seat{-1, 4, 7, 255, -1 << 20}[rng.IntN(5)]
			a = plausible()
		case 2: // the other phase's action
			if s.Phase == PhasePlay {
				a = ChooseTrump(Suit(rng.IntN(4)))
			} else {
				c, _ := pick(s.FirstFive[actor])
				a = PlayCard(c)
			}
		case 3: // not a card
			a = PlayCard(Card(52 + rng.IntN(204)))
		case 4: // not a suit
			a = ChooseTrump(Suit(4 + rng.IntN(252)))
		case 5: // another seat's card
			c, ok := pick(FullDeck &^ s.Hands[actor] &^ s.Played())
			if !ok {
				continue
			}
			a = PlayCard(c)
		case 6: // a card already played this hand
			c, ok := pick(s.Played())
			if !ok {
				continue
			}
			a = PlayCard(c)
		case 7: // not following suit
			if s.Phase != PhasePlay || s.Trick.N == 0 {
				continue
			}
			h := s.Hands[actor]
			c, ok := pick(h &^ h.OfSuit(s.Trick.Cards[0].Suit()))
			if !ok || h.OfSuit(s.Trick.Cards[0].Suit()) == 0 {
				continue
			}
			a = PlayCard(c)
		case 8: // no such kind of action
			a = Action{Kind: ActionKind([]int{0, 3, 255}[rng.IntN(3)]), Suit: Suit(rng.IntN(256)), Card: Card(rng.IntN(256))}
		}
		code := r.nm.Check(naiveFromEngineAction(seat, a))
		if code == "" {
			continue // legal after all
		}
		r.reject(seat, a, code)
		return
	}
}

// reject checks that the engine refuses a with code and changes nothing.
func (r *propRun) reject(seat Seat, a Action, code string) {
	s := &r.s
	next, evs, err := Apply(*s, seat, a)
	if ge, ok := err.(*Error); !ok || string(ge.Code) != code {
		r.fatalf("%+v by %d: error %v, want %s", a, seat, err, code)
	}
	if evs != nil || !propSameState(&next, s) {
		r.fatalf("%+v by %d rejected with %s but changed the state or sent %+v", a, seat, code, evs)
	}
	if cerr := Check(s, seat, a); cerr != err {
		r.fatalf("Check says %v, Apply %v", cerr, err)
	}
	r.stats.Codes[code]++
	if r.sample && r.bad == nil && seat >= 0 && seat <= 3 && (a.Kind == KindChooseTrump || a.Kind == KindPlayCard) {
		r.bad = &propBad{index: len(r.actions), action: propRecordAction(naiveFromEngineAction(seat, a)), code: code, results: slices.Clone(s.Results), score: s.Score, over: s.Over()}
	}
}

// finish checks the end of the match.
func (r *propRun) finish() {
	s, nm := &r.s, r.nm
	r.lockstep()
	target := r.rules.TargetPoints()
	w := s.Winner
	if w != 0 && w != 1 || w != nm.Winner || s.Score[w] < target || s.Score[1-w] >= target || s.Turn != -1 {
		r.fatalf("over: winner %d (naive %d) score %v target %d", w, nm.Winner, s.Score, target)
	}
	if len(s.Results) != len(nm.Results) || s.Hand != len(s.Results)-1 {
		r.fatalf("%d results (naive %d) for hand %d", len(s.Results), len(nm.Results), s.Hand)
	}
	if !slices.Equal(r.trickWinners, nm.AllWinners) {
		r.fatalf("trick winners %v, naive %v", r.trickWinners, nm.AllWinners)
	}
	// Nothing is accepted any more.
	after := []Action{ChooseTrump(Suit(r.rng.IntN(4))), PlayCard(Card(r.rng.IntN(52))), ChooseTrump(InvalidSuit), PlayCard(InvalidCard), {}}
	for seat := -1; seat <= 4; seat++ {
		if seat >= 0 && seat <= 3 && (len(s.Legal(seat)) != 0 || s.Visible(seat) != 0) {
			r.fatalf("seat %d may still act or see %v", seat, s.Visible(seat).Cards())
		}
		r.reject(seat, after[r.rng.IntN(len(after))], string(CodeGameOver))
	}
	if r.sample {
		r.checkViews()
		r.checkEncoding()
		r.checkRecord()
	}
	r.stats.Matches++
	r.stats.TeamWins[w]++
	r.stats.Ended[target]++
}

// checkViews checks every seat's and a spectator's view against the model.
func (r *propRun) checkViews() {
	s, nm := &r.s, r.nm
	for seat := -1; seat < 4; seat++ {
		v := ViewFor(s, seat)
		if v.Seat != seat || v.Phase != nm.Phase || v.Hand != nm.HandNo || v.Hakem != nm.Hakem || v.Dealer != (nm.Hakem+3)%4 ||
			v.Turn != nm.Turn || v.Trump.String() != nm.Trump || v.Score != nm.Score || v.Tricks != nm.Tricks || len(v.Results) != len(nm.Results) {
			r.fatalf("view of %d: %+v", seat, v)
		}
		if (v.Winner != nil) != (nm.Winner >= 0) || v.Winner != nil && *v.Winner != nm.Winner {
			r.fatalf("view of %d: winner %v, naive %d", seat, v.Winner, nm.Winner)
		}
		if !naiveSameCards(nm.Visible(seat), SetOf(v.Cards...)) || len(v.Cards) != len(nm.Visible(seat)) ||
			!naiveSameCards(nm.LegalCards(seat), SetOf(v.Legal...)) || len(v.Legal) != len(nm.LegalCards(seat)) {
			r.fatalf("view of %d: cards %v legal %v; naive %v %v", seat, v.Cards, v.Legal, nm.Visible(seat), nm.LegalCards(seat))
		}
		if len(v.Trick.Plays) != len(nm.Trick) || len(v.Done) != len(nm.TrickWinners) {
			r.fatalf("view of %d: trick %+v done %d; naive %v %d", seat, v.Trick, len(v.Done), nm.Trick, len(nm.TrickWinners))
		}
		for i, p := range v.Trick.Plays {
			if p.Seat != (nm.Leader+i)%4 || naiveNames[p.Card] != nm.Trick[i] {
				r.fatalf("view of %d: trick %+v, naive %v from %d", seat, v.Trick, nm.Trick, nm.Leader)
			}
		}
		for i, d := range v.Done {
			if d.Winner == nil || *d.Winner != nm.TrickWinners[i] || len(d.Plays) != 4 {
				r.fatalf("view of %d: done trick %d %+v, naive winner %d", seat, i, d, nm.TrickWinners[i])
			}
		}
	}
}

// checkEncoding checks that the state survives MarshalBinary/UnmarshalBinary.
func (r *propRun) checkEncoding() {
	b, err := r.s.MarshalBinary()
	if err != nil {
		r.fatalf("marshal: %v", err)
	}
	var u State
	if err := u.UnmarshalBinary(b); err != nil {
		r.fatalf("unmarshal: %v", err)
	}
	if !propSameState(&u, &r.s) {
		r.fatalf("state changed through the encoding:\n%+v\n%+v", u, r.s)
	}
}

// propRecordAction is a (trump or card) action as a record holds it.
func propRecordAction(a naiveAction) RecordAction {
	seat, value := a.Seat, a.Value
	if a.Kind == "trump" {
		return RecordAction{Seat: &seat, Trump: &value}
	}
	return RecordAction{Seat: &seat, Card: &value}
}

// propRecordOf is the record of a played match.
func propRecordOf(rules Rules, first Seat, seed uint64, s *State, actions []RecordAction) Record {
	rec := Record{Rules: &rules, Actions: actions}
	if rules.RandomFirstHakem {
		rec.FirstHakem = &first
	} else {
		for _, c := range HakemDraw(seed) {
			rec.Draw = append(rec.Draw, c.String())
		}
	}
	for h := 0; h <= s.Hand; h++ {
		rec.Deals = append(rec.Deals, naiveDeckNames(s.DeckOf(h)))
	}
	return rec
}

// checkRecord replays the match's record, and the same record with the
// first illegal action put back in, through ParseRecord/Replay, ReplayJSON
// and the naive model.
func (r *propRun) checkRecord() {
	s := &r.s
	rec := propRecordOf(r.rules, r.first, r.seed, s, r.actions)
	b, err := json.Marshal(rec)
	if err != nil {
		r.fatalf("record: %v", err)
	}
	parsed, err := ParseRecord(b)
	if err != nil {
		r.fatalf("ParseRecord: %v\n%s", err, b)
	}
	st, res, err := parsed.Replay()
	if err != nil || !res.OK || res.Error != nil {
		r.fatalf("Replay: %v %+v", err, res)
	}
	live, replayed := *s, st
	live.Seed, live.Decks, replayed.Seed, replayed.Decks = 0, nil, 0, nil
	if !propSameState(&live, &replayed) {
		r.fatalf("replayed state differs:\n%+v\n%+v", st, *s)
	}
	if !slices.Equal(res.Hands, s.Results) || res.Score != s.Score || !res.Over || res.Winner == nil || *res.Winner != s.Winner {
		r.fatalf("replay result %+v, live results %v score %v winner %d", res, s.Results, s.Score, s.Winner)
	}
	res2, status := ReplayJSON(bytes.NewReader(b))
	if status != 0 || !reflect.DeepEqual(res2, res) {
		r.fatalf("ReplayJSON status %d %+v, want 0 %+v", status, res2, res)
	}
	if n := naiveReplay(parsed); n.Status != 0 || n.Score != s.Score || !n.Over || n.Winner != s.Winner || len(n.Hands) != len(s.Results) {
		r.fatalf("naive replay %+v", n)
	}
	r.stats.Records++
	if r.bad == nil {
		return
	}
	bad := r.bad
	rec.Actions = slices.Concat(r.actions[:bad.index], []RecordAction{bad.action}, r.actions[bad.index:])
	b, err = json.Marshal(rec)
	if err != nil {
		r.fatalf("record: %v", err)
	}
	res, status = ReplayJSON(bytes.NewReader(b))
	if status != 1 || res.OK || res.Error == nil || res.Error.Index == nil || *res.Error.Index != bad.index || res.Error.Code != bad.code ||
		!slices.Equal(res.Hands, bad.results) || res.Score != bad.score || res.Over != bad.over || (res.Winner != nil) != bad.over {
		r.fatalf("record with %s at %d: status %d %+v (error %+v)", bad.code, bad.index, status, res, res.Error)
	}
	parsed, err = ParseRecord(b)
	if err != nil {
		r.fatalf("ParseRecord: %v", err)
	}
	if n := naiveReplay(parsed); n.Status != 1 || n.ErrIndex != bad.index || n.ErrCode != bad.code || n.Score != bad.score || n.Over != bad.over || len(n.Hands) != len(bad.results) {
		r.fatalf("naive replay %+v, want error %s at %d", n, bad.code, bad.index)
	}
	r.stats.Records++
}

// propRandomMatch plays a whole match with random legal moves (no checks)
// and returns its last state and its actions as a record holds them.
func propRandomMatch(rules Rules, seed uint64) (State, []RecordAction) {
	rng := rand.New(rand.NewPCG(seed, 0x72616e64))
	s, _, err := NewMatch(rules, seed)
	if err != nil {
		panic(err)
	}
	var actions []RecordAction
	for !s.Over() {
		seat := s.Turn
		legal := s.Legal(seat)
		a := legal[rng.IntN(len(legal))]
		if s, _, err = Apply(s, seat, a); err != nil {
			panic(err)
		}
		actions = append(actions, propRecordAction(naiveFromEngineAction(seat, a)))
	}
	return s, actions
}

// propReplayActions applies record actions to a new match with the rules
// and seed of s.
func propReplayActions(tb testing.TB, s State, actions []RecordAction) State {
	tb.Helper()
	st, _, err := NewMatch(s.Rules, s.Seed)
	if err != nil {
		tb.Fatal(err)
	}
	for i, ra := range actions {
		if st, _, err = Apply(st, *ra.Seat, ra.Action()); err != nil {
			tb.Fatalf("action %d: %v", i, err)
		}
	}
	return st
}

// propStateFields is the number of State fields propSameState compares.
const propStateFields = 18

// propSameState reports whether two states are equal in every field.
func propSameState(a, b *State) bool {
	return a.Rules == b.Rules && a.Seed == b.Seed && a.FirstHakem == b.FirstHakem && a.Phase == b.Phase &&
		a.Hand == b.Hand && a.Hakem == b.Hakem && a.Trump == b.Trump && a.Turn == b.Turn &&
		a.Hands == b.Hands && a.FirstFive == b.FirstFive && a.Trick == b.Trick && a.Done == b.Done &&
		a.DoneN == b.DoneN && a.Tricks == b.Tricks && a.Score == b.Score && a.Winner == b.Winner &&
		slices.Equal(a.Results, b.Results) && slices.Equal(a.Decks, b.Decks)
}

func TestPropertySameStateCoversState(t *testing.T) {
	if n := reflect.TypeFor[State]().NumField(); n != propStateFields {
		t.Fatalf("State has %d fields, propSameState compares %d: compare the new ones too", n, propStateFields)
	}
}
