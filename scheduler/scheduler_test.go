package scheduler

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
)

// schedRedisDB is this package's own Redis database: asynq's keys have no
// prefix, so the tests flush it and count every task in it.
const schedRedisDB = testenv.DBScheduler

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Lease timing of the tests: a standby takes over within about 0.6 s.
var fast = Options{LeaseTTL: 600 * time.Millisecond, Renew: 150 * time.Millisecond, Tick: 10 * time.Millisecond}

// clock is the wall clock the tests move by hand.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// env is one test's Redis DB, asynq client and inspector, zone and clock.
type env struct {
	t      *testing.T
	rdb    redis.UniversalClient
	keys   redisstore.Keys
	client *asynq.Client
	insp   *asynq.Inspector
	loc    *time.Location
	clock  *clock
	start  time.Time
}

func setup(t *testing.T) *env {
	t.Helper()
	rdb, prefix := testenv.Redis(t, schedRedisDB, true)
	loc := mustZone(t, "Asia/Tehran")
	// 23:53:30 local: the next 18 minutes cross local midnight, the daily
	// bucket at 00:05 and the hourly one at 00:00.
	start := time.Date(2026, 3, 21, 23, 53, 30, 0, loc)
	return &env{t: t, rdb: rdb, keys: redisstore.Keys{Prefix: prefix}, client: asynq.NewClientFromRedisClient(rdb),
		insp: asynq.NewInspectorFromRedisClient(rdb), loc: loc, clock: newClock(start), start: start}
}

// scheduler starts a scheduler of the real jobs on lease l (a new holder
// when nil) and stops it when the test ends.
func (e *env) scheduler(opt Options, l leaser) *Scheduler {
	e.t.Helper()
	if l == nil {
		l = NewLease(e.rdb, e.keys.SchedulerLease(), e.keys.SchedulerFence(), "")
	}
	opt.Location, opt.Now = e.loc, e.clock.Now
	s, err := New(l, e.client, Jobs(), opt)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			e.t.Errorf("stop: %v", err)
		}
	})
	return s
}

// taskIDs is every task id in the scheduled jobs' queues.
func (e *env) taskIDs() map[string]bool {
	e.t.Helper()
	ids := map[string]bool{}
	for _, q := range []string{tasks.QueueDefault, tasks.QueueMaintenance} {
		list, err := e.insp.ListPendingTasks(q, asynq.PageSize(10000))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		for _, ti := range list {
			if ids[ti.ID] {
				e.t.Fatalf("task id %s twice in queue %s", ti.ID, q)
			}
			ids[ti.ID] = true
		}
	}
	return ids
}

// expected is every bucket's task id from the latest bucket at or before
// from through to, found by walking the minutes (not by prevBucket).
func (e *env) expected(from, to time.Time) map[string]bool {
	e.t.Helper()
	ids := map[string]bool{}
	for _, j := range Jobs() {
		s, err := parseSpec(j.Spec, e.loc)
		if err != nil {
			e.t.Fatal(err)
		}
		fires := func(m time.Time) bool { return s.Next(m.Add(-time.Second)).Equal(m) }
		m := from.Truncate(time.Minute)
		for !fires(m) {
			m = m.Add(-time.Minute)
		}
		for ; !m.After(to); m = m.Add(time.Minute) {
			if fires(m) {
				ids[TaskID(j.Task().Type(), m)] = true
			}
		}
	}
	return ids
}

// waitFor polls until cond holds (at most 10 s).
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitTasks waits until every id of want is in asynq.
func (e *env) waitTasks(want map[string]bool) {
	e.t.Helper()
	e.waitFor("the due buckets' tasks", func() bool {
		got := e.taskIDs()
		for id := range want {
			if !got[id] {
				return false
			}
		}
		return true
	})
}

// waitTicks waits until s has gone through its loop n more times, so that
// it has seen everything done before the call.
func (e *env) waitTicks(s *Scheduler, n int64) {
	e.t.Helper()
	from := s.ticks.Load()
	e.waitFor("scheduler ticks", func() bool { return s.ticks.Load() >= from+n })
}

