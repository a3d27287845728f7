// Package testenv gives tests their own Redis key space and their own
// PostgreSQL database on the real services, never a running server's.
//
// When a service cannot be reached the test is skipped, unless
// HOKM_TEST_REQUIRE_SERVICES=1 (set by .ci/run), where it fails.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/internal/redisnodes"
)

// RedisURL is the Redis the tests use (HOKM_TEST_REDIS_URL, default the local one).
func RedisURL() string { return envOr("HOKM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0") }

// RedisCluster is the Redis Cluster the tests use instead of RedisURL's
// server when HOKM_TEST_REDIS_CLUSTER is set (host:port of its nodes,
// comma-separated; scripts/test's cluster pass): Redis, RedisOneOf and
// RedisEnv then give cluster clients and settings. nil when unset.
func RedisCluster() []string {
	if v := os.Getenv("HOKM_TEST_REDIS_CLUSTER"); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// clusterLeaseDB is the one lease every test taking a DB other than 0
// shares on a cluster, which has only DB 0: asynq's unprefixed keys, which
// the DB kept apart, are shared there, so such tests run one at a time.
const clusterLeaseDB = 99

// AdminDatabaseURL is the PostgreSQL database tests connect to in order to
// create their own (HOKM_TEST_DATABASE_URL, default the local "postgres").
func AdminDatabaseURL() string {
	return envOr("HOKM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// unavailable fails or skips the test when a service is missing.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("HOKM_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is required (HOKM_TEST_REQUIRE_SERVICES=1) but unreachable: %v", what, err)
	}
	t.Skipf("%s unreachable (set HOKM_TEST_REQUIRE_SERVICES=1 to fail instead): %v", what, err)
}

// RandomName is a short random lower-case name for databases, prefixes, ids.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// The Redis databases tests lease (Redis with db ≠ 0), in one table so
// that two packages never pick the same one by chance (the lease would only
// make them wait for each other). asynq's keys take no prefix, so a test
// that runs asynq, or a whole server, takes a database of its own.
const (
	DBMultiProcess = 8  // cmd/hokm: several hokm processes
	DBApp          = 9  // internal/app: the whole server in one process
	DBProxy        = 10 // tests/proxy: a server behind nginx
	DBPersist      = 11 // worker: persistence tasks
	DBScheduler    = 12 // scheduler
	DBTasks        = 13 // tasks
	DBOps          = 14 // ops, and cmd/hokm's ops tools
	DBReconcile    = 15 // worker's reconcile and recovery, cmd/hokm's reconcile
)

// DBsApp are internal/app's: its tests run whole servers at once (the
// browser tests' for a minute and more), each on the first of these free.
var DBsApp = []int{DBApp, 7, 6, 5, 4}

// Redis returns a client on db (0 for key-prefixed use; asynq tests take a
// DB number of their own, 1..15) and a fresh key prefix. A DB other than 0
// is leased to the calling test across all test processes until it ends
// (see leaseOneOf). With flush, the DB is flushed first (only for DBs a
// single package owns). Keys under the prefix are deleted when the test
// ends.
//
// On a cluster (RedisCluster) the client is a cluster client on DB 0; a
// test asking for another DB takes the cluster's one lease (clusterLeaseDB)
// and flush deletes asynq's keys on every master.
func Redis(t testing.TB, db int, flush bool) (redis.UniversalClient, string) {
	t.Helper()
	rdb, prefix, _ := RedisOneOf(t, []int{db}, flush)
	return rdb, prefix
}

// RedisOneOf is Redis on the first of dbs that is free, waiting until one
// is (internal/app runs a server on each of DBsApp at once), and returns
// which it took.
func RedisOneOf(t testing.TB, dbs []int, flush bool) (redis.UniversalClient, string, int) {
	t.Helper()
	if nodes := RedisCluster(); nodes != nil {
		return redisOnCluster(t, nodes, dbs, flush)
	}
	opt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("HOKM_TEST_REDIS_URL: %v", err)
	}
	opt.DB = dbs[0]
	opt.Protocol = redisconn.Protocol(opt.Protocol)
	if len(dbs) > 1 || opt.DB != 0 {
		admin := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password})
		t.Cleanup(func() { admin.Close() })
		ping(t, admin)
		opt.DB = leaseOneOf(t, admin, dbs)
	}
	rdb := redis.NewClient(opt)
	ping(t, rdb) // (after the lease: waiting for it may take minutes)
	if flush {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rdb.FlushDB(ctx).Err(); err != nil {
			rdb.Close()
			t.Fatalf("flush redis db %d: %v", opt.DB, err)
		}
	}
	return rdb, ownPrefix(t, rdb), opt.DB
}

// ownPrefix is a fresh key prefix whose keys are deleted, and rdb closed,
// when the test ends.
func ownPrefix(t testing.TB, rdb redis.UniversalClient) string {
	prefix := RandomName("t")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = DeletePrefix(ctx, rdb, prefix)
		rdb.Close()
	})
	return prefix
}

// ping skips or fails the test (unavailable) when rdb's Redis does not answer.
func ping(t testing.TB, rdb redis.UniversalClient) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		unavailable(t, "Redis", err)
	}
}

// DeletePrefix deletes every key under prefix (what a Redis restarted
// empty looks like to the test that owns the prefix).
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	return redisnodes.Scan(ctx, rdb, prefix+":*", 500, func(keys []string) error {
		for _, k := range keys {
			if err := rdb.Del(ctx, k).Err(); err != nil {
				return err
			}
		}
		return nil
	})
}

