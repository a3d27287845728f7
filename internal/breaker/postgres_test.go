package breaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
)

// TestPostgresClassification: real errors from PostgreSQL. What it answers
// a query with never counts; a connection it refuses, or terminates, does.
func TestPostgresClassification(t *testing.T) {
	pool, _ := testenv.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY, n int CHECK (n > 0))`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO t VALUES (1, 1)`); err != nil {
		t.Fatal(err)
	}
	var n int
	answers := map[string]error{
		"unique violation": func() error { _, err := pool.Exec(ctx, `INSERT INTO t VALUES (1, 1)`); return err }(),
		"check violation":  func() error { _, err := pool.Exec(ctx, `INSERT INTO t VALUES (2, 0)`); return err }(),
		"no rows":          pool.QueryRow(ctx, `SELECT n FROM t WHERE id = 99`).Scan(&n),
		"syntax error":     func() error { _, err := pool.Exec(ctx, `SELEC 1`); return err }(),
		"division by zero": pool.QueryRow(ctx, `SELECT 1/0`).Scan(&n),
		"cancelled": func() error {
			c, cancel := context.WithCancel(ctx)
			cancel()
			_, err := pool.Exec(c, `SELECT 1`)
			return err
		}(),
	}
	for name, err := range answers {
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		if breaker.IsPostgresFailure(err) || breaker.PostgresDown(err) {
			t.Errorf("%s counted as a PostgreSQL failure: %v", name, err)
		}
	}

	// Refused connections.
	closed, err := pgxpool.New(ctx, "postgres://postgres@"+procs.FreePort(t)+"/x?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	err = closed.Ping(ctx)
	if !breaker.IsPostgresFailure(err) {
		t.Fatalf("connection to a closed port: %v, not a failure", err)
	}
	// A connection terminated by the server (57P01 admin_shutdown, as on
	// a fast shutdown).
	conn, err := pgx.Connect(ctx, pool.Config().ConnConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
	if !breaker.IsPostgresFailure(err) {
		t.Fatalf("terminated connection: %v, not a failure", err)
	}
	// Using the dead connection again.
	if _, err := conn.Exec(ctx, `SELECT 1`); !breaker.IsPostgresFailure(err) {
		t.Fatalf("closed connection: %v, not a failure", err)
	}
}

// TestGuardedPostgres: through GuardPostgres, answers keep the breaker
// closed; a pool whose server is gone opens it, and then every kind of
// call fails at once with ErrOpen.
func TestGuardedPostgres(t *testing.T) {
	pool, _ := testenv.Pool(t)
	ctx := context.Background()
	b := breaker.NewPostgres()
	db := breaker.GuardPostgres(pool, b)
	if _, err := db.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		_, _ = db.Exec(ctx, `INSERT INTO t VALUES (1)`) // unique violations after the first
		var n int
		if err := db.QueryRow(ctx, `SELECT id FROM t WHERE id = $1`, 100+i).Scan(&n); !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO t VALUES (1)`)
		if err := db.SendBatch(ctx, batch).Close(); err == nil {
			t.Fatal("duplicate insert in a batch succeeded")
		}
	}
	rows, err := db.Query(ctx, `SELECT id FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, `SELECT 1`); return err }); err != nil {
		t.Fatal(err)
	}
	if s := b.State(); s != breaker.Closed {
		t.Fatalf("answers opened the breaker: %v", s)
	}

	gone, err := pgxpool.New(ctx, "postgres://postgres@"+procs.FreePort(t)+"/x?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	b = breaker.New(breaker.Postgres, breaker.Settings{Timeout: time.Hour}, func(err error) breaker.Outcome {
		if breaker.IsPostgresFailure(err) {
			return breaker.Failure
		}
		return breaker.Success
	})
	db = breaker.GuardPostgres(gone, b)
	for range 3 {
		if err := db.Ping(ctx); !breaker.PostgresDown(err) || errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("ping of a closed port: %v", err)
		}
	}
	if s := b.State(); s != breaker.Open {
		t.Fatalf("state after 3 refused connections: %v", s)
	}
	var n int
	_, execErr := db.Exec(ctx, `SELECT 1`)
	_, queryErr := db.Query(ctx, `SELECT 1`)
	_, beginErr := db.Begin(ctx)
	batchErr := db.SendBatch(ctx, &pgx.Batch{}).Close()
	for name, err := range map[string]error{
		"exec": execErr, "query": queryErr, "begin": beginErr, "batch": batchErr,
		"ping": db.Ping(ctx), "query row": db.QueryRow(ctx, `SELECT 1`).Scan(&n),
	} {
		if !errors.Is(err, breaker.ErrOpen) || !breaker.PostgresDown(err) || breaker.RedisDown(err) {
			t.Errorf("%s while open: %v", name, err)
		}
	}
}
