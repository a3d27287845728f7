package pgstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The public dashboard's queries (GET /api/dashboard): recent results and
// the top players.

// RecentResult is a finished match as the dashboard lists it.
type RecentResult struct {
	MatchID string    `json:"match"`
	EndedAt time.Time `json:"ended_at"`
	Winner  *int      `json:"winner"` // team; nil: no winner
	Score   [2]int    `json:"score"`
	Names   [4]string `json:"names"` // by seat
}

// RecentResults returns the last limit finished matches, newest first.
//
// The limit is written into the statement rather than passed: with LIMIT
// as its only parameter PostgreSQL judged a custom plan cheaper every time
// and planned the statement again on each call (0.5 ms, four times its
// execution); without parameters it is planned once per connection. Each
// match's seats are read from its own month (started_at), not probed in
// every month's partition.
func (s *Store) RecentResults(ctx context.Context, limit int) ([]RecentResult, error) {
	rows, err := s.stale.Query(ctx, `
		SELECT m.id, m.ended_at, m.winner, m.score0, m.score1,
		       (SELECT array_agg(name ORDER BY seat) FROM match_seats s
		        WHERE s.match_id = m.id AND s.started_at = m.started_at)
		FROM matches m WHERE m.ended_at IS NOT NULL
		ORDER BY m.ended_at DESC LIMIT `+strconv.Itoa(max(limit, 0)))
	if err != nil {
		return nil, fmt.Errorf("pgstore: recent results: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RecentResult, error) {
		var x RecentResult
		var winner *int16
		var s0, s1 int16
		var names []string
		err := r.Scan(&x.MatchID, &x.EndedAt, &winner, &s0, &s1, &names)
		if winner != nil {
			w := int(*winner)
			x.Winner = &w
		}
		x.Score = [2]int{int(s0), int(s1)}
		copy(x.Names[:], names)
		x.EndedAt = x.EndedAt.UTC()
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: recent results: %w", err)
	}
	if out == nil {
		out = []RecentResult{}
	}
	return out, nil
}

// TopPlayer is a line of the all-time leaderboard by matches won.
type TopPlayer struct {
	PlayerID string `json:"player"`
	Name     string `json:"name"`
	Won      int    `json:"won"`
	Played   int    `json:"played"`
}

// TopPlayers returns the limit players (bots excluded) with the most
// matches won (a match a player left is never one they won), all time, as
// of the last stats run (player_stats, by player_stats_won_idx: it read
// every stored seat before, 65 ms at 20,833 matches and growing with them).
func (s *Store) TopPlayers(ctx context.Context, limit int) ([]TopPlayer, error) {
	rows, err := s.stale.Query(ctx, `
		SELECT ps.player_id, p.name, ps.matches_won, ps.matches_played
		FROM player_stats ps JOIN players p ON p.id = ps.player_id
		ORDER BY ps.matches_won DESC, ps.matches_played, ps.player_id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: top players: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TopPlayer, error) {
		var x TopPlayer
		err := r.Scan(&x.PlayerID, &x.Name, &x.Won, &x.Played)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: top players: %w", err)
	}
	if out == nil {
		out = []TopPlayer{}
	}
	return out, nil
}