// sameIDs fails unless got and want hold the same ids.
func sameIDs(t *testing.T, got, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Fatalf("tasks in asynq: missing %v, unexpected %v", missing, extra)
	}
}

func leaderOf(ss ...*Scheduler) []*Scheduler {
	var out []*Scheduler
	for _, s := range ss {
		if s.isLeader.Load() {
			out = append(out, s)
		}
	}
	return out
}

// TestSchedulersEnqueueEveryBucketOnce: two schedulers on one Redis, the
// clock moved minute by minute over 18 minutes (across local midnight, the
// daily and the hourly buckets); the leader is stopped midway and a third
// scheduler joins. Every bucket of every job is in asynq exactly once.
func TestSchedulersEnqueueEveryBucketOnce(t *testing.T) {
	e := setup(t)
	a, b := e.scheduler(fast, nil), e.scheduler(fast, nil)
	all := []*Scheduler{a, b}
	e.waitFor("a leader", func() bool { return len(leaderOf(a, b)) == 1 })
	e.waitTasks(e.expected(e.start, e.start))
	var stopped *Scheduler
	for step := 1; step <= 18; step++ {
		switch step {
		case 7: // the leader goes away cleanly: the other takes over at once
			stopped = leaderOf(a, b)[0]
			if err := stopped.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			other := a
			if stopped == a {
				other = b
			}
			e.waitFor("the takeover", func() bool { return other.isLeader.Load() })
		case 12:
			all = append(all, e.scheduler(fast, nil))
		}
		e.clock.Add(time.Minute)
		e.waitTasks(e.expected(e.start, e.clock.Now()))
	}
	want := e.expected(e.start, e.clock.Now())
	if len(want) != 77 { // trim, tournaments and stats 19 each, two 5-minute jobs 5 each, rollup 2, verify 2, cleanup 3, audit 1, checkpoints 1, partitions 1
		t.Fatalf("the test expects %d buckets, want 77", len(want))
	}
	for _, s := range all {
		if s != stopped {
			e.waitTicks(s, 3)
		}
	}
	sameIDs(t, e.taskIDs(), want)
	var enq, dup, errs int64
	for _, s := range all {
		enq, dup, errs = enq+s.runs[0].Load(), dup+s.runs[1].Load(), errs+s.runs[2].Load()
	}
	// The new leader's catch-up found every job's latest bucket already there.
	if enq != int64(len(want)) || dup != int64(len(Jobs())) || errs != 0 {
		t.Fatalf("enqueued %d, duplicates %d, errors %d; want %d, %d, 0", enq, dup, errs, len(want), len(Jobs()))
	}
	if n := len(leaderOf(all...)); n != 1 || stopped.isLeader.Load() {
		t.Fatalf("%d leaders at the end", n)
	}
}

// TestCrashedLeaderIsReplaced: the leader stops without releasing its lease
// (a crash); a bucket falls while nobody leads; the standby takes over once
// the lease expires, with a higher fencing token, and runs that bucket. No
// bucket is missed or doubled.
func TestCrashedLeaderIsReplaced(t *testing.T) {
	e := setup(t)
	a := e.scheduler(fast, nil)
	e.waitFor("a leader", func() bool { return a.isLeader.Load() })
	b := e.scheduler(fast, nil)
	e.waitTasks(e.expected(e.start, e.start))
	e.waitTicks(b, 3)
	if b.isLeader.Load() || b.runs[0].Load()+b.runs[1].Load() != 0 {
		t.Fatal("the standby leads or enqueued while the leader held the lease")
	}
	if err := a.halt(context.Background()); err != nil { // a crash: no release
		t.Fatal(err)
	}
	e.clock.Add(time.Minute) // 23:54:30: a trim bucket falls with no leader
	e.waitFor("the takeover", func() bool { return b.isLeader.Load() })
	if b.token.Load() <= a.token.Load() {
		t.Fatalf("fencing token %d after %d", b.token.Load(), a.token.Load())
	}
	for range 3 {
		e.clock.Add(time.Minute)
		e.waitTasks(e.expected(e.start, e.clock.Now()))
	}
	e.waitTicks(b, 3)
	sameIDs(t, e.taskIDs(), e.expected(e.start, e.clock.Now()))
	// b caught up 23:54 (the three minute jobs; the other jobs' latest
	// buckets were a's: duplicates), then ran 23:55 (the minute jobs and the
	// two 5-minute jobs), 23:56, 23:57.
	if got := [3]int64{b.runs[0].Load(), b.runs[1].Load(), b.runs[2].Load()}; got != [3]int64{3 + 5 + 3 + 3, int64(len(Jobs()) - 3), 0} {
		t.Fatalf("standby's runs (enqueued, duplicate, error) = %v", got)
	}
}