// Until polls cond every 5 ms for at most d and reports whether it held.
func Until(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Database creates an empty database of the test's own and returns its URL;
// it is dropped when the test ends. With HOKM_TEST_PGBOUNCER=1 the URL goes
// through a pgbouncer in transaction pooling mode (pgbouncer.go).
func Database(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminDatabaseURL())
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	defer admin.Close(context.Background())
	name := RandomName("hokm_test_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminDatabaseURL())
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	if ViaPgBouncer() {
		return throughPgBouncer(t, withDatabase(AdminDatabaseURL(), name))
	}
	return withDatabase(AdminDatabaseURL(), name)
}

func withDatabase(dsn, name string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		panic(err)
	}
	q := ""
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		q = dsn[i:]
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s%s", cfg.User, cfg.Host, cfg.Port, name, q)
}

// Pool opens a pool on a fresh test database; closed when the test ends.
func Pool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	url := Database(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("open test pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, url
}

// RedisDBURL is RedisURL with database db, for a server or tool a test
// starts on the DB that testenv.Redis(t, db, …) leased to it (DB 0 on a
// cluster).
func RedisDBURL(t testing.TB, db int) string {
	t.Helper()
	u, err := url.Parse(RedisURL())
	if err != nil {
		t.Fatalf("HOKM_TEST_REDIS_URL: %v", err)
	}
	if RedisCluster() != nil {
		db = 0
	}
	u.Path = "/" + strconv.Itoa(db)
	return u.String()
}

// RedisEnv is the environment of a hokm process a test starts on the
// Redis of testenv.Redis(t, db, …): HOKM_REDIS_URL, and on a cluster
// HOKM_REDIS_CLUSTER_ADDRS.
func RedisEnv(t testing.TB, db int) []string {
	env := []string{"HOKM_REDIS_URL=" + RedisDBURL(t, db)}
	if nodes := RedisCluster(); nodes != nil {
		env = append(env, "HOKM_REDIS_CLUSTER_ADDRS="+strings.Join(nodes, ","))
	}
	return env
}

// Keys are the keys matching pattern (SCAN, on every master of a cluster).
func Keys(t testing.TB, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	err := redisnodes.Scan(ctx, rdb, pattern, 1000, func(keys []string) error {
		out = append(out, keys...)
		return nil
	})
	if err != nil {
		t.Fatalf("keys %s: %v", pattern, err)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Subscribers is how many clients are subscribed to channel: PUBSUB
// NUMSUB, which a cluster node answers for itself, summed over every node.
func Subscribers(rdb redis.UniversalClient, channel string) int64 {
	var n atomic.Int64
	EachNode(rdb, func(c *redis.Client) { n.Add(c.PubSubNumSub(context.Background(), channel).Val()[channel]) })
	return n.Load()
}

// Channels are the channels matching pattern with a subscriber (PUBSUB
// CHANNELS over every node).
func Channels(rdb redis.UniversalClient, pattern string) []string {
	var mu sync.Mutex
	var out []string
	EachNode(rdb, func(c *redis.Client) {
		chs := c.PubSubChannels(context.Background(), pattern).Val()
		mu.Lock()
		out = append(out, chs...)
		mu.Unlock()
	})
	return out
}

// EachNode runs f on rdb, or on every node of a cluster (masters and
// replicas, at once).
func EachNode(rdb redis.UniversalClient, f func(c *redis.Client)) {
	switch r := rdb.(type) {
	case *redis.ClusterClient:
		_ = r.ForEachShard(context.Background(), func(_ context.Context, c *redis.Client) error { f(c); return nil })
	case *redis.Client:
		f(r)
	}
}

// Another is a second client of rdb's Redis (a client of its own that a
// test hooks or cuts), closed when the test ends.
func Another(t testing.TB, rdb redis.UniversalClient) redis.UniversalClient {
	var c redis.UniversalClient
	switch r := rdb.(type) {
	case *redis.ClusterClient:
		opt := *r.Options()
		c = redis.NewClusterClient(&opt)
	case *redis.Client:
		opt := *r.Options()
		c = redis.NewClient(&opt)
	default:
		t.Fatalf("testenv.Another: %T", rdb)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// SingleServer is rdb as the client of one Redis server, for a test about
// one server's faults (a proxy cut in front of it, say); such tests are not
// in the cluster pass (scripts/test), and fail if run there.
func SingleServer(t testing.TB, rdb redis.UniversalClient) *redis.Client {
	c, ok := rdb.(*redis.Client)
	if !ok {
		t.Fatalf("this test needs a single Redis server, not %T (HOKM_TEST_REDIS_CLUSTER is set)", rdb)
	}
	return c
}

// redisOnCluster is RedisOneOf on the cluster nodes.
func redisOnCluster(t testing.TB, nodes []string, dbs []int, flush bool) (redis.UniversalClient, string, int) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("HOKM_TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: nodes, Username: opt.Username, Password: opt.Password,
		Protocol: redisconn.Protocol(opt.Protocol), ClusterStateReloadInterval: time.Second})
	ping(t, rdb)
	if len(dbs) > 1 || dbs[0] != 0 {
		leaseOneOf(t, rdb, []int{clusterLeaseDB})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if flush {
			if err := redisnodes.Scan(ctx, rdb, "asynq:*", 500, func(keys []string) error {
				for _, k := range keys {
					if err := rdb.Del(ctx, k).Err(); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				rdb.Close()
				t.Fatalf("clear asynq's keys on the cluster: %v", err)
			}
		}
	}
	return rdb, ownPrefix(t, rdb), dbs[0]
}
