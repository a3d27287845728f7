package faults

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/internal/zjson"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tools/botclient"
)

// stateKey seals the hands of the cluster's tables (HOKM_STATE_KEYS): a
// fixed key, so a test could read a table as the server does.
var stateKey = "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))

// topology is how the cluster's Redis runs.
type topology int

const (
	standalone topology = iota // one redis-server with AOF (everysec)
	sentinel                   // a primary, a replica and three Sentinels
)

// cluster is a whole deployment of the test's own: Redis (one server, or
// a Sentinel set), PostgreSQL, and hokm processes in split roles — two
// gateways, two workers, a scheduler — each on side ports, each killed,
// paused or restarted by PID.
type cluster struct {
	t     *testing.T
	redis *procs.Redis       // standalone
	set   *procs.SentinelSet // sentinel
	pg    *procs.Postgres
	dbURL string
	hokm  *procs.Hokm
	pool  *pgxpool.Pool
	store *pgstore.Store

	gateways, workers, schedulers []*role
}

// role is one hokm process of the cluster and how to start it again.
type role struct {
	kind, name string
	http, ops  string // listener addresses
	env        []string
	proc       *procs.Proc
}

func newCluster(t *testing.T, topo topology) *cluster {
	t.Helper()
	c := &cluster{t: t}
	c.pg = procs.StartPostgres(t, procs.PostgresOptions{})
	c.dbURL = c.pg.CreateDB("hokm")
	env := []string{
		"HOKM_DATABASE_URL=" + c.dbURL, "HOKM_STATE_KEYS=" + stateKey,
		"HOKM_CLIENT_RATE=100000", "HOKM_CLIENT_BURST=100000", "HOKM_RECLAIM_IDLE=1s",
		"HOKM_SHUTDOWN_TIMEOUT=3s", "HOKM_LOG_LEVEL=" + logLevel(), "HOKM_SCHEDULER_LEASE=3s",
		// The load is one generator standing for many players from one
		// address: each round of matches starts new guests.
		"HOKM_GUEST_LIMIT=1000000/1h",
	}
	switch topo {
	case standalone:
		c.redis = procs.StartRedis(t, procs.RedisOptions{AOF: true, AppendFsync: "everysec"})
		env = append(env, "HOKM_REDIS_URL="+c.redis.URL(0))
	case sentinel:
		c.set = procs.StartSentinelSet(t, procs.SentinelOptions{})
		env = append(env, "HOKM_REDIS_URL=redis://127.0.0.1:1/0", "HOKM_REDIS_MASTER="+c.set.MasterName(),
			"HOKM_REDIS_SENTINELS="+strings.Join(c.set.SentinelAddrs(), ","))
	}
	c.hokm = procs.NewHokm(t, env...)
	m := c.hokm.Start("migrate", nil, "migrate")
	if !m.Wait(60*time.Second) || m.ExitCode() != 0 {
		t.Fatalf("hokm migrate: exit %d\n%s", m.ExitCode(), m.Output())
	}
	var err error
	if c.pool, err = pgxpool.New(context.Background(), c.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.pool.Close)
	c.store = pgstore.New(c.pool)
	for i := range 2 {
		c.gateways = append(c.gateways, c.start("gateway", fmt.Sprintf("gateway-%d", i+1)))
	}
	for i := range 2 {
		c.workers = append(c.workers, c.start("worker", fmt.Sprintf("worker-%d", i+1)))
	}
	c.schedulers = append(c.schedulers, c.start("scheduler", "scheduler-1"))
	for _, r := range c.all() {
		c.waitReady(r, 30*time.Second)
	}
	return c
}

// start starts a role process on fresh ports.
func (c *cluster) start(kind, name string) *role {
	r := &role{kind: kind, name: name, http: procs.FreePort(c.t), ops: procs.FreePort(c.t)}
	r.env = []string{"HOKM_HTTP_ADDR=" + r.http, "HOKM_OPS_ADDR=" + r.ops, "HOKM_WORKER_ID=" + name}
	r.proc = c.hokm.Start(name, r.env, kind)
	return r
}

