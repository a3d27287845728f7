package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConfigEntry is one row of system_config.
type ConfigEntry struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	UpdatedAt time.Time       `json:"updated_at"`
	UpdatedBy string          `json:"updated_by"`
}

// ConfigEntries returns every row of system_config, by key.
func (s *Store) ConfigEntries(ctx context.Context) ([]ConfigEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, value, updated_at, updated_by FROM system_config ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: config entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ConfigEntry, error) {
		var e ConfigEntry
		var v []byte
		err := r.Scan(&e.Key, &v, &e.UpdatedAt, &e.UpdatedBy)
		e.Value = v
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: config entries: %w", err)
	}
	return out, nil
}

// SetConfig sets key to value (JSON) and appends an audit_log row (kind
// ops_config_set, no user, detail {key, value, old, operator}) in one
// transaction.
func (s *Store) SetConfig(ctx context.Context, key string, value json.RawMessage, operator string) error {
	if !json.Valid(value) {
		return fmt.Errorf("pgstore: set config %s: value is not JSON", key)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var old []byte
		err := tx.QueryRow(ctx, `SELECT value FROM system_config WHERE key = $1 FOR UPDATE`, key).Scan(&old)
		if err != nil && err != pgx.ErrNoRows {
			return fmt.Errorf("pgstore: set config %s: %w", key, err)
		}
		if old == nil {
			old = []byte("null")
		}
		_, err = tx.Exec(ctx, `INSERT INTO system_config (key, value, updated_at, updated_by)
			VALUES ($1, $2::jsonb, now(), $3)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by`,
			key, string(value), operator)
		if err != nil {
			return fmt.Errorf("pgstore: set config %s: %w", key, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (user_id, kind, detail)
			VALUES (NULL, 'ops_config_set', jsonb_build_object('key', $1::text, 'value', $2::jsonb,
				'old', $3::jsonb, 'operator', $4::text))`, key, string(value), string(old), operator)
		if err != nil {
			return fmt.Errorf("pgstore: audit config %s: %w", key, err)
		}
		return nil
	})
}

// RecentResult is a finished match as the dashboard lists it.
type RecentResult struct {
	MatchID string    `json:"match"`
	EndedAt time.Time `json:"ended_at"`
	Winner  *int      `json:"winner"` // team; nil: no winner
	Score   [2]int    `json:"score"`
	Names   [4]string `json:"names"` // by seat
}

// RecentResults returns the last limit finished matches, newest first.
func (s *Store) RecentResults(ctx context.Context, limit int) ([]RecentResult, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT m.id, m.ended_at, m.winner, m.score0, m.score1,
		       (SELECT array_agg(name ORDER BY seat) FROM match_seats WHERE match_id = m.id)
		FROM matches m WHERE m.ended_at IS NOT NULL
		ORDER BY m.ended_at DESC LIMIT $1`, limit)
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
// matches won, all time, from match_seats.
func (s *Store) TopPlayers(ctx context.Context, limit int) ([]TopPlayer, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT ms.player_id, max(p.name),
		       count(*) FILTER (WHERE m.winner = ms.seat % 2), count(*)
		FROM match_seats ms JOIN matches m ON m.id = ms.match_id JOIN players p ON p.id = ms.player_id
		WHERE ms.player_id IS NOT NULL AND m.ended_at IS NOT NULL
		GROUP BY ms.player_id
		ORDER BY 3 DESC, 4 ASC, 1 LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: top players: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TopPlayer, error) {
		var x TopPlayer
		var won, played int64
		err := r.Scan(&x.PlayerID, &x.Name, &won, &played)
		x.Won, x.Played = int(won), int(played)
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
