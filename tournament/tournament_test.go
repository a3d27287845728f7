package tournament

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// teams are n teams T1..Tn, T1 the best rated.
func teams(n int) []Team {
	out := make([]Team, n)
	for i := range out {
		out[i] = Team{ID: fmt.Sprintf("T%d", i+1), Rating: 2000 - 100*i}
	}
	return out
}

// pairs is a round's pairings as "A-B" ("A-bye"), in order.
func pairs(gs []Game) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		b := g.B
		if g.Bye() {
			b = "bye"
		}
		out[i] = g.A + "-" + b
	}
	return out
}

// won records each game's result: the first named team wins 7–4.
func won(round int, gs ...[2]string) []Game {
	out := make([]Game, len(gs))
	for i, g := range gs {
		out[i] = Game{Round: round, A: g[0], B: g[1], Winner: g[0], ScoreA: 7, ScoreB: 4}
	}
	return out
}

func mustRound(t *testing.T, ts []Team, games []Game, round int) []string {
	t.Helper()
	gs, err := SwissRound(ts, games, round)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Round != round {
			t.Fatalf("a game of round %d in round %d", g.Round, round)
		}
	}
	return pairs(gs)
}

// Eight teams by hand: round 1 folds the field by rating; round 2 pairs
// the winners and the losers down the standings; round 3 with every team
// on its own score ties broken by Buchholz, hand points, rating.
func TestSwissEightTeamsByHand(t *testing.T) {
	ts := teams(8)
	if got, want := mustRound(t, ts, nil, 1), []string{"T1-T5", "T2-T6", "T3-T7", "T4-T8"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("round 1 %v, want %v", got, want)
	}
	games := won(1, [2]string{"T1", "T5"}, [2]string{"T2", "T6"}, [2]string{"T3", "T7"}, [2]string{"T8", "T4"})
	// Winners T1 T2 T3 T8 (1 point each, Buchholz 0, +3 each): by rating;
	// then the losers T4 T5 T6 T7.
	if got, want := mustRound(t, ts, games, 2), []string{"T1-T2", "T3-T8", "T4-T5", "T6-T7"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("round 2 %v, want %v", got, want)
	}
	games = append(games, won(2, [2]string{"T2", "T1"}, [2]string{"T3", "T8"}, [2]string{"T5", "T4"}, [2]string{"T6", "T7"})...)
	// Wins: T2 T3 2; T1 T8 T5 T6 1; T4 T7 0. Buchholz: T2 = T6 1 + T1 1 = 2,
	// T3 = T7 0 + T8 1 = 1; T1 = T5 1 + T2 2 = 3, T8 = T4 0 + T3 2 = 2,
	// T5 = T1 1 + T4 0 = 1, T6 = T2 2 + T7 0 = 2; T4 = T8 1 + T5 1 = 2,
	// T7 = T3 2 + T6 1 = 3. Standings: T2 T3 | T1 T6 T8 T5 | T7 T4 (T6
	// and T8 tie on Buchholz and hand points: T6 is rated higher).
	st, err := Standings(ts, games)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range st {
		order = append(order, s.Team)
	}
	if want := []string{"T2", "T3", "T1", "T6", "T8", "T5", "T7", "T4"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("standings %v, want %v (%+v)", order, want, st)
	}
	// T2 meets T3; T1 the highest unmet below it: T6; T8 then T5; T7–T4.
	if got, want := mustRound(t, ts, games, 3), []string{"T2-T3", "T1-T6", "T8-T5", "T7-T4"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("round 3 %v, want %v", got, want)
	}
}

// Four teams, round 3: going straight down the standings would repeat
// A–B; the leader meets the only team it has not met, and the search
// keeps everyone else free of rematches too.
func TestSwissAvoidsRematches(t *testing.T) {
	ts := []Team{{"A", 1900}, {"B", 1800}, {"C", 1700}, {"D", 1600}}
	games := append(won(1, [2]string{"A", "C"}, [2]string{"B", "D"}), won(2, [2]string{"A", "B"}, [2]string{"C", "D"})...)
	if got, want := mustRound(t, ts, games, 3), []string{"A-D", "B-C"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("round 3 %v, want %v", got, want)
	}
	// Round 4 of four teams: every pairing is a rematch; one is allowed.
	games = append(games, won(3, [2]string{"A", "D"}, [2]string{"B", "C"})...)
	got := mustRound(t, ts, games, 4)
	if len(got) != 2 {
		t.Fatalf("round 4 %v", got)
	}
}

