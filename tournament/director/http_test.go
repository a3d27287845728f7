package director_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
	e := newEnv(t)
	h := director.NewHandler(e.pg, e.tables.Store, nil)
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	token := func(user, name string) string {
		tok, err := e.tables.NewSession(e.ctx, redisstore.Session{User: user, Name: name, Guest: true})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ana, bob, cyd := token("ana", "Ana"), token("bob", "Bob"), token("cyd", "Cyd")
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
