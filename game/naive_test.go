package game

// A second, deliberately naive implementation of Hokm, written from
// docs/rules.md without the engine's code: cards are two-letter strings,
// hands are slices, everything is a plain loop. The property and fuzz tests
// run it in lockstep with the engine and compare every step. It takes from
// the engine only data: the deck orders, the ace draw, and card names.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	naiveRanks = "23456789TJQKA" // low to high
	naiveSuits = "SHDC"
)

// naiveNames is the name of each engine card number, "??" for anything else.
var naiveNames = func() (n [256]string) {
	for i := range n {
		n[i] = Card(i).String()
	}
	return n
}()

func naiveValidCard(c string) bool {
	return len(c) == 2 && strings.IndexByte(naiveRanks, c[0]) >= 0 && strings.IndexByte(naiveSuits, c[1]) >= 0
}

func naiveValidSuit(s string) bool { return len(s) == 1 && strings.IndexByte(naiveSuits, s[0]) >= 0 }

func naiveRank(c string) int { return strings.IndexByte(naiveRanks, c[0]) }

func naiveHasSuit(hand []string, suit byte) bool {
	for _, c := range hand {
		if c[1] == suit {
			return true
		}
	}
	return false
}

// naiveAction is one action: Kind "trump" (Value a suit letter), "card"
// (Value a card name) or anything else (an action of no known kind).
type naiveAction struct {
	Seat  int
	Kind  string
	Value string
}

// naiveResult is a completed hand.
type naiveResult struct {
	Hakem  int    `json:"hakem"`
	Trump  string `json:"trump"`
	Tricks [2]int `json:"tricks"`
	Winner int    `json:"winner"`
	Points int    `json:"points"`
	Kind   string `json:"kind"`
}

// naiveStep is what the last accepted action did.
type naiveStep struct {
	TrickDone   bool
	TrickLeader int
	TrickCards  [4]string
	TrickWinner int
	TricksAfter [2]int
	HandDone    bool
	Result      naiveResult
	MatchDone   bool
	NewHand     bool // a new hand was dealt
}

type naiveMatch struct {
	Target  int
	PlayAll bool
	Hide    bool
	Deck    func(hand int) []string // nil result: no deck for that hand

	Phase     string // "trump", "play", "over"
	HandNo    int
	Hakem     int
	Trump     string
	Turn      int
	Hands     [4][]string
	FirstFive [4][]string
	NoDeck    bool // the current hand had no deck to deal

	Leader       int
	Trick        []string // cards of the trick in progress, from Leader on
	TrickWinners []int    // winners of this hand's completed tricks
	AllWinners   []int    // winners of every trick of the match
	Tricks       [2]int
	Score        [2]int
	Results      []naiveResult
	Winner       int // -1 while the match runs

	Last    naiveStep
	Problem string // set when a deal was not 52 distinct cards
}

func naiveNewMatch(target int, playAll, hide bool, firstHakem int, deck func(int) []string) *naiveMatch {
	if target == 0 {
		target = 7
	}
	m := &naiveMatch{Target: target, PlayAll: playAll, Hide: hide, Deck: deck, Hakem: firstHakem, Winner: -1}
	m.deal()
	return m
}

// naiveFirstHakem deals draw face up from seat 0 until an ace shows.
func naiveFirstHakem(draw []string) int {
	seat := 0
	for _, c := range draw {
		if c[0] == 'A' {
			return seat
		}
		seat++
		if seat == 4 {
			seat = 0
		}
	}
	return -1
}