// restart starts a role again (as a supervisor would after it died or
// stopped), on the same ports, and waits until it is ready.
func (c *cluster) restart(r *role) {
	c.t.Helper()
	if r.proc.Running() {
		c.t.Fatalf("%s: restart while running", r.name)
	}
	r.proc = c.hokm.Start(r.name, r.env, r.kind)
	c.waitReady(r, 30*time.Second)
}

func (c *cluster) all() []*role {
	return append(append(append([]*role{}, c.gateways...), c.workers...), c.schedulers...)
}

// ready is a /readyz answer.
type ready struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	Errors map[string]string `json:"errors"`
}

func readyz(addr string) (int, ready) {
	var r ready
	cl := http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, r
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &r)
	return resp.StatusCode, r
}

// waitReady waits until the role's ops /readyz (and a gateway's public
// one) answers 200.
func (c *cluster) waitReady(r *role, d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		code, rd := readyz(r.ops)
		pub := 200
		if r.kind == "gateway" {
			pub, _ = readyz(r.http)
		}
		if code == 200 && pub == 200 {
			return
		}
		if !r.proc.Running() || time.Now().After(deadline) {
			c.t.Fatalf("%s not ready (ops %d %+v, public %d, running %v)", r.name, code, rd, pub, r.proc.Running())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *cluster) urls() []string {
	out := make([]string, len(c.gateways))
	for i, g := range c.gateways {
		out[i] = "ws://" + g.http + "/ws"
	}
	return out
}

// redisClient is a client of the cluster's current primary.
func (c *cluster) redisClient() redis.UniversalClient {
	if c.set != nil {
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: c.set.MasterName(), SentinelAddrs: c.set.SentinelAddrs()})
	}
	return c.redis.Client(0)
}

// load plays bot matches over the gateways, batch after batch, until it
// is stopped; moves are paced so that matches span the faults.
type load struct {
	c        *cluster
	parallel int
	pace     time.Duration
	moves    atomic.Int64
	lastMove atomic.Int64 // unix ns

	mu      sync.Mutex
	reports []botclient.Report
	played  map[string]time.Time // table → when its last card was applied
	gaps    []gap                // pauses between two applied cards of a table
	stop    chan struct{}
	done    chan struct{}
}

func (c *cluster) startLoad(parallel int, pace time.Duration) *load {
	l := &load{c: c, parallel: parallel, pace: pace, stop: make(chan struct{}), done: make(chan struct{}),
		played: map[string]time.Time{}}
	go l.run()
	return l
}

func (l *load) run() {
	defer close(l.done)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		rep, err := botclient.Run(ctx, botclient.Options{
			URLs: l.c.urls(), Matches: l.parallel, Parallel: l.parallel, Rules: game.Rules{Target: 3},
			CheckLeaks: true, Timeout: 5 * time.Minute,
			OnMove: func() {
				l.moves.Add(1)
				l.lastMove.Store(time.Now().UnixNano())
				time.Sleep(l.pace)
			},
			OnPlayed: l.cardPlayed,
		})
		cancel()
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
		}
		l.mu.Lock()
		l.reports = append(l.reports, rep)
		l.mu.Unlock()
		select {
		case <-l.stop:
			return
		default:
		}
	}
}

// gap is a pause of play at one table: between two of its applied cards.
type gap struct {
	end time.Time
	d   time.Duration
}

func (l *load) cardPlayed(table string) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.played[table]; ok {
		l.gaps = append(l.gaps, gap{end: now, d: now.Sub(last)})
	}
	l.played[table] = now
}

// stall is the longest pause of play at any table that overlapped the
// time since since (a table stalled by a fault, until its next card).
func (l *load) stall(since time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var worst time.Duration
	for i := len(l.gaps) - 1; i >= 0 && l.gaps[i].end.After(since); i-- {
		worst = max(worst, l.gaps[i].d)
	}
	return worst
}

