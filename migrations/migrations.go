// Package migrations holds the PostgreSQL schema as goose SQL migrations,
// embedded in the binary, and the functions that apply and report them.
// Every migration runs in its own transaction; concurrent Up calls (several
// workers starting at once) are serialized by a lease in goose_lock, which
// works through pgbouncer's transaction pooling too.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// Up applies every pending migration to the database at dsn. Applying an
// up-to-date database does nothing. It returns the first migration error.
func Up(ctx context.Context, dsn string) error {
	return withProvider(ctx, dsn, func(p *goose.Provider) error {
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("migrations: up: %w", err)
		}
		return nil
	})
}

// UpTo applies the pending migrations up to and including version (for
// tests of a migration over data written by the schema before it).
func UpTo(ctx context.Context, dsn string, version int64) error {
	return withProvider(ctx, dsn, func(p *goose.Provider) error {
		if _, err := p.UpTo(ctx, version); err != nil {
			return fmt.Errorf("migrations: up to %d: %w", version, err)
		}
		return nil
	})
}

// DownTo rolls the migrations after version back, newest first (each
// migration's Down section in its own transaction).
func DownTo(ctx context.Context, dsn string, version int64) error {
	return withProvider(ctx, dsn, func(p *goose.Provider) error {
		if _, err := p.DownTo(ctx, version); err != nil {
			return fmt.Errorf("migrations: down to %d: %w", version, err)
		}
		return nil
	})
}

// Status writes one line per known migration to w: its version, file name
// and whether it is applied (with the time) or pending.
func Status(ctx context.Context, dsn string, w io.Writer) error {
	return withProvider(ctx, dsn, func(p *goose.Provider) error {
		list, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrations: status: %w", err)
		}
		for _, st := range list {
			if err := writeStatus(w, st); err != nil {
				return fmt.Errorf("migrations: status: %w", err)
			}
		}
		return nil
	})
}

func writeStatus(w io.Writer, st *goose.MigrationStatus) error {
	name := path.Base(st.Source.Path)
	if st.State == goose.StateApplied {
		_, err := fmt.Fprintf(w, "%05d  %-32s  %s  %s\n", st.Source.Version, name, st.State,
			st.AppliedAt.UTC().Format("2006-01-02 15:04:05Z"))
		return err
	}
	_, err := fmt.Fprintf(w, "%05d  %-32s  %s\n", st.Source.Version, name, st.State)
	return err
}

// withProvider opens dsn through pgx's database/sql driver, builds a goose
// provider over the embedded files and runs fn with it.
func withProvider(ctx context.Context, dsn string, fn func(*goose.Provider) error) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("migrations: parse dsn: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := newProvider(db)
	if err != nil {
		return err
	}
	return fn(p)
}

func newProvider(db *sql.DB) (*goose.Provider, error) {
	// The lock is a row of goose_lock with a lease renewed every 5 s, not a
	// session advisory lock: behind pgbouncer in transaction pooling mode a
	// session lock stays with whichever server connection took it, and its
	// unlock lands on another. A migrator that dies leaves the lease to
	// expire (30 s). One-second probes: a second process starting at the
	// same moment waits about a second for the first one's migrations.
	locker, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(time.Second, 300),
		lock.WithTableLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, fmt.Errorf("migrations: table locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("migrations: provider: %w", err)
	}
	return p, nil
}

// EnsureDatabase creates the database named in dsn when it does not exist,
// connecting to the "postgres" database of the same server with the same
// credentials. It tolerates another process creating it at the same time.
// The role in dsn needs the CREATEDB privilege only when the database is
// missing.
func EnsureDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("migrations: parse dsn: %w", err)
	}
	name := cfg.Database
	if name == "" {
		name = cfg.User // PostgreSQL's own default
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("migrations: connect to postgres database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return createDatabase(ctx, conn, name)
}

func createDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		return fmt.Errorf("migrations: look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && !createdMeanwhile(err) {
		return fmt.Errorf("migrations: create database %q: %w", name, err)
	}
	return nil
}

// createdMeanwhile reports whether CREATE DATABASE failed because another
// session created the same database first: duplicate_database (42P04), or
// unique_violation (23505) on pg_database when both raced past the check.
func createdMeanwhile(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P04" || pe.Code == "23505")
}
