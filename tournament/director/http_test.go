package director_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tournament/director"
)

// TestTournamentsAPI: the list and a tournament's page; registering a team
// (its code shown to its player only), joining it by the code, registering
// alone; every bad request refused with its code and nothing written;
// check-in only in check-in; withdrawal before the start.
func TestTournamentsAPI(t *testing.T) {
	e, call := apiServer(t)
	token := func(user, name string) string {
		tok, err := e.tables.NewSession(e.ctx, redisstore.Session{User: user, Name: name, Guest: true})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ana, bob, cyd := token("ana", "Ana"), token("bob", "Bob"), token("cyd", "Cyd")
	if err := e.pg.CreateTournament(e.ctx, pgstore.Tournament{ID: "spring", Name: "Spring", Format: "elimination", Target: 5,
		Rounds: 1, MaxTeams: 2, CheckinAt: time.Now().Add(time.Hour), StartsAt: time.Now().Add(2 * time.Hour)}, "test"); err != nil {
		t.Fatal(err)
	}
	var list struct{ Tournaments []director.TournamentJSON }
	call("GET", "/api/tournaments", "", "", 200, &list)
	if len(list.Tournaments) != 1 || list.Tournaments[0].ID != "spring" || list.Tournaments[0].Status != "registration" {
		t.Fatalf("list %+v", list)
	}
	// ?mine=1: the caller's places in the live tournaments (a token needed)
	mine := func(tok string) []pgstore.Place {
		t.Helper()
		var l struct{ Mine *[]pgstore.Place }
		call("GET", "/api/tournaments?mine=1", tok, "", 200, &l)
		if l.Mine == nil {
			t.Fatal("no places")
		}
		return *l.Mine
	}
	if code := call("GET", "/api/tournaments?mine=1", "", "", 401, nil); code != "bad_token" {
		t.Fatalf("places without a token: %s", code)
	}
	if m := mine(ana); len(m) != 0 {
		t.Fatalf("ana's places before registering: %+v", m)
	}
	var reg pgstore.Registration
	call("POST", "/api/tournaments/spring/register", ana, `{"team_name":"  Lions  "}`, 201, &reg)
	if reg.Name != "Lions" || reg.Code == "" {
		t.Fatalf("registered %+v", reg)
	}
	var d director.Detail
	call("GET", "/api/tournaments/spring", ana, "", 200, &d)
	if d.Me == nil || !d.Me.Registered || d.Me.Code != reg.Code || len(d.Teams) != 1 || !d.Teams[0].Waiting {
		t.Fatalf("ana's view %+v", d)
	}
	if m := mine(ana); len(m) != 1 || m[0] != (pgstore.Place{Tournament: "spring", Name: "Spring", Status: "registration", Team: reg.Team}) {
		t.Fatalf("ana's places after registering: %+v", m)
	}
	d = director.Detail{}
	call("GET", "/api/tournaments/spring", cyd, "", 200, &d)
	if raw, _ := json.Marshal(d); d.Me == nil || d.Me.Registered || bytes.Contains(raw, []byte(reg.Code)) {
		t.Fatalf("another player sees the code: %s", raw)
	}
	for _, bad := range []struct {
		method, path, tok, body string
		status                  int
		code                    string
	}{
		{"POST", "/api/tournaments/spring/register", "", `{}`, 401, "bad_token"},
		{"POST", "/api/tournaments/spring/register", ana, `{"alone":true}`, 409, director.CodeAlreadyRegistered},
		{"POST", "/api/tournaments/spring/register", bob, `{"team":"x"}`, 400, director.CodeBadRequest},
		{"POST", "/api/tournaments/spring/register", bob, `{"alone":true,"team_name":"x"}`, 400, director.CodeBadRequest},
		{"POST", "/api/tournaments/spring/register", bob, `{"team_name":"` + strings.Repeat("x", table.MaxNameLen+1) + `"}`, 400, director.CodeBadRequest},
		{"POST", "/api/tournaments/nope/register", bob, `{}`, 404, director.CodeNotFound},
		{"POST", "/api/tournaments/spring/join", bob, `{"code":"AAAAAAAAA"}`, 404, director.CodeNoSuchTeam},
		{"POST", "/api/tournaments/spring/join", ana, `{"code":"` + reg.Code + `"}`, 409, director.CodeAlreadyRegistered},
		{"POST", "/api/tournaments/spring/checkin", ana, `{}`, 409, director.CodeClosed},
		{"POST", "/api/tournaments/spring/withdraw", bob, `{}`, 404, director.CodeNotRegistered},
		{"GET", "/api/tournaments/nope", "", "", 404, director.CodeNotFound},
	} {
		if code := call(bad.method, bad.path, bad.tok, bad.body, bad.status, nil); code != bad.code {
			t.Fatalf("%s %s %s: code %q, want %q", bad.method, bad.path, bad.body, code, bad.code)
		}
	}
	roster, _ := e.pg.Roster(e.ctx, "spring")
	if len(roster) != 1 || len(roster[0].Players) != 1 {
		t.Fatalf("refused requests changed the roster: %+v", roster)
	}
	var joined pgstore.Registration
	call("POST", "/api/tournaments/spring/join", bob, `{"code":"`+strings.ToLower(reg.Code)+`"}`, 200, &joined)
	if joined.Team != reg.Team {
		t.Fatalf("joined %+v", joined)
	}
	call("POST", "/api/tournaments/spring/register", cyd, `{"alone":true}`, 201, &reg)
	if code := call("POST", "/api/tournaments/spring/register", token("dee", "Dee"), `{"alone":true}`, 409, nil); code != director.CodeFull {
		t.Fatalf("a third team of two: %s", code)
	}
	call("POST", "/api/tournaments/spring/withdraw", cyd, `{}`, 200, nil)
	if err := e.pg.SetTournamentStatus(e.ctx, "spring", "checkin", "test"); err != nil {
		t.Fatal(err)
	}
	call("POST", "/api/tournaments/spring/checkin", bob, ``, 200, nil)
	d = director.Detail{}
	call("GET", "/api/tournaments/spring", bob, "", 200, &d)
	if len(d.Teams) != 1 || !d.Me.CheckedIn || d.Me.Code != "" || d.Teams[0].Players[1].ID != "bob" || !d.Teams[0].Players[1].CheckedIn ||
		d.Teams[0].Players[0].CheckedIn {
		t.Fatalf("after cyd withdrew and bob checked in: %+v", d)
	}
	if m := mine(bob); len(m) != 1 || m[0] != (pgstore.Place{Tournament: "spring", Name: "Spring", Status: "checkin", Team: joined.Team, CheckedIn: true}) {
		t.Fatalf("bob's places after checking in: %+v", m)
	}
	if m := mine(cyd); len(m) != 0 {
		t.Fatalf("cyd's places after withdrawing: %+v", m)
	}
	var n int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM audit_log WHERE kind IN ('tournament_registered', 'tournament_withdrawn')`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d registrations and withdrawals audited (%v), want 4", n, err)
	}
}

// apiServer serves the tournaments API over e; call does one request and
// returns the error code of a refusal.
func apiServer(t *testing.T) (*env, func(method, path, tok, body string, wantStatus int, out any) string) {
	e := newEnv(t)
	h := director.NewHandler(e.pg, e.tables.Store, nil)
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	call := func(method, path, tok, body string, wantStatus int, out any) string {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, wantStatus)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v in %s", method, path, err, b)
			}
		}
		var e struct{ Code string }
		_ = json.Unmarshal(b, &e)
		return e.Code
	}
	return e, call
}

// TestTournamentsListPages: the list shows every live tournament and a page
// of those over, newest first; the pages after it, by their cursors, show
// each tournament over once and no live one; a bad cursor or limit is
// refused.
func TestTournamentsListPages(t *testing.T) {
	e, call := apiServer(t)
	create := func(id string, over bool) {
		t.Helper()
		if err := e.pg.CreateTournament(e.ctx, pgstore.Tournament{ID: id, Name: id, Format: "swiss", Target: 3, Rounds: 1,
			MaxTeams: 4, CheckinAt: time.Now().Add(time.Hour), StartsAt: time.Now().Add(2 * time.Hour)}, "test"); err != nil {
			t.Fatal(err)
		}
		if over {
			if err := e.pg.SetTournamentStatus(e.ctx, id, "cancelled", "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	create("live-old", false)
	for i := range 5 {
		create(fmt.Sprintf("over-%d", i), true)
	}
	create("live-new", false)
	type page struct {
		Tournaments []director.TournamentJSON
		Next        string
	}
	ids := func(p page) (out []string) {
		for _, tn := range p.Tournaments {
			out = append(out, tn.ID)
		}
		return out
	}
	var p page
	call("GET", "/api/tournaments?limit=2", "", "", 200, &p)
	if got := ids(p); !slices.Equal(got, []string{"live-new", "live-old", "over-4", "over-3"}) || p.Next == "" {
		t.Fatalf("first page %v, next %q", got, p.Next)
	}
	var rest []string
	for p.Next != "" {
		next := p.Next
		p = page{}
		call("GET", "/api/tournaments?limit=2&before="+url.QueryEscape(next), "", "", 200, &p)
		rest = append(rest, ids(p)...)
	}
	if !slices.Equal(rest, []string{"over-2", "over-1", "over-0"}) {
		t.Fatalf("later pages %v", rest)
	}
	call("GET", "/api/tournaments", "", "", 200, &p) // the default page holds them all
	if len(p.Tournaments) != 7 || p.Next != "" {
		t.Fatalf("default page %v, next %q", ids(p), p.Next)
	}
	for _, bad := range []string{"limit=0", "limit=101", "limit=x", "before=nope", "before=12.", "before=x.y"} {
		if code := call("GET", "/api/tournaments?"+bad, "", "", 400, nil); code != "bad_request" {
			t.Errorf("?%s: %s, want bad_request", bad, code)
		}
	}
}
