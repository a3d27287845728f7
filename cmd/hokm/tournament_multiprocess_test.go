package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tools/botclient"
	"github.com/hokm-project/hokm/tournament"
	"github.com/hokm-project/hokm/tournament/director"
)

// TestTournamentOverProcesses: a 16-team Swiss tournament, made with `hokm
// ops tournament create`, played to its final ranking by 32 bot players
// (registered through the API, checked in, pulled in to every round's
// table) over two gateways, two workers and a scheduler as processes; a
// worker is SIGKILLed in round 2, as soon as one of its matches is under
// way — when its director may still be seating and calling the round's
// other tables (the players of a table it seated but did not call are
// called by another director 10 s after the seating, at the advance it
// asked for before marking the table seated). Every game's
// match is stored once and replays to its stored result, every result is
// recorded once, and the standings are those recomputed from the stored
// matches.
func TestTournamentOverProcesses(t *testing.T) {
	c, rdb, prefix, dbURL := newCluster(t)
	begin := time.Now()
	migrate := c.Start("migrate", nil, "migrate")
	if !migrate.Wait(60*time.Second) || migrate.Err() != nil {
		t.Fatalf("hokm migrate: %v", migrate.Err())
	}
	addrA, addrB := procs.FreePort(t), procs.FreePort(t)
	gwA := c.Start("gateway A", []string{"HOKM_HTTP_ADDR=" + addrA}, "gateway")
	gwB := c.Start("gateway B", []string{"HOKM_HTTP_ADDR=" + addrB}, "gateway")
	w1 := c.Start("worker w1", []string{"HOKM_WORKER_ID=w1"}, "worker")
	w2 := c.Start("worker w2", []string{"HOKM_WORKER_ID=w2"}, "worker")
	c.Start("scheduler", nil, "scheduler")
	gwA.WaitReady(addrA)
	gwB.WaitReady(addrB)

	const teams, rounds = 16, 4
	create := c.Start("ops tournament create", nil, "ops", "tournament", "create", "--id", "cup16", "--name", "Sixteen",
		"--format", "swiss", "--target", "3", "--rounds", fmt.Sprint(rounds), "--max-teams", fmt.Sprint(teams),
		"--checkin-in", "6s", "--checkin-for", "6s", "--round-break", "0s")
	if !create.Wait(30*time.Second) || create.Err() != nil || !strings.Contains(create.Output(), "cup16 created") {
		t.Fatalf("create: %v\n%s", create.Err(), create.Output())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pg := pgstore.New(pool)

	// SIGKILL w1 while round 2 is played: as soon as one of its matches is
	// under way (its table has moved on from the seating), whatever the
	// machine's speed — a fast one plays a round in a third of a second.
	killed := make(chan time.Duration, 1)
	keys := redisstore.Keys{Prefix: prefix}
	go func() {
		for ctx.Err() == nil {
			rows, err := pg.GameRows(ctx, "cup16")
			for _, r := range rows {
				if err != nil || r.Round != 2 || !r.Seated || r.Winner != "" {
					continue
				}
				if seq, _ := rdb.HGet(ctx, keys.Table(r.Table), "seq").Int(); seq >= 20 { // (its state is sealed: the seq is not)
					w1.Signal(syscall.SIGKILL)
					killed <- time.Since(begin)
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	rep, err := botclient.PlayTournament(ctx, botclient.TournamentOptions{
		URLs: []string{"ws://" + addrA + "/ws", "ws://" + addrB + "/ws"}, Tournament: "cup16", Teams: teams,
	})
	if err != nil {
		// Where it stopped: each undecided game's table as Redis has it, and
		// what the workers hold unacknowledged.
		rows, _ := pg.GameRows(context.Background(), "cup16")
		for _, r := range rows {
			if r.B != "" && r.Winner == "" {
				l, lerr := redisstore.New(rdb, redisstore.Options{Prefix: prefix}).LoadTable(context.Background(), r.Table)
				t.Logf("undecided %+v: table %s seq %d status %s match %d phase %s score %v seats %v (%v)", r, r.Table, l.Seq,
					l.Table.Status, l.Table.Match, l.Table.Game.Phase, l.Table.Game.Score, l.Table.Seats, lerr)
				acts, _ := rdb.HGetAll(context.Background(), keys.Acts(r.Table)).Result()
				t.Logf("  answers: %v; host %s; seats %s", acts, l.Table.Host, func() (s string) {
					for _, p := range l.Table.Seats {
						if p != nil {
							s += fmt.Sprintf("%s/%v ", p.ID, p.Ready)
						}
					}
					return s
				}())
			}
		}
		cs, cerr := consumers(context.Background(), rdb, prefix)
		t.Logf("pending by consumer: %v (%v)", cs, cerr)
		t.Fatal(err)
	}
	var killedAt time.Duration
	select {
	case killedAt = <-killed:
	default:
		t.Fatal("the tournament ended before round 2: no worker was killed mid-round")
	}
	if !w1.Wait(5*time.Second) || w1.Signaled() != syscall.SIGKILL {
		t.Fatalf("w1 ended with %v, want killed", w1.Err())
	}
	info, err := pg.Tournament(ctx, "cup16")
	if err != nil || info.Status != "finished" || info.Teams != teams {
		t.Fatalf("tournament %+v (%v)", info, err)
	}
	rows, err := pg.GameRows(ctx, "cup16")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != rounds*teams/2 || len(rep.Matches) != len(rows) {
		t.Fatalf("%d games stored, %d matches played, want %d", len(rows), len(rep.Matches), rounds*teams/2)
	}
	// Each game: decided by the match played at its table, stored once,
	// which replays to the result its players saw and the game recorded.
	var recomputed []tournament.Game
	for _, r := range rows {
		seen, ok := rep.Matches[r.Table+"-1"]
		if r.Table != director.TableID("cup16", r.Round, r.Line) || !ok || r.Match != seen.ID {
			t.Fatalf("game %+v: match %q, the players saw %+v", r, r.Match, seen)
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM matches WHERE table_id = $1`, r.Table).Scan(&n); err != nil || n != 1 {
			t.Fatalf("table %s: %d matches stored (%v)", r.Table, n, err)
		}
		_, res := replayStored(t, ctx, pg, r.Match)
		winner := r.A
		if *res.Winner == 1 {
			winner = r.B
		}
		if res.Score != seen.Score || winner != r.Winner || r.ScoreA != res.Score[0] || r.ScoreB != res.Score[1] {
			t.Fatalf("game %+v: the replay gives %v won by team %d, the players saw %+v", r, res.Score, *res.Winner, seen)
		}
		recomputed = append(recomputed, tournament.Game{Round: r.Round, A: r.A, B: r.B, Winner: winner, ScoreA: res.Score[0], ScoreB: res.Score[1]})
	}
	ts, err := pg.TournamentTeams(ctx, "cup16")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := pg.TournamentGames(ctx, "cup16")
	got, err := tournament.Standings(ts, stored)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tournament.Standings(ts, recomputed)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("standings %+v, recomputed from the stored matches %+v", got, want)
	}
	var results int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE kind = 'tournament_result'`).Scan(&results); err != nil || results != len(rows) {
		t.Fatalf("%d results audited for %d games (%v)", results, len(rows), err)
	}
	// When each round started and got its last result (what the kill cost).
	timeline := ""
	for round := 1; round <= rounds; round++ {
		var started time.Time
		if err := pool.QueryRow(ctx, `SELECT started_at FROM tournament_rounds WHERE tournament_id = 'cup16' AND round = $1`, round).Scan(&started); err != nil {
			t.Fatal(err)
		}
		var last time.Time
		for _, r := range rows {
			if r.Round == round && r.Decided.After(last) {
				last = r.Decided
			}
		}
		timeline += fmt.Sprintf(" round %d %.1f–%.1f s;", round, started.Sub(begin).Seconds(), last.Sub(begin).Seconds())
	}
	t.Logf("timeline:%s", timeline)
	t.Logf("16 teams, %d rounds, %d matches, %d moves in %.1f s over 2 gateways; w1 killed at %v; %d reconnects, %d moves dropped; "+
		"tables whose players w2 called for w1: %d; champion %s (%d wins)", rounds, len(rows), rep.Moves, rep.Seconds,
		killedAt.Round(time.Millisecond), rep.Reconnects, rep.Dropped, strings.Count(w2.Output(), "players not called: calling them"),
		got[0].Team, got[0].Wins)
}

// TestBotsPlayATournament: `hokm bots --tournament` against `hokm serve`
// registers its teams, checks them in and plays an elimination of three
// teams (a bye in round 1) to its end, exit 0.
func TestBotsPlayATournament(t *testing.T) {
	c, _, _, _ := newCluster(t)
	addr := procs.FreePort(t)
	serve := c.Start("serve", []string{"HOKM_HTTP_ADDR=" + addr}, "serve")
	serve.WaitReady(addr)
	create := c.Start("create", nil, "ops", "tournament", "create", "--id", "trio", "--name", "Trio", "--format", "elimination",
		"--target", "3", "--max-teams", "3", "--checkin-in", "4s", "--checkin-for", "3s", "--round-break", "1s")
	if !create.Wait(30*time.Second) || create.Err() != nil {
		t.Fatalf("create: %v\n%s", create.Err(), create.Output())
	}
	bots := c.Start("bots", nil, "bots", "--url", "ws://"+addr+"/ws", "--tournament", "trio", "--teams", "3", "--timeout", "3m")
	if !bots.Wait(4*time.Minute) || bots.Err() != nil {
		t.Fatalf("hokm bots --tournament: %v\n%s", bots.Err(), bots.Output())
	}
	out := bots.Output()
	// Round 1: the best seed's bye and one game; round 2: the final.
	if !strings.Contains(out, `"matches":2`) || !strings.Contains(out, `"players":6`) {
		t.Fatalf("report: %s", out)
	}
}
