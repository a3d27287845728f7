package testenv

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// ClosedPort returns a loopback address nothing listens on (a port just
// bound and released): connecting to it is refused at once.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// UnreachableRedis is a client of a Redis that is down: every command
// fails at once with a connection error (never redis.Nil), without
// retries (go-redis otherwise retries each dial 5 times, 100 ms apart).
// Closed when the test ends.
func UnreachableRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: ClosedPort(t), DialTimeout: time.Second, MaxRetries: -1,
		DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// UnreachablePool is a pool of a PostgreSQL that is down: every query
// fails at once with a connection error. Closed when the test ends.
func UnreachablePool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := fmt.Sprintf("postgres://postgres@%s/down?sslmode=disable&connect_timeout=1", ClosedPort(t))
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("unreachable pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
