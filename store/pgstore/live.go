package pgstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// LiveTable is one row of the table journal (live_tables): a live table's
// latest state as its Redis hash holds it.
type LiveTable struct {
	ID      string
	Epoch   int64
	Seq     int64
	Meta    []byte // table.Meta JSON
	State   []byte // the sealed state blob
	Status  string // table.Status
	MatchID string // the current match's id, "" before the first
	Updated time.Time
}

// SaveLiveTables upserts rows in one statement. A row only replaces one
// that is older by (epoch, seq), so journal writers that race or run late
// never take a table back. Ids must be unique within rows. Rows are written
// in id order, so two writers never lock the same rows in opposite orders
// (a deadlock PostgreSQL would break by failing one of them).
func (s *Store) SaveLiveTables(ctx context.Context, rows []LiveTable) error {
	if len(rows) == 0 {
		return nil
	}
	rows = slices.SortedFunc(slices.Values(rows), func(a, b LiveTable) int { return strings.Compare(a.ID, b.ID) })
	ids, eps, seqs := make([]string, len(rows)), make([]int64, len(rows)), make([]int64, len(rows))
	metas, states := make([]string, len(rows)), make([][]byte, len(rows))
	statuses, matches := make([]string, len(rows)), make([]*string, len(rows))
	for i, r := range rows {
		ids[i], eps[i], seqs[i], metas[i], states[i], statuses[i] = r.ID, r.Epoch, r.Seq, string(r.Meta), r.State, r.Status
		if r.MatchID != "" {
			matches[i] = &rows[i].MatchID
		}
	}
	// (A finished row replaced by a row of another match or status is
	// kept in journal_finished first, by the table's trigger: migration
	// 00021.)
	_, err := s.pool.Exec(ctx, `INSERT INTO live_tables (table_id, epoch, seq, meta, state, status, match_id)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bytea[], $6::text[], $7::text[])
		ON CONFLICT (table_id) DO UPDATE SET epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, meta = EXCLUDED.meta,
			state = EXCLUDED.state, status = EXCLUDED.status, match_id = EXCLUDED.match_id, updated_at = now()
		WHERE (live_tables.epoch, live_tables.seq) < (EXCLUDED.epoch, EXCLUDED.seq)`,
		ids, eps, seqs, metas, states, statuses, matches)
	if err != nil {
		return fmt.Errorf("pgstore: save %d live tables: %w", len(rows), err)
	}
	return nil
}

const liveColumns = `table_id, epoch, seq, meta, state, status, coalesce(match_id, ''), updated_at`

func scanLive(row pgx.CollectableRow) (LiveTable, error) {
	var r LiveTable
	var meta string
	err := row.Scan(&r.ID, &r.Epoch, &r.Seq, &meta, &r.State, &r.Status, &r.MatchID, &r.Updated)
	r.Meta = []byte(meta)
	return r, err
}

// LiveTables returns up to limit journal rows changed since since, with
// ids after after (keyset pages: pass the last id of the previous page).
func (s *Store) LiveTables(ctx context.Context, since time.Time, after string, limit int) ([]LiveTable, error) {
	return s.queryLive(ctx, "live tables", `SELECT `+liveColumns+` FROM live_tables
		WHERE updated_at >= $1 AND table_id > $2 ORDER BY table_id LIMIT $3`, since, after, limit)
}

// queryLive runs sql, whose columns are liveColumns' (or passedColumns'),
// and collects its rows; what names them in its error.
func (s *Store) queryLive(ctx context.Context, what, sql string, args ...any) ([]LiveTable, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err == nil {
		var out []LiveTable
		if out, err = pgx.CollectRows(rows, scanLive); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("pgstore: %s: %w", what, err)
}

// LiveTable returns the journal row of table id if it changed since since;
// nil when there is none.
func (s *Store) LiveTable(ctx context.Context, id string, since time.Time) (*LiveTable, error) {
	out, err := s.queryLive(ctx, "live table "+id, `SELECT `+liveColumns+` FROM live_tables
		WHERE table_id = $1 AND updated_at >= $2`, id, since)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// FinishedUnstored returns up to limit journal rows of finished matches
// that are not in matches and have not changed since before (older rows
// first): matches whose persistence was lost with Redis.
func (s *Store) FinishedUnstored(ctx context.Context, before time.Time, limit int) ([]LiveTable, error) {
	return s.queryLive(ctx, "finished unstored tables", `SELECT * FROM (
			SELECT `+liveColumns+` FROM live_tables l
			WHERE l.status = 'finished' AND l.match_id IS NOT NULL AND l.updated_at < $1
			AND NOT EXISTS (SELECT FROM matches m WHERE m.id = l.match_id)
			UNION ALL
			SELECT `+passedColumns+` FROM journal_finished f
			WHERE f.updated_at < $1 AND NOT EXISTS (SELECT FROM matches m WHERE m.id = f.match_id)
		) u ORDER BY updated_at LIMIT $2`, before, limit)
}

// passedColumns are journal_finished's columns as a live_tables row's
// (liveColumns): each is a finished table's row.
const passedColumns = `table_id, epoch, seq, meta, state, 'finished', match_id, updated_at`

// PassedFinished returns up to limit finished matches the journal moved
// past (their table went on: the rematch offer ended, the next match
// started) that are not stored, as the journal rows of their finished
// tables, oldest first. After Redis lost their persist tasks, nothing else
// holds them.
func (s *Store) PassedFinished(ctx context.Context, limit int) ([]LiveTable, error) {
	return s.queryLive(ctx, "passed finished matches", `SELECT `+passedColumns+` FROM journal_finished f
		WHERE NOT EXISTS (SELECT FROM matches m WHERE m.id = f.match_id)
		ORDER BY f.updated_at LIMIT $1`, limit)
}

// DeleteLiveTables removes the journal rows of tables that are gone for
// good (cleaned up), except finished ones whose match is not stored yet.
func (s *Store) DeleteLiveTables(ctx context.Context, ids []string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM live_tables l WHERE l.table_id = ANY($1)
		AND (l.status <> 'finished' OR l.match_id IS NULL OR EXISTS (SELECT FROM matches m WHERE m.id = l.match_id))`, ids)
	if err != nil {
		return 0, fmt.Errorf("pgstore: delete live tables: %w", err)
	}
	return tag.RowsAffected(), nil
}

// PurgeLiveTables removes journal rows unchanged since before (their Redis
// table expired), except finished ones whose match is not stored yet.
// The finished matches the journal moved past go once stored.
func (s *Store) PurgeLiveTables(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM live_tables l WHERE l.updated_at < $1
		AND (l.status <> 'finished' OR l.match_id IS NULL OR EXISTS (SELECT FROM matches m WHERE m.id = l.match_id))`, before)
	if err != nil {
		return 0, fmt.Errorf("pgstore: purge live tables: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM journal_finished f WHERE EXISTS (SELECT FROM matches m WHERE m.id = f.match_id)`); err != nil {
		return 0, fmt.Errorf("pgstore: purge passed finished matches: %w", err)
	}
	return tag.RowsAffected(), nil
}
