package director

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tournament"
)

// The tournaments API (docs/http-api.md, "Tournaments"):
//
//	GET  /api/tournaments                    the list: the live ones, then a page of those over (?before=, ?limit=)
//	GET  /api/tournaments?mine=1             bearer; the caller's places in the live ones
//	GET  /api/tournaments/{id}               teams, games, standings; "me" with a bearer token
//	POST /api/tournaments/{id}/register      bearer; {"team_name":…} or {"alone":true}
//	POST /api/tournaments/{id}/join          bearer; {"code":…}: the partner of a team
//	POST /api/tournaments/{id}/checkin       bearer
//	POST /api/tournaments/{id}/withdraw      bearer
//
// Everything is read from and written to the PostgreSQL primary: a player
// who just registered or checked in sees it at once.

// API is what the handlers need of PostgreSQL (*pgstore.Store).
type API interface {
	ListTournaments(ctx context.Context, before *pgstore.Cursor, limit int) ([]pgstore.TournamentInfo, *pgstore.Cursor, error)
	Places(ctx context.Context, player string) ([]pgstore.Place, error)
	Tournament(ctx context.Context, id string) (pgstore.TournamentInfo, error)
	Roster(ctx context.Context, id string) ([]pgstore.TeamRoster, error)
	GameRows(ctx context.Context, id string) ([]pgstore.GameRow, error)
	Register(ctx context.Context, id string, p pgstore.Registrant, reg pgstore.Registration) (pgstore.Registration, error)
	JoinTeam(ctx context.Context, id string, p pgstore.Registrant, code string) (pgstore.Registration, error)
	CheckIn(ctx context.Context, id, player string) error
	Withdraw(ctx context.Context, id, player, newCode string) error
}

// Handler serves the tournaments API.
type Handler struct {
	store    API
	sessions httpauth.Sessions
	log      *slog.Logger
}

// NewHandler returns the API over store, authenticating with sessions.
func NewHandler(store API, sessions httpauth.Sessions, log *slog.Logger) *Handler {
	return &Handler{store: store, sessions: sessions, log: log}
}

// Route is one endpoint (httpauth.Route).
type Route = httpauth.Route

// Routes are the endpoints, for the public listener.
func (h *Handler) Routes() []Route {
	auth := func(f func(http.ResponseWriter, *http.Request, redisstore.Session)) http.Handler {
		return httpauth.Require(h.sessions, f)
	}
	return []Route{
		{Pattern: "GET /api/tournaments", Handler: http.HandlerFunc(h.list)},
		{Pattern: "GET /api/tournaments/{id}", Handler: http.HandlerFunc(h.show)},
		{Pattern: "POST /api/tournaments/{id}/register", Handler: auth(h.register)},
		{Pattern: "POST /api/tournaments/{id}/join", Handler: auth(h.join)},
		{Pattern: "POST /api/tournaments/{id}/checkin", Handler: auth(h.checkin)},
		{Pattern: "POST /api/tournaments/{id}/withdraw", Handler: auth(h.withdraw)},
	}
}