// TestRestartCatchesUpTheLatestMissedBucket: buckets fall while no
// scheduler runs; the next one to start enqueues the latest missed bucket
// of each job once (not the earlier ones), and another start in the same
// bucket enqueues nothing new.
func TestRestartCatchesUpTheLatestMissedBucket(t *testing.T) {
	e := setup(t)
	trimDup := testutil.ToFloat64(metrics.SchedulerRuns.WithLabelValues(tasks.TypeTrimActions, metrics.SchedulerDuplicate))
	a := e.scheduler(fast, nil)
	e.waitTasks(e.expected(e.start, e.start))
	if err := a.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(3 * time.Minute) // 23:56:30: trim 23:54, 23:55, 23:56 and the 5-minute jobs' 23:55 missed
	b := e.scheduler(fast, nil)
	e.waitFor("b leads", func() bool { return b.isLeader.Load() })
	e.waitTicks(b, 3)
	want := e.expected(e.start, e.start)
	want[TaskID(tasks.TypeTrimActions, time.Date(2026, 3, 21, 23, 56, 0, 0, e.loc))] = true
	want[TaskID(tasks.TypeTournamentAdvance, time.Date(2026, 3, 21, 23, 56, 0, 0, e.loc))] = true
	want[TaskID(tasks.TypeStatsRecompute, time.Date(2026, 3, 21, 23, 56, 0, 0, e.loc))] = true
	for _, typ := range []string{tasks.TypeStatsLeaderboards, tasks.TypeReconcile} {
		want[TaskID(typ, time.Date(2026, 3, 21, 23, 55, 0, 0, e.loc))] = true
	}
	sameIDs(t, e.taskIDs(), want) // no trim at 23:54 or 23:55: only the latest is caught up
	// Five new buckets; every other job's latest bucket is the one a enqueued.
	if got, want := [3]int64{b.runs[0].Load(), b.runs[1].Load(), b.runs[2].Load()}, [3]int64{5, int64(len(Jobs()) - 5), 0}; got != want {
		t.Fatalf("restart's runs (enqueued, duplicate, error) = %v, want %v", got, want)
	}
	if err := b.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.scheduler(fast, nil) // a second start in the same bucket
	e.waitFor("c leads", func() bool { return c.isLeader.Load() })
	e.waitTicks(c, 3)
	sameIDs(t, e.taskIDs(), want)
	// Every job's latest bucket is enqueued already.
	if got, want := [3]int64{c.runs[0].Load(), c.runs[1].Load(), c.runs[2].Load()}, [3]int64{0, int64(len(Jobs())), 0}; got != want {
		t.Fatalf("second start's runs (enqueued, duplicate, error) = %v, want %v", got, want)
	}
	// The refusals are reported as duplicates (b's trim was new, c's not).
	if d := testutil.ToFloat64(metrics.SchedulerRuns.WithLabelValues(tasks.TypeTrimActions, metrics.SchedulerDuplicate)) - trimDup; d != 1 {
		t.Fatalf("hokm_scheduler_runs_total{job=trim,outcome=duplicate} grew by %v, want 1", d)
	}
}

