package pgstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
)

// statements counts the statements a pool sends, by their first word.
type statements struct{ n atomic.Int64 }

func (c *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !strings.HasPrefix(strings.TrimSpace(d.SQL), "-- ping") {
		c.n.Add(1)
	}
	return ctx
}
func (c *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// countedSetup is setup with a pool whose statements are counted.
func countedSetup(t *testing.T) (*pgstore.Store, *pgxpool.Pool, *statements, context.Context) {
	t.Helper()
	dsn := testenv.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	count := &statements{}
	cfg.ConnConfig.Tracer = count
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pgstore.New(pool), pool, count, ctx
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// base is a time in the future, with the microsecond precision of timestamptz.
var base = time.Now().Add(time.Hour).Truncate(time.Millisecond)

func row(i int, user string) pgstore.SessionRow {
	return pgstore.SessionRow{TokenHash: hashOf(fmt.Sprint("token", i, user)), User: user, Name: fmt.Sprint("name ", i),
		Guest: i%2 == 0, Indexed: i%3 == 0, Created: base.Add(-time.Hour), Expires: base}
}

func lookup(t *testing.T, ctx context.Context, s *pgstore.Store, hash string) (pgstore.SessionRow, bool) {
	t.Helper()
	r, ok, err := s.LookupSession(ctx, hash, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r, ok
}

// Many sessions go in one statement; a second write of the same tokens
// takes the new name and keeps the later expiry.
func TestUpsertSessionsInOneStatement(t *testing.T) {
	t.Parallel()
	s, pool, count, ctx := countedSetup(t)
	rows := make([]pgstore.SessionRow, 500)
	for i := range rows {
		rows[i] = row(i, "u1")
	}
	before := count.n.Load()
	if err := s.UpsertSessions(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if n := count.n.Load() - before; n != 1 {
		t.Fatalf("500 sessions took %d statements, want 1", n)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&n); err != nil || n != 500 {
		t.Fatalf("%d rows (%v), want 500", n, err)
	}
	got, ok := lookup(t, ctx, s, rows[7].TokenHash)
	if !ok || got.User != "u1" || got.Name != "name 7" || got.Guest || got.Indexed ||
		!got.Expires.Equal(base) || !got.Created.Equal(base.Add(-time.Hour)) {
		t.Fatalf("row 7: %+v %v, want %+v", got, ok, rows[7])
	}

	later, earlier := rows[1], rows[2]
	later.Expires, later.Name = base.Add(time.Hour), "renamed"
	earlier.Expires, earlier.Name = base.Add(-time.Minute), "renamed too"
	if err := s.UpsertSessions(ctx, []pgstore.SessionRow{later, earlier}); err != nil {
		t.Fatal(err)
	}
	if got, _ := lookup(t, ctx, s, later.TokenHash); !got.Expires.Equal(later.Expires) || got.Name != "renamed" {
		t.Errorf("later expiry: %+v", got)
	}
	if got, _ := lookup(t, ctx, s, earlier.TokenHash); !got.Expires.Equal(base) || got.Name != "renamed too" {
		t.Errorf("an earlier expiry shortened the session: %+v", got)
	}
}

// A revoked row stays revoked whatever is written after; a revocation that
// comes before its session's row leaves a tombstone that refuses it; a
// lookup ignores expired rows; the purge deletes rows long expired.
func TestSessionRevocationsAreFinal(t *testing.T) {
	t.Parallel()
	s, pool, _, ctx := countedSetup(t)
	a, b := row(1, "u1"), row(2, "u1")
	if err := s.UpsertSessions(ctx, []pgstore.SessionRow{a}); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	if err := s.RevokeSessions(ctx, []string{a.TokenHash, b.TokenHash}, at, at.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Writes queued before the revocation arrive after it.
	a.Expires, b.Expires = base.Add(2*time.Hour), base.Add(2*time.Hour)
	if err := s.UpsertSessions(ctx, []pgstore.SessionRow{a, b}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []pgstore.SessionRow{a, b} {
		if got, ok := lookup(t, ctx, s, r.TokenHash); ok {
			t.Fatalf("revoked session came back: %+v", got)
		}
	}
	var revoked int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL").Scan(&revoked); err != nil || revoked != 2 {
		t.Fatalf("%d revoked rows (%v), want 2", revoked, err)
	}
	// Revoking twice is fine.
	if err := s.RevokeSessions(ctx, []string{a.TokenHash}, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}

	old := row(3, "u1")
	old.Expires = time.Now().Add(-time.Second)
	if err := s.UpsertSessions(ctx, []pgstore.SessionRow{old}); err != nil {
		t.Fatal(err)
	}
	if _, ok := lookup(t, ctx, s, old.TokenHash); ok {
		t.Fatal("an expired session was found")
	}
	n, err := s.PurgeSessions(ctx, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("purge: %d rows (%v), want the expired one", n, err)
	}
	if n, err := s.PurgeSessions(ctx, at.Add(29*time.Minute)); err != nil || n != 0 {
		t.Fatalf("the tombstones were purged before expires_at (%d, %v): their expiry is at least the revocation's until", n, err)
	}
}

// RevokeUserSessions revokes the user's indexed sessions made before the
// time, except the one kept, and nothing else.
func TestRevokeUserSessions(t *testing.T) {
	t.Parallel()
	s, _, _, ctx := countedSetup(t)
	cut := time.Now().Truncate(time.Millisecond)
	mk := func(i int, user string, indexed bool, created time.Time) pgstore.SessionRow {
		r := row(i, user)
		r.Indexed, r.Created = indexed, created
		return r
	}
	gone1 := mk(1, "u1", true, cut.Add(-time.Minute))
	gone2 := mk(2, "u1", true, cut.Add(-time.Second))
	kept := mk(3, "u1", true, cut.Add(-time.Minute))
	unindexed := mk(4, "u1", false, cut.Add(-time.Minute))
	newer := mk(5, "u1", true, cut)
	other := mk(6, "u2", true, cut.Add(-time.Minute))
	all := []pgstore.SessionRow{gone1, gone2, kept, unindexed, newer, other}
	if err := s.UpsertSessions(ctx, all); err != nil {
		t.Fatal(err)
	}
	n, err := s.RevokeUserSessions(ctx, "u1", kept.TokenHash, cut, cut.Add(30*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("revoked %d (%v), want 2", n, err)
	}
	for _, r := range all {
		_, ok := lookup(t, ctx, s, r.TokenHash)
		if want := r != gone1 && r != gone2; ok != want {
			t.Errorf("session %d of %s: live %v, want %v", r.Created.Sub(cut), r.User, ok, want)
		}
	}
}
