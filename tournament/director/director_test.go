package director_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tournament"
	"github.com/hokm-project/hokm/tournament/director"
)

// tables records what the director asks of Redis, and does it.
type tables struct {
	*redisstore.Store
	mu      sync.Mutex
	created atomic.Int64
	acts    map[string][]redisstore.Action // by table
	notices map[string][]director.Notice   // by user
}

func (r *tables) CreateTable(ctx context.Context, t *table.Table) error {
	err := r.Store.CreateTable(ctx, t)
	if err == nil {
		r.created.Add(1)
	}
	return err
}

func (r *tables) Enqueue(ctx context.Context, a redisstore.Action) error {
	r.mu.Lock()
	r.acts[a.Table] = append(r.acts[a.Table], a)
	r.mu.Unlock()
	return r.Store.Enqueue(ctx, a)
}

func (r *tables) Notify(ctx context.Context, user string, n any) error {
	r.mu.Lock()
	r.notices[user] = append(r.notices[user], n.(director.Notice))
	r.mu.Unlock()
	return r.Store.Notify(ctx, user, n)
}

// env is a director over a migrated database and a Redis key space of the
// test's own, with a clock the test moves.
type env struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	pg     *pgstore.Store
	tables *tables
	now    atomic.Int64 // unix ns
	mu     sync.Mutex
	asked  []time.Time // schedule calls
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	rdb, prefix := testenv.Redis(t, 0, false)
	e := &env{ctx: ctx, pool: pool, pg: pgstore.New(pool), tables: &tables{Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2}),
		acts: map[string][]redisstore.Action{}, notices: map[string][]director.Notice{}}}
	e.now.Store(time.Now().UnixNano())
	return e
}

func (e *env) clock() time.Time { return time.Unix(0, e.now.Load()) }

func (e *env) director() *director.Director {
	return director.New(e.pg, e.tables, e.schedule, e.clock, nil)
}

// schedule records the times a director asks to advance at.
func (e *env) schedule(_ context.Context, _ string, at time.Time, _, _ int) error {
	if at.IsZero() {
		return nil // after a result: the test advances
	}
	e.mu.Lock()
	e.asked = append(e.asked, at)
	e.mu.Unlock()
	return nil
}

// askedSince are the times asked for from the i-th schedule call on.
func (e *env) askedSince(i int) []time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.asked[min(i, len(e.asked)):])
}

func (e *env) at(t time.Time) { e.now.Store(t.UnixNano()) }

func (e *env) lastAsked() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.asked) == 0 {
		return time.Time{}
	}
	return e.asked[len(e.asked)-1]
}