// TestLeaderWhoseLeaseIsTakenStops: the lease key is overwritten (another
// holder); the leader finds out at its next renewal, stops enqueuing while
// the clock moves on, and when the lease is free again takes it back with
// a new token and catches up only the latest bucket.
func TestLeaderWhoseLeaseIsTakenStops(t *testing.T) {
	e := setup(t)
	a := e.scheduler(fast, nil)
	e.waitTasks(e.expected(e.start, e.start))
	first := a.token.Load()
	if err := e.rdb.Set(context.Background(), e.keys.SchedulerLease(), "intruder", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	e.waitFor("a to step down", func() bool { return !a.isLeader.Load() })
	if testutil.ToFloat64(metrics.SchedulerLeader) != 0 {
		t.Fatal("hokm_scheduler_leader is not 0 after losing the lease")
	}
	before := a.runs[0].Load() + a.runs[1].Load() + a.runs[2].Load()
	e.clock.Add(2 * time.Minute) // 23:55:30: trim 23:54 and 23:55, the 5-minute jobs' 23:55
	e.waitTicks(a, 5)
	if after := a.runs[0].Load() + a.runs[1].Load() + a.runs[2].Load(); after != before || a.isLeader.Load() {
		t.Fatalf("a enqueued %d more without the lease", after-before)
	}
	sameIDs(t, e.taskIDs(), e.expected(e.start, e.start))

	if err := e.rdb.Del(context.Background(), e.keys.SchedulerLease()).Err(); err != nil {
		t.Fatal(err)
	}
	e.waitFor("a to lead again", func() bool { return a.isLeader.Load() })
	e.waitTicks(a, 3)
	if a.token.Load() != first+1 {
		t.Fatalf("token %d after %d", a.token.Load(), first)
	}
	want := e.expected(e.start, e.start)
	five := time.Date(2026, 3, 21, 23, 55, 0, 0, e.loc)
	for _, typ := range []string{tasks.TypeTrimActions, tasks.TypeTournamentAdvance, tasks.TypeStatsRecompute, tasks.TypeStatsLeaderboards, tasks.TypeReconcile} {
		want[TaskID(typ, five)] = true
	}
	sameIDs(t, e.taskIDs(), want) // trim 23:54 was missed while nobody could lead: only the latest is caught up
}

// failingLease is a Lease whose calls fail while down is set (Redis
// unreachable from this scheduler only).
type failingLease struct {
	*Lease
	down atomic.Bool
}

func (f *failingLease) Acquire(ctx context.Context, ttl time.Duration) (int64, bool, error) {
	if f.down.Load() {
		return 0, false, errors.New("connection refused")
	}
	return f.Lease.Acquire(ctx, ttl)
}

func (f *failingLease) Renew(ctx context.Context, ttl time.Duration) (bool, error) {
	if f.down.Load() {
		return false, errors.New("connection refused")
	}
	return f.Lease.Renew(ctx, ttl)
}

// TestLeaderThatCannotRenewStopsWhenItsLeaseEnds: renewals fail; the
// leader keeps leading until its lease would have ended in Redis, then
// stops enqueuing, so it never overlaps a successor by more than the TTL.
func TestLeaderThatCannotRenewStopsWhenItsLeaseEnds(t *testing.T) {
	e := setup(t)
	l := &failingLease{Lease: NewLease(e.rdb, e.keys.SchedulerLease(), e.keys.SchedulerFence(), "")}
	a := e.scheduler(fast, l)
	e.waitTasks(e.expected(e.start, e.start))
	l.down.Store(true)
	e.waitFor("a to step down", func() bool { return !a.isLeader.Load() })
	before := a.runs[0].Load()
	e.clock.Add(time.Minute)
	e.waitTicks(a, 5)
	if a.runs[0].Load() != before {
		t.Fatal("a enqueued after its lease ended")
	}
	sameIDs(t, e.taskIDs(), e.expected(e.start, e.start))
}

// TestTwoLeadersAtOnceEnqueueEachBucketOnce: a stale leader that has not
// yet noticed the loss of its lease (long renew period) and the new leader
// both enqueue the same buckets; asynq takes each once, the TaskID being
// the real fence.
func TestTwoLeadersAtOnceEnqueueEachBucketOnce(t *testing.T) {
	e := setup(t)
	slow := Options{LeaseTTL: time.Minute, Renew: 20 * time.Second, Tick: 10 * time.Millisecond}
	a := e.scheduler(slow, nil)
	e.waitTasks(e.expected(e.start, e.start))
	if err := e.rdb.Del(context.Background(), e.keys.SchedulerLease()).Err(); err != nil {
		t.Fatal(err)
	}
	// b tries the lease as often as fast does, but holds it long enough that
	// a busy machine (the suite's browser tests) never lets it lapse: a lapse
	// and a new leadership would catch up again, refusing more duplicates
	steady := fast
	steady.LeaseTTL = 10 * time.Second
	b := e.scheduler(steady, nil)
	e.waitFor("b leads", func() bool { return b.isLeader.Load() })
	if !a.isLeader.Load() {
		t.Fatal("a noticed the loss already: the test needs two leaders")
	}
	for range 3 {
		e.clock.Add(time.Minute)
		e.waitTasks(e.expected(e.start, e.clock.Now()))
		e.waitTicks(a, 3) // both have tried the new buckets
		e.waitTicks(b, 3)
	}
	want := e.expected(e.start, e.clock.Now())
	sameIDs(t, e.taskIDs(), want)
	if enq := a.runs[0].Load() + b.runs[0].Load(); enq != int64(len(want)) {
		t.Fatalf("enqueued %d tasks for %d buckets", enq, len(want))
	}
	// b's catch-up found the 7 buckets a had enqueued, and each later
	// bucket was refused once: len(want) duplicates in all.
	if dup := a.runs[1].Load() + b.runs[1].Load(); dup != int64(len(want)) {
		t.Fatalf("%d duplicates refused, want %d", dup, len(want))
	}
}

// TestLease: one holder at a time; renew and release only by the holder;
// the token grows at each acquisition.
func TestLease(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	keys := redisstore.Keys{Prefix: prefix}
	ctx := context.Background()
	a := NewLease(rdb, keys.SchedulerLease(), keys.SchedulerFence(), "a")
	b := NewLease(rdb, keys.SchedulerLease(), keys.SchedulerFence(), "b")
	ta, ok, err := a.Acquire(ctx, time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire a free lease: %v %v", ok, err)
	}
	if _, ok, err := b.Acquire(ctx, time.Minute); err != nil || ok {
		t.Fatalf("b took a's lease: %v %v", ok, err)
	}
	if _, ok, err := a.Acquire(ctx, time.Minute); err != nil || ok {
		t.Fatalf("a took its own lease again: %v %v", ok, err)
	}
	if ok, err := b.Renew(ctx, time.Hour); err != nil || ok {
		t.Fatalf("b renewed a's lease: %v %v", ok, err)
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := rdb.Get(ctx, keys.SchedulerLease()).Result(); v != "a" {
		t.Fatalf("after b's release the lease holds %q", v)
	}
	if ok, err := a.Renew(ctx, time.Hour); err != nil || !ok {
		t.Fatalf("a's renewal: %v %v", ok, err)
	}
	if ttl := rdb.PTTL(ctx, keys.SchedulerLease()).Val(); ttl <= time.Minute {
		t.Fatalf("renewed TTL %v", ttl)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.Renew(ctx, time.Hour); err != nil || ok {
		t.Fatalf("renewed a released lease: %v %v", ok, err)
	}
	tb, ok, err := b.Acquire(ctx, 50*time.Millisecond)
	if err != nil || !ok || tb != ta+1 {
		t.Fatalf("b's acquisition: token %d after %d, %v %v", tb, ta, ok, err)
	}
	deadline := time.Now().Add(5 * time.Second) // it expires by itself
	for {
		tc, ok, err := a.Acquire(ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if tc != tb+1 {
				t.Fatalf("token %d after %d", tc, tb)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an expired lease was never free again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if NewLease(rdb, "k", "f", "").Holder() == NewLease(rdb, "k", "f", "").Holder() {
		t.Fatal("two default holders share an id")
	}
}
