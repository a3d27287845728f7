package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tournament"
)

// newTournament stores a Swiss tournament of n teams (T1..Tn, players
// T1a/T1b…), registered and running.
func newTournament(t *testing.T, ctx context.Context, s *pgstore.Store, pool *pgxpool.Pool, n int) []tournament.Team {
	t.Helper()
	if err := s.CreateTournament(ctx, pgstore.Tournament{ID: "cup", Name: "Cup", Format: "swiss", Target: 7, Rounds: 3,
		MaxTeams: n}, "ops-test"); err != nil {
		t.Fatal(err)
	}
	var teams []tournament.Team
	for i := range n {
		team := tournament.Team{ID: fmt.Sprintf("T%d", i+1), Rating: 2000 - 100*i}
		a, b := team.ID+"a", team.ID+"b"
		if _, err := pool.Exec(ctx, `INSERT INTO players (id, name) VALUES ($1, $1), ($2, $2)`, a, b); err != nil {
			t.Fatal(err)
		}
		if err := s.RegisterTeam(ctx, "cup", team, a, b); err != nil {
			t.Fatal(err)
		}
		teams = append(teams, team)
	}
	return teams
}

// Registration: full is full, a player is in one team, nothing after the
// registration window; a refused registration writes nothing.
func TestTournamentRegistration(t *testing.T) {
	s, pool, ctx := setup(t)
	newTournament(t, ctx, s, pool, 2)
	if _, err := pool.Exec(ctx, `INSERT INTO players (id, name) VALUES ('x', 'x'), ('y', 'y')`); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterTeam(ctx, "cup", tournament.Team{ID: "T3"}, "x", "y"); !errors.Is(err, pgstore.ErrTournamentFull) {
		t.Fatalf("a third team in a tournament of two: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE tournaments SET max_teams = 4`); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterTeam(ctx, "cup", tournament.Team{ID: "T3"}, "x", "T1a"); !errors.Is(err, pgstore.ErrAlreadyRegistered) {
		t.Fatalf("a player in two teams: %v", err)
	}
	if err := s.RegisterTeam(ctx, "cup", tournament.Team{ID: "T1"}, "x", "y"); !errors.Is(err, pgstore.ErrAlreadyRegistered) {
		t.Fatalf("a team id taken: %v", err)
	}
	if teams, _ := s.TournamentTeams(ctx, "cup"); len(teams) != 2 {
		t.Fatalf("%d teams after refused registrations", len(teams))
	}
	if err := s.RegisterTeam(ctx, "nope", tournament.Team{ID: "T3"}, "x", "y"); !errors.Is(err, pgstore.ErrTournamentNotFound) {
		t.Fatalf("an unknown tournament: %v", err)
	}
	if err := s.SetTournamentStatus(ctx, "cup", "checkin", "ops-test"); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterTeam(ctx, "cup", tournament.Team{ID: "T3"}, "x", "y"); !errors.Is(err, pgstore.ErrTournamentClosed) {
		t.Fatalf("registering during check-in: %v", err)
	}
	if err := s.SetTournamentStatus(ctx, "cup", "registration", "ops-test"); !errors.Is(err, pgstore.ErrTournamentClosed) {
		t.Fatalf("back from check-in to registration: %v", err)
	}
}

// Rescheduling: the check-in while registration is open (the start keeps
// the check-in's length unless given), the start until the tournament
// starts; never a start before the check-in, never once started; each
// change audited, a refused one writes nothing.
func TestTournamentReschedule(t *testing.T) {
	s, pool, ctx := setup(t)
	newTournament(t, ctx, s, pool, 2)
	times := func() (checkin, start time.Time) {
		t.Helper()
		info, err := s.Tournament(ctx, "cup")
		if err != nil {
			t.Fatal(err)
		}
		return info.CheckinAt, info.StartsAt
	}
	c0, _ := times()
	if _, err := pool.Exec(ctx, `UPDATE tournaments SET starts_at = checkin_at + interval '15 minutes'`); err != nil {
		t.Fatal(err)
	}
	at := c0.Add(time.Hour).Truncate(time.Second)
	checkin, start, err := s.RescheduleTournament(ctx, "cup", at, time.Time{}, "ops-test")
	if gotC, gotS := times(); err != nil || !checkin.Equal(at) || !start.Equal(at.Add(15*time.Minute)) || !gotC.Equal(checkin) || !gotS.Equal(start) {
		t.Fatalf("check-in moved to %v: answered %v %v (%v), stored %v %v", at, checkin, start, err, gotC, gotS)
	}
	if _, _, err := s.RescheduleTournament(ctx, "cup", time.Time{}, at.Add(-time.Second), "ops-test"); !errors.Is(err, pgstore.ErrStartBeforeCheckin) {
		t.Fatalf("a start before the check-in: %v", err)
	}
	if _, _, err := s.RescheduleTournament(ctx, "nope", at, time.Time{}, "ops-test"); !errors.Is(err, pgstore.ErrTournamentNotFound) {
		t.Fatalf("an unknown tournament: %v", err)
	}
	if gotC, gotS := times(); !gotC.Equal(checkin) || !gotS.Equal(start) {
		t.Fatalf("a refused change moved the times to %v %v", gotC, gotS)
	}
	if err := s.SetTournamentStatus(ctx, "cup", "checkin", "ops-test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RescheduleTournament(ctx, "cup", at.Add(time.Minute), time.Time{}, "ops-test"); !errors.Is(err, pgstore.ErrTournamentClosed) {
		t.Fatalf("the check-in moved while it is open: %v", err)
	}
	now := time.Now().Truncate(time.Second)
	if _, _, err := s.RescheduleTournament(ctx, "cup", time.Time{}, now, "ops-test"); !errors.Is(err, pgstore.ErrStartBeforeCheckin) {
		t.Fatalf("a start before the (future) check-in: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE tournaments SET checkin_at = $1`, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, start, err = s.RescheduleTournament(ctx, "cup", time.Time{}, now, "ops-test"); err != nil || !start.Equal(now) {
		t.Fatalf("the start moved to now during check-in: %v %v", start, err)
	}
	if _, err := s.BeginTournament(ctx, "cup"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RescheduleTournament(ctx, "cup", time.Time{}, now.Add(time.Hour), "ops-test"); !errors.Is(err, pgstore.ErrTournamentClosed) {
		t.Fatalf("the start moved once started: %v", err)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE kind = 'tournament_rescheduled' AND detail->>'by' = 'ops-test'
		AND detail->>'tournament' = 'cup'`).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("%d reschedules audited (%v), want 2", audited, err)
	}
}

// Registrations racing for the last places: exactly max_teams get in.
func TestTournamentRegistrationsRaceForPlaces(t *testing.T) {
	s, pool, ctx := setup(t)
	if err := s.CreateTournament(ctx, pgstore.Tournament{ID: "cup", Name: "Cup", Format: "swiss", Target: 7, Rounds: 3,
		MaxTeams: 5}, "ops-test"); err != nil {
		t.Fatal(err)
	}
	var ok, full atomic.Int64
	var wg sync.WaitGroup
	for i := range 16 {
		p := fmt.Sprintf("p%d", i)
		if _, err := pool.Exec(ctx, `INSERT INTO players (id, name) VALUES ($1, $1)`, p); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			switch err := s.RegisterTeam(ctx, "cup", tournament.Team{ID: "team-" + p}, p); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, pgstore.ErrTournamentFull):
				full.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if teams, _ := s.TournamentTeams(ctx, "cup"); ok.Load() != 5 || full.Load() != 11 || len(teams) != 5 {
		t.Fatalf("%d registered, %d refused as full, %d stored; want 5, 11, 5", ok.Load(), full.Load(), len(teams))
	}
}

// Two schedulers start the same round at once: one stores it; a round
// cannot start while one of an earlier round is undecided.
func TestTournamentRoundStartsOnce(t *testing.T) {
	s, pool, ctx := setup(t)
	teams := newTournament(t, ctx, s, pool, 4)
	if _, err := s.StartRound(ctx, "cup", 1, nil); !errors.Is(err, pgstore.ErrTournamentClosed) {
		t.Fatalf("a round before the tournament runs: %v", err)
	}
	for _, st := range []string{"checkin", "running"} {
		if err := s.SetTournamentStatus(ctx, "cup", st, "ops-test"); err != nil {
			t.Fatal(err)
		}
	}
	r1, err := tournament.SwissRound(teams, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	var started atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			ok, err := s.StartRound(ctx, "cup", 1, r1)
			if err != nil {
				t.Error(err)
			}
			if ok {
				started.Add(1)
			}
		})
	}
	wg.Wait()
	games, err := s.TournamentGames(ctx, "cup")
	if err != nil || started.Load() != 1 || len(games) != 2 || games[0].A != "T1" || games[0].B != "T3" {
		t.Fatalf("started %d times; games %+v, %v", started.Load(), games, err)
	}
	r2 := []tournament.Game{{Round: 2, A: "T1", B: "T2"}, {Round: 2, A: "T3", B: "T4"}}
	if _, err := s.StartRound(ctx, "cup", 2, r2); !errors.Is(err, tournament.ErrRoundOpen) {
		t.Fatalf("round 2 with round 1 undecided: %v", err)
	}
}

// A game's result is recorded once: the same result recorded by eight
// workers at once (a persist task run twice, a reconcile re-run) counts
// once; a different one afterwards is refused; the standings computed from
// the stored games are those of the results.
func TestTournamentResultRecordedOnce(t *testing.T) {
	s, pool, ctx := setup(t)
	teams := newTournament(t, ctx, s, pool, 4)
	for _, st := range []string{"checkin", "running"} {
		if err := s.SetTournamentStatus(ctx, "cup", st, "ops-test"); err != nil {
			t.Fatal(err)
		}
	}
	r1, _ := tournament.SwissRound(teams, nil, 1) // T1–T3, T2–T4
	if _, err := s.StartRound(ctx, "cup", 1, r1); err != nil {
		t.Fatal(err)
	}
	var recorded atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := s.RecordResult(ctx, "cup", 1, 0, "m-13", "T3", 4, 7)
			if err != nil {
				t.Error(err)
			}
			if ok {
				recorded.Add(1)
			}
		})
	}
	wg.Wait()
	if recorded.Load() != 1 {
		t.Fatalf("recorded %d times", recorded.Load())
	}
	if _, err := s.RecordResult(ctx, "cup", 1, 0, "m-other", "T1", 7, 2); !errors.Is(err, pgstore.ErrResultConflict) {
		t.Fatalf("another result for a decided game: %v", err)
	}
	if _, err := s.RecordResult(ctx, "cup", 1, 1, "m-24", "T9", 7, 2); !errors.Is(err, pgstore.ErrResultConflict) {
		t.Fatalf("a winner who did not play: %v", err)
	}
	if ok, err := s.RecordResult(ctx, "cup", 1, 1, "m-24", "T2", 7, 6); !ok || err != nil {
		t.Fatalf("the second game: %v %v", ok, err)
	}
	games, err := s.TournamentGames(ctx, "cup")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tournament.Standings(teams, games)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tournament.Standings(teams, []tournament.Game{
		{Round: 1, A: "T1", B: "T3", Winner: "T3", ScoreA: 4, ScoreB: 7},
		{Round: 1, A: "T2", B: "T4", Winner: "T2", ScoreA: 7, ScoreB: 6}})
	if !reflect.DeepEqual(got, want) || got[0].Team != "T3" {
		t.Fatalf("standings from the store %+v, want %+v", got, want)
	}
	if ok, err := s.StartRound(ctx, "cup", 2, []tournament.Game{{A: "T3", B: "T2"}, {A: "T1", B: "T4"}}); !ok || err != nil {
		t.Fatalf("round 2 once round 1 is decided: %v %v", ok, err)
	}
}