// advance runs two directors at once, as two workers would.
func (e *env) advance(t *testing.T, id string) {
	t.Helper()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := e.director().Advance(e.ctx, id); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// oneRound creates tournament id, an elimination of one round to 3 points
// for at most maxTeams teams, its check-in open at t0 (now, to the second)
// and its start a minute later; it returns t0.
func (e *env) oneRound(t *testing.T, id string, maxTeams int) (t0 time.Time) {
	t.Helper()
	t0 = e.clock().Truncate(time.Second)
	if err := e.pg.CreateTournament(e.ctx, pgstore.Tournament{ID: id, Name: id, Format: "elimination", Target: 3,
		Rounds: 1, MaxTeams: maxTeams, CheckinAt: t0, StartsAt: t0.Add(time.Minute)}, "test"); err != nil {
		t.Fatal(err)
	}
	return t0
}

func (e *env) status(t *testing.T, id string) pgstore.TournamentInfo {
	t.Helper()
	info, err := e.pg.Tournament(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestDirectorRunsASwissTournament: a Swiss tournament of seven teams
// (registered as pairs by code, as lone players, one pair with a no-show)
// runs from registration to its final ranking under two directors at
// once: check-in opens and round 1 starts at their times, each game's
// table is made once with its players in their reserved seats (team A at
// 0 and 2) and pulled in once, a result recorded by several persist runs counts
// once, the next round waits for the break, byes go round, and the final
// standings are those recomputed from the results.
func TestDirectorRunsASwissTournament(t *testing.T) {
	e := newEnv(t)
	seated := testutil.ToFloat64(metrics.TournamentTables)
	t0 := e.clock().Truncate(time.Second)
	cup := pgstore.Tournament{ID: "cup", Name: "Cup", Format: "swiss", Target: 3, Rounds: 3, MaxTeams: 8,
		CheckinAt: t0.Add(10 * time.Second), StartsAt: t0.Add(20 * time.Second), RoundBreak: 30 * time.Second}
	if err := e.pg.CreateTournament(e.ctx, cup, "test"); err != nil {
		t.Fatal(err)
	}
	reg := func(p string) pgstore.Registrant { return pgstore.Registrant{Player: p, Name: "N" + p, Guest: true} }
	var players []string
	for i := range 5 { // five pairs, the second joining with the first's code
		a, b := fmt.Sprintf("p%da", i), fmt.Sprintf("p%db", i)
		r, err := e.pg.Register(e.ctx, "cup", reg(a), director.NewRegistration(fmt.Sprintf("Team %d", i), false))
		if err != nil || r.Code == "" || r.Solo {
			t.Fatalf("register %s: %+v %v", a, r, err)
		}
		if j, err := e.pg.JoinTeam(e.ctx, "cup", reg(b), r.Code); err != nil || j.Team != r.Team {
			t.Fatalf("join %s: %+v %v", b, j, err)
		}
		if _, err := e.pg.JoinTeam(e.ctx, "cup", reg("late"), r.Code); err == nil {
			t.Fatal("a code joined twice")
		}
		players = append(players, a, b)
	}
	for _, p := range []string{"s1", "s2", "s3"} { // alone: paired by the organiser, one left out (no bots)
		if r, err := e.pg.Register(e.ctx, "cup", reg(p), director.NewRegistration("", true)); err != nil || !r.Solo || r.Code != "" {
			t.Fatalf("register %s alone: %+v %v", p, r, err)
		}
		players = append(players, p)
	}
	e.advance(t, "cup")
	if st := e.status(t, "cup"); st.Status != "registration" || !e.lastAsked().Equal(cup.CheckinAt) {
		t.Fatalf("before check-in: %s, next step asked for %v (want %v)", st.Status, e.lastAsked(), cup.CheckinAt)
	}
	if err := e.pg.CheckIn(e.ctx, "cup", "p0a"); err == nil {
		t.Fatal("checked in during registration")
	}
	e.at(cup.CheckinAt)
	e.advance(t, "cup")
	if st := e.status(t, "cup"); st.Status != "checkin" || !e.lastAsked().Equal(cup.StartsAt) {
		t.Fatalf("at check-in: %s, next asked for %v", st.Status, e.lastAsked())
	}
	for _, p := range players {
		if n := e.tables.notices[p]; len(n) != 1 || n[0].Status != "checkin" {
			t.Fatalf("%s told %+v at check-in (all: %v)", p, n, e.tables.notices)
		}
		if p == "p4b" { // a no-show: p4a is paired with a lone player instead
			continue
		}
		if err := e.pg.CheckIn(e.ctx, "cup", p); err != nil {
			t.Fatal(err)
		}
	}
	e.at(cup.StartsAt)
	e.advance(t, "cup")
	st := e.status(t, "cup")
	teams, err := e.pg.TournamentTeams(e.ctx, "cup")
	if err != nil || st.Status != "running" || st.Teams != 6 || len(teams) != 6 {
		t.Fatalf("after the start: %s with %d teams %v (%v)", st.Status, st.Teams, teams, err)
	}
	roster, _ := e.pg.Roster(e.ctx, "cup")
	in := map[string][]string{}
	for _, team := range roster {
		for _, p := range team.Players {
			if team.Active {
				in[team.ID] = append(in[team.ID], p.ID)
			}
		}
	}
	var lone []string
	for _, ps := range in {
		if len(ps) != 2 {
			t.Fatalf("a team of %v", ps)
		}
		if slices.Contains(ps, "p4a") || slices.Contains(ps, "s1") || slices.Contains(ps, "s2") || slices.Contains(ps, "s3") {
			lone = append(lone, ps...)
		}
	}
	slices.Sort(lone)
	// p4a (no partner) and s1..s3 make two teams; nobody is left out.
	if !reflect.DeepEqual(lone, []string{"p4a", "s1", "s2", "s3"}) {
		t.Fatalf("the players without a partner were paired as %v", lone)
	}

	var want []tournament.Game
	for round := 1; round <= 3; round++ {
		rows, err := e.pg.GameRows(e.ctx, "cup")
		if err != nil {
			t.Fatal(err)
		}
		var games []pgstore.GameRow
		for _, r := range rows {
			if r.Round == round {
				games = append(games, r)
			}
		}
		if len(games) != 3 {
			t.Fatalf("round %d: %d games", round, len(games))
		}
		var last time.Time
		for i, g := range games {
			if g.Table != director.TableID("cup", round, g.Line) || !g.Seated {
				t.Fatalf("round %d game %+v not seated at its table", round, g)
			}
			l, err := e.tables.LoadTable(e.ctx, g.Table)
			if err != nil {
				t.Fatal(err)
			}
			res := l.Table.Options.Reserved
			if l.Table.Options.Tournament != "cup" || l.Table.Rules.Target != 3 || !slices.Contains(in[g.A], res[0]) ||
				!slices.Contains(in[g.A], res[2]) || !slices.Contains(in[g.B], res[1]) || !slices.Contains(in[g.B], res[3]) {
				t.Fatalf("table %s: %+v for %s v %s", g.Table, l.Table.Options, g.A, g.B)
			}
			sits := 0
			for _, a := range e.tables.acts[g.Table] {
				if a.Op == table.OpSit {
					sits++
					if res[a.Seat] != a.User {
						t.Fatalf("%s seated at %d, reserved for %s", a.User, a.Seat, res[a.Seat])
					}
				}
			}
			if sits < 4 || len(e.tables.acts[g.Table]) != sits {
				t.Fatalf("table %s: actions %+v (sits only: the match starts with the last)", g.Table, e.tables.acts[g.Table])
			}
			for _, u := range res {
				pulls := 0
				for _, n := range e.tables.notices[u] {
					if n.Type == "matched" && n.Table == g.Table {
						pulls++
					}
				}
				if pulls != 1 {
					t.Fatalf("%s pulled in to %s %d times (two directors seated it): %+v", u, g.Table, pulls, e.tables.notices[u])
				}
				if p, err := e.pg.Places(e.ctx, u); err != nil || len(p) != 1 || p[0].Table != g.Table || p[0].Round != round || !p[0].CheckedIn {
					t.Fatalf("%s's places while %s is played: %+v (%v)", u, g.Table, p, err)
				}
			}
			// The match ends: team A wins the first game of a round, team B
			// the others, 3–i; its persist task runs three times at once.
			winner, score := 1, [2]int{i, 3}
			if i == 0 {
				winner, score = 0, [2]int{3, round - 1}
			}
			m := &table.MatchRecord{MatchID: fmt.Sprintf("m-%d-%d", round, i), TableID: g.Table, Winner: winner, Score: score, Tournament: "cup"}
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					if err := e.director().MatchStored(e.ctx, m); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			w := g.A
			if winner == 1 {
				w = g.B
			}
			want = append(want, tournament.Game{Round: round, A: g.A, B: g.B, Winner: w, ScoreA: score[0], ScoreB: score[1]})
			last = time.Now()
		}
		if round == 3 {
			break
		}
		// The break: nothing before it ends; the next step is asked for then.
		e.at(last.Add(10 * time.Second))
		e.advance(t, "cup")
		if rows, _ := e.pg.GameRows(e.ctx, "cup"); len(rows) != 3*round {
			t.Fatalf("round %d started during the break", round+1)
		}
		if got := e.lastAsked(); got.Before(last.Add(29*time.Second)) || got.After(last.Add(31*time.Second)) {
			t.Fatalf("next round asked for at %v, the last result at %v", got, last)
		}
		e.at(last.Add(31 * time.Second))
		e.advance(t, "cup")
	}
	e.at(e.clock().Add(time.Hour))
	e.advance(t, "cup")
	if st := e.status(t, "cup"); st.Status != "finished" || st.FinishedAt.IsZero() {
		t.Fatalf("after the last round: %+v", st)
	}
	if p, err := e.pg.Places(e.ctx, "p0a"); err != nil || len(p) != 0 {
		t.Fatalf("p0a's places after the end: %+v (%v)", p, err)
	}
	if n := e.tables.created.Load(); n != 9 {
		t.Fatalf("%d tables made for 9 games", n)
	}
	if n := testutil.ToFloat64(metrics.TournamentTables) - seated; n != 9 {
		t.Fatalf("%v tables counted as seated for 9 games", n)
	}
	games, err := e.pg.TournamentGames(e.ctx, "cup")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tournament.Standings(teams, games)
	if err != nil {
		t.Fatal(err)
	}
	recomputed, _ := tournament.Standings(teams, want)
	if !reflect.DeepEqual(got, recomputed) {
		t.Fatalf("standings %+v, recomputed from the results %+v", got, recomputed)
	}
	for _, p := range []string{"p0a", "s3"} {
		n := e.tables.notices[p]
		if last := n[len(n)-1]; last.Status != "finished" {
			t.Fatalf("%s last told %+v", p, last)
		}
	}
	// A result arriving after the end changes nothing.
	if err := e.director().MatchStored(e.ctx, &table.MatchRecord{MatchID: "late", TableID: director.TableID("cup", 1, 0), Winner: 1, Tournament: "cup"}); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.pg.TournamentGames(e.ctx, "cup"); !reflect.DeepEqual(again, games) {
		t.Fatal("a late result changed the games")
	}
}

// TestDirectorCancelsWithoutTwoTeams: at the start, with one team checked
// in (the other's players did not come), the tournament is cancelled —
// once, under two directors — and its players are told once.
func TestDirectorCancelsWithoutTwoTeams(t *testing.T) {
	e := newEnv(t)
	t0 := e.oneRound(t, "quiet", 4)
	for _, p := range []string{"a", "b"} {
		if _, err := e.pg.Register(e.ctx, "quiet", pgstore.Registrant{Player: p, Name: p, Guest: true}, director.NewRegistration("", true)); err != nil {
			t.Fatal(err)
		}
	}
	e.advance(t, "quiet")
	if err := e.pg.CheckIn(e.ctx, "quiet", "a"); err != nil {
		t.Fatal(err)
	}
	e.at(t0.Add(time.Minute))
	e.advance(t, "quiet")
	if st := e.status(t, "quiet"); st.Status != "cancelled" || st.FinishedAt.IsZero() {
		t.Fatalf("after a start with one lone player: %+v", st)
	}
	for _, p := range []string{"a", "b"} {
		var got []string
		for _, n := range e.tables.notices[p] {
			got = append(got, n.Status)
		}
		if !reflect.DeepEqual(got, []string{"checkin", "cancelled"}) {
			t.Fatalf("%s told %v", p, got)
		}
	}
	if n := e.tables.created.Load(); n != 0 {
		t.Fatalf("%d tables made for a cancelled tournament", n)
	}
}

// refusing is tables whose "matched" notices Redis refuses while refuse is set.
type refusing struct {
	*tables
	refuse atomic.Bool
}

func (r *refusing) Notify(ctx context.Context, user string, n any) error {
	if r.refuse.Load() && n.(director.Notice).Type == "matched" {
		return errors.New("redis: connection refused")
	}
	return r.tables.Notify(ctx, user, n)
}

// TestDirectorCallsPlayersNotCalled: a game marked seated whose players
// were never pulled in to its table — the director that marked it died
// before it called them, or Redis refused its notices — has them called by
// a later director once CallAgainAfter has passed since, once; a director
// within that time leaves it to the one still calling.
func TestDirectorCallsPlayersNotCalled(t *testing.T) {
	e := newEnv(t)
	t0 := e.oneRound(t, "calls", 2)
	players := []string{"a1", "a2", "b1", "b2"}
	for i := 0; i < 4; i += 2 {
		r, err := e.pg.Register(e.ctx, "calls", pgstore.Registrant{Player: players[i], Name: players[i], Guest: true},
			director.NewRegistration("Team "+players[i], false))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.pg.JoinTeam(e.ctx, "calls", pgstore.Registrant{Player: players[i+1], Name: players[i+1], Guest: true}, r.Code); err != nil {
			t.Fatal(err)
		}
	}
	e.advance(t, "calls")
	for _, p := range players {
		if err := e.pg.CheckIn(e.ctx, "calls", p); err != nil {
			t.Fatal(err)
		}
	}
	r := &refusing{tables: e.tables}
	r.refuse.Store(true)
	var asked int
	advance := func(at time.Time) (askedFor []time.Time) {
		t.Helper()
		e.at(at)
		var wg sync.WaitGroup
		for range 2 { // two directors at once, as two workers
			wg.Go(func() {
				if err := director.New(e.pg, r, e.schedule, e.clock, nil).Advance(e.ctx, "calls"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		askedFor = e.askedSince(asked)
		asked += len(askedFor)
		return askedFor
	}
	// asks reports whether the directors asked for an advance at want.
	asks := func(askedFor []time.Time, want time.Time) bool {
		return slices.ContainsFunc(askedFor, want.Equal)
	}
	calls := func() (n map[string]int) {
		n = map[string]int{}
		for _, p := range players {
			for _, x := range e.tables.notices[p] {
				if x.Type == "matched" && x.Table == director.TableID("calls", 1, 0) && x.Round == 1 {
					n[p]++
				}
			}
		}
		return n
	}
	start := t0.Add(time.Minute)
	// Round 1 seated, its notices refused: the director that seated it
	// asked, before it marked it seated, for the advance that will call
	// its players if it does not (it may die in between).
	if a := advance(start); !asks(a, start.Add(director.CallAgainAfter)) {
		t.Fatalf("seating asked for advances at %v, want one at %v", a, start.Add(director.CallAgainAfter))
	}
	rows, err := e.pg.GameRows(e.ctx, "calls")
	if err != nil || len(rows) != 1 || !rows[0].Seated || rows[0].Called || !rows[0].SeatedAt.Equal(start) {
		t.Fatalf("after the start with the notices refused: %+v (%v)", rows, err)
	}
	r.refuse.Store(false)
	// A director that sees the game uncalled too early asks again, a
	// second later (another task than the seating director's).
	if a := advance(start.Add(director.CallAgainAfter - time.Second)); !asks(a, start.Add(director.CallAgainAfter+time.Second)) {
		t.Fatalf("an early advance asked for %v, want %v", a, start.Add(director.CallAgainAfter+time.Second))
	}
	if n := calls(); len(n) != 0 {
		t.Fatalf("called %v while the director that seated the game may still be calling", n)
	}
	// A director about to claim the call asks for the next check first.
	claimed := start.Add(director.CallAgainAfter)
	if a := advance(claimed); !asks(a, claimed.Add(director.CallAgainAfter)) {
		t.Fatalf("the claim asked for %v, want %v", a, claimed.Add(director.CallAgainAfter))
	}
	want := map[string]int{"a1": 1, "a2": 1, "b1": 1, "b2": 1}
	if n := calls(); !reflect.DeepEqual(n, want) {
		t.Fatalf("called %v once the time was up, want each once", n)
	}
	advance(start.Add(time.Minute))
	if n := calls(); !reflect.DeepEqual(n, want) {
		t.Fatalf("called %v after a later advance, want each once", n)
	}
	if rows, err = e.pg.GameRows(e.ctx, "calls"); err != nil || !rows[0].Called {
		t.Fatalf("the game's call not noted: %+v (%v)", rows, err)
	}
}
