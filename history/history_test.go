package history_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/history"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// env is a history server on a migrated database of the test's own, with
// sessions in Redis on a prefix of its own.
type env struct {
	t        *testing.T
	ctx      context.Context
	pg       *pgstore.Store
	sessions *redisstore.Store
	srv      *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	rdb, prefix := testenv.Redis(t, 0, false)
	e := &env{t: t, ctx: ctx, pg: pgstore.New(pool), sessions: redisstore.New(rdb, redisstore.Options{Prefix: prefix})}
	h := history.New(e.pg, e.sessions, slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// login starts a session for user and returns its token.
func (e *env) login(user string) string {
	e.t.Helper()
	tok, err := e.sessions.NewSession(e.ctx, redisstore.Session{User: user, Name: user, Guest: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// get fetches path with token (none if ""), checks the status and decodes
// the JSON answer into out (when not nil).
func (e *env) get(path, token string, status int, out any) {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, e.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		e.t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, b, status)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("GET %s: %v in %s", path, err, b)
		}
	}
}

func (e *env) persist(ms ...table.MatchRecord) {
	e.t.Helper()
	for i := range ms {
		if ok, err := e.pg.PersistMatch(e.ctx, &ms[i]); err != nil || !ok {
			e.t.Fatalf("persist %s: %v, %v", ms[i].MatchID, ok, err)
		}
	}
}

// match plays a whole match through table.Apply: the two guests sit at
// seats 0 and 1 (teams 0 and 1), bots fill 2 and 3, every seat plays random
// legal actions from seed. When leaveAt > 0, the guest at seat 1 leaves the
// running match after that many actions and a bot finishes it for them.
func match(t *testing.T, seed uint64, guests [2]string, leaveAt int) table.MatchRecord {
	t.Helper()
	now := int64(1_700_000_000_000) + int64(seed)*3_600_000
	tb, err := table.New(fmt.Sprintf("h%d", seed), game.Rules{Target: 3}, guests[0], now)
	if err != nil {
		t.Fatal(err)
	}
	do := func(user string, c table.Command, seed uint64) {
		t.Helper()
		if tb, _, err = table.Apply(tb, user, c, table.Env{Now: now, Seed: seed}); err != nil {
			t.Fatalf("%s %+v: %v", user, c, err)
		}
	}
	do(guests[0], table.Command{Op: table.OpSit, Seat: 0, Name: "Name of " + guests[0]}, 0)
	do(guests[1], table.Command{Op: table.OpSit, Seat: 1, Name: "Name of " + guests[1]}, 0)
	do(guests[0], table.Command{Op: table.OpAddBots}, 0)
	do(guests[1], table.Command{Op: table.OpReady, Ready: true}, 0)
	do(guests[0], table.Command{Op: table.OpStart}, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for n := 0; !tb.Game.Over(); n++ {
		if leaveAt > 0 && n == leaveAt {
			do(guests[1], table.Command{Op: table.OpLeave}, 0)
		}
		now += 1000
		seat := tb.Game.Turn
		if tb.Game.Phase == game.PhaseTrump {
			seat = tb.Game.Hakem
		}
		legal := tb.Game.Legal(seat)
		do(tb.Seats[seat].ID, table.Act(legal[rng.IntN(len(legal))]), 0)
	}
	return tb.MatchRecord()
}

// The caller's matches come newest first, page by page, from their side:
// seat, partner, opponents, own score against the other, won or lost.
func TestMyMatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mine []table.MatchRecord
	for seed := uint64(1); seed <= 5; seed++ {
		guests := [2]string{"alice", "bob"}
		if seed%2 == 0 {
			guests = [2]string{"bob", "alice"}
		}
		mine = append(mine, match(t, seed, guests, 0))
	}
	e.persist(mine...)
	e.persist(match(t, 6, [2]string{"carol", "bob"}, 0))
	tok := e.login("alice")

	var got []history.MatchItem
	cursor := ""
	for pages := 0; ; pages++ {
		var page history.MatchesPage
		e.get("/api/me/matches?limit=2&before="+cursor, tok, http.StatusOK, &page)
		got = append(got, page.Matches...)
		if page.Next == "" {
			if pages != 2 || len(page.Matches) != 1 {
				t.Fatalf("last page %d has %d matches", pages, len(page.Matches))
			}
			break
		}
		cursor = page.Next
	}
	slices.Reverse(mine) // seeds start an hour apart: newest is the last
	if len(got) != len(mine) {
		t.Fatalf("%d matches, want %d", len(got), len(mine))
	}
	for i, m := range mine {
		checkItem(t, got[i], m, "alice")
	}

	var all history.MatchesPage
	e.get("/api/me/matches", tok, http.StatusOK, &all)
	if len(all.Matches) != 5 || all.Next != "" {
		t.Fatalf("default page: %d matches, next %q", len(all.Matches), all.Next)
	}
	e.get("/api/me/matches", "", http.StatusUnauthorized, nil)
	e.get("/api/me/matches?limit=0", tok, http.StatusBadRequest, nil)
	e.get("/api/me/matches?limit=101", tok, http.StatusBadRequest, nil)
	e.get("/api/me/matches?before=garbage!", tok, http.StatusBadRequest, nil)
}

func checkItem(t *testing.T, got history.MatchItem, m table.MatchRecord, user string) {
	t.Helper()
	seat := -1
	for i, p := range m.Seats {
		if p.ID == user || p.AbandonedBy == user {
			seat = i
		}
	}
	team := seat % 2
	want := history.MatchItem{
		ID: m.MatchID, StartedAt: time.UnixMilli(m.Started).UTC(), EndedAt: time.UnixMilli(m.Ended).UTC(),
		Rules: m.Record.Rules.Normalized(), Seat: seat, Team: team,
		Partner:   seatOf(m, (seat+2)%4),
		Opponents: []history.SeatJSON{seatOf(m, (seat+1)%4), seatOf(m, (seat+3)%4)},
		OwnScore:  m.Score[team], OtherScore: m.Score[1-team],
		HandsPlayed: len(m.Results), Abandoned: m.Seats[seat].AbandonedBy == user,
	}
	switch {
	case want.Abandoned:
		want.Result = history.ResultAbandoned
	case m.Winner == team:
		want.Won, want.Result = true, history.ResultWon
	default:
		want.Result = history.ResultLost
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("match %s:\n got %+v\nwant %+v", m.MatchID, got, want)
	}
}

func seatOf(m table.MatchRecord, seat int) history.SeatJSON {
	p := m.Seats[seat]
	s := history.SeatJSON{Seat: seat, Name: p.Name, Player: p.ID, Bot: p.Bot, Abandoned: p.AbandonedBy != ""}
	if p.Bot {
		s.Player = p.AbandonedBy
	}
	return s
}

// Stats equal the numbers computed from the match records; a match the
// player left counts as played, never as won.
func TestStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Seeds 21 and 22 are won by alice's team; she leaves seed 24's match
	// (team 1) after 30 actions, and team 0 wins it; she leaves seed 25's
	// match too, and her team (1) wins that one without her.
	ms := []table.MatchRecord{
		match(t, 21, [2]string{"bob", "alice"}, 0),
		match(t, 22, [2]string{"alice", "bob"}, 0),
		match(t, 24, [2]string{"bob", "alice"}, 30),
		match(t, 25, [2]string{"bob", "alice"}, 30),
	}
	if ms[0].Winner != 1 || ms[1].Winner != 0 || ms[2].Winner != 0 || ms[2].Seats[1].AbandonedBy != "alice" ||
		ms[3].Winner != 1 || ms[3].Seats[1].AbandonedBy != "alice" {
		t.Fatalf("fixtures changed: winners %d %d %d %d, seat %+v", ms[0].Winner, ms[1].Winner, ms[2].Winner, ms[3].Winner, ms[2].Seats[1])
	}
	e.persist(ms...)
	var got history.StatsJSON
	e.get("/api/players/alice/stats", "", http.StatusOK, &got)
	want := expectedStats("alice", ms)
	want.Name = "Name of alice"
	if got != want {
		t.Fatalf("stats\n got %+v\nwant %+v", got, want)
	}
	if got.MatchesPlayed != 4 || got.MatchesAbandoned != 2 || got.MatchesWon != 2 || got.WinRate != 0.5 {
		t.Fatalf("stats %+v", got)
	}
	// In alice's history the matches she left are abandoned, not won or
	// lost: neither the one her team lost nor the one it won without her.
	var page history.MatchesPage
	e.get("/api/me/matches", e.login("alice"), http.StatusOK, &page)
	if len(page.Matches) != 4 {
		t.Fatalf("%d matches in alice's history", len(page.Matches))
	}
	for i, want := range []struct {
		m      table.MatchRecord
		result string
	}{{ms[3], "abandoned"}, {ms[2], "abandoned"}, {ms[1], "won"}, {ms[0], "won"}} {
		got := page.Matches[i]
		if got.ID != want.m.MatchID || got.Result != want.result || got.Abandoned != (want.result == "abandoned") ||
			got.Won != (want.result == "won") {
			t.Fatalf("alice's match %d: %+v, want %s %s", i, got, want.m.MatchID, want.result)
		}
		checkItem(t, got, want.m, "alice")
	}
	// Bob, who played both to the end, won seed 24's and lost seed 25's.
	e.get("/api/me/matches", e.login("bob"), http.StatusOK, &page)
	if len(page.Matches) != 4 || page.Matches[0].Result != "lost" || page.Matches[0].Won || page.Matches[1].Result != "won" {
		t.Fatalf("bob's matches: %+v", page.Matches)
	}
	// The record of the match she left says so, for her only.
	var rec history.RecordJSON
	e.get("/api/matches/"+ms[3].MatchID, e.login("alice"), http.StatusOK, &rec)
	if !rec.Abandoned || rec.YourResult != "abandoned" || rec.YourSeat != 1 {
		t.Fatalf("alice's record of the match she left: abandoned %v result %q seat %d", rec.Abandoned, rec.YourResult, rec.YourSeat)
	}
	var bobs history.RecordJSON
	e.get("/api/matches/"+ms[3].MatchID, e.login("bob"), http.StatusOK, &bobs)
	if bobs.Abandoned || bobs.YourResult != "lost" {
		t.Fatalf("bob's record: abandoned %v result %q", bobs.Abandoned, bobs.YourResult)
	}
	var rp history.ReplayJSON
	e.get("/api/matches/"+ms[3].MatchID+"/replay", e.login("alice"), http.StatusOK, &rp)
	if !rp.Abandoned || rp.YourResult != "abandoned" {
		t.Fatalf("alice's replay: abandoned %v result %q", rp.Abandoned, rp.YourResult)
	}
	e.get("/api/players/nobody/stats", "", http.StatusNotFound, nil)
}

// expectedStats adds up what the records say, independently of SQL.
func expectedStats(user string, ms []table.MatchRecord) history.StatsJSON {
	var st history.StatsJSON
	st.Player = user
	var ms2 int64
	for _, m := range ms {
		for seat, p := range m.Seats {
			if p.ID != user && p.AbandonedBy != user {
				continue
			}
			team := seat % 2
			st.MatchesPlayed++
			if m.Winner == team && p.AbandonedBy != user {
				st.MatchesWon++
			}
			if p.AbandonedBy == user {
				st.MatchesAbandoned++
			}
			ms2 += m.Ended - m.Started
			for _, r := range m.Results {
				addHand(&st, r, team)
			}
		}
	}
	st.SecondsPlayed = ms2 / 1000
	if st.MatchesPlayed > 0 {
		st.WinRate = float64(int(float64(st.MatchesWon)/float64(st.MatchesPlayed)*1e4+0.5)) / 1e4
	}
	return st
}

func addHand(st *history.StatsJSON, r game.HandResult, team int) {
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

// A finished match's record is open to its players — the one who left it
// too — and to no one else: a stranger gets the same 404 as for a match
// that does not exist, no token a 401.
func TestMatchRecordAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := match(t, 31, [2]string{"alice", "bob"}, 20) // bob leaves
	e.persist(m)
	path := "/api/matches/" + m.MatchID
	for _, user := range []string{"alice", "bob"} {
		var got history.RecordJSON
		e.get(path, e.login(user), http.StatusOK, &got)
		if got.ID != m.MatchID || got.Score != m.Score || got.Winner == nil || *got.Winner != m.Winner ||
			!reflect.DeepEqual(got.Hands, m.Results) || !reflect.DeepEqual(got.Record.Deals, m.Record.Deals) ||
			len(got.Record.Actions) != len(m.Record.Actions) || got.Seats[1].Player != "bob" || !got.Seats[1].Abandoned {
			t.Fatalf("%s sees %+v", user, got)
		}
		if want := map[string]int{"alice": 0, "bob": 1}[user]; got.YourSeat != want {
			t.Fatalf("%s: your_seat %d", user, got.YourSeat)
		}
		// The record replays to the stored results.
		_, res, err := got.Record.Replay()
		if err != nil || !res.OK || !reflect.DeepEqual(res.Hands, m.Results) {
			t.Fatalf("record does not replay: %v %+v", err, res)
		}
	}
	stranger := e.login("mallory")
	var body map[string]string
	e.get(path, stranger, http.StatusNotFound, &body)
	if body["code"] != history.CodeNotFound {
		t.Fatalf("stranger: %v", body)
	}
	var missing map[string]string
	e.get("/api/matches/nope-1", stranger, http.StatusNotFound, &missing)
	if !reflect.DeepEqual(body, missing) {
		t.Fatalf("a stranger tells an existing match (%v) from a missing one (%v)", body, missing)
	}
	e.get(path+"/replay", stranger, http.StatusNotFound, nil)
	e.get(path, "", http.StatusUnauthorized, nil)
	e.get(path+"/replay", "", http.StatusUnauthorized, nil)
	e.get(path, "forged-token", http.StatusUnauthorized, nil)
}

// The replay endpoint shows, hand by hand, the deal, the trump and every
// trick as the engine plays the stored record — checked here against the
// record itself, action by action.
func TestReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := match(t, 41, [2]string{"alice", "bob"}, 0)
	e.persist(m)
	var got history.ReplayJSON
	e.get("/api/matches/"+m.MatchID+"/replay", e.login("alice"), http.StatusOK, &got)
	if got.Replay == nil || len(got.Hands) != len(m.Results) || got.Score != m.Score ||
		got.Winner == nil || *got.Winner != m.Winner || got.YourSeat != 0 || got.Seats[0].Name != "Name of alice" {
		t.Fatalf("replay head %+v", got.MatchJSON)
	}
	actions := m.Record.Actions
	for h, hand := range got.Hands {
		checkDeal(t, h, hand, m.Record.Deals[h])
		if hand.Result == nil || *hand.Result != m.Results[h] || hand.Hakem != m.Results[h].Hakem {
			t.Fatalf("hand %d: result %+v, want %+v", h, hand.Result, m.Results[h])
		}
		// One trump choice, then four cards per trick, in the record's order.
		if a := actions[0]; a.Trump == nil || *a.Seat != hand.Hakem || hand.Trump == nil || hand.Trump.String() != *a.Trump {
			t.Fatalf("hand %d: trump %v, record %+v", h, hand.Trump, a)
		}
		actions = actions[1:]
		tricks := [2]int{}
		for i, tr := range hand.Tricks {
			checkTrick(t, h, i, tr, actions[:4], *hand.Trump)
			actions = actions[4:]
			tricks[(*tr.Winner)%2]++
		}
		if tricks != m.Results[h].Tricks {
			t.Fatalf("hand %d: tricks %v, result says %v", h, tricks, m.Results[h].Tricks)
		}
	}
	if len(actions) != 0 {
		t.Fatalf("%d actions not in the replay", len(actions))
	}
}

