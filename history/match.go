package history

import (
	"math"
	"net/http"
	"time"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// StatsJSON is the answer of GET /api/players/{id}/stats (see
// pgstore.PlayerStats for what each number counts).
type StatsJSON struct {
	Player           string  `json:"player"`
	Name             string  `json:"name"`
	MatchesPlayed    int     `json:"matches_played"`
	MatchesWon       int     `json:"matches_won"`
	MatchesAbandoned int     `json:"matches_abandoned"`
	WinRate          float64 `json:"win_rate"` // matches_won / matches_played, 0..1, 4 decimals; 0 without matches
	HandsPlayed      int     `json:"hands_played"`
	HandsWon         int     `json:"hands_won"`
	KotsGiven        int     `json:"kots_given"`
	KotsTaken        int     `json:"kots_taken"`
	HakemKotsGiven   int     `json:"hakem_kots_given"`
	HakemKotsTaken   int     `json:"hakem_kots_taken"`
	TricksTaken      int     `json:"tricks_taken"`
	SecondsPlayed    int64   `json:"seconds_played"`
}

// stats serves GET /api/players/{id}/stats; anyone may read them.
func (h *Handler) stats(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !httpedge.ValidID(id) {
		httpauth.Error(w, http.StatusNotFound, CodeNotFound, "not found")
		return
	}
	st, err := h.store.PlayerStats(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, statsJSON(st))
}

func statsJSON(st pgstore.PlayerStats) StatsJSON {
	out := StatsJSON{
		Player: st.Player, Name: st.Name, MatchesPlayed: st.MatchesPlayed, MatchesWon: st.MatchesWon,
		MatchesAbandoned: st.MatchesLeft, HandsPlayed: st.HandsPlayed, HandsWon: st.HandsWon,
		KotsGiven: st.KotsGiven, KotsTaken: st.KotsTaken, HakemKotsGiven: st.HakemKotsGiven,
		HakemKotsTaken: st.HakemKotsTaken, TricksTaken: st.TricksTaken,
		SecondsPlayed: int64(st.TimePlayed / time.Second),
	}
	if st.MatchesPlayed > 0 {
		out.WinRate = math.Round(float64(st.MatchesWon)/float64(st.MatchesPlayed)*1e4) / 1e4
	}
	return out
}

// MatchJSON is the head of a finished match as GET /api/matches/{id} and
// its replay show it.
type MatchJSON struct {
	ID        string     `json:"id"`
	TableID   string     `json:"table_id"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   time.Time  `json:"ended_at"`
	Seats     []SeatJSON `json:"seats"`
	YourSeat  int        `json:"your_seat"`
	// YourResult is the match's outcome for the caller (see
	// MatchItem.Result): "abandoned" when they left it.
	YourResult  string `json:"your_result"`
	Abandoned   bool   `json:"abandoned,omitempty"` // the caller left this match; a bot finished it
	HandsPlayed int    `json:"hands_played"`
}

// RecordJSON is the answer of GET /api/matches/{id}: the match, each hand's
// result, the final score and the full record (game.Record, the format
// `hokm replay` reads).
type RecordJSON struct {
	MatchJSON
	Rules  game.Rules        `json:"rules"`
	Hands  []game.HandResult `json:"hands"`
	Score  [2]int            `json:"score"`
	Winner *int              `json:"winner"`
	Record game.Record       `json:"record"`
}

// ReplayJSON is the answer of GET /api/matches/{id}/replay.
type ReplayJSON struct {
	MatchJSON
	*Replay
}

// finished returns the finished match of the request's {id} and the
// caller's seat in it, or answers 404 — the same for a match that does not
// exist, is not finished, or that the caller did not play — and returns
// false.
func (h *Handler) finished(w http.ResponseWriter, r *http.Request, sess redisstore.Session) (*pgstore.MatchInfo, bool) {
	id := r.PathValue("id")
	if !httpedge.ValidID(id) {
		httpauth.Error(w, http.StatusNotFound, CodeNotFound, "not found")
		return nil, false
	}
	m, err := h.store.FinishedMatch(r.Context(), id)
	if err == nil && m.SeatOf(sess.User) < 0 {
		err = pgstore.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return &m, true
}

// finishedRecord is finished's match with its game record.
func (h *Handler) finishedRecord(w http.ResponseWriter, r *http.Request, sess redisstore.Session) (*pgstore.MatchInfo, game.Record, bool) {
	m, ok := h.finished(w, r, sess)
	if !ok {
		return nil, game.Record{}, false
	}
	rec, err := h.store.ExportRecord(r.Context(), m.ID)
	if err != nil {
		h.fail(w, r, err)
		return nil, game.Record{}, false
	}
	return m, rec, true
}

func matchJSON(m *pgstore.MatchInfo, user string) MatchJSON {
	seat := m.SeatOf(user) // the caller played it: finished checked
	abandoned := seat >= 0 && m.Seats[seat].Abandoned
	return MatchJSON{
		ID: m.ID, TableID: m.TableID, StartedAt: millis(m.Started), EndedAt: millis(m.Ended),
		Seats: seatsJSON(m), YourSeat: seat, YourResult: resultFor(m.Winner, game.Team(max(seat, 0)), abandoned),
		Abandoned: abandoned, HandsPlayed: m.HandsPlayed,
	}
}

// match serves GET /api/matches/{id}.
func (h *Handler) match(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	m, rec, ok := h.finishedRecord(w, r, sess)
	if !ok {
		return
	}
	hands, score, winner, err := h.store.MatchResult(r.Context(), m.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, RecordJSON{
		MatchJSON: matchJSON(m, sess.User), Rules: m.Rules.Normalized(),
		Hands: hands, Score: score, Winner: winner, Record: rec,
	})
}

// replay serves GET /api/matches/{id}/replay.
func (h *Handler) replay(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	m, rec, ok := h.finishedRecord(w, r, sess)
	if !ok {
		return
	}
	rp, err := NewReplay(rec)
	if err != nil {
		h.log.Error("history: replay", "match", m.ID, "err", err)
		httpauth.Error(w, http.StatusInternalServerError, CodeInternal, "this match cannot be replayed")
		return
	}
	httpauth.JSON(w, http.StatusOK, ReplayJSON{MatchJSON: matchJSON(m, sess.User), Replay: rp})
}
