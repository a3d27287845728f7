// Package tournament is the arithmetic of a Hokm tournament of teams (a
// partnership game: a team is two players): teams made of players who
// registered alone, the pairings of a Swiss round, a seeded
// single-elimination bracket, and the standings with their tie-breaks. It is pure — no storage, no clock, the standard library
// only: the service that runs tournaments keeps every result in PostgreSQL
// and asks this package what follows from them, so a re-run of the same
// question always gets the same answer.
//
// Standings order teams by
//  1. match points: 1 for a win, 1 for a bye (a Hokm match has no draw);
//  2. Buchholz: the sum of the match points of the opponents met (a bye
//     adds none) — who had the harder draw;
//  3. hand points: the points the team scored minus those it conceded
//     over its matches (a match to 7 won 7–4 counts +3);
//  4. rating, then id, so that the order is total and stable.
package tournament

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Team is a registered team: a fixed pair, or two players paired by the
// organiser's rule.
type Team struct {
	ID     string
	Rating int // the team's rating (its players' mean): seeds round 1 and the bracket
}

// Game is one pairing of a round and, once played, its result.
type Game struct {
	Round          int
	A, B           string // B == "": a bye for A
	Winner         string // "" while not played
	ScoreA, ScoreB int    // the points each team reached in the match
}

// Bye reports whether the game is a bye (A goes through without playing).
func (g Game) Bye() bool { return g.B == "" }

// Done reports whether the game has its result (a bye always has).
func (g Game) Done() bool { return g.Bye() || g.Winner != "" }

// Standing is a team's place after the games played so far.
type Standing struct {
	Team     string `json:"team"`
	Rank     int    `json:"rank"` // 1 = first
	Wins     int    `json:"wins"` // match points
	Buchholz int    `json:"buchholz"`
	Points   int    `json:"points"` // hand points scored minus conceded
	Rating   int    `json:"rating"`
	Played   int    `json:"played"` // matches played (byes not counted)
	Byes     int    `json:"byes"`
}

