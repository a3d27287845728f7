package account_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/account"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// cheap argon2id costs for the tests that are not about hashing cost.
var cheap = account.HashParams{Time: 1, Memory: 1024, Threads: 1}

// env is one test's own Redis prefix, PostgreSQL database, service and
// HTTP server.
type env struct {
	t    *testing.T
	ctx  context.Context
	rdb  redis.UniversalClient
	rs   *redisstore.Store
	pool *pgxpool.Pool
	pg   *pgstore.Store
	svc  *account.Service
	srv  *httptest.Server
}

func setup(t *testing.T, opts account.Options) *env {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	if opts.Hash == (account.HashParams{}) {
		opts.Hash = cheap
	}
	rs := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
	pg := pgstore.New(pool)
	svc, err := account.New(pg, rs, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The test client is a trusted proxy: a request's X-Forwarded-For (see
	// callFrom) names its client IP.
	srv := httptest.NewServer(account.NewHandler(svc, clientip.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})).Mux())
	t.Cleanup(srv.Close)
	return &env{t: t, ctx: ctx, rdb: rdb, rs: rs, pool: pool, pg: pg, svc: svc, srv: srv}
}

// reply is an HTTP answer: status, Retry-After, the body decoded.
type reply struct {
	status int
	retry  string
	raw    string
	body   map[string]any
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

// call sends body (a value to encode, or a string sent as it is).
func (e *env) call(method, path, token string, body any) reply {
	e.t.Helper()
	return e.callFrom("", method, path, token, body)
}

// callFrom is call from client IP ip ("" the test's own address).
func (e *env) callFrom(ip, method, path, token string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, retry: resp.Header.Get("Retry-After"), raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// must fails unless the reply has status (and, for an error, code).
func (e *env) must(r reply, status int, code string) reply {
	e.t.Helper()
	if r.status != status || code != "" && r.str("code") != code {
		e.t.Fatalf("got %d %s, want %d %s", r.status, r.raw, status, code)
	}
	return r
}

func (e *env) register(username, password string) reply {
	e.t.Helper()
	return e.must(e.call("POST", "/api/register", "", map[string]string{"username": username, "password": password}), 201, "")
}

func (e *env) login(username, password string) reply {
	e.t.Helper()
	return e.call("POST", "/api/login", "", map[string]string{"username": username, "password": password})
}

func (e *env) loginFrom(ip, username, password string) reply {
	e.t.Helper()
	return e.callFrom(ip, "POST", "/api/login", "", map[string]string{"username": username, "password": password})
}

// auditKinds counts audit_log rows by kind.
func (e *env) auditKinds() map[string]int {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT kind, count(*) FROM audit_log GROUP BY kind`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			e.t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// kicks subscribes to the kick channel; the returned func waits up to a
// second for the next kick.
func (e *env) kicks() func() map[string]string {
	e.t.Helper()
	sub := e.rdb.Subscribe(e.ctx, e.rs.Keys().Kick())
	if _, err := sub.Receive(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { sub.Close() })
	ch := sub.Channel()
	return func() map[string]string {
		e.t.Helper()
		select {
		case m := <-ch:
			var k map[string]string
			if err := json.Unmarshal([]byte(m.Payload), &k); err != nil {
				e.t.Fatalf("kick %q: %v", m.Payload, err)
			}
			return k
		case <-time.After(time.Second):
			e.t.Fatal("no kick within 1 s")
			return nil
		}
	}
}
