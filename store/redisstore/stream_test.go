package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/redisstore"
)

const group = "workers"

func TestPartition(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 3})
	again := redisstore.New(e.rdb, redisstore.Options{Prefix: e.prefix, Partitions: 3})
	used := map[int]int{}
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("table-%d", i)
		p := e.s.Partition(id)
		if p < 0 || p >= 3 {
			t.Fatalf("Partition(%q) = %d", id, p)
		}
		if e.s.Partition(id) != p || again.Partition(id) != p {
			t.Fatalf("Partition(%q) is not stable", id)
		}
		used[p]++
	}
	for p := 0; p < 3; p++ {
		if used[p] < 200 {
			t.Fatalf("partition use %v is badly skewed", used)
		}
	}
	one := redisstore.New(e.rdb, redisstore.Options{Prefix: e.prefix, Partitions: 1})
	if one.Partition("anything") != 0 {
		t.Fatal("one partition must be partition 0")
	}
}

// All actions of a table land on its one partition, in order.
func TestEnqueueOneTableOnePartition(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 3})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatalf("EnsureGroup twice: %v", err)
	}
	for p := 0; p < 3; p++ {
		if n := e.rdb.Exists(e.ctx, e.s.Keys().Actions(p)).Val(); n != 1 {
			t.Fatalf("partition %d stream not created by EnsureGroup", p)
		}
	}
	tables := []string{"t-a", "t-b", "t-c", "t-d"}
	for i := 0; i < 20; i++ {
		for _, tb := range tables {
			if err := e.s.Enqueue(e.ctx, redisstore.Action{Table: tb, User: "u", ID: fmt.Sprint(i), Op: "play"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tb := range tables {
		p := e.s.Partition(tb)
		var ids []string
		for q := 0; q < 3; q++ {
			for _, m := range e.rdb.XRange(e.ctx, e.s.Keys().Actions(q), "-", "+").Val() {
				if a := redisstore.ActionOf(m.Values); a.Table == tb {
					if q != p {
						t.Fatalf("action of %s on partition %d, want %d", tb, q, p)
					}
					ids = append(ids, a.ID)
				}
			}
		}
		if len(ids) != 20 {
			t.Fatalf("%s: %d actions", tb, len(ids))
		}
		for i, id := range ids {
			if id != fmt.Sprint(i) {
				t.Fatalf("%s: actions out of order: %v", tb, ids)
			}
		}
	}
}

func TestEnqueueReadActionsRoundTrip(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 3})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	tableID := "میز-۱"
	p := e.s.Partition(tableID)
	want := []redisstore.Action{
		{Table: tableID, User: "کاربر", Name: "علی‌رضا 🃏 \"quoted\" \\", ID: "act-1", Op: "sit", Seat: 3, At: 1_700_000_000_123_456},
		{Table: tableID, User: "u2", ID: "x", Op: "play", Arg: "AS", At: -5},
		{Table: tableID, User: "u3", ID: "y", Op: "trump", Arg: "H", Seat: -1},
		{Table: tableID}, // empty fields stay empty
	}
	for _, a := range want {
		if err := e.s.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.s.ReadActions(e.ctx, group, "c1", p, 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d actions, want %d", len(got), len(want))
	}
	for i, se := range got {
		if se.Partition != p || se.ID == "" || !reflect.DeepEqual(se.Action, want[i]) {
			t.Fatalf("entry %d: partition %d id %q action %+v, want %+v", i, se.Partition, se.ID, se.Action, want[i])
		}
	}
	// Every entry holds one field, the packed action.
	raw, err := e.rdb.Do(e.ctx, "XRANGE", e.s.Keys().Actions(p), "-", "+").Slice()
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range raw {
		fv := ent.([]any)[1].([]any)
		var names []string
		for i := 0; i < len(fv); i += 2 {
			names = append(names, fv[i].(string))
		}
		if want := []string{"p"}; !slices.Equal(names, want) {
			t.Fatalf("an entry's fields %v, want %v", names, want)
		}
	}
	// An entry in the eight fields an older gateway writes is read as the
	// same action; one in neither form is an action of no table.
	legacy := []any{"t", want[0].Table, "u", want[0].User, "n", want[0].Name, "i", want[0].ID, "o", string(want[0].Op),
		"s", want[0].Seat, "a", want[0].Arg, "at", want[0].At}
	for _, vals := range [][]any{legacy, {"p", "7:truncated;"}, {"x", "y"}} {
		if err := e.rdb.XAdd(e.ctx, &redis.XAddArgs{Stream: e.s.Keys().Actions(p), Values: vals}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	old, err := e.s.ReadActions(e.ctx, group, "c1", p, 10, time.Second)
	if err != nil || len(old) != 3 {
		t.Fatalf("read %d entries (%v), want 3", len(old), err)
	}
	if !reflect.DeepEqual(old[0].Action, want[0]) {
		t.Fatalf("an older gateway's entry read as %+v, want %+v", old[0].Action, want[0])
	}
	for _, se := range old[1:] {
		if se.Action.Table != "" {
			t.Fatalf("an entry in neither form read as %+v, want no table", se.Action)
		}
	}
	// Nothing new: no entries and no error once the block times out.
	start := time.Now()
	got, err = e.s.ReadActions(e.ctx, group, "c1", p, 10, 50*time.Millisecond)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty read: %v %v", got, err)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Fatal("ReadActions did not block")
	}
	// A blocked reader wakes up for a new action.
	done := make(chan []redisstore.StreamEntry, 1)
	go func() {
		es, _ := e.s.ReadActions(e.ctx, group, "c2", p, 10, 5*time.Second)
		done <- es
	}()
	time.Sleep(50 * time.Millisecond)
	late := redisstore.Action{Table: tableID, User: "u", ID: "late", Op: "leave"}
	if err := e.s.Enqueue(e.ctx, late); err != nil {
		t.Fatal(err)
	}
	select {
	case es := <-done:
		if len(es) != 1 || es[0].Action != late {
			t.Fatalf("blocked reader got %+v", es)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("blocked reader not woken")
	}
}

func TestReclaimAndAck(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 3})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	tableID := "tb-reclaim"
	p := e.s.Partition(tableID)
	var sent []redisstore.Action
	for i := 0; i < 5; i++ {
		a := redisstore.Action{Table: tableID, User: "u", Name: "نام", ID: fmt.Sprint(i), Op: "play", Arg: "2C", At: int64(i)}
		sent = append(sent, a)
		if err := e.s.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := e.s.ReadActions(e.ctx, group, "dead", p, 10, time.Second)
	if err != nil || len(dead) != 5 {
		t.Fatalf("read: %d %v", len(dead), err)
	}
	// The worker that read them acks two, then dies.
	for _, se := range dead[:2] {
		if err := e.s.AckIDs(e.ctx, group, se.Partition, []string{se.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.rdb.XPending(e.ctx, e.s.Keys().Actions(p), group).Val().Count; n != 3 {
		t.Fatalf("%d pending after two acks", n)
	}
	// Not idle long enough yet: nothing to reclaim.
	if got, err := e.s.Reclaim(e.ctx, group, "alive", p, time.Hour, 10); err != nil || len(got) != 0 {
		t.Fatalf("early reclaim: %v %v", got, err)
	}
	time.Sleep(60 * time.Millisecond)
	got, err := e.s.Reclaim(e.ctx, group, "alive", p, 50*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("reclaimed %d entries, want the 3 unacknowledged", len(got))
	}
	for i, se := range got {
		if se.ID != dead[i+2].ID || se.Partition != p || se.Action != sent[i+2] {
			t.Fatalf("reclaimed %d: %+v, want %+v", i, se, dead[i+2])
		}
	}
	ext := e.rdb.XPendingExt(e.ctx, &redis.XPendingExtArgs{Stream: e.s.Keys().Actions(p), Group: group, Start: "-", End: "+", Count: 10}).Val()
	for _, pe := range ext {
		if pe.Consumer != "alive" {
			t.Fatalf("entry %s still owned by %s", pe.ID, pe.Consumer)
		}
	}
	for _, se := range got {
		if err := e.s.AckIDs(e.ctx, group, se.Partition, []string{se.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.rdb.XPending(e.ctx, e.s.Keys().Actions(p), group).Val().Count; n != 0 {
		t.Fatalf("%d pending after all acks", n)
	}
	time.Sleep(60 * time.Millisecond)
	if got, err := e.s.Reclaim(e.ctx, group, "third", p, time.Millisecond, 10); err != nil || len(got) != 0 {
		t.Fatalf("reclaim after all acks: %v %v", got, err)
	}
}

// streamIDs lists the entry ids of partition p.
func (e *env) streamIDs(p int) []string {
	e.t.Helper()
	var ids []string
	for _, m := range e.rdb.XRange(e.ctx, e.s.Keys().Actions(p), "-", "+").Val() {
		ids = append(ids, m.ID)
	}
	return ids
}

// clockPast waits until Redis' clock has left the millisecond of partition
// p's newest entry: a trim keeping nothing still keeps entries of the
// current millisecond (their ids are not below the horizon), and a fast run
// enqueues, reads and trims within one.
func (e *env) clockPast(p int) {
	e.t.Helper()
	last := e.rdb.XRevRangeN(e.ctx, e.s.Keys().Actions(p), "+", "-", 1).Val()
	if len(last) == 0 {
		return
	}
	ms, err := strconv.ParseInt(strings.SplitN(last[0].ID, "-", 2)[0], 10, 64)
	if err != nil {
		e.t.Fatal(err)
	}
	for {
		now, err := e.rdb.Time(e.ctx).Result()
		if err != nil {
			e.t.Fatal(err)
		}
		if now.UnixMilli() > ms {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTrimActions(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 3})
	// No group yet (and no streams): nothing to do, no error.
	if n, err := e.s.TrimActions(e.ctx, group, 0); n != 0 || err != nil {
		t.Fatalf("trim without streams: %d %v", n, err)
	}
	tableID := "tb-trim"
	p := e.s.Partition(tableID)
	for i := 0; i < 10; i++ {
		if err := e.s.Enqueue(e.ctx, redisstore.Action{Table: tableID, ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Streams but no group: nothing deleted.
	if n, err := e.s.TrimActions(e.ctx, group, 0); n != 0 || err != nil {
		t.Fatalf("trim without a group: %d %v", n, err)
	}
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	all := e.streamIDs(p)
	if len(all) != 10 {
		t.Fatalf("%d entries", len(all))
	}
	// Nothing delivered yet: nothing may go.
	if n, err := e.s.TrimActions(e.ctx, group, 0); n != 0 || err != nil {
		t.Fatalf("trim before any delivery: %d %v", n, err)
	}
	read, err := e.s.ReadActions(e.ctx, group, "c", p, 10, time.Second)
	if err != nil || len(read) != 10 {
		t.Fatalf("read %d %v", len(read), err)
	}
	// Ack six, out of order: 0 1 2 4 5 6. Entry 3 is the oldest pending.
	for _, i := range []int{0, 1, 2, 4, 5, 6} {
		if err := e.s.AckIDs(e.ctx, group, read[i].Partition, []string{read[i].ID}); err != nil {
			t.Fatal(err)
		}
	}
	e.clockPast(p)
	n, err := e.s.TrimActions(e.ctx, group, 0)
	if err != nil || n != 3 {
		t.Fatalf("trim with 3 7 8 9 pending: deleted %d (%v), want 3", n, err)
	}
	if got := e.streamIDs(p); !reflect.DeepEqual(got, all[3:]) {
		t.Fatalf("after trim: %v, want %v", got, all[3:])
	}
	// Trimming again changes nothing.
	if n, err := e.s.TrimActions(e.ctx, group, 0); n != 0 || err != nil {
		t.Fatalf("second trim: %d %v", n, err)
	}
	// Everything acknowledged: all before the last delivered entry goes.
	for _, i := range []int{3, 7, 8, 9} {
		if err := e.s.AckIDs(e.ctx, group, read[i].Partition, []string{read[i].ID}); err != nil {
			t.Fatal(err)
		}
	}
	// Two more arrive but are not delivered: they must stay.
	for i := 10; i < 12; i++ {
		if err := e.s.Enqueue(e.ctx, redisstore.Action{Table: tableID, ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	undelivered := e.streamIDs(p)[7:]
	// Acknowledged but added within keep: they stay.
	if n, err := e.s.TrimActions(e.ctx, group, time.Hour); n != 0 || err != nil {
		t.Fatalf("trim keeping the last hour: %d %v", n, err)
	}
	e.clockPast(p)
	n, err = e.s.TrimActions(e.ctx, group, 0)
	if err != nil || n != 6 {
		t.Fatalf("trim with all acked: deleted %d (%v), want 6", n, err)
	}
	if got := e.streamIDs(p); !reflect.DeepEqual(got, append([]string{all[9]}, undelivered...)) {
		t.Fatalf("after trim: %v, want [%s] + %v", got, all[9], undelivered)
	}
	// The undelivered ones are still read by the group.
	rest, err := e.s.ReadActions(e.ctx, group, "c", p, 10, time.Second)
	if err != nil || len(rest) != 2 || rest[0].Action.ID != "10" || rest[1].Action.ID != "11" {
		t.Fatalf("read after trim: %+v %v", rest, err)
	}
	// Other partitions (empty streams) were left alone.
	for q := 0; q < 3; q++ {
		if q != p && len(e.streamIDs(q)) != 0 {
			t.Fatalf("partition %d has entries", q)
		}
	}
}

// xreadOnXinfo is a client hook that, the first time the store asks Redis
// for a stream's consumer groups, lets another worker read from that stream
// first: a worker running at the same moment as the trim job.
type xreadOnXinfo struct {
	key   string
	fired atomic.Bool
	other func(ctx context.Context)
}

func (h *xreadOnXinfo) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *xreadOnXinfo) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *xreadOnXinfo) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		args := cmd.Args()
		if cmd.Name() == "xinfo" && len(args) >= 3 && fmt.Sprint(args[2]) == h.key && h.fired.CompareAndSwap(false, true) {
			h.other(ctx)
		}
		return next(ctx, cmd)
	}
}

// The trim job runs while workers read: it must never delete an entry that
// a worker has been handed but not acknowledged (a worker that then dies
// leaves it to Reclaim, which needs the entry).
func TestTrimActionsRacingAReader(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 3})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	tableID := "tb-trim-race"
	p := e.s.Partition(tableID)
	for i := 0; i < 5; i++ {
		if err := e.s.Enqueue(e.ctx, redisstore.Action{Table: tableID, ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	worker := redisstore.New(e.rdb, redisstore.Options{Prefix: e.prefix, Partitions: 3})
	var handed []redisstore.StreamEntry
	trimClient := testenv.Another(t, e.rdb)
	hook := &xreadOnXinfo{key: e.s.Keys().Actions(p), other: func(ctx context.Context) {
		es, err := worker.ReadActions(ctx, group, "w1", p, 10, time.Second)
		if err != nil {
			t.Error(err)
		}
		handed = es
	}}
	trimClient.AddHook(hook)
	trimmer := redisstore.New(trimClient, redisstore.Options{Prefix: e.prefix, Partitions: 3})

	if _, err := trimmer.TrimActions(e.ctx, group, 0); err != nil {
		t.Fatal(err)
	}
	if hook.fired.CompareAndSwap(false, true) {
		// The trim never asked for the group's state apart from its other
		// reads (e.g. one Lua script): the worker reads right after it.
		hook.other(e.ctx)
	}
	if len(handed) != 5 {
		t.Fatalf("the worker was handed %d entries, want 5", len(handed))
	}
	// The worker dies; another reclaims what it was handed.
	time.Sleep(30 * time.Millisecond)
	got, err := e.s.Reclaim(e.ctx, group, "w2", p, 20*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("TrimActions deleted entries that were delivered but not acknowledged: %d of 5 left to reclaim (stream now %v)",
			len(got), e.streamIDs(p))
	}
}

// Stream keys live under the store's prefix only.
func TestStreamKeysUnderPrefix(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t, 0, false)
	s := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 3})
	ctx := context.Background()
	if err := s.EnsureGroup(ctx, group); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, redisstore.Action{Table: "x"}); err != nil {
		t.Fatal(err)
	}
	keys := testenv.Keys(t, rdb, prefix+":*")
	want := map[string]bool{s.Keys().Actions(0): true, s.Keys().Actions(1): true, s.Keys().Actions(2): true}
	if len(keys) != 3 {
		t.Fatalf("keys %v", keys)
	}
	for _, k := range keys {
		if !want[k] {
			t.Fatalf("unexpected key %q", k)
		}
	}
}

// oneStream is a store of one partition with the consumer group made, for
// the tests of a reader's calls: enqueue appends plays at table "t" with
// ids, pending counts the entries read and not acknowledged.
func oneStream(t *testing.T) (e *env, enqueue func(ids ...string), pending func() int64) {
	e = setup(t, redisstore.Options{Partitions: 1})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	enqueue = func(ids ...string) {
		for _, id := range ids {
			if err := e.s.Enqueue(e.ctx, redisstore.Action{Table: "t", User: "u", ID: id, Op: "play"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	pending = func() int64 {
		return e.rdb.XPending(e.ctx, e.s.Keys().Actions(0), group).Val().Count
	}
	return e, enqueue, pending
}

// AckAndRead acknowledges a handled batch and reads the next one in one
// round trip, waiting briefly: an action that arrives meanwhile is read,
// nothing new is no entries and no error (after AckReadBlock, within the
// client's read timeout), and the acknowledgement holds either way.
func TestAckAndRead(t *testing.T) {
	t.Parallel()
	e, enqueue, pending := oneStream(t)
	idsOf := func(es []redisstore.StreamEntry) (ids []string) {
		for _, se := range es {
			ids = append(ids, se.ID)
		}
		return ids
	}
	enqueue("a", "b")
	first, err := e.s.ReadActions(e.ctx, group, "c1", 0, 10, time.Second)
	if err != nil || len(first) != 2 {
		t.Fatalf("first read: %v %v", first, err)
	}
	enqueue("c")
	next, err := e.s.AckAndRead(e.ctx, group, "c1", 0, idsOf(first), 10)
	if err != nil || len(next) != 1 || next[0].Action.ID != "c" || next[0].Deliveries != 1 {
		t.Fatalf("ack and read: %+v %v", next, err)
	}
	if n := pending(); n != 1 {
		t.Fatalf("%d entries pending after acknowledging two of three, want 1", n)
	}
	// An action enqueued while the read waits is read (on a machine too
	// busy to enqueue it within the wait, by the next, longer read).
	go func() {
		time.Sleep(redisstore.AckReadBlock / 4)
		enqueue("d")
	}()
	later, err := e.s.AckAndRead(e.ctx, group, "c1", 0, idsOf(next), 10)
	if err == nil && len(later) == 0 {
		t.Logf("d came after the wait")
		later, err = e.s.ReadActions(e.ctx, group, "c1", 0, 10, 5*time.Second)
	}
	if err != nil || len(later) != 1 || later[0].Action.ID != "d" {
		t.Fatalf("an action arriving during the wait: %+v %v", later, err)
	}
	none, err := e.s.AckAndRead(e.ctx, group, "c1", 0, idsOf(later), 10)
	if err != nil || len(none) != 0 {
		t.Fatalf("nothing new: %+v %v", none, err)
	}
	if n := pending(); n != 0 {
		t.Fatalf("%d entries pending, want none", n)
	}
}

// TestConcurrentEnqueuesShareAPipeline: actions enqueued at the same time
// go in shared pipelines — fewer round trips than actions — and each is
// appended once; a caller's actions keep their order; an action whose
// caller gave up (ctx ended) before it was sent is not appended.
func TestConcurrentEnqueuesShareAPipeline(t *testing.T) {
	t.Parallel()
	srv := procs.StartRedis(t, procs.RedisOptions{}) // its own server: round trips counted exactly
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	s := redisstore.New(rdb, redisstore.Options{Prefix: "eq", Partitions: 4})
	reads := func() int64 {
		info := rdb.Info(ctx, "stats").Val()
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "total_reads_processed:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		t.Fatal("no total_reads_processed")
		return 0
	}
	const callers, each = 50, 20
	before := reads()
	start := make(chan struct{})
	errs := make(chan error, callers)
	for c := range callers {
		go func() {
			<-start
			for i := range each { // one table per caller: its actions in order
				if err := s.Enqueue(ctx, redisstore.Action{Table: fmt.Sprintf("t%d", c), User: "u", ID: fmt.Sprint(i), Op: "play"}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	close(start)
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	trips := reads() - before - 1 // (the INFO itself)
	got := map[string][]string{}
	for p := range 4 {
		for _, m := range rdb.XRange(ctx, s.Keys().Actions(p), "-", "+").Val() {
			a := redisstore.ActionOf(m.Values)
			got[a.Table] = append(got[a.Table], a.ID)
		}
	}
	for c := range callers {
		ids := got[fmt.Sprintf("t%d", c)]
		if len(ids) != each {
			t.Fatalf("table t%d: %d actions appended, want %d", c, len(ids), each)
		}
		for i, id := range ids {
			if id != fmt.Sprint(i) {
				t.Fatalf("table t%d: actions out of order: %v", c, ids)
			}
		}
	}
	if trips >= callers*each {
		t.Fatalf("%d round trips for %d actions enqueued at once: none shared", trips, callers*each)
	}
	t.Logf("%d actions in %d round trips", callers*each, trips)

	gone, stop := context.WithCancel(ctx)
	stop()
	if err := s.Enqueue(gone, redisstore.Action{Table: "late", User: "u", ID: "x", Op: "play"}); err == nil {
		t.Fatal("an enqueue with an ended ctx succeeded")
	}
	for p := range 4 {
		for _, m := range rdb.XRange(ctx, s.Keys().Actions(p), "-", "+").Val() {
			if redisstore.ActionOf(m.Values).Table == "late" {
				t.Fatal("the action of a caller that gave up was appended")
			}
		}
	}
}

// CommitAndRead sends commits and the partition's acknowledgement and next
// read in one round trip: each commit's result is what Commit would give
// (written, or stale), the read brings what arrived (waiting up to
// CommitReadBlock when nothing has), and the acknowledgement holds; with
// nothing to acknowledge no XACK is sent (Redis refuses one without ids).
func TestCommitAndRead(t *testing.T) {
	t.Parallel()
	e, enqueue, pending := oneStream(t)
	l, _ := e.running("tb-r", 2)
	leave := func(id string, from int64) redisstore.Commit { return leaveCommit(t, l, id, from) }
	enqueue("a", "b")
	first, err := e.s.ReadActions(e.ctx, group, "c1", 0, 10, time.Second)
	if err != nil || len(first) != 2 {
		t.Fatalf("first read: %v %v", first, err)
	}
	enqueue("c")
	res, next, err := e.s.CommitAndRead(e.ctx, []redisstore.Commit{leave("x1", l.seq)}, group, "c1", 0,
		[]string{first[0].ID, first[1].ID}, 10)
	if err != nil || len(next) != 1 || next[0].Action.ID != "c" || next[0].Deliveries != 1 {
		t.Fatalf("commit and read: entries %+v, %v; want c", next, err)
	}
	if len(res) != 1 || res[0].Err != nil || !res[0].Out.Wrote {
		t.Fatalf("commit: %+v, want written", res)
	}
	if got, err := e.s.LoadTable(e.ctx, "tb-r"); err != nil || got.Seq != res[0].Out.NewSeq {
		t.Fatalf("table at seq %d (%v), want %d", got.Seq, err, res[0].Out.NewSeq)
	}
	if n := pending(); n != 1 {
		t.Fatalf("%d entries pending after acknowledging two of three, want 1", n)
	}
	// A stale commit, nothing to acknowledge, nothing new.
	res, next, err = e.s.CommitAndRead(e.ctx, []redisstore.Commit{leave("x2", l.seq)}, group, "c1", 0, nil, 10)
	if err != nil || len(next) != 0 {
		t.Fatalf("nothing new: entries %+v, %v", next, err)
	}
	if len(res) != 1 || !errors.Is(res[0].Err, redisstore.ErrConflict) {
		t.Fatalf("stale commit: %+v, want ErrConflict", res)
	}
	if n := pending(); n != 1 {
		t.Fatalf("%d entries pending, want 1 (c, not acknowledged)", n)
	}
}
