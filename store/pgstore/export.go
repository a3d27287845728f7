package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/game"
)

// ExportRecord reads a stored match back as a game record — rules, the ace
// draw or the first Hakem, each hand's deck and every action in order — that
// game.Record.Replay plays to the stored results. It returns ErrNotFound for
// an unknown id.
func (s *Store) ExportRecord(ctx context.Context, matchID string) (game.Record, error) {
	return orPrimary(s, func(db DB) (game.Record, error) { return exportRecord(ctx, db, matchID) })
}

// The hands of match $1 — each one's deck and moves —, read from the month
// it started in only: the start, looked up first, prunes the other months'
// partitions when the statement runs (migrations/00015_partition_history.sql).
const exportHandsSQL = `SELECT deck, move_seats, move_values FROM match_hands
	WHERE match_id = $1 AND started_at = (SELECT started_at FROM matches WHERE id = $1) ORDER BY hand_no`

func exportRecord(ctx context.Context, db DB, matchID string) (game.Record, error) {
	var rec game.Record
	b := &pgx.Batch{}
	b.Queue("SELECT rules, first_hakem, draw FROM matches WHERE id = $1", matchID).
		QueryRow(func(row pgx.Row) error { return scanRecordHead(row, &rec) })
	b.Queue(exportHandsSQL, matchID).
		Query(func(rows pgx.Rows) error {
			hands, err := pgx.CollectRows(rows, pgx.RowToStructByPos[storedHand])
			rec.Actions = []game.RecordAction{} // (a record with none has an empty list)
			for _, h := range hands {
				rec.Deals = append(rec.Deals, h.Deck)
				for i, seat := range h.Seats { // (as many as values: a CHECK of match_hands)
					rec.Actions = append(rec.Actions, recordAction(seat, h.Values[i]))
				}
			}
			return err
		})
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return game.Record{}, fmt.Errorf("pgstore: export match %s: %w", matchID, notFound(err))
	}
	return rec, nil
}

func scanRecordHead(row pgx.Row, rec *game.Record) error {
	var rules []byte
	var first int
	if err := row.Scan(&rules, &first, &rec.Draw); err != nil {
		return err
	}
	rec.Rules = &game.Rules{}
	if err := json.Unmarshal(rules, rec.Rules); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	if rec.Draw == nil {
		rec.FirstHakem = &first
	}
	return nil
}

// storedHand is a hand's deck and moves as match_hands holds them.
type storedHand struct {
	Deck   []string
	Seats  []int
	Values []string
}

// recordAction is a stored move as a record's action: a suit letter is the
// trump choice, anything else a card.
func recordAction(seat int, value string) game.RecordAction {
	a := game.RecordAction{Seat: &seat}
	if len(value) == 1 {
		a.Trump = &value
	} else {
		a.Card = &value
	}
	return a
}

// notFound turns "no row" into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// MatchResult reads a stored match's completed hands in order, its score
// and its winning team (nil when it has none). It returns ErrNotFound for an
// unknown id.
func (s *Store) MatchResult(ctx context.Context, matchID string) ([]game.HandResult, [2]int, *int, error) {
	r, err := orPrimary(s, func(db DB) (matchResult, error) { return readMatchResult(ctx, db, matchID) })
	return r.hands, r.score, r.winner, err
}

type matchResult struct {
	hands  []game.HandResult
	score  [2]int
	winner *int
}

func readMatchResult(ctx context.Context, db DB, matchID string) (matchResult, error) {
	var hands []game.HandResult
	var score [2]int
	var winner *int
	var err error
	b := &pgx.Batch{}
	b.Queue("SELECT score0, score1, winner FROM matches WHERE id = $1", matchID).
		QueryRow(func(row pgx.Row) error { return row.Scan(&score[0], &score[1], &winner) })
	b.Queue(`SELECT hakem, trump, tricks0, tricks1, winner, points, kind FROM match_hands
	         WHERE match_id = $1 AND started_at = (SELECT started_at FROM matches WHERE id = $1)
	         AND winner IS NOT NULL ORDER BY hand_no`, matchID).
		Query(func(rows pgx.Rows) error {
			hands, err = pgx.CollectRows(rows, scanHandResult)
			return err
		})
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return matchResult{}, fmt.Errorf("pgstore: match result %s: %w", matchID, notFound(err))
	}
	return matchResult{hands, score, winner}, nil
}

func scanHandResult(row pgx.CollectableRow) (game.HandResult, error) {
	var h game.HandResult
	var trump, kind string
	if err := row.Scan(&h.Hakem, &trump, &h.Tricks[0], &h.Tricks[1], &h.Winner, &h.Points, &kind); err != nil {
		return h, err
	}
	h.Kind = game.Kind(kind)
	suit, ok := game.ParseSuit(trump)
	if !ok {
		return h, fmt.Errorf("hand trump %q is not a suit", trump)
	}
	h.Trump = suit
	return h, nil
}