// The search goes back when the greedy choice strands the teams left:
// A–B would leave C–D, who met; A–C it is, then B–D.
func TestSwissBacktracks(t *testing.T) {
	order := []string{"A", "B", "C", "D"}
	met := map[[2]string]bool{}
	meet := func(a, b string) { met[[2]string{a, b}], met[[2]string{b, a}] = true, true }
	meet("C", "D")
	budget := 1000
	if gs, ok := monrad(order, met, &budget); !ok || !reflect.DeepEqual(pairs(gs), []string{"A-C", "B-D"}) {
		t.Fatalf("%v %v", pairs(gs), ok)
	}
	meet("A", "C")
	meet("B", "D")
	budget = 1000
	if gs, ok := monrad(order, met, &budget); !ok || !reflect.DeepEqual(pairs(gs), []string{"A-D", "B-C"}) {
		t.Fatalf("%v %v", pairs(gs), ok)
	}
	meet("B", "C") // A–B leaves C–D, A–D leaves B–C: none without a rematch
	budget = 1000
	if gs, ok := monrad(order, met, &budget); ok {
		t.Fatalf("paired %v though every pairing holds a rematch", pairs(gs))
	}
}

// Five teams: the bye goes to the lowest placed team, then to the lowest
// placed of those who have not had one; it counts as a win.
func TestSwissByes(t *testing.T) {
	ts := teams(5)
	if got, want := mustRound(t, ts, nil, 1), []string{"T1-T3", "T2-T4", "T5-bye"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("round 1 %v, want %v", got, want)
	}
	games := append(won(1, [2]string{"T1", "T3"}, [2]string{"T4", "T2"}), Game{Round: 1, A: "T5"})
	// Wins: T1 T4 T5 1; T2 T3 0. T5 (bye, Buchholz 0) is third: T1 and T4
	// have Buchholz 0 too but +3. The bye falls to the last without one: T3.
	if got, want := mustRound(t, ts, games, 2), []string{"T1-T4", "T5-T2", "T3-bye"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("round 2 %v, want %v", got, want)
	}
	st, _ := Standings(ts, games)
	if st[2].Team != "T5" || st[2].Wins != 1 || st[2].Byes != 1 || st[2].Played != 0 {
		t.Fatalf("the bye's team: %+v", st[2])
	}
}

func TestSwissRefusesAnOpenRound(t *testing.T) {
	ts := teams(4)
	games := []Game{{Round: 1, A: "T1", B: "T3"}, {Round: 1, A: "T2", B: "T4", Winner: "T2"}}
	if _, err := SwissRound(ts, games, 2); !errors.Is(err, ErrRoundOpen) {
		t.Fatalf("round 2 with a round-1 game open: %v", err)
	}
	if _, err := SwissRound(ts, []Game{{Round: 1, A: "T1", B: "X9", Winner: "T1"}}, 2); err == nil {
		t.Fatal("a game of an unknown team accepted")
	}
	if _, err := SwissRound(ts, []Game{{Round: 1, A: "T1", B: "T2", Winner: "T3"}}, 2); err == nil {
		t.Fatal("a winner who did not play accepted")
	}
}

func TestBracketOrder(t *testing.T) {
	for size, want := range map[int][]int{2: {1, 2}, 4: {1, 4, 2, 3}, 8: {1, 8, 4, 5, 2, 7, 3, 6},
		16: {1, 16, 8, 9, 4, 13, 5, 12, 2, 15, 7, 10, 3, 14, 6, 11}} {
		if got, err := BracketOrder(size); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("BracketOrder(%d) = %v, %v; want %v", size, got, err, want)
		}
	}
	for _, bad := range []int{0, 1, 3, 6, 12} {
		if _, err := BracketOrder(bad); err == nil {
			t.Errorf("BracketOrder(%d) accepted", bad)
		}
	}
}