// checkDeal: each seat's 13 cards are its share of the deck the record
// holds (and so the four hands are the whole deck).
func checkDeal(t *testing.T, h int, hand history.ReplayHand, deck []string) {
	t.Helper()
	seen := map[string]bool{}
	for seat, cards := range hand.Dealt {
		if len(cards) != 13 || len(hand.FirstFive[seat]) != 5 {
			t.Fatalf("hand %d seat %d: %d cards, %d first", h, seat, len(cards), len(hand.FirstFive[seat]))
		}
		for _, c := range cards {
			seen[c.String()] = true
		}
	}
	for _, c := range deck {
		if !seen[c] {
			t.Fatalf("hand %d: card %s of the deck was dealt to no one", h, c)
		}
	}
}

func checkTrick(t *testing.T, h, i int, tr game.TrickView, actions []game.RecordAction, trump game.Suit) {
	t.Helper()
	if len(tr.Plays) != 4 || tr.Winner == nil || tr.Plays[0].Seat != tr.Leader {
		t.Fatalf("hand %d trick %d: %+v", h, i, tr)
	}
	var trick game.Trick
	trick.Leader, trick.N = tr.Leader, 4
	for j, p := range tr.Plays {
		a := actions[j]
		if a.Card == nil || *a.Seat != p.Seat || *a.Card != p.Card.String() {
			t.Fatalf("hand %d trick %d play %d: %+v, record %+v", h, i, j, p, a)
		}
		trick.Cards[j] = p.Card
	}
	if w := game.TrickWinner(&trick, trump); w != *tr.Winner {
		t.Fatalf("hand %d trick %d: winner %d, engine says %d", h, i, *tr.Winner, w)
	}
}

// With PostgreSQL unreachable the endpoints answer 503 unavailable with
// Retry-After, not an error page or a 404.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pool, err := pgxpool.New(e.ctx, "postgres://postgres@127.0.0.1:1/none?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	h := history.New(pgstore.New(pool), e.sessions, slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	tok := e.login("alice")
	for _, path := range []string{"/api/players/alice/stats", "/api/me/matches", "/api/matches/x-1", "/api/matches/x-1/replay"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		var body map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusServiceUnavailable || body["code"] != "unavailable" || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: %d %s %v", path, w.Code, w.Body, w.Header())
		}
	}
}
