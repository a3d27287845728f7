package pgstore

// An internal test: it runs EXPLAIN on the unexported history queries.

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
)

func historySetup(t *testing.T) (*Store, *pgxpool.Pool, context.Context) {
	t.Helper()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	return New(pool), pool, ctx
}

// play is a finished match of the two guests (seats 0 and 1; bots at 2, 3).
func play(t *testing.T, seed uint64, guests [2]string) table.MatchRecord {
	t.Helper()
	m := pgstoretest.Play(pgstoretest.Game{Seed: seed, Guests: guests})
	if m.Winner < 0 || m.Ended == 0 {
		t.Fatalf("seed %d: the match did not finish", seed)
	}
	return m
}

func mustPersist(t *testing.T, ctx context.Context, s *Store, ms ...table.MatchRecord) {
	t.Helper()
	for i := range ms {
		if ok, err := s.PersistMatch(ctx, &ms[i]); err != nil || !ok {
			t.Fatalf("persist %s: %v, %v", ms[i].MatchID, ok, err)
		}
	}
}

// abandon makes seat's player leave m: a bot holds the seat, for them.
func abandon(m table.MatchRecord, seat int) table.MatchRecord {
	user := m.Seats[seat].ID
	m.Seats[seat] = table.Player{ID: table.BotID(seat), Name: "bot", Bot: true, AbandonedBy: user}
	return m
}

