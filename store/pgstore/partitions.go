package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The tables partitioned by month (migrations/00015_partition_history.sql):
// the match tables by the match's start, the audit log by its time. A
// month's partition of table t is t_pYYYYMM, from its first instant (UTC)
// to the next month's.
var (
	// MatchTables are the match tables, children before parents: the order
	// to detach a month in (a child's rows point at its parent's).
	MatchTables = []string{"match_hands", "match_seats", "matches"}
	// PartitionedTables are every table partitioned by month.
	PartitionedTables = append(append([]string{}, MatchTables...), "audit_log")
)

// EnsurePartitions creates the monthly partitions of every partitioned
// table for the months from first to last (UTC) that do not have them,
// and returns how many it created. Concurrent callers wait for each other.
func (s *Store) EnsurePartitions(ctx context.Context, first, last time.Time) (int, error) {
	var made int
	if err := s.pool.QueryRow(ctx, "SELECT hokm_month_partitions($1::date, $2::date)",
		first.UTC().Format(time.DateOnly), last.UTC().Format(time.DateOnly)).Scan(&made); err != nil {
		return 0, fmt.Errorf("pgstore: create partitions %s to %s: %w", first.UTC().Format("2006-01"), last.UTC().Format("2006-01"), err)
	}
	return made, nil
}

// noPartition reports whether err is PostgreSQL finding no partition for a
// row (SQLSTATE 23514 with that message): a month nobody made yet, not bad
// data.
func noPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && strings.HasPrefix(pe.Message, "no partition of relation")
}

// Partition is one month's partition of a partitioned table.
type Partition struct {
	Table string    // the parent: "matches", "audit_log", …
	Name  string    // the partition: "matches_p202612"
	Month time.Time // its first instant, UTC
}

var partitionName = regexp.MustCompile(`^(.+)_p(\d{6})$`)

// Partitions lists the monthly partitions attached to the partitioned
// tables, by table then month.
func (s *Store) Partitions(ctx context.Context) ([]Partition, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.relname, c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = ANY($1) AND pg_table_is_visible(c.oid) ORDER BY 1, 2`, PartitionedTables)
	if err != nil {
		return nil, fmt.Errorf("pgstore: partitions: %w", err)
	}
	var out []Partition
	var parent, name string
	_, err = pgx.ForEachRow(rows, []any{&parent, &name}, func() error {
		m := partitionName.FindStringSubmatch(name)
		if m == nil || m[1] != parent {
			return nil // not one of ours (an operator's own): left alone
		}
		month, err := time.Parse("200601", m[2])
		if err != nil {
			return nil
		}
		out = append(out, Partition{Table: parent, Name: name, Month: month})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: partitions: %w", err)
	}
	return out, nil
}

// DetachMatchMonths detaches from the match tables every month that ended
// before before (UTC), children first, and returns the partitions detached.
// A detached partition stays in the database as a table of its own, without
// foreign keys — an archive to dump and drop — and no query of the server
// reads it any more.
func (s *Store) DetachMatchMonths(ctx context.Context, before time.Time) ([]string, error) {
	parts, err := s.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	byTable := map[string][]Partition{}
	for _, p := range parts {
		if !p.Month.AddDate(0, 1, 0).After(before.UTC()) {
			byTable[p.Table] = append(byTable[p.Table], p)
		}
	}
	var done []string
	for _, t := range MatchTables {
		for _, p := range byTable[t] {
			if err := s.detach(ctx, t, p.Name); err != nil {
				return done, err
			}
			done = append(done, p.Name)
		}
	}
	return done, nil
}

// detach takes partition out of table in one transaction, with the foreign
// keys it kept to the match tables: an archived month points nowhere, and
// its parent month can be detached after it.
func (s *Store) detach(ctx context.Context, table, partition string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s",
			pgx.Identifier{table}.Sanitize(), pgx.Identifier{partition}.Sanitize())); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT conname FROM pg_constraint
			WHERE conrelid = $1::regclass AND contype = 'f' AND conparentid = 0 ORDER BY conname`, partition)
		if err != nil {
			return err
		}
		fks, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, fk := range fks {
			if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s",
				pgx.Identifier{partition}.Sanitize(), pgx.Identifier{fk}.Sanitize())); err != nil {
				return err
			}
		}
		// Stored matches went: the next stats run recomputes them all, and
		// the days too (dropping their bound: a stats run of the previous
		// release, during a rolling upgrade, would recompute the rest but
		// not the days; the boards count the matches meanwhile).
		_, err = tx.Exec(ctx, `UPDATE stats_progress SET full_asked = true, days_bound = NULL`)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: detach %s: %w", partition, err)
	}
	return nil
}
