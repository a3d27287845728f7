package history

import (
	"net/http"
	"time"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// MatchesPage is the answer of GET /api/me/matches.
type MatchesPage struct {
	Matches []MatchItem `json:"matches"`
	// Next is the cursor of the following page (pass it as ?before=);
	// absent on the last page.
	Next string `json:"next,omitempty"`
}

// MatchItem is one finished match from the caller's side.
type MatchItem struct {
	ID         string     `json:"id"`
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    time.Time  `json:"ended_at"`
	Rules      game.Rules `json:"rules"`
	Seat       int        `json:"seat"`
	Team       int        `json:"team"`
	Partner    SeatJSON   `json:"partner"`
	Opponents  []SeatJSON `json:"opponents"`
	OwnScore   int        `json:"own_score"`
	OtherScore int        `json:"other_score"`
	Won        bool       `json:"won"` // the caller's team won and the caller did not leave the match
	// Result is the match's outcome for the caller: ResultWon, ResultLost,
	// ResultAbandoned (they left it and a bot finished it for them,
	// whatever their team's score) or ResultNone (no winner).
	Result      string `json:"result"`
	HandsPlayed int    `json:"hands_played"`
	Abandoned   bool   `json:"abandoned,omitempty"` // the caller left it; a bot finished it
}

// Results of a match for one player (MatchItem.Result, MatchJSON.Result).
const (
	ResultWon       = "won"
	ResultLost      = "lost"
	ResultAbandoned = "abandoned"
	ResultNone      = "none"
)

// resultFor is the result for a player of team in a match won by winner
// (nil: none), who left it when abandoned.
func resultFor(winner *int, team int, abandoned bool) string {
	switch {
	case abandoned:
		return ResultAbandoned
	case winner == nil:
		return ResultNone
	case *winner == team:
		return ResultWon
	}
	return ResultLost
}

// myMatches serves GET /api/me/matches?limit=&before=.
func (h *Handler) myMatches(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	limit, after, ok := pageParams(r)
	if !ok {
		httpauth.Error(w, http.StatusBadRequest, CodeBadRequest, "limit must be 1..100 and before a cursor from a previous page")
		return
	}
	ms, err := h.store.PlayerMatches(r.Context(), sess.User, after, limit+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := MatchesPage{Matches: make([]MatchItem, 0, min(len(ms), limit))}
	for i := range ms[:min(len(ms), limit)] {
		page.Matches = append(page.Matches, matchItem(&ms[i]))
	}
	if len(ms) > limit {
		page.Next = ms[limit-1].Cursor().String()
	}
	httpauth.JSON(w, http.StatusOK, page)
}

// pageParams reads limit (default 20) and the before cursor.
func pageParams(r *http.Request) (limit int, after *pgstore.Cursor, ok bool) {
	limit, before, ok := httpedge.Page(r, DefaultLimit, MaxLimit)
	if !ok || before == "" {
		return limit, nil, ok
	}
	c, err := pgstore.ParseCursor(before)
	if err != nil || !httpedge.ValidID(c.ID) {
		return 0, nil, false
	}
	return limit, &c, true
}

func matchItem(pm *pgstore.PlayedMatch) MatchItem {
	seat, team := pm.Seat, game.Team(pm.Seat)
	result := resultFor(pm.Winner, team, pm.Seats[seat].Abandoned)
	return MatchItem{
		ID: pm.ID, StartedAt: millis(pm.Started), EndedAt: millis(pm.Ended), Rules: pm.Rules.Normalized(),
		Seat: seat, Team: team,
		Partner:     seatJSON(pm.Seats[game.Partner(seat)]),
		Opponents:   []SeatJSON{seatJSON(pm.Seats[game.Next(seat)]), seatJSON(pm.Seats[game.Prev(seat)])},
		OwnScore:    pm.Score[team],
		OtherScore:  pm.Score[1-team],
		Won:         result == ResultWon,
		Result:      result,
		Abandoned:   pm.Seats[seat].Abandoned,
		HandsPlayed: pm.HandsPlayed,
	}
}