// TournamentJSON is a tournament as the API shows it.
type TournamentJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Format     string     `json:"format"`
	Target     int        `json:"target"`
	Rounds     int        `json:"rounds"`
	MaxTeams   int        `json:"max_teams"`
	BotsFill   bool       `json:"bots_fill"`
	Status     string     `json:"status"`
	Teams      int        `json:"teams"`
	CheckinAt  time.Time  `json:"checkin_at"`
	StartsAt   time.Time  `json:"starts_at"`
	RoundBreak int        `json:"round_break_s"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

func tournamentJSON(t pgstore.TournamentInfo) TournamentJSON {
	out := TournamentJSON{ID: t.ID, Name: t.Name, Format: t.Format, Target: t.Target, Rounds: t.Rounds, MaxTeams: t.MaxTeams,
		BotsFill: t.BotsFill, Status: t.Status, Teams: t.Teams, CheckinAt: t.CheckinAt.UTC(), StartsAt: t.StartsAt.UTC(),
		RoundBreak: int(t.RoundBreak / time.Second)}
	if !t.FinishedAt.IsZero() {
		f := t.FinishedAt.UTC()
		out.FinishedAt = &f
	}
	return out
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("mine") {
		httpauth.Require(h.sessions, h.mine)(w, r)
		return
	}
	limit, before, ok := httpedge.Page(r, defaultListLimit, maxListLimit)
	var after *pgstore.Cursor
	if ok && before != "" {
		c, err := pgstore.ParseCursor(before)
		after, ok = &c, err == nil
	}
	if !ok {
		httpauth.Error(w, http.StatusBadRequest, CodeBadRequest,
			fmt.Sprintf("limit must be 1..%d and before the next of an earlier page", maxListLimit))
		return
	}
	ts, next, err := h.store.ListTournaments(r.Context(), after, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]TournamentJSON, len(ts))
	for i, t := range ts {
		out[i] = tournamentJSON(t)
	}
	page := map[string]any{"tournaments": out}
	if next != nil {
		page["next"] = next.String()
	}
	httpauth.JSON(w, http.StatusOK, page)
}

// The list's page of tournaments over: by default, and at most.
const (
	defaultListLimit = 20
	maxListLimit     = 100
)

// mine answers the caller's places in the live tournaments: what the lobby
// offers them (their table, the check-in), without the whole list.
func (h *Handler) mine(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	places, err := h.store.Places(r.Context(), sess.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, map[string]any{"mine": places}) // (never nil: [] when none)
}

// StandingJSON is a team's place.
type StandingJSON struct {
	tournament.Standing
	Name string `json:"name"`
}

// Detail is GET /api/tournaments/{id}.
type Detail struct {
	Tournament TournamentJSON       `json:"tournament"`
	Teams      []pgstore.TeamRoster `json:"teams"`
	Games      []pgstore.GameRow    `json:"games"`
	// Standings rank the teams that play, by the games decided so far
	// (package tournament's order); empty before the start. Final once the
	// tournament finished.
	Standings []StandingJSON `json:"standings"`
	Final     bool           `json:"final"`
	Me        *Me            `json:"me,omitempty"`
}

// Me is the caller's place in the tournament (with a bearer token).
type Me struct {
	Registered bool   `json:"registered"`
	Team       string `json:"team,omitempty"`
	CheckedIn  bool   `json:"checked_in,omitempty"`
	Code       string `json:"code,omitempty"`  // the team's code, while it waits for a partner
	Table      string `json:"table,omitempty"` // the table of the caller's undecided game
	Round      int    `json:"round,omitempty"`
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), r.PathValue("id")
	t, err := h.store.Tournament(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	teams, err := h.store.Roster(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	games, err := h.store.GameRows(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := Detail{Tournament: tournamentJSON(t), Teams: teams, Games: games, Standings: []StandingJSON{}, Final: t.Status == "finished"}
	if d.Games == nil {
		d.Games = []pgstore.GameRow{}
	}
	if t.Status == "running" || t.Status == "finished" {
		if d.Standings, err = standings(teams, games); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if sess, err := httpauth.User(r, h.sessions); err == nil {
		d.Me = me(sess.User, teams, games)
	}
	httpauth.JSON(w, http.StatusOK, d)
}

// standings ranks the active teams by the stored games.
func standings(teams []pgstore.TeamRoster, games []pgstore.GameRow) ([]StandingJSON, error) {
	var ts []tournament.Team
	names := map[string]string{}
	for _, t := range teams {
		if t.Active {
			ts = append(ts, tournament.Team{ID: t.ID, Rating: t.Rating})
			names[t.ID] = t.Name
		}
	}
	gs := make([]tournament.Game, len(games))
	for i, g := range games {
		gs[i] = g.Game()
	}
	st, err := tournament.Standings(ts, gs)
	if err != nil {
		return nil, err
	}
	out := make([]StandingJSON, len(st))
	for i, s := range st {
		out[i] = StandingJSON{Standing: s, Name: names[s.Team]}
	}
	return out, nil
}

// me is user's place in the tournament: their team, check-in, the team's
// code while it waits for a partner, the table of their undecided game.
func me(user string, teams []pgstore.TeamRoster, games []pgstore.GameRow) *Me {
	me := &Me{}
	for _, t := range teams {
		for _, p := range t.Players {
			if p.ID == user {
				me.Registered, me.Team, me.CheckedIn, me.Code = true, t.ID, p.CheckedIn, t.Code
			}
		}
	}
	if !me.Registered {
		return me
	}
	for _, g := range games {
		if (g.A == me.Team || g.B == me.Team) && g.B != "" && g.Winner == "" && g.Table != "" {
			me.Table, me.Round = g.Table, g.Round
		}
	}
	return me
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	var req struct {
		TeamName string `json:"team_name"`
		Alone    bool   `json:"alone"`
	}
	if !decode(w, r, &req) {
		return
	}
	name := strings.TrimSpace(req.TeamName)
	if utf8.RuneCountInString(name) > table.MaxNameLen || req.Alone && name != "" {
		httpauth.Error(w, http.StatusBadRequest, CodeBadRequest,
			fmt.Sprintf("team_name: up to %d characters, and none when registering alone", table.MaxNameLen))
		return
	}
	if name != "" {
		name = table.CleanName(name) // as players' names: no controls, no bidi overrides, something visible
	}
	reg, err := h.store.Register(r.Context(), r.PathValue("id"), registrant(sess), NewRegistration(name, req.Alone))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusCreated, reg)
}

// NewRegistration is a new team to register: its id and, unless alone, the
// code its partner joins with (made as tables' ids and join codes are).
func NewRegistration(name string, alone bool) pgstore.Registration {
	reg := pgstore.Registration{Team: "tm" + redisstore.NewTableID(), Name: name, Solo: alone}
	if !alone {
		reg.Code = redisstore.NewJoinCode()
	}
	return reg
}

func registrant(s redisstore.Session) pgstore.Registrant {
	return pgstore.Registrant{Player: s.User, Name: s.Name, Guest: s.Guest}
}

func (h *Handler) join(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	var req struct {
		Code string `json:"code"`
	}
	if !decode(w, r, &req) {
		return
	}
	code := strings.ToUpper(strings.TrimSpace(req.Code))
	if code == "" || len(code) > 16 {
		httpauth.Error(w, http.StatusBadRequest, CodeBadRequest, "code: the team's code")
		return
	}
	reg, err := h.store.JoinTeam(r.Context(), r.PathValue("id"), registrant(sess), code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, reg)
}

func (h *Handler) checkin(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	if err := h.store.CheckIn(r.Context(), r.PathValue("id"), sess.User); err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, map[string]bool{"checked_in": true})
}

func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	if err := h.store.Withdraw(r.Context(), r.PathValue("id"), sess.User, redisstore.NewJoinCode()); err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, map[string]bool{"withdrawn": true})
}

// Error codes of the tournaments API (besides httpauth's bad_token and
// unavailable, and the edge's).
const (
	CodeBadRequest        = "bad_request"        // a malformed body
	CodeNotFound          = "not_found"          // no such tournament
	CodeClosed            = "tournament_closed"  // not taking this now (registration, check-in, withdrawal)
	CodeFull              = "tournament_full"    // no room for another team
	CodeAlreadyRegistered = "already_registered" // the caller is in a team of this tournament
	CodeNotRegistered     = "not_registered"     // check-in or withdrawal by someone not registered
	CodeNoSuchTeam        = "no_such_team"       // no team waits for a partner with this code
)

// fail answers a store error: the caller's (4xx) for the tournament
// errors, 503 with Retry-After (logged) for anything else.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	for _, e := range []struct {
		err    error
		status int
		code   string
	}{
		{pgstore.ErrTournamentNotFound, http.StatusNotFound, CodeNotFound},
		{pgstore.ErrTournamentClosed, http.StatusConflict, CodeClosed},
		{pgstore.ErrTournamentFull, http.StatusConflict, CodeFull},
		{pgstore.ErrAlreadyRegistered, http.StatusConflict, CodeAlreadyRegistered},
		{pgstore.ErrNotRegistered, http.StatusNotFound, CodeNotRegistered},
		{pgstore.ErrNoSuchTeam, http.StatusNotFound, CodeNoSuchTeam},
	} {
		if errors.Is(err, e.err) {
			httpauth.Error(w, e.status, e.code, strings.TrimPrefix(e.err.Error(), "pgstore: "))
			return
		}
	}
	if httpedge.IsDataError(err) {
		httpauth.Error(w, http.StatusNotFound, CodeNotFound, "not found")
		return
	}
	h.log.Error("tournaments", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "1")
	httpauth.Error(w, http.StatusServiceUnavailable, "unavailable", "try again shortly")
}

// maxBody bounds a request body.
const maxBody = 4 << 10

// decode reads exactly one JSON object with only known fields into v (an
// empty body is an empty object), answering bad_request otherwise.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := httpauth.ReadJSON(w, r, v, maxBody); err != nil && !errors.Is(err, io.EOF) {
		httpauth.Error(w, http.StatusBadRequest, CodeBadRequest, "a JSON object with the documented fields")
		return false
	}
	return true
}