// Standings ranks teams by the games done so far (see the package
// comment for the order). Games naming a team not in teams are errors.
func Standings(teams []Team, games []Game) ([]Standing, error) {
	by := make(map[string]*Standing, len(teams))
	out := make([]Standing, len(teams))
	for i, t := range teams {
		if by[t.ID] != nil {
			return nil, fmt.Errorf("tournament: team %q registered twice", t.ID)
		}
		out[i] = Standing{Team: t.ID, Rating: t.Rating}
		by[t.ID] = &out[i]
	}
	opponents := map[string][]string{}
	for _, g := range games {
		if !g.Done() {
			continue
		}
		a := by[g.A]
		if a == nil {
			return nil, fmt.Errorf("tournament: round %d names unknown team %q", g.Round, g.A)
		}
		if g.Bye() {
			a.Wins++
			a.Byes++
			continue
		}
		b := by[g.B]
		if b == nil {
			return nil, fmt.Errorf("tournament: round %d names unknown team %q", g.Round, g.B)
		}
		switch g.Winner {
		case g.A:
			a.Wins++
		case g.B:
			b.Wins++
		default:
			return nil, fmt.Errorf("tournament: round %d: winner %q played neither %s nor %s", g.Round, g.Winner, g.A, g.B)
		}
		a.Played++
		b.Played++
		a.Points += g.ScoreA - g.ScoreB
		b.Points += g.ScoreB - g.ScoreA
		opponents[g.A] = append(opponents[g.A], g.B)
		opponents[g.B] = append(opponents[g.B], g.A)
	}
	for i := range out {
		for _, o := range opponents[out[i].Team] {
			out[i].Buchholz += by[o].Wins
		}
	}
	slices.SortFunc(out, func(x, y Standing) int {
		return cmp.Or(-cmp.Compare(x.Wins, y.Wins), -cmp.Compare(x.Buchholz, y.Buchholz),
			-cmp.Compare(x.Points, y.Points), -cmp.Compare(x.Rating, y.Rating), cmp.Compare(x.Team, y.Team))
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, nil
}

// ErrRoundOpen is returned when a round is asked for while a game of an
// earlier one has no result yet.
var ErrRoundOpen = errors.New("tournament: a game of an earlier round has no result yet")

// SwissRound pairs round (1 for the first) of a Swiss tournament from the
// games of the rounds before it:
//   - with an odd number of teams the lowest-placed team among those with
//     the fewest byes sits out with a bye (worth a win);
//   - round 1 folds the field by rating: the top half meets the bottom half,
//     first against first (1 v n/2+1, 2 v n/2+2, …), so the strongest teams
//     meet late;
//   - later rounds go down the standings: each team meets the highest-placed
//     team below it that it has not met yet (the Monrad system), searching
//     back when a choice would leave later teams only rematches; only when
//     no pairing without a rematch exists are rematches allowed.
func SwissRound(teams []Team, games []Game, round int) ([]Game, error) {
	if len(teams) < 2 {
		return nil, errors.New("tournament: a round needs at least two teams")
	}
	for _, g := range games {
		if g.Round < round && !g.Done() {
			return nil, ErrRoundOpen
		}
	}
	st, err := Standings(teams, games)
	if err != nil {
		return nil, err
	}
	order := make([]string, len(st))
	byes := map[string]int{}
	for i, s := range st {
		order[i], byes[s.Team] = s.Team, s.Byes
	}
	var out []Game
	if len(order)%2 == 1 {
		// From the bottom up: the first among the fewest byes.
		pick := len(order) - 1
		for i := len(order) - 1; i >= 0; i-- {
			if byes[order[i]] < byes[order[pick]] {
				pick = i
			}
		}
		out = append(out, Game{Round: round, A: order[pick]})
		order = slices.Delete(order, pick, pick+1)
	}
	if round == 1 {
		half := len(order) / 2
		pairs := make([]Game, 0, half+1)
		for i := range half {
			pairs = append(pairs, Game{Round: round, A: order[i], B: order[i+half]})
		}
		return append(pairs, out...), nil
	}
	met := map[[2]string]bool{}
	for _, g := range games {
		if !g.Bye() {
			met[[2]string{g.A, g.B}], met[[2]string{g.B, g.A}] = true, true
		}
	}
	budget := 1_000_000 // search steps before giving up on avoiding rematches
	pairs, ok := monrad(order, met, &budget)
	if !ok {
		budget = 1_000_000
		pairs, _ = monrad(order, nil, &budget) // every rematch allowed: always pairs
	}
	for i := range pairs {
		pairs[i].Round = round
	}
	return append(pairs, out...), nil
}

// monrad pairs order (best placed first, an even number of teams), each
// team with the highest placed one below it it has not met (met nil: any),
// backtracking; false when no such pairing exists or the budget ran out.
func monrad(order []string, met map[[2]string]bool, budget *int) ([]Game, bool) {
	if len(order) == 0 {
		return nil, true
	}
	first := order[0]
	for j := 1; j < len(order); j++ {
		if *budget--; *budget < 0 {
			return nil, false
		}
		if met[[2]string{first, order[j]}] {
			continue
		}
		rest := make([]string, 0, len(order)-2)
		rest = append(append(rest, order[1:j]...), order[j+1:]...)
		if tail, ok := monrad(rest, met, budget); ok {
			return append([]Game{{A: first, B: order[j]}}, tail...), true
		}
	}
	return nil, false
}

// BracketOrder is the seeds (1 = best) of a single-elimination bracket of
// size slots (a power of two) in the order its first-round lines are drawn:
// 1 and 2 can only meet in the final, 1–4 in the semi-finals, and so on
// (for 8: 1 8 4 5 2 7 3 6).
func BracketOrder(size int) ([]int, error) {
	if size < 2 || size&(size-1) != 0 {
		return nil, fmt.Errorf("tournament: a bracket of %d lines (want a power of two, at least 2)", size)
	}
	order := []int{1, 2}
	for n := 4; n <= size; n *= 2 {
		next := make([]int, 0, n)
		for _, s := range order {
			next = append(next, s, n+1-s)
		}
		order = next
	}
	return order, nil
}

// Bracket is the first round of single elimination: the teams seeded by
// rating (then id) on a bracket of the next power of two; the seeds beyond
// the field are byes, which fall to the best seeds.
func Bracket(teams []Team) ([]Game, error) {
	if len(teams) < 2 {
		return nil, errors.New("tournament: a bracket needs at least two teams")
	}
	seeded := slices.Clone(teams)
	slices.SortFunc(seeded, func(x, y Team) int { return cmp.Or(-cmp.Compare(x.Rating, y.Rating), cmp.Compare(x.ID, y.ID)) })
	size := 2
	for size < len(seeded) {
		size *= 2
	}
	order, err := BracketOrder(size)
	if err != nil {
		return nil, err
	}
	seed := func(s int) string {
		if s > len(seeded) {
			return ""
		}
		return seeded[s-1].ID
	}
	games := make([]Game, 0, size/2)
	for i := 0; i < size; i += 2 {
		a, b := seed(order[i]), seed(order[i+1])
		if a == "" {
			a, b = b, a
		}
		games = append(games, Game{Round: 1, A: a, B: b})
	}
	return games, nil
}

// NextBracketRound pairs the winners of prev (one round of a bracket, in
// line order): the winner of the first game meets the winner of the second,
// and so on. Nil when prev was the final.
func NextBracketRound(prev []Game) ([]Game, error) {
	if len(prev) <= 1 {
		return nil, nil
	}
	if len(prev)%2 != 0 {
		return nil, fmt.Errorf("tournament: a bracket round of %d games", len(prev))
	}
	winner := func(g Game) (string, error) {
		switch {
		case g.Bye():
			return g.A, nil
		case g.Winner == g.A || g.Winner == g.B:
			return g.Winner, nil
		}
		return "", ErrRoundOpen
	}
	out := make([]Game, 0, len(prev)/2)
	for i := 0; i < len(prev); i += 2 {
		a, err := winner(prev[i])
		if err != nil {
			return nil, err
		}
		b, err := winner(prev[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, Game{Round: prev[i].Round + 1, A: a, B: b})
	}
	return out, nil
}

// Player is a player who registered alone, for the organiser to pair.
type Player struct {
	ID     string
	Rating int
}

// BalancedPairs pairs players who registered alone into teams of even
// strength: by rating, the best with the worst, the second with the
// second-worst, and so on, so that the teams' mean ratings spread as little
// as the field allows. players is in registration order: with an odd
// number, the last to register is left out (first come, first served).
func BalancedPairs(players []Player) (pairs [][2]Player, left *Player) {
	ps := slices.Clone(players)
	if len(ps)%2 == 1 {
		left = &ps[len(ps)-1]
		ps = ps[:len(ps)-1]
	}
	slices.SortFunc(ps, func(x, y Player) int { return cmp.Or(-cmp.Compare(x.Rating, y.Rating), cmp.Compare(x.ID, y.ID)) })
	for i := range len(ps) / 2 {
		pairs = append(pairs, [2]Player{ps[i], ps[len(ps)-1-i]})
	}
	return pairs, left
}

// Entry is a registration as check-in closes: a team of one or two
// players in registration order, and which of them checked in. Solo is a
// player who registered alone, for the organiser to pair.
type Entry struct {
	Team      string
	Solo      bool
	Players   []Player
	CheckedIn []bool
}

// Lineup is a team that starts the tournament: its players (one, when a
// bot takes the other seat) and its rating (their mean).
type Lineup struct {
	Team    string
	Players []string
	Rating  int
	// Paired: made by the organiser of players who came without a partner
	// (registered alone, or whose partner did not check in); Team is then
	// the first player's registration.
	Paired bool
}

// Form makes the teams that start from the registrations, as check-in
// closes: a pair that both checked in plays as registered; a team nobody
// of which checked in is out; a player without a partner — registered
// alone, or whose partner did not check in — is paired with another by
// BalancedPairs (in registration order), except that with botsFill a
// registered pair missing one player keeps its place with a bot in the
// empty seat. With an odd number to pair, the last to register plays with
// a bot when botsFill allows, and is out otherwise. Lineups are in the
// order of entries (a paired team at its first player's place); out are
// the players who do not start.
func Form(entries []Entry, botsFill bool) (lineups []Lineup, out []string) {
	at := map[string]int{} // a paired team's first player → its registration's index
	var pool []Player
	placed := make([]*Lineup, len(entries))
	for i, e := range entries {
		var present []Player
		for j, p := range e.Players {
			if j < len(e.CheckedIn) && e.CheckedIn[j] {
				present = append(present, p)
			} else {
				out = append(out, p.ID)
			}
		}
		switch {
		case len(present) == 2:
			placed[i] = &Lineup{Team: e.Team, Players: []string{present[0].ID, present[1].ID}, Rating: mean(present...)}
		case len(present) == 1 && !e.Solo && botsFill:
			placed[i] = &Lineup{Team: e.Team, Players: []string{present[0].ID}, Rating: present[0].Rating}
		case len(present) == 1:
			at[present[0].ID] = i
			pool = append(pool, present[0])
		}
	}
	pairs, left := BalancedPairs(pool)
	for _, p := range pairs {
		// The earlier registration of the two names the team.
		first, second := p[0], p[1]
		if at[second.ID] < at[first.ID] {
			first, second = second, first
		}
		placed[at[first.ID]] = &Lineup{Team: entries[at[first.ID]].Team, Players: []string{first.ID, second.ID},
			Rating: mean(first, second), Paired: true}
	}
	if left != nil {
		if botsFill {
			placed[at[left.ID]] = &Lineup{Team: entries[at[left.ID]].Team, Players: []string{left.ID}, Rating: left.Rating}
		} else {
			out = append(out, left.ID)
		}
	}
	for _, l := range placed {
		if l != nil {
			lineups = append(lineups, *l)
		}
	}
	return lineups, out
}

func mean(ps ...Player) int {
	sum := 0
	for _, p := range ps {
		sum += p.Rating
	}
	return (sum + len(ps)/2) / len(ps)
}

// Teams are the lineups as the pairings take them.
func Teams(lineups []Lineup) []Team {
	out := make([]Team, len(lineups))
	for i, l := range lineups {
		out[i] = Team{ID: l.Team, Rating: l.Rating}
	}
	return out
}

// EliminationRounds is how many rounds a single-elimination bracket of n
// teams takes (the final included).
func EliminationRounds(n int) int {
	r := 0
	for size := 1; size < n; size *= 2 {
		r++
	}
	return r
}
