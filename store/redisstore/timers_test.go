package redisstore_test

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/redisstore"
)

func TestTimers(t *testing.T) {
	e := setup(t, redisstore.Options{})
	s := e.s
	setIn := func(epoch int64, table string, id, deadline int64) {
		t.Helper()
		if err := s.SetTimer(e.ctx, table, epoch, id, deadline); err != nil {
			t.Fatal(err)
		}
	}
	set := func(table string, id, deadline int64) { t.Helper(); setIn(1, table, id, deadline) }
	due := func(now int64) []redisstore.Timer {
		t.Helper()
		ts, err := s.DueTimers(e.ctx, now, 100)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	const base = int64(1_764_000_000_000) // a real unix ms: scores must stay exact
	set("a", 1, base+100)
	set("b", 4, base+50)
	set("c", 2, base+500)
	if got, want := due(base+100), []redisstore.Timer{{"b", 4, base + 50}, {"a", 1, base + 100}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("due: %+v, want %+v", got, want)
	}
	if got := due(base + 49); len(got) != 0 {
		t.Fatalf("due before any deadline: %+v", got)
	}
	if got, _ := s.DueTimers(e.ctx, base+1000, 2); len(got) != 2 {
		t.Fatalf("max 2: %+v", got)
	}

	// A newer timer replaces the table's entry; an older one never does
	// (the hooks of two changes may run out of order).
	set("a", 3, base+300)
	set("a", 2, base+200)
	set("a", 1, 0)
	if got := due(base + 1000); !reflect.DeepEqual(got[1], redisstore.Timer{Table: "a", ID: 3, Deadline: base + 300}) {
		t.Fatalf("after out-of-order arms: %+v", got)
	}

	// Compare-and-delete: only the deadline that fired goes.
	fired := redisstore.Timer{Table: "a", ID: 3, Deadline: base + 300}
	set("a", 4, base+300) // re-armed with the same deadline under a new number
	if ok, err := s.DropTimer(e.ctx, fired); ok || err != nil {
		t.Fatalf("dropped a re-armed timer: %v %v", ok, err)
	}
	set("a", 5, base+900) // moved
	if ok, _ := s.DropTimer(e.ctx, redisstore.Timer{Table: "a", ID: 5, Deadline: base + 300}); ok {
		t.Fatal("dropped a moved timer")
	}
	if ok, _ := s.DropTimer(e.ctx, redisstore.Timer{Table: "a", ID: 5, Deadline: base + 900}); !ok {
		t.Fatal("the timer that fired was not dropped")
	}
	if ok, _ := s.DropTimer(e.ctx, redisstore.Timer{Table: "a", ID: 5, Deadline: base + 900}); ok {
		t.Fatal("dropped twice")
	}
	if got := due(base + 1000); !reflect.DeepEqual(got, []redisstore.Timer{{"b", 4, base + 50}, {"c", 2, base + 500}}) {
		t.Fatalf("left: %+v", got)
	}

	// Disarming removes the entry and its number; the table's next timer
	// arms again. Keys sit under the prefix and share one hash slot.
	set("b", 4, 0)
	set("c", 2, 0)
	if got := due(base + 1000); len(got) != 0 {
		t.Fatalf("after disarming: %+v", got)
	}
	for b := range s.Keys().Buckets() {
		if n := e.rdb.HLen(e.ctx, s.Keys().TimerIDs(b)).Val(); n != 0 {
			t.Fatalf("%d timer numbers left in bucket %d", n, b)
		}
	}
	set("b", 6, base+10)
	if got := due(base + 10); !reflect.DeepEqual(got, []redisstore.Timer{{"b", 6, base + 10}}) {
		t.Fatalf("re-armed: %+v", got)
	}

	// Epochs come first: a table rebuilt from an older copy numbers its
	// timers again from that copy's, and they replace the higher numbers
	// of the history it lost; a timer of an older epoch never replaces one
	// of a newer.
	setIn(2, "b", 3, base+20)
	setIn(1, "b", 9, base+30)
	setIn(2, "b", 2, base+40)
	if got := due(base + 1000); !reflect.DeepEqual(got, []redisstore.Timer{{"b", 3, base + 20}}) {
		t.Fatalf("after a rebuild's timer: %+v", got)
	}
	// A record an older release wrote (a number, no epoch) is of epoch 0.
	if err := e.rdb.HSet(e.ctx, s.Keys().TimerIDs(s.Keys().BucketOf("d")), "d", 50).Err(); err != nil {
		t.Fatal(err)
	}
	set("d", 1, base+60)
	if got := due(base + 1000); !reflect.DeepEqual(got, []redisstore.Timer{{"b", 3, base + 20}, {"d", 1, base + 60}}) {
		t.Fatalf("over an older release's record: %+v", got)
	}
	for _, tb := range []string{"b", "d"} {
		if ok, err := s.DropTimer(e.ctx, due(base + 1000)[0]); !ok || err != nil {
			t.Fatalf("drop %s: %v %v", tb, ok, err)
		}
	}
	for b := range s.Keys().Buckets() {
		if n := e.rdb.HLen(e.ctx, s.Keys().TimerIDs(b)).Val(); n != 0 {
			t.Fatalf("%d timer records left in bucket %d after the drops", n, b)
		}
	}
	k := s.Keys()
	if b := k.BucketOf("b"); !strings.HasPrefix(k.Timers(b), e.prefix+":{timers") || k.TimerIDs(b) != k.Timers(b)+":id" {
		t.Fatalf("keys %s %s", k.Timers(b), k.TimerIDs(b))
	}
}

// A commit records the table's turn timer in the same step (as SetTimer
// would); a commit that conflicts records nothing, and a table whose timer
// was never armed is left out of the set.
func TestCommitRecordsTheTurnTimer(t *testing.T) {
	e := setup(t, redisstore.Options{})
	armed := func(id string) (redisstore.Timer, bool) {
		t.Helper()
		ts, err := e.s.DueTimers(e.ctx, 1<<62, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range ts {
			if tm.Table == id {
				return tm, true
			}
		}
		return redisstore.Timer{}, false
	}
	idle := &live{tb: e.newTable("tb-idle")}
	e.apply(idle, "u0", table.Command{Op: table.OpSit, Seat: 0, Name: "a"}, table.Env{})
	if idle.tb.Timer != 0 {
		t.Fatalf("a table waiting for players has timer %d", idle.tb.Timer)
	}
	if tm, ok := armed("tb-idle"); ok {
		t.Fatalf("a never-armed timer was recorded: %+v", tm)
	}

	l, _ := e.running("tb-tm", 3)
	// The test's tables have no turn time: the timer is armed and
	// disarmed (deadline 0) at once. Commit one with a deadline.
	if tm, ok := armed("tb-tm"); l.tb.Timer == 0 || l.tb.Deadline != 0 || ok {
		t.Fatalf("after the moves: recorded %+v %v, the table's timer %d at %d", tm, ok, l.tb.Timer, l.tb.Deadline)
	}
	const at = int64(1_764_000_000_000)
	next := l.tb
	next.Timer, next.Deadline = l.tb.Timer+1, at
	out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &next, FromSeq: l.seq, Result: redisstore.Result{User: "u0", ID: "arm"}})
	want := redisstore.Timer{Table: "tb-tm", ID: next.Timer, Deadline: at}
	if !e.s.CommitRecordsTimer() {
		// On a cluster the timers are in another slot: the commit records
		// nothing (worker.TimerHook does, TestTimerHookRecordsWhatNoCommitDid).
		if tm, ok := armed("tb-tm"); err != nil || !out.Wrote || ok {
			t.Fatalf("commit on a cluster %+v %v recorded %+v", out, err, tm)
		}
		return
	}
	if tm, _ := armed("tb-tm"); err != nil || !out.Wrote || tm != want {
		t.Fatalf("commit %+v %v recorded %+v, want %+v", out, err, tm, want)
	}
	l.seq = out.NewSeq
	stale := next
	stale.Timer, stale.Deadline = next.Timer+1, at+1000
	if _, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &stale, FromSeq: l.seq - 1,
		Result: redisstore.Result{User: "u0", ID: "stale"}}); !errors.Is(err, redisstore.ErrConflict) {
		t.Fatalf("stale commit: %v", err)
	}
	if tm, _ := armed("tb-tm"); tm != want {
		t.Fatalf("a conflicting commit moved the timer: %+v, want %+v", tm, want)
	}
	out, err = e.s.Commit(e.ctx, redisstore.Commit{Table: &stale, FromSeq: l.seq,
		Result: redisstore.Result{User: "u0", ID: "fresh"}})
	if err != nil || !out.Wrote {
		t.Fatalf("commit: %+v %v", out, err)
	}
	if tm, _ := armed("tb-tm"); tm != (redisstore.Timer{Table: "tb-tm", ID: stale.Timer, Deadline: stale.Deadline}) {
		t.Fatalf("the commit recorded %+v, want timer %d at %d", tm, stale.Timer, stale.Deadline)
	}

	// The commit writes its timer without reading the record first (its
	// change is the table's newest): a record it did not make — here one
	// left by an earlier table of that id, with a higher number — does not
	// hold it back, and a hook's older timer that arrives after it is
	// refused as before.
	l.seq = out.NewSeq
	if err := e.s.SetTimer(e.ctx, "tb-tm", 1, 1000, at+5000); err != nil {
		t.Fatal(err)
	}
	again := stale
	again.Timer, again.Deadline = stale.Timer+1, at+2000
	if out, err = e.s.Commit(e.ctx, redisstore.Commit{Table: &again, FromSeq: l.seq,
		Result: redisstore.Result{User: "u0", ID: "over"}}); err != nil || !out.Wrote {
		t.Fatalf("commit: %+v %v", out, err)
	}
	want = redisstore.Timer{Table: "tb-tm", ID: again.Timer, Deadline: again.Deadline}
	if tm, _ := armed("tb-tm"); tm != want {
		t.Fatalf("over an earlier table's record the commit recorded %+v, want %+v", tm, want)
	}
	if err := e.s.SetTimer(e.ctx, "tb-tm", 1, stale.Timer, at+9000); err != nil {
		t.Fatal(err)
	}
	if tm, _ := armed("tb-tm"); tm != want {
		t.Fatalf("a late hook's older timer replaced the commit's: %+v, want %+v", tm, want)
	}
}

