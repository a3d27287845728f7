package pgstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
)

// setup gives the test a migrated database of its own.
func setup(t testing.TB) (*pgstore.Store, *pgxpool.Pool, context.Context) {
	t.Helper()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	return pgstore.New(pool), pool, ctx
}

// rowCounts counts the rows of every table, for "nothing changed" checks.
func rowCounts(t *testing.T, ctx context.Context, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"players", "matches", "match_seats", "match_hands", "match_moves"} {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func persist(t *testing.T, ctx context.Context, s *pgstore.Store, m *table.MatchRecord) bool {
	t.Helper()
	ok, err := s.PersistMatch(ctx, m)
	if err != nil {
		t.Fatalf("PersistMatch %s: %v", m.MatchID, err)
	}
	return ok
}

func TestPersistMatch(t *testing.T) {
	s, pool, ctx := setup(t)
	m := pgstoretest.Play(pgstoretest.Game{Seed: 1})
	if m.Winner < 0 || len(m.Results) == 0 {
		t.Fatalf("fixture did not finish: winner %d, %d hands", m.Winner, len(m.Results))
	}
	if !persist(t, ctx, s, &m) {
		t.Fatal("first PersistMatch: inserted false")
	}
	want := map[string]int{"players": 2, "matches": 1, "match_seats": 4,
		"match_hands": len(m.Results), "match_moves": len(m.Record.Actions)}
	if got := rowCounts(t, ctx, pool); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	checkMatchRow(t, ctx, pool, &m)
	checkSeats(t, ctx, pool, &m)
	checkHands(t, ctx, pool, &m)
	checkMoves(t, ctx, pool, &m)

	if persist(t, ctx, s, &m) {
		t.Fatal("second PersistMatch: inserted true")
	}
	if got := rowCounts(t, ctx, pool); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the second PersistMatch rows %v, want %v", got, want)
	}
	if ok, err := s.MatchExists(ctx, m.MatchID); err != nil || !ok {
		t.Fatalf("MatchExists = %v, %v", ok, err)
	}
}

