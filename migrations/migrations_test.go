package migrations_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestUpTwiceIsNoOp(t *testing.T) {
	pool, dsn := testenv.Pool(t)
	ctx := ctxT(t)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("first Up: %v", err)
	}
	var applied1 int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM goose_db_version").Scan(&applied1); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	var applied2 int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM goose_db_version").Scan(&applied2); err != nil {
		t.Fatal(err)
	}
	if applied1 != applied2 {
		t.Fatalf("second Up changed goose_db_version: %d rows, then %d", applied1, applied2)
	}
	for _, table := range []string{"players", "matches", "match_seats", "match_hands", "match_moves"} {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}

func TestConcurrentUp(t *testing.T) {
	_, dsn := testenv.Pool(t)
	ctx := ctxT(t)
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { errs <- migrations.Up(ctx, dsn) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Up: %v", err)
		}
	}
	assertAllApplied(t, ctx, dsn)
}

func TestStatus(t *testing.T) {
	_, dsn := testenv.Pool(t)
	ctx := ctxT(t)
	var before bytes.Buffer
	if err := migrations.Status(ctx, dsn, &before); err != nil {
		t.Fatalf("Status before Up: %v", err)
	}
	if strings.Contains(before.String(), "applied") || !strings.Contains(before.String(), "pending") {
		t.Fatalf("before Up, want all pending:\n%s", before.String())
	}
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("Up: %v", err)
	}
	assertAllApplied(t, ctx, dsn)
}

func assertAllApplied(t *testing.T, ctx context.Context, dsn string) {
	t.Helper()
	var out bytes.Buffer
	if err := migrations.Status(ctx, dsn, &out); err != nil {
		t.Fatalf("Status: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("Status lists %d migrations, want at least 2:\n%s", len(lines), out.String())
	}
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 3 || f[2] != "applied" || !strings.HasSuffix(f[1], ".sql") {
			t.Errorf("line %d: want `version file.sql applied time`, got %q", i, line)
		}
	}
	if !strings.HasPrefix(lines[0], "00001  00001_") {
		t.Errorf("first line %q does not start with version 00001", lines[0])
	}
}

func TestEnsureDatabase(t *testing.T) {
	ctx := ctxT(t)
	admin, err := pgx.Connect(ctx, testenv.AdminDatabaseURL())
	if err != nil {
		testenv.Pool(t) // skips, or fails under HOKM_TEST_REQUIRE_SERVICES=1
		t.Fatalf("connect: %v", err)
	}
	// Cleanups run last-registered first and after the test's defers: the
	// connection is closed after the drop (a deferred Close came first, and
	// every run left its database behind).
	t.Cleanup(func() { admin.Close(context.Background()) })
	name := testenv.RandomName("hokm_test_ensure_")
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	dsn := withDatabase(t, testenv.AdminDatabaseURL(), name)

	// Several processes starting at once: all succeed, one creates it.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- migrations.EnsureDatabase(ctx, dsn) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
	}
	if !databaseExists(t, ctx, admin, name) {
		t.Fatalf("database %s was not created", name)
	}
	if err := migrations.EnsureDatabase(ctx, dsn); err != nil {
		t.Fatalf("EnsureDatabase on an existing database: %v", err)
	}
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("Up on the created database: %v", err)
	}
}

func databaseExists(t *testing.T, ctx context.Context, c *pgx.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func withDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %q: %v", dsn, err)
	}
	u.Path = "/" + name
	return u.String()
}