// The passes over every bucket (due timers, the lobby) run their scripts
// in one pipeline: a node that lost its script cache (restarted, or new)
// has the script loaded again and answers the same.
func TestBucketPassesSurviveAScriptFlush(t *testing.T) {
	// On a server of the test's own (SCRIPT FLUSH empties a server's cache
	// for every client of it), or on the test cluster.
	var rdb redis.UniversalClient = testenv.Another(t, procs.StartRedis(t, procs.RedisOptions{}).Client(0))
	if testenv.RedisCluster() != nil {
		rdb, _ = testenv.Redis(t, 0, false)
	}
	e := &env{t: t, ctx: t.Context(), rdb: rdb, s: redisstore.New(rdb, redisstore.Options{Prefix: testenv.RandomName("t")})}
	for i := range 40 {
		id := "t" + strconv.Itoa(i)
		if err := e.s.SetTimer(e.ctx, id, 1, 1, int64(1000+i)); err != nil {
			t.Fatal(err)
		}
		if err := e.s.IndexTable(e.ctx, id, []byte(`{"id":"`+id+`"}`), ""); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		due, err := e.s.DueTimers(e.ctx, 1<<62, 1000)
		if err != nil || len(due) != 40 || due[0].Deadline != 1000 || due[39].Deadline != 1039 {
			t.Fatalf("%s: %d due timers, %v", when, len(due), err)
		}
		if lobby, err := e.s.Lobby(e.ctx); err != nil || len(lobby) != 40 {
			t.Fatalf("%s: %d listed, %v", when, len(lobby), err)
		}
	}
	check("cached")
	testenv.EachNode(e.rdb, func(c *redis.Client) { c.ScriptFlush(e.ctx) })
	check("after SCRIPT FLUSH")
}
