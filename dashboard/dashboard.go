// Package dashboard serves hybrid read-only views that merge the live state
// in Redis with what PostgreSQL keeps:
//
//	GET /api/dashboard             live public tables, players online (Redis),
//	                               recent results, top players (PostgreSQL);
//	                               cached in Redis for CacheTTL (cache-aside)
//	GET /api/players/{id}/page     the public live table the player sits at, if
//	                               any (Redis), with their stats and recent matches
//	                               (PostgreSQL)
//
// A player's live table is looked for among the public tables of the lobby
// only (a private table is never shown): the candidates are the lobby
// tables of the player's recent matches and those with a seat under the
// player's current name, each checked by user id on the table itself. A
// player who renamed since sitting down at a table that has not finished a
// match yet is not found.
package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"

	"github.com/hokm-project/hokm/internal/metrics"
)

// Sizes and cache lifetime.
const (
	CacheTTL      = 15 * time.Second
	RecentLimit   = 10
	TopLimit      = 10
	TablesLimit   = 50
	PageMatches   = 10
	maxCandidates = 10
)

// PGStore is the PostgreSQL side; *pgstore.Store implements it.
type PGStore interface {
	RecentResults(ctx context.Context, limit int) ([]pgstore.RecentResult, error)
	TopPlayers(ctx context.Context, limit int) ([]pgstore.TopPlayer, error)
	PlayerStats(ctx context.Context, player string) (pgstore.PlayerStats, error)
	PlayerMatches(ctx context.Context, player string, after *pgstore.Cursor, limit int) ([]pgstore.PlayedMatch, error)
}

// Handler serves the endpoints. Build it with New.
type Handler struct {
	pg    PGStore
	redis *redisstore.Store
	log   *slog.Logger
	now   func() time.Time
}

// New returns the handlers.
func New(pg PGStore, rs *redisstore.Store, log *slog.Logger) *Handler {
	return &Handler{pg: pg, redis: rs, log: log, now: time.Now}
}

// Route is one endpoint (httpauth.Route).
type Route = httpauth.Route

// Routes lists the endpoints of the public listener.
func (h *Handler) Routes() []Route {
	return []Route{
		{Pattern: "GET /api/dashboard", Handler: http.HandlerFunc(h.dashboard)},
		{Pattern: "GET /api/players/{id}/page", Handler: http.HandlerFunc(h.page)},
	}
}

// Dashboard is the body of GET /api/dashboard.
type Dashboard struct {
	GeneratedAt   time.Time              `json:"generated_at"`
	PlayersOnline int                    `json:"players_online"`
	LiveTables    int                    `json:"live_tables"`
	Tables        []protocol.LobbyTable  `json:"tables"` // newest first, at most TablesLimit
	Recent        []pgstore.RecentResult `json:"recent"`
	Top           []pgstore.TopPlayer    `json:"top"`
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	rdb, key := h.redis.Client(), h.redis.Keys().DashboardCache()
	if b, err := rdb.Get(ctx, key).Bytes(); err == nil {
		write(w, "hit", b)
		return
	} else if !errors.Is(err, redis.Nil) {
		h.log.Warn("dashboard cache get", "err", err)
	}
	d, err := h.Build(ctx)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	b, _ := json.Marshal(d)
	if err := rdb.Set(ctx, key, b, CacheTTL).Err(); err != nil {
		h.log.Warn("dashboard cache set", "err", err)
	}
	write(w, "miss", b)
}

