package sessionmirror_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/store/sessionmirror"
)

// benchEnv is setup for a benchmark (setup takes a *testing.T), with the
// mirror flushing as in production.
func benchEnv(b *testing.B) *env {
	b.Helper()
	rdb, prefix := testenv.Redis(b, 0, false)
	pool, dsn := testenv.Pool(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	b.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		b.Fatal(err)
	}
	e := &env{ctx: ctx, rdb: rdb, prefix: prefix, dsn: dsn, pool: pool, pg: pgstore.New(pool)}
	e.mirror = sessionmirror.New(e.pg, sessionmirror.Options{Log: quiet})
	e.mirror.Start()
	b.Cleanup(func() { _ = e.mirror.Stop(context.Background()) })
	e.rs = e.store(rdb, e.mirror)
	return e
}

// BenchmarkLookup is Store.Session of a session Redis holds, without and
// with the mirror: the mirror costs nothing on this path but the throttled
// slide.
func BenchmarkLookup(b *testing.B) {
	e := benchEnv(b)
	for _, mirrored := range []bool{false, true} {
		b.Run(fmt.Sprintf("mirror=%v", mirrored), func(b *testing.B) {
			rs := e.rs
			if !mirrored {
				rs = redisstore.New(e.rdb, redisstore.Options{Prefix: e.prefix})
			}
			tok, err := rs.NewUserSession(e.ctx, redisstore.Session{User: "u_1", Name: "a"})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := rs.Session(e.ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRestore is a lookup of a session Redis lost: a PostgreSQL read,
// then the copy back into Redis and its index.
func BenchmarkRestore(b *testing.B) {
	e := benchEnv(b)
	tok, err := e.rs.NewUserSession(e.ctx, redisstore.Session{User: "u_1", Name: "a"})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.mirror.Flush(e.ctx); err != nil {
		b.Fatal(err)
	}
	key := e.rs.Keys().Session(hashOf(tok))
	for b.Loop() {
		b.StopTimer()
		e.rdb.Del(e.ctx, key)
		b.StartTimer()
		if _, err := e.rs.Session(e.ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupWithoutRedis is a lookup while Redis is down: the mirror
// answers (a refused connection, then a PostgreSQL read).
func BenchmarkLookupWithoutRedis(b *testing.B) {
	e := benchEnv(b)
	tok, err := e.rs.NewSession(e.ctx, redisstore.Session{User: "g_1", Name: "a", Guest: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.mirror.Flush(e.ctx); err != nil {
		b.Fatal(err)
	}
	down := e.store(testenv.UnreachableRedis(b), e.mirror)
	for b.Loop() {
		if _, err := down.Session(e.ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFlush500 writes a batch of 500 new sessions (one statement);
// rows/s is 500 × ops/s.
func BenchmarkFlush500(b *testing.B) {
	e := benchEnv(b)
	n := 0
	for b.Loop() {
		b.StopTimer()
		rows := make([]pgstore.SessionRow, 500)
		for i := range rows {
			n++
			rows[i] = pgstore.SessionRow{TokenHash: hashOf(fmt.Sprint("t", n)), User: fmt.Sprint("u", n), Name: "n",
				Created: time.Now(), Expires: time.Now().Add(time.Hour)}
		}
		b.StartTimer()
		if err := e.pg.UpsertSessions(e.ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
}
