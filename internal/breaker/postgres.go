package breaker

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresSettings are the PostgreSQL breaker's settings: the defaults (3
// failures in a row, or half the calls of the last 5 s with at least 10,
// open 500 ms between probes) and no slow-call rule, since some queries
// (stats recompute, leaderboards) run for seconds by design.
var PostgresSettings = Settings{}

// NewPostgres is the breaker of PostgreSQL with PostgresSettings and
// IsPostgresFailure (hokm_breaker_state{dependency="postgres"}). Put it in
// front of a pool with GuardPostgres.
func NewPostgres() *Breaker { return New(Postgres, PostgresSettings, postgresOutcome) }

// PgxDB is the part of *pgxpool.Pool that the stores use; GuardPostgres
// wraps one and is one (pgstore.DB is the same set of methods).
type PgxDB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error)
	Ping(ctx context.Context) error
}

// GuardPostgres sends every call on db through b. Where the outcome is
// counted: Exec, Ping and Begin by their error (a transaction's later
// statements are not counted: a connection failure shows at Begin, which
// acquires the connection); Query by its own error (the rows' later errors
// are the query's); QueryRow when the row is scanned; SendBatch when the
// batch is closed (its first error). A refused call returns an error
// matching ErrOpen: from Exec, Query and Begin at once, from QueryRow's
// Scan, from SendBatch's results.
func GuardPostgres(db PgxDB, b *Breaker) PgxDB { return guardedDB{db: db, b: b} }

type guardedDB struct {
	db PgxDB
	b  *Breaker
}

func (g guardedDB) Exec(ctx context.Context, sql string, args ...any) (tag pgconn.CommandTag, err error) {
	err = g.b.Do(ctx, func() error {
		tag, err = g.db.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

func (g guardedDB) Query(ctx context.Context, sql string, args ...any) (rows pgx.Rows, err error) {
	err = g.b.Do(ctx, func() error {
		rows, err = g.db.Query(ctx, sql, args...)
		return err
	})
	return rows, err
}

func (g guardedDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	done, err := g.b.Allow(ctx)
	if err != nil {
		return errRow{err}
	}
	return guardedRow{row: g.db.QueryRow(ctx, sql, args...), done: done}
}

func (g guardedDB) SendBatch(ctx context.Context, batch *pgx.Batch) pgx.BatchResults {
	done, err := g.b.Allow(ctx)
	if err != nil {
		return errBatch{err}
	}
	return &guardedBatch{br: g.db.SendBatch(ctx, batch), done: done}
}

func (g guardedDB) Begin(ctx context.Context) (tx pgx.Tx, err error) {
	err = g.b.Do(ctx, func() error {
		tx, err = g.db.Begin(ctx)
		return err
	})
	return tx, err
}

func (g guardedDB) Ping(ctx context.Context) error {
	return g.b.Do(ctx, func() error { return g.db.Ping(ctx) })
}

// guardedRow reports the outcome when scanned.
type guardedRow struct {
	row  pgx.Row
	done func(error)
}

func (r guardedRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	r.done(err)
	return err
}

// errRow is the row of a refused QueryRow.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// guardedBatch reports the batch's first error when it is closed.
type guardedBatch struct {
	br    pgx.BatchResults
	done  func(error)
	first error
}

func (b *guardedBatch) note(err error) {
	if b.first == nil {
		b.first = err
	}
}

func (b *guardedBatch) Exec() (pgconn.CommandTag, error) {
	tag, err := b.br.Exec()
	b.note(err)
	return tag, err
}

func (b *guardedBatch) Query() (pgx.Rows, error) {
	rows, err := b.br.Query()
	b.note(err)
	return rows, err
}

func (b *guardedBatch) QueryRow() pgx.Row { return b.br.QueryRow() }

func (b *guardedBatch) Tx() pgx.Tx { return b.br.Tx() }

func (b *guardedBatch) Close() error {
	err := b.br.Close()
	b.note(err)
	b.done(b.first)
	return err
}

// errBatch is the result of a refused SendBatch.
type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil } // no transaction was begun

// IsPostgresFailure tells whether err means PostgreSQL could not be
// reached or could not serve: a failed connection (pgconn.ConnectError,
// whatever its cause), a network error or timeout, a connection closed
// under the query, SQLSTATE class 08 (connection exception), 57P01
// admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now ("the
// database system is starting up / shutting down") and 53300
// too_many_connections. Not a bare context error (the Breaker counts a
// call whose deadline passed while PostgreSQL did not answer). Never a
// constraint violation, a data error, no
// rows, or any other error PostgreSQL answers a query with.
func IsPostgresFailure(err error) bool { return postgresOutcome(err) == Failure }

func postgresOutcome(err error) Outcome {
	if err == nil || errors.Is(err, pgx.ErrNoRows) || errors.Is(err, ErrOpen) {
		return Success
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return Failure // even when the caller's deadline cut the connecting short
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Excluded // the caller's context: judged by the Breaker
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08",
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", pe.Code == "53300":
			return Failure
		}
		return Success
	}
	var ne net.Error
	if errors.As(err, &ne) || pgconn.Timeout(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return Failure
	}
	return Success
}

// PostgresDown tells whether err means PostgreSQL is unusable now: the
// breaker refused the call, or it failed as IsPostgresFailure says.
func PostgresDown(err error) bool { return openFor(err, Postgres) || IsPostgresFailure(err) }
