package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Checkpoint is the state of a running match when one of its hands has just
// ended: HandNo is the hand's index (0 for the first), State the engine
// state's binary encoding at the start of the next hand (or at the end of
// the match), Results every hand result so far.
type Checkpoint struct {
	MatchID string          `json:"match_id"`
	HandNo  int             `json:"hand_no"`
	TableID string          `json:"table_id"`
	State   []byte          `json:"state"`
	Results json.RawMessage `json:"results"`
	Score   [2]int          `json:"score"`
}

// WriteCheckpoint stores c idempotently: inserted is false when the hand's
// checkpoint was already there.
func (s *Store) WriteCheckpoint(ctx context.Context, c Checkpoint) (inserted bool, err error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO hand_checkpoints (match_id, hand_no, table_id, state, results, score)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (match_id, hand_no) DO NOTHING`,
		c.MatchID, c.HandNo, c.TableID, c.State, []byte(c.Results), []int32{int32(c.Score[0]), int32(c.Score[1])})
	if err != nil {
		return false, fmt.Errorf("pgstore: write checkpoint %s/%d: %w", c.MatchID, c.HandNo, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Checkpoints reads a match's hand checkpoints in hand order.
func (s *Store) Checkpoints(ctx context.Context, matchID string) ([]Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT match_id, hand_no, table_id, state, results, score
		FROM hand_checkpoints WHERE match_id = $1 ORDER BY hand_no`, matchID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: checkpoints %s: %w", matchID, err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Checkpoint, error) {
		var c Checkpoint
		var results []byte
		var score []int32
		if err := row.Scan(&c.MatchID, &c.HandNo, &c.TableID, &c.State, &results, &score); err != nil {
			return c, err
		}
		c.Results = results
		if len(score) == 2 {
			c.Score = [2]int{int(score[0]), int(score[1])}
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: checkpoints %s: %w", matchID, err)
	}
	return cs, nil
}

// sampleSQL picks up to $2 random stored matches with a winner from about
// $1 percent of each month's pages (TABLESAMPLE SYSTEM reads that share of
// the table, not all of it, as ORDER BY random() alone would), in random
// order.
const sampleSQL = `SELECT id FROM matches TABLESAMPLE SYSTEM ($1) WHERE winner IS NOT NULL ORDER BY random() LIMIT $2`

// SampleFinishedMatches returns up to n ids of stored matches that have a
// winner, picked at random. It reads the share of the matches' pages that
// holds about 20 n of them by the planner's count (all of them while the
// table is small or not analyzed), and a ten times larger share while that
// found fewer than n.
func (s *Store) SampleFinishedMatches(ctx context.Context, n int) ([]string, error) {
	var stored float64
	if err := s.stale.QueryRow(ctx, `SELECT coalesce(sum(c.reltuples) FILTER (WHERE c.reltuples > 0), 0)
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'matches'::regclass`).Scan(&stored); err != nil {
		return nil, fmt.Errorf("pgstore: sample matches: %w", err)
	}
	percent := 100.0
	if stored > 0 {
		percent = min(100, 100*20*float64(n)/stored)
	}
	for {
		rows, err := s.stale.Query(ctx, sampleSQL, percent, n)
		if err != nil {
			return nil, fmt.Errorf("pgstore: sample matches: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("pgstore: sample matches: %w", err)
		}
		if len(ids) >= n || percent >= 100 {
			return ids, nil
		}
		percent = min(100, percent*10)
	}
}

// StoredMatches returns which of ids are stored, in one query.
func (s *Store) StoredMatches(ctx context.Context, ids []string) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, "SELECT id FROM matches WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("pgstore: stored matches: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: stored matches: %w", err)
	}
	m := make(map[string]bool, len(found))
	for _, id := range found {
		m[id] = true
	}
	return m, nil
}