// A player's history comes newest first (ties by id), page by page, each
// match with the player's seat and every seat's occupant.
func TestPlayerMatchesPages(t *testing.T) {
	t.Parallel()
	s, _, ctx := historySetup(t)
	// Seeds 11 and 1000011 start at the same millisecond (pgstoretest's
	// clock), so the id breaks the tie, across a page boundary below.
	var mine []table.MatchRecord
	for i, seed := range []uint64{11, 12, 13, 1000011, 14} {
		guests := [2]string{"alice", "bob"}
		if i%2 == 1 {
			guests = [2]string{"bob", "alice"}
		}
		mine = append(mine, play(t, seed, guests))
	}
	mustPersist(t, ctx, s, mine...)
	mustPersist(t, ctx, s, play(t, 15, [2]string{"carol", "dave"})) // not alice's
	mine = append(mine, abandon(play(t, 16, [2]string{"erin", "alice"}), 1))
	mustPersist(t, ctx, s, mine[len(mine)-1])

	want := slices.Clone(mine)
	slices.SortFunc(want, func(a, b table.MatchRecord) int {
		if a.Started != b.Started {
			return int(b.Started - a.Started)
		}
		return strings.Compare(a.MatchID, b.MatchID)
	})
	var got []PlayedMatch
	var after *Cursor
	for page := 0; ; page++ {
		ms, err := s.PlayerMatches(ctx, "alice", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
		if len(ms) < 2 {
			break
		}
		c := ms[len(ms)-1].Cursor()
		after = &c
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d matches, want %d", len(got), len(want))
	}
	for i := range want {
		checkPlayed(t, &got[i], &want[i], "alice")
	}
	if ms, err := s.PlayerMatches(ctx, "nobody", nil, 10); err != nil || len(ms) != 0 {
		t.Fatalf("unknown player: %v, %v", ms, err)
	}
}

func checkPlayed(t *testing.T, got *PlayedMatch, want *table.MatchRecord, player string) {
	t.Helper()
	seat := -1
	for i, p := range want.Seats {
		if p.ID == player || p.AbandonedBy == player {
			seat = i
		}
	}
	if got.ID != want.MatchID || got.TableID != want.TableID || got.Seat != seat ||
		got.Started.UnixMilli() != want.Started || got.Ended.UnixMilli() != want.Ended ||
		got.Score != want.Score || got.Winner == nil || *got.Winner != want.Winner ||
		got.HandsPlayed != len(want.Results) || got.Rules != want.Record.Rules.Normalized() {
		t.Errorf("match %s: got %+v, want seat %d of %+v", want.MatchID, got, seat, want)
	}
	for i, p := range want.Seats {
		st := got.Seats[i]
		wantID := p.ID
		if p.Bot {
			wantID = p.AbandonedBy
		}
		if st.Seat != i || st.Name != p.Name || st.Bot != p.Bot || st.PlayerID != wantID ||
			st.Abandoned != (p.AbandonedBy != "") {
			t.Errorf("match %s seat %d: %+v, want %+v", want.MatchID, i, st, p)
		}
	}
}

// expectedStats computes player's stats from the match records themselves.
func expectedStats(player string, ms []table.MatchRecord) PlayerStats {
	want := PlayerStats{Player: player}
	for _, m := range ms {
		for seat, p := range m.Seats {
			if p.ID != player && p.AbandonedBy != player {
				continue
			}
			team := game.Team(seat)
			want.MatchesPlayed++
			if m.Winner == team && p.AbandonedBy != player {
				want.MatchesWon++
			}
			if p.AbandonedBy == player {
				want.MatchesLeft++
			}
			want.TimePlayed += time.Duration(m.Ended-m.Started) * time.Millisecond
			for _, r := range m.Results {
				addHand(&want, r, team)
			}
		}
	}
	return want
}

func addHand(st *PlayerStats, r game.HandResult, team int) {
	st.HandsPlayed++
	st.TricksTaken += r.Tricks[team]
	won := r.Winner == team
	if won {
		st.HandsWon++
	}
	switch {
	case r.Kind == game.KindKot && won:
		st.KotsGiven++
	case r.Kind == game.KindKot:
		st.KotsTaken++
	case r.Kind == game.KindHakemKot && won:
		st.HakemKotsGiven++
	case r.Kind == game.KindHakemKot:
		st.HakemKotsTaken++
	}
}

// Stats over four matches with known Kots — seed 13: a Kot by team 1;
// seed 19: a Hakem-Kot by team 0; seed 246: a Kot and a Hakem-Kot by team
// 0; seed 16: a Kot by team 0, and alice leaves it (team 1, which loses).
func TestPlayerStats(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	ms := []table.MatchRecord{
		play(t, 13, [2]string{"alice", "bob"}),
		play(t, 19, [2]string{"alice", "bob"}),
		play(t, 246, [2]string{"bob", "alice"}),
		abandon(play(t, 16, [2]string{"bob", "alice"}), 1),
	}
	mustPersist(t, ctx, s, ms...)
	if _, err := pool.Exec(ctx, "UPDATE players SET name = 'Alice' WHERE id = 'alice'"); err != nil {
		t.Fatal(err)
	}
	got, err := s.PlayerStats(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := expectedStats("alice", ms)
	want.Name = "Alice"
	if got != want {
		t.Fatalf("stats\n got %+v\nwant %+v", got, want)
	}
	// The same numbers, read off the fixtures by hand.
	if got.MatchesPlayed != 4 || got.MatchesWon != 1 || got.MatchesLeft != 1 ||
		got.KotsGiven != 0 || got.KotsTaken != 3 || got.HakemKotsGiven != 1 || got.HakemKotsTaken != 1 ||
		got.HandsPlayed != 8+8+9+9 {
		t.Fatalf("stats %+v", got)
	}
	bob, err := s.PlayerStats(ctx, "bob")
	if err != nil || bob.MatchesPlayed != 4 || bob.MatchesLeft != 0 {
		t.Fatalf("bob: %+v, %v", bob, err)
	}
	if _, err := s.PlayerStats(ctx, "nobody"); !errors.Is(err, ErrPlayerNotFound) {
		t.Fatalf("unknown player: %v", err)
	}
	// A deleted account's stats are gone with it (its matches stay).
	if _, err := pool.Exec(ctx, "UPDATE players SET kind = 'deleted', deleted_at = now() WHERE id = 'bob'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlayerStats(ctx, "bob"); !errors.Is(err, ErrPlayerNotFound) {
		t.Fatalf("deleted player: %v", err)
	}
	if got, err := s.PlayerStats(ctx, "alice"); err != nil || got != want {
		t.Fatalf("alice after bob's deletion: %+v, %v", got, err)
	}
}

// An abandoned seat is stored as the bot's, with the player who left; the
// schema refuses a player on a bot seat that is not marked abandoned.
func TestAbandonedSeat(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	m := abandon(play(t, 16, [2]string{"bob", "alice"}), 1) // alice: team 1, which loses
	mustPersist(t, ctx, s, m)
	var player, name string
	var bot, abandoned bool
	err := pool.QueryRow(ctx, "SELECT player_id, name, bot, abandoned FROM match_seats WHERE match_id = $1 AND seat = 1",
		m.MatchID).Scan(&player, &name, &bot, &abandoned)
	if err != nil || player != "alice" || name != "bot" || !bot || !abandoned {
		t.Fatalf("seat 1: %q %q bot=%v abandoned=%v, %v", player, name, bot, abandoned, err)
	}
	var kind string
	if err := pool.QueryRow(ctx, "SELECT kind FROM players WHERE id = 'alice'").Scan(&kind); err != nil || kind != "guest" {
		t.Fatalf("alice's player row: %q, %v", kind, err)
	}
	_, err = pool.Exec(ctx, "UPDATE match_seats SET abandoned = false WHERE match_id = $1 AND seat = 1", m.MatchID)
	if err == nil || !permanent(err) {
		t.Fatalf("a bot seat with a player, not abandoned: %v", err)
	}
	_, err = pool.Exec(ctx, "UPDATE match_seats SET bot = false WHERE match_id = $1 AND seat = 1", m.MatchID)
	if err == nil || !permanent(err) {
		t.Fatalf("an abandoned seat that is no bot's: %v", err)
	}
}

// The history and stats queries walk match_seats_player_history_idx and
// primary keys, never a whole table, on a database of 5,000 matches; the
// history of a player with hundreds of matches is read in index order and
// stops at the page's end (no sort).
func TestHistoryPlans(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	mustPersist(t, ctx, s, play(t, 13, [2]string{"alice", "bob"}))
	fillSynthetic(t, ctx, pool, 5000)
	first := time.Now().AddDate(1000, 0, 0)             // PlayerMatches' first page
	for _, player := range []string{"alice", "heavy"} { // 1 match; about 600
		checkPlan(t, ctx, pool, "history of "+player, playerMatchesSQL, player, first, "", 21)
		checkPlan(t, ctx, pool, "stats of "+player, playerStatsSQL, player)
	}
	checkPlan(t, ctx, pool, "finished match", matchInfoSQL, "t-13-1")
}

// fillSynthetic adds n finished matches of 1,000 other players (2 hands
// each) and analyzes the tables.
func fillSynthetic(t *testing.T, ctx context.Context, pool *pgxpool.Pool, n int) {
	t.Helper()
	deck := game.DeckFor(1, 0)
	cards := make([]string, 52)
	for i, c := range deck {
		cards[i] = c.String()
	}
	stmts := []string{
		`INSERT INTO players (id, name) SELECT 'p' || i, 'P' || i FROM generate_series(0, 999) i
		 UNION ALL SELECT 'heavy', 'Heavy'`,
		`INSERT INTO matches (id, table_id, rules, first_hakem, score0, score1, winner, hands_played, moves_count,
		                      started_at, ended_at)
		 SELECT 'm' || i, 'x' || i, '{"target":7}', 0, 7, 2, 0, 2, 0,
		        now() - i * interval '1 minute', now() - i * interval '1 minute' + interval '20 minutes'
		 FROM generate_series(1, $1::int) i`,
		`INSERT INTO match_seats (match_id, seat, player_id, name, bot, started_at)
		 SELECT m.id, s, CASE WHEN s = 0 AND hashtext(m.id) & 7 = 0 THEN 'heavy'
		                      ELSE 'p' || (((hashtext(m.id) & 1023) + s * 250) % 1000) END,
		        'P', false, m.started_at
		 FROM matches m, generate_series(0, 3) s WHERE m.id LIKE 'm%'`,
		`INSERT INTO match_hands (match_id, hand_no, hakem, trump, tricks0, tricks1, winner, points, kind, deck, started_at)
		 SELECT m.id, h, 0, 'S', 7, 2, 0, 1, 'normal', $1::text[], m.started_at
		 FROM matches m, generate_series(0, 1) h WHERE m.id LIKE 'm%'`,
		`ANALYZE`,
	}
	args := [][]any{nil, {n}, nil, {cards}, nil}
	for i, q := range stmts {
		if _, err := pool.Exec(ctx, q, args[i]...); err != nil {
			t.Fatalf("synthetic data, statement %d: %v", i, err)
		}
	}
}

// checkPlan fails when the plan of q reads a whole table of any size (a
// Seq Scan of a partition with more than a few rows: empty and tiny months
// are rightly scanned).
func checkPlan(t *testing.T, ctx context.Context, pool *pgxpool.Pool, name, q string, args ...any) {
	t.Helper()
	var plan []map[string]any
	if err := pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q, args...).Scan(&plan); err != nil {
		t.Fatalf("explain %s: %v", name, err)
	}
	b, _ := json.MarshalIndent(plan, "", " ")
	// A player with a large share of all matches may rightly have their
	// stats read by whole-table scans; a typical one must not.
	if big := seqScanned(t, ctx, pool, plan); len(big) > 0 && name != "stats of heavy" {
		t.Errorf("%s plan reads whole tables %v:\n%s", name, big, b)
	}
	// For a player with few matches the planner may sort them (cheap); for
	// one with many it must read the index in order and stop at the limit.
	if name == "history of heavy" && strings.Contains(string(b), `"Node Type": "Sort"`) {
		t.Errorf("%s plan sorts (the index gives the order):\n%s", name, b)
	}
	if name != "finished match" && !historyIndex.Match(b) {
		t.Errorf("%s plan does not use match_seats_player_history_idx:\n%s", name, b)
	}
	t.Logf("%s plan:\n%s", name, b)
}

// historyIndex is match_seats_player_history_idx, or its copy on a month's
// partition.
var historyIndex = regexp.MustCompile(`match_seats_player_history_idx|match_seats_p\d{6}_player_id_started_at_match_id_idx`)

// seqScanned lists the relations plan reads whole that hold more than a
// thousand rows (as ANALYZE counted).
func seqScanned(t *testing.T, ctx context.Context, pool *pgxpool.Pool, plan any) []string {
	t.Helper()
	var out []string
	eachPlanNode(plan, func(n map[string]any) {
		if n["Node Type"] != "Seq Scan" {
			return
		}
		rel, _ := n["Relation Name"].(string)
		var rows float64
		if err := pool.QueryRow(ctx, "SELECT reltuples FROM pg_class WHERE relname = $1", rel).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows > 1000 {
			out = append(out, rel)
		}
	})
	return out
}

// eachPlanNode calls fn on every node of an EXPLAIN (FORMAT JSON) plan.
func eachPlanNode(plan any, fn func(map[string]any)) {
	switch v := plan.(type) {
	case []map[string]any:
		for _, x := range v {
			eachPlanNode(x, fn)
		}
	case []any:
		for _, x := range v {
			eachPlanNode(x, fn)
		}
	case map[string]any:
		if _, ok := v["Node Type"]; ok {
			fn(v)
		}
		for _, x := range v {
			eachPlanNode(x, fn)
		}
	}
}