func (m *naiveMatch) deal() {
	m.Phase, m.Trump, m.Turn, m.Leader = "trump", "", m.Hakem, m.Hakem
	m.Trick, m.TrickWinners, m.Tricks = m.Trick[:0], m.TrickWinners[:0], [2]int{}
	m.Last.NewHand = true
	deck := m.Deck(m.HandNo)
	m.NoDeck = deck == nil
	for seat := 0; seat < 4; seat++ {
		m.Hands[seat] = make([]string, 0, 13)
		m.FirstFive[seat] = nil
	}
	if m.NoDeck {
		return
	}
	// Every card exactly once.
	if len(deck) != 52 {
		m.Problem = "deck is not 52 cards"
	}
	var seen [len(naiveSuits)][len(naiveRanks)]bool
	for _, c := range deck {
		if !naiveValidCard(c) || seen[strings.IndexByte(naiveSuits, c[1])][naiveRank(c)] {
			m.Problem = "deck repeats a card or holds a non-card: " + c
			continue
		}
		seen[strings.IndexByte(naiveSuits, c[1])][naiveRank(c)] = true
	}
	// 5, then 4, then 4, each round starting with the Hakem.
	pos := 0
	for _, packet := range []int{5, 4, 4} {
		for k := 0; k < 4; k++ {
			seat := (m.Hakem + k) % 4
			for i := 0; i < packet; i++ {
				m.Hands[seat] = append(m.Hands[seat], deck[pos])
				pos++
			}
		}
	}
	for seat := 0; seat < 4; seat++ {
		m.FirstFive[seat] = append([]string(nil), m.Hands[seat][:5]...)
	}
}

// Visible is what seat may see of its own cards now.
func (m *naiveMatch) Visible(seat int) []string {
	if seat < 0 || seat > 3 || m.Phase == "over" {
		return nil
	}
	if m.Phase == "trump" {
		if m.Hide && seat != m.Hakem {
			return nil
		}
		return m.FirstFive[seat]
	}
	return m.Hands[seat]
}