// TestPersistKeepsTheConnectionsSettings: a persist runs with generic
// plans (persistRows), set for its own transaction only — the pooled
// connection keeps its plan choice after a stored match and after one
// PostgreSQL refused, and serves the next statement.
func TestPersistKeepsTheConnectionsSettings(t *testing.T) {
	pool := migratedPool(t, 1) // (one connection: the one every persist used)
	s, ctx := pgstore.New(pool), context.Background()
	mode := func() string {
		t.Helper()
		var v string
		if err := pool.QueryRow(ctx, `SHOW plan_cache_mode`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := mode()
	m := pgstoretest.Play(pgstoretest.Game{Seed: 3})
	if ok, err := s.PersistMatch(ctx, &m); err != nil || !ok {
		t.Fatalf("PersistMatch = %v, %v", ok, err)
	}
	if got := mode(); got != before {
		t.Fatalf("plan_cache_mode after a persist %q, was %q", got, before)
	}
	bad := pgstoretest.Play(pgstoretest.Game{Seed: 4})
	bad.Seats[0].Name = "a\x00b" // refused by PostgreSQL as data
	if ok, err := s.PersistMatch(ctx, &bad); ok || !errors.Is(err, pgstore.ErrInvalidMatch) {
		t.Fatalf("refused match: inserted %v, error %v; want ErrInvalidMatch", ok, err)
	}
	if got := mode(); got != before {
		t.Fatalf("plan_cache_mode after a refused persist %q, was %q", got, before)
	}
	if ok, err := s.MatchExists(ctx, m.MatchID); err != nil || !ok {
		t.Fatalf("MatchExists = %v, %v", ok, err)
	}
}

func checkMatchRow(t *testing.T, ctx context.Context, pool *pgxpool.Pool, m *table.MatchRecord) {
	t.Helper()
	var tableID string
	var score0, score1, hands, moves int
	var winner *int
	var started, ended time.Time
	err := pool.QueryRow(ctx, `SELECT table_id, score0, score1, winner, hands_played, moves_count, started_at, ended_at
		FROM matches WHERE id = $1`, m.MatchID).Scan(&tableID, &score0, &score1, &winner, &hands, &moves, &started, &ended)
	if err != nil {
		t.Fatal(err)
	}
	if tableID != m.TableID || [2]int{score0, score1} != m.Score || winner == nil || *winner != m.Winner ||
		hands != len(m.Results) || moves != len(m.Record.Actions) ||
		started.UnixMilli() != m.Started || ended.UnixMilli() != m.Ended {
		t.Errorf("match row: table %s score %d-%d winner %v hands %d moves %d %v..%v; record %+v",
			tableID, score0, score1, winner, hands, moves, started, ended, m)
	}
}

func checkSeats(t *testing.T, ctx context.Context, pool *pgxpool.Pool, m *table.MatchRecord) {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT s.seat, s.player_id, s.name, s.bot, p.kind
		FROM match_seats s LEFT JOIN players p ON p.id = s.player_id WHERE s.match_id = $1 ORDER BY s.seat`, m.MatchID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for seat := 0; rows.Next(); seat++ {
		var n int
		var player, kind *string
		var name string
		var bot bool
		if err := rows.Scan(&n, &player, &name, &bot, &kind); err != nil {
			t.Fatal(err)
		}
		p := m.Seats[seat]
		switch {
		case n != seat || name != p.Name || bot != p.Bot:
			t.Errorf("seat %d: got %d %q bot=%v, want %+v", seat, n, name, bot, p)
		case p.Bot && player != nil:
			t.Errorf("seat %d: a bot with player id %q", seat, *player)
		case !p.Bot && (player == nil || *player != p.ID || kind == nil || *kind != "guest"):
			t.Errorf("seat %d: player %v kind %v, want guest %q", seat, player, kind, p.ID)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func checkHands(t *testing.T, ctx context.Context, pool *pgxpool.Pool, m *table.MatchRecord) {
	t.Helper()
	rows, err := pool.Query(ctx, "SELECT hand_no, deck FROM match_hands WHERE match_id = $1 ORDER BY hand_no", m.MatchID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for ; rows.Next(); n++ {
		var h int
		var deck []string
		if err := rows.Scan(&h, &deck); err != nil {
			t.Fatal(err)
		}
		if h != n || !slices.Equal(deck, m.Record.Deals[h]) {
			t.Errorf("hand %d (row %d): deck %v, want %v", h, n, deck, m.Record.Deals[n])
		}
	}
	if n != len(m.Record.Deals) {
		t.Errorf("%d hands stored, want %d", n, len(m.Record.Deals))
	}
}

func checkMoves(t *testing.T, ctx context.Context, pool *pgxpool.Pool, m *table.MatchRecord) {
	t.Helper()
	rows, err := pool.Query(ctx, "SELECT idx, hand_no, seat, kind, value FROM match_moves WHERE match_id = $1 ORDER BY idx", m.MatchID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	perHand := map[int]int{}
	i := 0
	for ; rows.Next(); i++ {
		var idx, hand, seat int
		var kind, value string
		if err := rows.Scan(&idx, &hand, &seat, &kind, &value); err != nil {
			t.Fatal(err)
		}
		a := m.Record.Actions[i]
		want := "card:" + deref(a.Card)
		if a.Trump != nil {
			want = "trump:" + *a.Trump
		}
		if idx != i || seat != *a.Seat || kind+":"+value != want {
			t.Errorf("move %d: idx %d seat %d %s:%s, want seat %d %s", i, idx, seat, kind, value, *a.Seat, want)
		}
		if kind == "trump" && perHand[hand] != 0 {
			t.Errorf("move %d: trump choice in the middle of hand %d", i, hand)
		}
		perHand[hand]++
	}
	if i != len(m.Record.Actions) {
		t.Errorf("%d moves stored, want %d", i, len(m.Record.Actions))
	}
	for h, r := range m.Results {
		if want := 1 + 4*(r.Tricks[0]+r.Tricks[1]); perHand[h] != want {
			t.Errorf("hand %d has %d moves, want %d", h, perHand[h], want)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestPersistMatchConcurrentDuplicates(t *testing.T) {
	s, pool, ctx := setup(t)
	m := pgstoretest.Play(pgstoretest.Game{Seed: 2})
	const n = 8
	var inserted, failed int
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			mc := m // each goroutine its own copy, as each task decodes its own
			ok, err := s.PersistMatch(ctx, &mc)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("PersistMatch: %v", err)
				failed++
			}
			if ok {
				inserted++
			}
		})
	}
	close(start)
	wg.Wait()
	if inserted != 1 || failed != 0 {
		t.Fatalf("%d of %d inserted, %d failed; want exactly 1 inserted", inserted, n, failed)
	}
	want := map[string]int{"players": 2, "matches": 1, "match_seats": 4,
		"match_hands": len(m.Results), "match_moves": len(m.Record.Actions)}
	if got := rowCounts(t, ctx, pool); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	checkMoves(t, ctx, pool, &m)
}

// TestPersistMatchesSharingPlayers persists different matches whose guests
// overlap, seated in opposite orders, all at once: no deadlock, every match
// stored, each guest once.
func TestPersistMatchesSharingPlayers(t *testing.T) {
	s, pool, ctx := setup(t)
	const n = 12
	ms := make([]table.MatchRecord, n)
	for i := range ms {
		g := pgstoretest.Game{Seed: uint64(100 + i), Guests: [2]string{"alice", fmt.Sprintf("guest-%d", i%3)}}
		if i%2 == 1 {
			g.Guests[0], g.Guests[1] = g.Guests[1], g.Guests[0]
		}
		ms[i] = pgstoretest.Play(g)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range ms {
		wg.Go(func() {
			<-start
			if ok, err := s.PersistMatch(ctx, &ms[i]); err != nil || !ok {
				t.Errorf("match %d: inserted %v, %v", i, ok, err)
			}
		})
	}
	close(start)
	wg.Wait()
	got := rowCounts(t, ctx, pool)
	if got["matches"] != n || got["players"] != 4 || got["match_seats"] != 4*n {
		t.Fatalf("rows %v, want %d matches, 4 players, %d seats", got, n, 4*n)
	}
}

func TestExportRecordReplays(t *testing.T) {
	s, pool, ctx := setup(t)
	games := map[string]pgstoretest.Game{
		"standard":           {Seed: 3},
		"random first":       {Seed: 4, Rules: game.Rules{RandomFirstHakem: true}},
		"to 3, all tricks":   {Seed: 5, Rules: game.Rules{Target: 3, PlayAllTricks: true}},
		"hidden until trump": {Seed: 6, Rules: game.Rules{Target: 5, HideUntilTrump: true}},
		"stopped mid-trick":  {Seed: 7, MaxMoves: 70},
		"stopped at trump":   {Seed: 8, MaxMoves: 1},
		"no moves":           {Seed: 9, MaxMoves: -1},
	}
	for name, g := range games {
		t.Run(name, func(t *testing.T) {
			m := pgstoretest.Play(g)
			persist(t, ctx, s, &m)
			checkHands(t, ctx, pool, &m)
			checkMoves(t, ctx, pool, &m)
			rec, err := s.ExportRecord(ctx, m.MatchID)
			if err != nil {
				t.Fatalf("ExportRecord: %v", err)
			}
			if !reflect.DeepEqual(rec, m.Record) {
				t.Errorf("export differs from the record:\n got %s\nwant %s", mustJSON(t, rec), mustJSON(t, m.Record))
			}
			checkReplay(t, rec, &m)
			checkMatchResult(t, ctx, s, &m)
		})
	}
}

// checkReplay runs the export through `hokm replay`'s code path.
func checkReplay(t *testing.T, rec game.Record, m *table.MatchRecord) {
	t.Helper()
	res, code := game.ReplayJSON(bytes.NewReader(mustJSON(t, rec)))
	if code != 0 {
		t.Fatalf("replay of the export exits %d: %+v", code, res.Error)
	}
	if !slices.Equal(res.Hands, m.Results) || res.Score != m.Score {
		t.Errorf("replay: hands %+v score %v, want %+v %v", res.Hands, res.Score, m.Results, m.Score)
	}
	if (res.Winner == nil) != (m.Winner < 0) || (res.Winner != nil && *res.Winner != m.Winner) {
		t.Errorf("replay winner %v, want %d", res.Winner, m.Winner)
	}
}

func checkMatchResult(t *testing.T, ctx context.Context, s *pgstore.Store, m *table.MatchRecord) {
	t.Helper()
	hands, score, winner, err := s.MatchResult(ctx, m.MatchID)
	if err != nil {
		t.Fatalf("MatchResult: %v", err)
	}
	if !slices.Equal(hands, m.Results) || score != m.Score {
		t.Errorf("MatchResult hands %+v score %v, want %+v %v", hands, score, m.Results, m.Score)
	}
	if (winner == nil) != (m.Winner < 0) || (winner != nil && *winner != m.Winner) {
		t.Errorf("MatchResult winner %v, want %d", winner, m.Winner)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnknownMatch(t *testing.T) {
	s, _, ctx := setup(t)
	if _, err := s.ExportRecord(ctx, "nope-1"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("ExportRecord: %v, want ErrNotFound", err)
	}
	if _, _, _, err := s.MatchResult(ctx, "nope-1"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("MatchResult: %v, want ErrNotFound", err)
	}
	if ok, err := s.MatchExists(ctx, "nope-1"); ok || err != nil {
		t.Errorf("MatchExists: %v, %v", ok, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestPersistInvalidMatch(t *testing.T) {
	s, pool, ctx := setup(t)
	cases := map[string]func(m *table.MatchRecord){
		"no id":        func(m *table.MatchRecord) { m.MatchID = "" },
		"wrong points": func(m *table.MatchRecord) { m.Results[0].Points++ },
		"wrong score":  func(m *table.MatchRecord) { m.Score[0]++ },
		"wrong winner": func(m *table.MatchRecord) { m.Winner = 1 - m.Winner },
		"illegal action": func(m *table.MatchRecord) {
			m.Record.Actions[1], m.Record.Actions[2] = m.Record.Actions[2], m.Record.Actions[1]
		},
		"nil seat":        func(m *table.MatchRecord) { m.Record.Actions[3].Seat = nil },
		"extra action":    func(m *table.MatchRecord) { m.Record.Actions = append(m.Record.Actions, m.Record.Actions[1]) },
		"empty seat":      func(m *table.MatchRecord) { m.Seats[1] = table.Player{} },
		"no start time":   func(m *table.MatchRecord) { m.Started = 0 },
		"ends too early":  func(m *table.MatchRecord) { m.Ended = m.Started - 1 },
		"bad deal":        func(m *table.MatchRecord) { m.Record.Deals[0] = m.Record.Deals[0][1:] },
		"bad draw tail":   func(m *table.MatchRecord) { m.Record.Draw = append(m.Record.Draw, "XX") },
		"nul in a name":   func(m *table.MatchRecord) { m.Seats[0].Name = "a\x00b" },
		"no ace in draw":  func(m *table.MatchRecord) { m.Record.Draw = []string{"2C"} },
		"bad first hakem": func(m *table.MatchRecord) { h := 4; m.Record.FirstHakem = &h },
	}
	for name, mutate := range cases {
		m := pgstoretest.Play(pgstoretest.Game{Seed: 11})
		mutate(&m)
		ok, err := s.PersistMatch(ctx, &m)
		if ok || !errors.Is(err, pgstore.ErrInvalidMatch) {
			t.Errorf("%s: inserted %v, error %v; want ErrInvalidMatch", name, ok, err)
		}
	}
	want := map[string]int{"players": 0, "matches": 0, "match_seats": 0, "match_hands": 0, "match_moves": 0}
	if got := rowCounts(t, ctx, pool); !reflect.DeepEqual(got, want) {
		t.Fatalf("invalid matches wrote rows: %v", got)
	}
}