// waitMoves waits until n more moves were made (play goes on).
func (l *load) waitMoves(n int64, d time.Duration) bool {
	start := l.moves.Load()
	deadline := time.Now().Add(d)
	for l.moves.Load() < start+n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// resumed measures how long after since the next move was made (play
// resumed after a fault), waiting at most d.
func (l *load) resumed(since time.Time, d time.Duration) (time.Duration, bool) {
	deadline := since.Add(d)
	for {
		if last := time.Unix(0, l.lastMove.Load()); last.After(since) {
			return last.Sub(since), true
		}
		if time.Now().After(deadline) {
			return 0, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finish stops the load after the batch in play and returns every report.
func (l *load) finish(d time.Duration) []botclient.Report {
	close(l.stop)
	select {
	case <-l.done:
	case <-time.After(d):
		l.c.t.Fatalf("bot matches still running %v after the faults", d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reports
}

// totals sums reports.
type totals struct {
	matches, completed, moves, reconnects, resyncs, rejoins, dropped, frames, rolledBack int
	maxLatency, p99, longestLoss                                                         float64
	errors                                                                               []string
	results                                                                              []botclient.MatchSummary
}

func sum(reps []botclient.Report) totals {
	var s totals
	for _, r := range reps {
		s.matches += r.Matches
		s.completed += r.Completed
		s.moves += r.Moves
		s.reconnects += r.Reconnects
		s.resyncs += r.Resyncs
		s.rejoins += r.Rejoins
		s.dropped += r.DroppedMoves
		s.rolledBack += r.RolledBack
		s.longestLoss = max(s.longestLoss, r.LongestLoss)
		s.frames += r.FramesChecked
		s.maxLatency = max(s.maxLatency, r.Latency.Max)
		s.p99 = max(s.p99, r.Latency.P99)
		s.errors = append(s.errors, r.Errors...)
		s.results = append(s.results, r.Results...)
	}
	return s
}

// checkInvariants checks, after the faults, what the failure model
// (docs/architecture.md) promises for every fault: every match started completed for its players (the bot clients
// fail a match they cannot finish, and the leak check fails one that showed
// a hidden card); every finished match is in PostgreSQL exactly once and
// replays to what its players saw, and holds every move its clients had
// answered but those a resync visibly took back (a loss the server
// announces, bounded by the journal; a move lost silently fails); no
// process needs a manual restart (every role is running and ready) and
// none panicked. It returns the totals.
func (c *cluster) checkInvariants(reps []botclient.Report) totals {
	c.t.Helper()
	s := sum(reps)
	if len(s.errors) > 0 {
		c.t.Fatalf("%d of %d matches failed:\n%s", s.matches-s.completed, s.matches, strings.Join(s.errors, "\n"))
	}
	if s.completed != s.matches || s.frames == 0 {
		c.t.Fatalf("%d of %d matches completed, %d frames checked for leaks", s.completed, s.matches, s.frames)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ids := make([]string, len(s.results))
	for i, m := range s.results {
		ids[i] = m.ID
	}
	// Every finished match reaches PostgreSQL (persistence retries after a
	// PostgreSQL outage; a match lost with Redis comes back through the
	// journal), once.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		stored, err := c.store.StoredMatches(ctx, ids)
		if err == nil && len(stored) == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			var missing []string
			for _, id := range ids {
				if !stored[id] {
					missing = append(missing, id)
				}
			}
			c.t.Fatalf("matches never stored: %v (%v)\n%s", missing, err, c.whereAre(missing))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var n int
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM matches WHERE id = ANY($1)", ids).Scan(&n); err != nil || n != len(ids) {
		c.t.Fatalf("%d match rows for %d matches (%v)", n, len(ids), err)
	}
	for _, m := range s.results {
		// The record also holds the server's moves for absent seats,
		// which no client counts: at least, not equal.
		if stored := c.checkStored(ctx, m); stored < m.Moves-m.RolledBack {
			c.t.Fatalf("match %s: %d moves stored, but its clients had %d answered and saw %d taken back",
				m.ID, stored, m.Moves, m.RolledBack)
		}
	}
	for _, r := range c.all() {
		if !r.proc.Running() {
			c.t.Fatalf("%s is not running: %v", r.name, r.proc.Err())
		}
		c.waitReady(r, 20*time.Second)
	}
	for _, p := range c.hokm.Procs() {
		if out := p.Output(); strings.Contains(out, "panic:") || strings.Contains(out, "fatal error:") {
			c.t.Fatalf("%s panicked:\n%s", p.Name(), out)
		}
	}
	return s
}

// checkStored: the stored match replays (as `hokm export | hokm replay`
// would) to its stored result, which is what the four clients saw. It
// returns the number of stored moves.
func (c *cluster) checkStored(ctx context.Context, m botclient.MatchSummary) int {
	c.t.Helper()
	rec, err := c.store.ExportRecord(ctx, m.ID)
	if err != nil {
		c.t.Fatalf("export %s: %v", m.ID, err)
	}
	b, _ := json.Marshal(rec)
	res, status := game.ReplayJSON(bytes.NewReader(b))
	if status != 0 || !res.OK || !res.Over || res.Winner == nil {
		c.t.Fatalf("replay of %s: exit %d %+v", m.ID, status, res)
	}
	hands, score, winner, err := c.store.MatchResult(ctx, m.ID)
	if err != nil {
		c.t.Fatal(err)
	}
	if winner == nil || *winner != *res.Winner || score != res.Score || !reflect.DeepEqual(hands, res.Hands) {
		c.t.Fatalf("match %s: stored %v %v, replay %v %d", m.ID, score, winner, res.Score, *res.Winner)
	}
	if m.Score != score || m.Winner != *winner || !reflect.DeepEqual(m.Hands, hands) {
		c.t.Fatalf("match %s: clients saw %v %d %+v, stored %v %d %+v", m.ID, m.Score, m.Winner, m.Hands, score, *winner, hands)
	}
	return len(rec.Actions)
}

// metric reads one sample of a metric from a role's ops /metrics (the sum
// of its series whose labels contain match).
func metric(r *role, name, match string) float64 {
	cl := http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get("http://" + r.ops + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		if match != "" && !strings.Contains(line, match) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			total += v
		}
	}
	return total
}

// logLevel is the processes' log level: HOKM_FAULTS_LOG, or warn.
func logLevel() string {
	if l := os.Getenv("HOKM_FAULTS_LOG"); l != "" {
		return l
	}
	return "warn"
}

// whereAre says, for matches that never reached PostgreSQL, what the
// deployment still knows of each: its persist task in asynq (by state),
// its entry in the finished-match ledger, its table's journal row — what
// a failure needs to tell which path lost it.
func (c *cluster) whereAre(matchIDs []string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rdb := c.redisClient()
	defer rdb.Close()
	keys := redisstore.Keys{Prefix: "hokm"}
	ins := asynq.NewInspectorFromRedisClient(rdb)
	tasks := map[string][]string{} // match id → states of its persist tasks
	lists := map[string]func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		"pending": ins.ListPendingTasks, "active": ins.ListActiveTasks, "scheduled": ins.ListScheduledTasks,
		"retry": ins.ListRetryTasks, "archived": ins.ListArchivedTasks, "completed": ins.ListCompletedTasks,
	}
	var out strings.Builder
	queues, err := ins.Queues()
	if err != nil {
		fmt.Fprintf(&out, "  asynq: %v\n", err)
	}
	for _, q := range queues {
		for state, list := range lists {
			infos, err := list(q, asynq.PageSize(10000))
			if err != nil {
				continue
			}
			for _, ti := range infos {
				payload, _ := zjson.Plain(ti.Payload) // a persist task's is compressed
				for _, id := range matchIDs {
					if bytes.Contains(payload, []byte(id)) {
						tasks[id] = append(tasks[id], fmt.Sprintf("%s/%s %s (retried %d, last error %q)", q, state, ti.Type, ti.Retried, ti.LastErr))
					}
				}
			}
		}
	}
	for _, id := range matchIDs {
		ledger := rdb.HExists(ctx, keys.Reconciled(), id).Val()
		var status, rowMatch string
		var seq, epoch int64
		var updated time.Time
		tableID, _, _ := strings.Cut(id, "-")
		row := c.pool.QueryRow(ctx, `SELECT status, coalesce(match_id, ''), seq, epoch, updated_at FROM live_tables WHERE table_id = $1`, tableID)
		journal := "no journal row"
		if err := row.Scan(&status, &rowMatch, &seq, &epoch, &updated); err == nil {
			journal = fmt.Sprintf("journal row: status %s, match %s, seq %d, epoch %d, updated %s", status, rowMatch, seq, epoch, updated.Format(time.RFC3339Nano))
		}
		fmt.Fprintf(&out, "  %s: persist tasks %v; in the ledger: %v; %s\n", id, tasks[id], ledger, journal)
	}
	return out.String()
}
