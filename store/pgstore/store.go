// Package pgstore is the PostgreSQL side of the server: finished matches
// with their seats, hand results, decks and every move, written once and
// read back as replayable game records. The schema is in migrations/.
package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors returned by Store.
var (
	// ErrNotFound: no match has that id.
	ErrNotFound = errors.New("pgstore: match not found")
	// ErrInvalidMatch: the match record can never be stored as it is (it does
	// not replay, its results disagree with the replay, a seat is empty…).
	// Retrying cannot help.
	ErrInvalidMatch = errors.New("pgstore: invalid match record")
)

// Store reads and writes matches in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool   DB   // the primary: writes, and the reads that must see them
	stale  DB   // the reads that may lag a little behind (WithStaleReads); pool by default
	routed bool // stale is not pool
}

// DB is what Store needs of PostgreSQL: a *pgxpool.Pool, or a wrapper of
// one (internal/app puts the pool behind a circuit breaker,
// breaker.GuardPostgres).
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error) // pgx.BeginFunc's
	Ping(ctx context.Context) error
}

var _ DB = (*pgxpool.Pool)(nil)

// New returns a Store on pool; the caller owns and closes the pool.
func New(pool DB) *Store { return &Store{pool: pool, stale: pool} }

// WithStaleReads returns a copy of s that sends the reads which may lag a
// little behind the writes — a player's history and stats, a stored
// match's summary, record and result, leaderboards, the daily activity,
// the dashboard, the sample of replay verification — to db (a read
// replica's router, store/pgreplica). A lookup by id that finds nothing
// there is made again on the primary: a replica that has not replayed a
// match or an account just written must not make it look missing.
func (s *Store) WithStaleReads(db DB) *Store {
	c := *s
	c.stale, c.routed = db, true
	return &c
}

// orPrimary runs read on the stale reads' pool, and again on the primary
// when that found no such match or player (see WithStaleReads).
func orPrimary[T any](s *Store, read func(db DB) (T, error)) (T, error) {
	v, err := read(s.stale)
	if s.routed && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrPlayerNotFound)) {
		return read(s.pool)
	}
	return v, err
}

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgstore: ping: %w", err)
	}
	return nil
}

// MatchExists reports whether the match is stored.
func (s *Store) MatchExists(ctx context.Context, matchID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM matches WHERE id = $1)", matchID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("pgstore: match exists %s: %w", matchID, err)
	}
	return ok, nil
}

// permanent reports whether PostgreSQL refused the data itself (SQLSTATE
// class 22 data exception or 23 integrity violation): the same write would
// fail again, so it is not an infrastructure error.
func permanent(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) != 5 {
		return false
	}
	class := pe.Code[:2]
	return class == "22" || class == "23"
}
