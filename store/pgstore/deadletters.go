package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrDeadLetterNotFound: no dead letter has that id.
var ErrDeadLetterNotFound = errors.New("pgstore: dead letter not found")

// DeadLetter is one dead_letters row: an asynq task that was archived.
type DeadLetter struct {
	ID          int64
	TaskID      string
	TaskType    string
	Queue       string
	Payload     []byte
	Error       string
	Retried     int
	ArchivedAt  time.Time  // RecordDeadLetter: zero means now
	ReplayedAt  *time.Time // nil: never replayed
	ReplayCount int
}

// RecordDeadLetter stores an archived task (archived now, unless
// d.ArchivedAt is set). The same task archived again (after a replay that
// failed once more) updates its row with the new error and time and keeps
// its id and replay history.
func (s *Store) RecordDeadLetter(ctx context.Context, d DeadLetter) (int64, error) {
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	var at *time.Time
	if !d.ArchivedAt.IsZero() {
		at = &d.ArchivedAt
	}
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO dead_letters (task_id, task_type, queue, payload, error, retried, archived_at)
		VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()))
		ON CONFLICT (task_id) DO UPDATE SET task_type = EXCLUDED.task_type, queue = EXCLUDED.queue,
			payload = EXCLUDED.payload, error = EXCLUDED.error, retried = EXCLUDED.retried,
			archived_at = EXCLUDED.archived_at
		RETURNING id`, d.TaskID, d.TaskType, d.Queue, d.Payload, d.Error, d.Retried, at).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("pgstore: record dead letter %s: %w", d.TaskID, err)
	}
	return id, nil
}

const deadLetterCols = `id, task_id, task_type, queue, payload, error, retried, archived_at, replayed_at, replay_count`

func scanDeadLetter(row pgx.Row) (DeadLetter, error) {
	var d DeadLetter
	err := row.Scan(&d.ID, &d.TaskID, &d.TaskType, &d.Queue, &d.Payload, &d.Error, &d.Retried, &d.ArchivedAt,
		&d.ReplayedAt, &d.ReplayCount)
	return d, err
}

// DeadLetters lists every dead letter, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deadLetterCols+` FROM dead_letters ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list dead letters: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		d, err := scanDeadLetter(rows)
		if err != nil {
			return nil, fmt.Errorf("pgstore: list dead letters: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: list dead letters: %w", err)
	}
	return out, nil
}

// DeadLetter reads one dead letter by id (ErrDeadLetterNotFound if none).
func (s *Store) DeadLetter(ctx context.Context, id int64) (DeadLetter, error) {
	d, err := scanDeadLetter(s.pool.QueryRow(ctx, `SELECT `+deadLetterCols+` FROM dead_letters WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return DeadLetter{}, fmt.Errorf("%w: %d", ErrDeadLetterNotFound, id)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("pgstore: dead letter %d: %w", id, err)
	}
	return d, nil
}

// MarkDeadLetterReplayed sets replayed_at to now, counts the replay and
// appends an audit_log row (kind ops_dlq_replay, no user, detail
// {id, task_id}) in one transaction.
func (s *Store) MarkDeadLetterReplayed(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var taskID string
		err := tx.QueryRow(ctx, `UPDATE dead_letters SET replayed_at = now(), replay_count = replay_count + 1
			WHERE id = $1 RETURNING task_id`, id).Scan(&taskID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %d", ErrDeadLetterNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("pgstore: mark dead letter %d replayed: %w", id, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (user_id, kind, detail)
			VALUES (NULL, 'ops_dlq_replay', jsonb_build_object('id', $1::bigint, 'task_id', $2::text))`, id, taskID)
		if err != nil {
			return fmt.Errorf("pgstore: audit dead letter replay %d: %w", id, err)
		}
		return nil
	})
}