// LegalCards lists the cards seat may play now.
func (m *naiveMatch) LegalCards(seat int) []string {
	if m.Phase != "play" || seat != m.Turn {
		return nil
	}
	hand := m.Hands[seat]
	if len(m.Trick) == 0 {
		return hand
	}
	led := m.Trick[0][1]
	if !naiveHasSuit(hand, led) {
		return hand
	}
	var out []string
	for _, c := range hand {
		if c[1] == led {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the error code a would get, or "" when a is legal now. The
// order of the checks is the engine's documented one: game over first, then
// the phase, then whose turn (or the Hakem), then the value itself.
func (m *naiveMatch) Check(a naiveAction) string {
	if m.Phase == "over" {
		return "game_over"
	}
	switch a.Kind {
	case "trump":
		if m.Phase != "trump" {
			return "wrong_phase"
		}
		if a.Seat != m.Hakem {
			return "not_hakem"
		}
		if !naiveValidSuit(a.Value) {
			return "invalid_suit"
		}
		return ""
	case "card":
		if m.Phase != "play" {
			return "wrong_phase"
		}
		if a.Seat != m.Turn {
			return "not_your_turn"
		}
		if !naiveValidCard(a.Value) {
			return "invalid_card"
		}
		hand := m.Hands[a.Seat]
		if !slices.Contains(hand, a.Value) {
			return "card_not_in_hand"
		}
		if len(m.Trick) > 0 && a.Value[1] != m.Trick[0][1] && naiveHasSuit(hand, m.Trick[0][1]) {
			return "must_follow_suit"
		}
		return ""
	}
	// Neither a trump choice nor a card: no phase accepts it.
	return "wrong_phase"
}

// Step applies a. It returns "" when a is accepted, otherwise the error code
// and then m is unchanged.
func (m *naiveMatch) Step(a naiveAction) string {
	if code := m.Check(a); code != "" {
		return code
	}
	m.Last = naiveStep{}
	if a.Kind == "trump" {
		m.Trump, m.Phase = a.Value, "play"
		return ""
	}
	hand := m.Hands[a.Seat]
	at := slices.Index(hand, a.Value)
	m.Hands[a.Seat] = append(hand[:at], hand[at+1:]...)
	m.Trick = append(m.Trick, a.Value)
	m.Turn = (m.Turn + 1) % 4
	if len(m.Trick) == 4 {
		m.endTrick()
	}
	return ""
}

// naiveTrickWinner: if any trump was played the highest trump wins, else the
// highest card of the suit led. Off-suit cards never win.
func naiveTrickWinner(leader int, cards []string, trump string) int {
	best := -1
	for i, c := range cards {
		if c[1] == trump[0] && (best < 0 || naiveRank(c) > naiveRank(cards[best])) {
			best = i
		}
	}
	if best < 0 {
		best = 0
		for i, c := range cards {
			if c[1] == cards[0][1] && naiveRank(c) > naiveRank(cards[best]) {
				best = i
			}
		}
	}
	return (leader + best) % 4
}

func (m *naiveMatch) endTrick() {
	w := naiveTrickWinner(m.Leader, m.Trick, m.Trump)
	m.Last.TrickDone, m.Last.TrickLeader, m.Last.TrickWinner = true, m.Leader, w
	copy(m.Last.TrickCards[:], m.Trick)
	m.TrickWinners = append(m.TrickWinners, w)
	m.AllWinners = append(m.AllWinners, w)
	m.Tricks[w%2]++
	m.Last.TricksAfter = m.Tricks
	m.Trick = m.Trick[:0]
	m.Leader, m.Turn = w, w
	var over bool
	if m.PlayAll {
		over = len(m.TrickWinners) == 13
	} else {
		over = m.Tricks[0] == 7 || m.Tricks[1] == 7
	}
	if over {
		m.endHand()
	}
}

func (m *naiveMatch) endHand() {
	team := 0
	if m.Tricks[1] >= 7 {
		team = 1
	}
	hakemTeam := m.Hakem % 2
	r := naiveResult{Hakem: m.Hakem, Trump: m.Trump, Tricks: m.Tricks, Winner: team, Points: 1, Kind: "normal"}
	if m.Tricks[1-team] == 0 {
		if team == hakemTeam {
			r.Points, r.Kind = 2, "kot"
		} else {
			r.Points, r.Kind = 3, "hakem_kot"
		}
	}
	m.Results = append(m.Results, r)
	m.Score[team] += r.Points
	m.Last.HandDone, m.Last.Result = true, r
	if m.Score[team] >= m.Target {
		m.Phase, m.Winner, m.Turn = "over", team, -1
		m.Hands = [4][]string{}
		m.Last.MatchDone = true
		return
	}
	if team != hakemTeam {
		m.Hakem = (m.Hakem + 1) % 4
	}
	m.HandNo++
	m.deal()
}

// naiveReplayResult is what replaying a record gives: Status 0 (all legal),
// 1 (an illegal action at ErrIndex with ErrCode) or 2 (the record runs past
// its deals).
type naiveReplayResult struct {
	Status   int
	Hands    []naiveResult
	Score    [2]int
	Over     bool
	Winner   int
	ErrIndex int
	ErrCode  string
}

// naiveReplay plays a record whose shape is already checked.
func naiveReplay(rec *Record) naiveReplayResult {
	var r Rules
	if rec.Rules != nil {
		r = *rec.Rules
	}
	first := 0
	if rec.FirstHakem != nil {
		first = *rec.FirstHakem
	} else {
		first = naiveFirstHakem(rec.Draw)
	}
	deck := func(h int) []string {
		if h < len(rec.Deals) {
			return rec.Deals[h]
		}
		return nil
	}
	m := naiveNewMatch(r.Target, r.PlayAllTricks, r.HideUntilTrump, first, deck)
	for i, ra := range rec.Actions {
		if m.Phase != "over" && m.NoDeck {
			return naiveReplayResult{Status: 2}
		}
		a := naiveAction{Seat: *ra.Seat, Kind: "card"}
		if ra.Trump != nil {
			a.Kind, a.Value = "trump", *ra.Trump
		} else {
			a.Value = *ra.Card
		}
		if code := m.Step(a); code != "" {
			res := m.replayResult()
			res.Status, res.ErrIndex, res.ErrCode = 1, i, code
			return res
		}
	}
	return m.replayResult()
}

func (m *naiveMatch) replayResult() naiveReplayResult {
	return naiveReplayResult{Hands: slices.Clone(m.Results), Score: m.Score, Over: m.Phase == "over", Winner: m.Winner, ErrIndex: -1}
}

// naiveFromEngine converts an engine hand result for comparison.
func naiveFromEngine(r HandResult) naiveResult {
	return naiveResult{Hakem: r.Hakem, Trump: r.Trump.String(), Tricks: r.Tricks, Winner: r.Winner, Points: r.Points, Kind: string(r.Kind)}
}

// naiveFromEngineAction converts an engine action.
func naiveFromEngineAction(seat Seat, a Action) naiveAction {
	switch a.Kind {
	case KindChooseTrump:
		return naiveAction{Seat: seat, Kind: "trump", Value: a.Suit.String()}
	case KindPlayCard:
		return naiveAction{Seat: seat, Kind: "card", Value: naiveNames[a.Card]}
	}
	return naiveAction{Seat: seat, Kind: "other"}
}

func naiveDeckNames(d Deck) []string {
	out := make([]string, 52)
	for i, c := range d {
		out[i] = naiveNames[c]
	}
	return out
}

// naiveCardOf maps a two-letter name to the engine's card (ParseCard,
// tabulated once), InvalidCard for anything else.
var naiveCardOf = func() (t [256][256]Card) {
	for a := range t {
		for b := range t[a] {
			t[a][b], _ = ParseCard(string([]byte{byte(a), byte(b)}))
		}
	}
	return t
}()

// naiveSameCards reports whether the names are exactly the cards of set.
func naiveSameCards(names []string, set CardSet) bool {
	var got CardSet
	for _, n := range names {
		c := InvalidCard
		if len(n) == 2 {
			c = naiveCardOf[n[0]][n[1]]
		}
		if !c.Valid() || got.Has(c) {
			return false
		}
		got = got.Add(c)
	}
	return got == set
}

// The model's own checks against the examples of docs/rules.md.
func TestNaiveTrickWinnerExamples(t *testing.T) {
	cases := []struct {
		plays  string
		winner int
	}{
		{"9H KH 3H AC", 1},
		{"AH 2S KH 5H", 1},
		{"3S JS AH TS", 1},
		{"AH 2S QS 5S", 2},
		{"4H AD AC 2H", 0},
	}
	for _, c := range cases {
		for leader := 0; leader < 4; leader++ {
			got := naiveTrickWinner(leader, strings.Fields(c.plays), "S")
			if want := (leader + c.winner) % 4; got != want {
				t.Errorf("%s led by %d: winner %d, want %d", c.plays, leader, got, want)
			}
		}
	}
}

func TestNaiveDealAndScoring(t *testing.T) {
	deck := naiveDeckNames(DeckFor(7, 0))
	m := naiveNewMatch(0, false, false, 2, func(int) []string { return deck })
	want := [4][]string{}
	for seat := 0; seat < 4; seat++ {
		k := (seat - 2 + 4) % 4
		want[seat] = append(want[seat], deck[k*5:k*5+5]...)
		want[seat] = append(want[seat], deck[20+k*4:24+k*4]...)
		want[seat] = append(want[seat], deck[36+k*4:40+k*4]...)
		if !slices.Equal(m.Hands[seat], want[seat]) {
			t.Errorf("seat %d dealt %v, want %v", seat, m.Hands[seat], want[seat])
		}
	}
	if m.Problem != "" {
		t.Fatal(m.Problem)
	}
	if code := m.Step(naiveAction{Seat: 1, Kind: "trump", Value: "S"}); code != "not_hakem" {
		t.Errorf("trump by seat 1: %q, want not_hakem", code)
	}
	// Scoring table of docs/rules.md, Hakem seat 0.
	for _, c := range []struct {
		tricks        [2]int
		team, points  int
		kind          string
		hakem, dealer int
	}{
		{[2]int{7, 3}, 0, 1, "normal", 0, 3},
		{[2]int{7, 0}, 0, 2, "kot", 0, 3},
		{[2]int{0, 7}, 1, 3, "hakem_kot", 1, 0},
		{[2]int{5, 7}, 1, 1, "normal", 1, 0},
	} {
		m := naiveNewMatch(0, false, false, 0, func(int) []string { return deck })
		m.Trump, m.Phase, m.Tricks = "S", "play", c.tricks
		m.endHand()
		r := m.Results[0]
		if r.Winner != c.team || r.Points != c.points || r.Kind != c.kind || m.Hakem != c.hakem || (m.Hakem+3)%4 != c.dealer {
			t.Errorf("tricks %v: %+v next Hakem %d, want team %d %d %s next Hakem %d", c.tricks, r, m.Hakem, c.team, c.points, c.kind, c.hakem)
		}
	}
	if got := naiveFirstHakem(strings.Fields("5D KC AH")); got != 2 {
		t.Errorf("draw 5D KC AH: Hakem %d, want 2", got)
	}
	legal := naiveNewMatch(0, false, false, 0, func(int) []string { return deck })
	legal.Phase, legal.Trump, legal.Turn, legal.Leader = "play", "S", 1, 0
	legal.Hands[1], legal.Trick = []string{"AH", "3H", "KS", "7C"}, []string{"9H"}
	if code := legal.Step(naiveAction{Seat: 1, Kind: "card", Value: "KS"}); code != "must_follow_suit" {
		t.Errorf("KS on 9H holding hearts: %q", code)
	}
	if code := legal.Step(naiveAction{Seat: 1, Kind: "card", Value: "3H"}); code != "" {
		t.Errorf("3H on 9H: %q", code)
	}
}

// naiveConformanceFiles are the example records with their expected replay
// results: the project's own (testdata/replay) and the shared ones beside
// the project, when present.
func naiveConformanceFiles() []string {
	own, _ := filepath.Glob(filepath.Join("testdata", "replay", "*.json"))
	shared, _ := filepath.Glob(filepath.Join("..", "..", "shared", "conformance", "replay", "*.json"))
	return append(own, shared...)
}

type naiveConformanceCase struct {
	Record     json.RawMessage `json:"record"`
	ExitStatus int             `json:"exit_status"`
	Expect     struct {
		Hands  []naiveResult `json:"hands"`
		Score  [2]int        `json:"score"`
		Over   bool          `json:"over"`
		Winner *int          `json:"winner"`
		Error  *struct {
			Index int    `json:"index"`
			Code  string `json:"code"`
		} `json:"error"`
	} `json:"expect"`
}

// The naive model agrees with the example records' expected results (the
// shared ones come from another independent model of the rules).
func TestNaiveConformance(t *testing.T) {
	files := naiveConformanceFiles()
	if len(files) == 0 {
		t.Fatal("no example records in testdata/replay")
	}
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c naiveConformanceCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rec, err := ParseRecord(c.Record)
		if err != nil {
			if c.ExitStatus != 2 {
				t.Errorf("%s: %v, but exit status %d expected", f, err, c.ExitStatus)
			}
			continue // malformed: nothing for the model to play
		}
		checked++
		got := naiveReplay(rec)
		if got.Status == 2 || c.ExitStatus == 2 {
			if got.Status != c.ExitStatus {
				t.Errorf("%s: naive status %d, want %d", filepath.Base(f), got.Status, c.ExitStatus)
			}
			continue // runs past its deals: no result to compare
		}
		hands := c.Expect.Hands
		winner := -1
		if c.Expect.Winner != nil {
			winner = *c.Expect.Winner
		}
		if got.Status != c.ExitStatus || !slices.Equal(got.Hands, hands) || got.Score != c.Expect.Score ||
			got.Over != c.Expect.Over || got.Winner != winner {
			t.Errorf("%s: naive %+v, want status %d %+v", filepath.Base(f), got, c.ExitStatus, c.Expect)
		}
		if e := c.Expect.Error; e != nil && (got.ErrIndex != e.Index || got.ErrCode != e.Code) {
			t.Errorf("%s: naive error %d %s, want %d %s", filepath.Base(f), got.ErrIndex, got.ErrCode, e.Index, e.Code)
		}
	}
	t.Logf("%d example records, %d played by the naive model", len(files), checked)
}
