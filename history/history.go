// Package history serves, from PostgreSQL, a player's finished matches and
// stats, and a finished match's full record and trick-by-trick replay to
// the players who sat in it. A running match is not in PostgreSQL until it
// is over, so nothing here can show a card of a match still being played.
//
// Endpoints (docs/http-api.md, "History"):
//
//	GET /api/me/matches?limit=20&before=<cursor>  bearer
//	GET /api/players/{id}/stats
//	GET /api/matches/{id}                         bearer, its players only
//	GET /api/matches/{id}/replay                  bearer, its players only
package history

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/store/pgstore"
)

// Store is what the handlers read; *pgstore.Store implements it.
type Store interface {
	PlayerMatches(ctx context.Context, player string, after *pgstore.Cursor, limit int) ([]pgstore.PlayedMatch, error)
	PlayerStats(ctx context.Context, player string) (pgstore.PlayerStats, error)
	FinishedMatch(ctx context.Context, matchID string) (pgstore.MatchInfo, error)
	ExportRecord(ctx context.Context, matchID string) (game.Record, error)
	MatchResult(ctx context.Context, matchID string) ([]game.HandResult, [2]int, *int, error)
}

// Handler serves the history endpoints. Build it with New.
type Handler struct {
	store    Store
	sessions httpauth.Sessions
	log      *slog.Logger
}

// New returns the handlers over store, authenticating bearer tokens with
// sessions.
func New(store Store, sessions httpauth.Sessions, log *slog.Logger) *Handler {
	return &Handler{store: store, sessions: sessions, log: log}
}

// Route is one endpoint (httpauth.Route).
type Route = httpauth.Route

// Routes lists the endpoints to mount on the public listener.
func (h *Handler) Routes() []Route {
	return []Route{
		{Pattern: "GET /api/me/matches", Handler: httpauth.Require(h.sessions, h.myMatches)},
		{Pattern: "GET /api/players/{id}/stats", Handler: http.HandlerFunc(h.stats)},
		{Pattern: "GET /api/matches/{id}", Handler: httpauth.Require(h.sessions, h.match)},
		{Pattern: "GET /api/matches/{id}/replay", Handler: httpauth.Require(h.sessions, h.replay)},
	}
}

// Paging of /api/me/matches.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Error codes of the history endpoints (besides httpauth's bad_token and
// unavailable).
const (
	CodeBadRequest = "bad_request" // a malformed limit or cursor
	CodeNotFound   = "not_found"   // no such player, or no such finished match that the caller played
	CodeInternal   = "internal"    // a stored match that does not replay
)

// fail answers a store error: 404 for an unknown player or match (or an
// id PostgreSQL refuses as data: invalid text, SQLSTATE class 22 — the
// client's, not the server's), 503 with Retry-After (logged) for anything
// else.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, pgstore.ErrNotFound) || errors.Is(err, pgstore.ErrPlayerNotFound) || httpedge.IsDataError(err) {
		httpauth.Error(w, http.StatusNotFound, CodeNotFound, "not found")
		return
	}
	h.log.Error("history", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "1")
	httpauth.Error(w, http.StatusServiceUnavailable, "unavailable", "try again shortly")
}

// SeatJSON is a seat of a match as the endpoints show it.
type SeatJSON struct {
	Seat      int    `json:"seat"`
	Name      string `json:"name"`
	Player    string `json:"player,omitempty"` // user id; absent for a bot
	Bot       bool   `json:"bot,omitempty"`
	Abandoned bool   `json:"abandoned,omitempty"` // a bot finished the match for Player, who left it
}

func seatJSON(s pgstore.MatchSeat) SeatJSON {
	return SeatJSON{Seat: s.Seat, Name: s.Name, Player: s.PlayerID, Bot: s.Bot, Abandoned: s.Abandoned}
}

func seatsJSON(m *pgstore.MatchInfo) []SeatJSON {
	out := make([]SeatJSON, 4)
	for i, s := range m.Seats {
		out[i] = seatJSON(s)
	}
	return out
}

// millis truncates t to the millisecond (match times are kept in ms).
func millis(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