func write(w http.ResponseWriter, cache string, b []byte) {
	if cache == "hit" {
		metrics.CacheHit("dashboard")
	} else {
		metrics.CacheMiss("dashboard")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Cache", cache)
	w.Header().Set("Cache-Control", "public, max-age=5")
	_, _ = w.Write(b)
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("dashboard", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "1")
	httpauth.Error(w, http.StatusServiceUnavailable, "unavailable", "try again shortly")
}

// Build reads the dashboard from Redis and PostgreSQL (no cache); the four
// reads run concurrently.
func (h *Handler) Build(ctx context.Context) (Dashboard, error) {
	d := Dashboard{GeneratedAt: h.now().UTC().Truncate(time.Millisecond)}
	var errs [4]error
	done := make(chan struct{}, 4)
	var lobby []protocol.LobbyTable
	go func() {
		defer func() { done <- struct{}{} }()
		lobby, errs[0] = h.lobby(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		d.PlayersOnline, errs[1] = h.redis.PlayersOnline(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		d.Recent, errs[2] = h.pg.RecentResults(ctx, RecentLimit)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		d.Top, errs[3] = h.pg.TopPlayers(ctx, TopLimit)
	}()
	for range 4 {
		<-done
	}
	if err := errors.Join(errs[:]...); err != nil {
		return Dashboard{}, err
	}
	d.LiveTables = len(lobby)
	if len(lobby) > TablesLimit {
		lobby = lobby[:TablesLimit]
	}
	d.Tables = lobby
	return d, nil
}

// lobby returns the public live tables, newest first.
func (h *Handler) lobby(ctx context.Context) ([]protocol.LobbyTable, error) {
	vals, err := h.redis.Lobby(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.LobbyTable, 0, len(vals))
	for _, v := range vals {
		var t protocol.LobbyTable
		if json.Unmarshal([]byte(v), &t) == nil {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created > out[j].Created
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Page is the body of GET /api/players/{id}/page.
type Page struct {
	Player  PagePlayer           `json:"player"`
	Live    *protocol.LobbyTable `json:"live"` // null when not at a public live table
	LiveAt  *int                 `json:"live_seat,omitempty"`
	Matches []PageMatch          `json:"matches"` // newest first, at most PageMatches
}

// PagePlayer is the player with their totals.
type PagePlayer struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	MatchesPlayed int    `json:"matches_played"`
	MatchesWon    int    `json:"matches_won"`
}

// PageMatch is one finished match of the player.
type PageMatch struct {
	ID      string    `json:"id"`
	Started time.Time `json:"started_at"`
	Ended   time.Time `json:"ended_at"`
	Seat    int       `json:"seat"`
	Score   [2]int    `json:"score"`
	Won     bool      `json:"won"`
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	id := r.PathValue("id")
	if !httpedge.ValidID(id) {
		httpauth.Error(w, http.StatusNotFound, "not_found", "not found")
		return
	}
	st, err := h.pg.PlayerStats(ctx, id)
	if errors.Is(err, pgstore.ErrPlayerNotFound) || errors.Is(err, pgstore.ErrNotFound) || httpedge.IsDataError(err) {
		httpauth.Error(w, http.StatusNotFound, "not_found", "not found")
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	played, err := h.pg.PlayerMatches(ctx, id, nil, PageMatches)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	p := Page{Player: PagePlayer{ID: st.Player, Name: st.Name, MatchesPlayed: st.MatchesPlayed, MatchesWon: st.MatchesWon},
		Matches: make([]PageMatch, 0, len(played))}
	if p.Player.ID == "" {
		p.Player.ID = id
	}
	tables := map[string]bool{}
	for _, m := range played {
		tables[m.TableID] = true
		pm := PageMatch{ID: m.ID, Started: m.Started.UTC(), Ended: m.Ended.UTC(), Seat: m.Seat, Score: m.Score}
		pm.Won = m.Winner != nil && *m.Winner == m.Seat%2
		p.Matches = append(p.Matches, pm)
	}
	lobby, err := h.lobby(ctx)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	checked := 0
	for i := range lobby {
		t := &lobby[i]
		if !tables[t.ID] && !seatNamed(t, st.Name) {
			continue
		}
		if checked++; checked > maxCandidates {
			break
		}
		l, err := h.redis.LoadTable(ctx, t.ID)
		if err != nil {
			continue // gone since the listing
		}
		for seat, pl := range l.Table.Seats {
			if pl != nil && !pl.Bot && pl.ID == id {
				s := seat
				p.Live, p.LiveAt = t, &s
				break
			}
		}
		if p.Live != nil {
			break
		}
	}
	httpauth.JSON(w, http.StatusOK, p)
}

func seatNamed(t *protocol.LobbyTable, name string) bool {
	if name == "" {
		return false
	}
	for _, s := range t.Seats {
		if s != nil && !s.Bot && s.Name == name {
			return true
		}
	}
	return false
}