// Six teams on an eight-line bracket: seeds 1 and 2 get the byes; the
// winners meet in line order until the final.
func TestBracketSeededWithByes(t *testing.T) {
	ts := teams(6)
	ts[0], ts[5] = ts[5], ts[0] // the order given does not matter: ratings seed
	r1, err := Bracket(ts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pairs(r1), []string{"T1-bye", "T4-T5", "T2-bye", "T3-T6"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("round 1 %v, want %v", got, want)
	}
	if _, err := NextBracketRound(r1); !errors.Is(err, ErrRoundOpen) {
		t.Fatalf("next round before results: %v", err)
	}
	r1[1].Winner, r1[3].Winner = "T5", "T3"
	r2, err := NextBracketRound(r1)
	if err != nil || !reflect.DeepEqual(pairs(r2), []string{"T1-T5", "T2-T3"}) || r2[0].Round != 2 {
		t.Fatalf("round 2 %v %v", pairs(r2), err)
	}
	r2[0].Winner, r2[1].Winner = "T1", "T3"
	final, err := NextBracketRound(r2)
	if err != nil || !reflect.DeepEqual(pairs(final), []string{"T1-T3"}) {
		t.Fatalf("final %v %v", pairs(final), err)
	}
	final[0].Winner = "T3"
	if after, err := NextBracketRound(final); after != nil || err != nil {
		t.Fatalf("after the final: %v %v", after, err)
	}
}

// Single players become teams best-with-worst: four teams of 1650 mean
// each rather than 1950 down to 1350; the ninth to register waits.
func TestBalancedPairs(t *testing.T) {
	in := []Player{{"p1", 1500}, {"p2", 1900}, {"p3", 1300}, {"p4", 1700}, {"p5", 2000}, {"p6", 1400},
		{"p7", 1600}, {"p8", 1800}, {"late", 2100}}
	pairs, left := BalancedPairs(in)
	var got []string
	for _, p := range pairs {
		got = append(got, p[0].ID+"+"+p[1].ID)
	}
	if want := []string{"p5+p3", "p2+p6", "p8+p1", "p4+p7"}; !reflect.DeepEqual(got, want) || left == nil || left.ID != "late" {
		t.Fatalf("pairs %v, left %+v; want %v and late", got, left, want)
	}
	if pairs, left := BalancedPairs(in[:8]); len(pairs) != 4 || left != nil {
		t.Fatalf("even field: %d pairs, left %+v", len(pairs), left)
	}
}

// Form, worked by hand: A (a pair, both in), B (a pair, b2 missing), C
// (alone, rated 1900), D (a pair, nobody came), E (alone, 1500), F (alone,
// 1700). Without bots: b1 joins the pool, which pairs by rating, the best
// with the worst — of b1 (1600), C (1900), E (1500), F (1700): C+E, F+b1;
// with four in the pool nobody is left. With bots: B keeps its place with
// a bot, and of C, E, F the last to register (F) is left, with a bot.
func TestForm(t *testing.T) {
	t.Parallel()
	p := func(id string, r int) Player { return Player{ID: id, Rating: r} }
	entries := []Entry{
		{Team: "A", Players: []Player{p("a1", 2000), p("a2", 1800)}, CheckedIn: []bool{true, true}},
		{Team: "B", Players: []Player{p("b1", 1600), p("b2", 1400)}, CheckedIn: []bool{true, false}},
		{Team: "C", Solo: true, Players: []Player{p("c", 1900)}, CheckedIn: []bool{true}},
		{Team: "D", Players: []Player{p("d1", 1500), p("d2", 1500)}, CheckedIn: []bool{false, false}},
		{Team: "E", Solo: true, Players: []Player{p("e", 1500)}, CheckedIn: []bool{true}},
		{Team: "F", Solo: true, Players: []Player{p("f", 1700)}, CheckedIn: []bool{true}},
	}
	lineups, out := Form(entries, false)
	want := []Lineup{
		{Team: "A", Players: []string{"a1", "a2"}, Rating: 1900},
		{Team: "B", Players: []string{"b1", "f"}, Rating: 1650, Paired: true},
		{Team: "C", Players: []string{"c", "e"}, Rating: 1700, Paired: true},
	}
	if !reflect.DeepEqual(lineups, want) || !reflect.DeepEqual(out, []string{"b2", "d1", "d2"}) {
		t.Fatalf("without bots: %+v, out %v", lineups, out)
	}
	lineups, out = Form(entries, true)
	want = []Lineup{
		{Team: "A", Players: []string{"a1", "a2"}, Rating: 1900},
		{Team: "B", Players: []string{"b1"}, Rating: 1600},
		{Team: "C", Players: []string{"c", "e"}, Rating: 1700, Paired: true},
		{Team: "F", Players: []string{"f"}, Rating: 1700},
	}
	if !reflect.DeepEqual(lineups, want) || !reflect.DeepEqual(out, []string{"b2", "d1", "d2"}) {
		t.Fatalf("with bots: %+v, out %v", lineups, out)
	}
	// An odd pool without bots: the last to register is out.
	lineups, out = Form(entries[2:], false)
	if len(lineups) != 1 || lineups[0].Team != "C" || !reflect.DeepEqual(out, []string{"d1", "d2", "f"}) {
		t.Fatalf("odd pool: %+v, out %v", lineups, out)
	}
	for n, want := range map[int]int{2: 1, 3: 2, 4: 2, 5: 3, 16: 4, 17: 5} {
		if got := EliminationRounds(n); got != want {
			t.Fatalf("EliminationRounds(%d) = %d, want %d", n, got, want)
		}
	}
}
