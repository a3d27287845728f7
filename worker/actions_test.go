package worker

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// actionEnv is a Redis key space of its own with a store, a processor and a
// subscription to one table's channel.
type actionEnv struct {
	t       *testing.T
	ctx     context.Context
	rdb     redis.UniversalClient
	store   *redisstore.Store
	proc    *Processor
	tableID string
	results chan redisstore.Result
	events  chan redisstore.Entry

	mu        sync.Mutex
	persisted []table.MatchRecord
	stash     []redisstore.Result // answers received while waiting for another
}

func newActionEnv(t *testing.T) *actionEnv {
	t.Helper()
	return newActionEnvRules(t, game.Rules{Target: 3})
}

// newActionEnvRules is newActionEnv with its table's rules.
func newActionEnvRules(t *testing.T, rules game.Rules) *actionEnv {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	// (A log long enough for the tests that read a whole match's events.)
	e := &actionEnv{t: t, ctx: ctx, rdb: rdb, store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2, LogMaxLen: 1000}),
		tableID: testenv.RandomName("tb"), results: make(chan redisstore.Result, 1024), events: make(chan redisstore.Entry, 4096)}
	e.proc = NewProcessor(e.store, Options{ReclaimIdle: 200 * time.Millisecond, Block: 100 * time.Millisecond,
		Persist: func(_ context.Context, m table.MatchRecord) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.persisted = append(e.persisted, m)
			return nil
		}})
	tb, err := table.New(e.tableID, rules, "host", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateTable(ctx, &tb); err != nil {
		t.Fatal(err)
	}
	ps := rdb.Subscribe(ctx, e.store.Keys().Channel(e.tableID))
	if _, err := ps.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	go func() {
		for m := range ps.Channel() {
			var msg redisstore.Message
			if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
				t.Errorf("bad message on channel: %v", err)
				continue
			}
			for _, ev := range msg.Events {
				e.events <- ev
			}
			if msg.Result != nil {
				e.results <- *msg.Result
			}
		}
	}()
	return e
}

func (e *actionEnv) action(user, id string, op table.Op, seat int, arg string) redisstore.Action {
	return redisstore.Action{Table: e.tableID, User: user, Name: user, ID: id, Op: op, Seat: seat, Arg: arg}
}

// do processes an action directly and returns the answer published for it.
func (e *actionEnv) do(a redisstore.Action) redisstore.Result {
	e.t.Helper()
	if err := e.proc.Process(e.ctx, a); err != nil {
		e.t.Fatalf("process %s %s: %v", a.Op, a.ID, err)
	}
	return e.waitResult(a.User, a.ID)
}

func (e *actionEnv) waitResult(user, id string) redisstore.Result {
	e.t.Helper()
	for i, r := range e.stash {
		if r.User == user && r.ID == id {
			e.stash = append(e.stash[:i], e.stash[i+1:]...)
			return r
		}
	}
	for {
		select {
		case r := <-e.results:
			if r.User == user && r.ID == id {
				return r
			}
			e.stash = append(e.stash, r)
		case <-e.ctx.Done():
			e.t.Fatalf("no answer to %s/%s", user, id)
		}
	}
}

func (e *actionEnv) load() redisstore.Loaded {
	e.t.Helper()
	l, err := e.store.LoadTable(e.ctx, e.tableID)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// seatFour seats users u0..u3 (u0, the first to sit down, hosts: the
// table's creator never sits), the others say they are ready, and u0
// starts the match.
func (e *actionEnv) seatFour() {
	e.t.Helper()
	for s := 0; s < 4; s++ {
		u := "u" + string(rune('0'+s))
		if r := e.do(e.action(u, "sit", table.OpSit, s, "")); r.Code != "" {
			e.t.Fatalf("sit %d: %s", s, r.Code)
		}
	}
	for s := 1; s < 4; s++ {
		if r := e.do(e.action(userOf(s), "ready", table.OpReady, 0, table.ReadyYes)); r.Code != "" {
			e.t.Fatalf("ready %d: %s", s, r.Code)
		}
	}
	if r := e.do(e.action("u0", "start", table.OpStart, 0, "")); r.Code != "" {
		e.t.Fatalf("start: %s", r.Code)
	}
}

func userOf(seat game.Seat) string { return "u" + string(rune('0'+seat)) }

func TestDuplicateActionAppliedOnce(t *testing.T) {
	e := newActionEnv(t)
	e.seatFour()
	l := e.load()
	hakem := l.Table.Game.Hakem
	first := e.do(e.action(userOf(hakem), "t1", table.OpTrump, 0, "H"))
	if first.Code != "" {
		t.Fatalf("trump refused: %s", first.Code)
	}
	seqAfter := e.load().Seq
	again := e.do(e.action(userOf(hakem), "t1", table.OpTrump, 0, "H"))
	if again != first {
		t.Fatalf("retry answered %+v, first answer was %+v", again, first)
	}
	if got := e.load().Seq; got != seqAfter {
		t.Fatalf("retry changed the table: seq %d → %d", seqAfter, got)
	}
	reused := e.do(e.action(userOf(hakem), "t1", table.OpTrump, 0, "S"))
	if reused.Code != string(protocol.CodeActionIDReused) {
		t.Fatalf("same id, other payload: got %q, want action_id_reused", reused.Code)
	}
	if l := e.load(); l.Seq != seqAfter || l.Table.Game.Trump != game.Hearts {
		t.Fatalf("reused id changed the table")
	}
}

func TestRefusalIsRecordedAndRepeated(t *testing.T) {
	e := newActionEnv(t)
	e.seatFour()
	l := e.load()
	other := userOf(game.Next(l.Table.Game.Hakem))
	r := e.do(e.action(other, "x", table.OpTrump, 0, "S"))
	if r.Code != string(game.CodeNotHakem) {
		t.Fatalf("non-Hakem trump: got %q", r.Code)
	}
	if again := e.do(e.action(other, "x", table.OpTrump, 0, "S")); again != r {
		t.Fatalf("repeated refusal differs: %+v vs %+v", again, r)
	}
	if e.load().Seq != l.Seq {
		t.Fatal("a refusal changed the table")
	}
	if r := e.do(e.action("stranger", "y", table.OpPlay, 0, "AS")); r.Code != string(table.CodeNotInGame) {
		t.Fatalf("stranger's play: got %q", r.Code)
	}
	if r := e.do(e.action(other, "z", "dance", 0, "")); r.Code != string(protocol.CodeUnknownType) {
		t.Fatalf("unknown op: got %q", r.Code)
	}
}

func TestRacingActionsExactlyOneApplied(t *testing.T) {
	e := newActionEnv(t)
	e.seatFour()
	l := e.load()
	hakem := l.Table.Game.Hakem
	e.do(e.action(userOf(hakem), "t", table.OpTrump, 0, "S"))
	l = e.load()
	legal := l.Table.Game.LegalCards(hakem).Cards()
	const n = 6
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := e.action(userOf(hakem), "race"+string(rune('a'+i)), table.OpPlay, 0, legal[i%len(legal)].String())
			if err := e.proc.Process(e.ctx, a); err != nil {
				t.Errorf("process: %v", err)
			}
		}(i)
	}
	wg.Wait()
	ok := 0
	for i := 0; i < n; i++ {
		r := e.waitResult(userOf(hakem), "race"+string(rune('a'+i)))
		switch r.Code {
		case "":
			ok++
		case string(game.CodeNotYourTurn):
		default:
			t.Errorf("loser got %q, want not_your_turn", r.Code)
		}
	}
	if ok != 1 {
		t.Fatalf("%d racing plays accepted, want exactly 1", ok)
	}
	if got := len(e.load().Table.Moves); got != 2 {
		t.Fatalf("%d moves recorded, want 2 (trump + one card)", got)
	}
}

func TestReclaimAfterCrashBeforeAck(t *testing.T) {
	e := newActionEnv(t)
	e.seatFour()
	hakem := e.load().Table.Game.Hakem
	group := "g-" + e.tableID
	if err := e.store.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Enqueue(e.ctx, e.action(userOf(hakem), "t", table.OpTrump, 0, "D")); err != nil {
		t.Fatal(err)
	}
	part := e.store.Partition(e.tableID)
	// Worker A reads and applies the action, then dies before XACK.
	got, err := e.store.ReadActions(e.ctx, group, "A", part, 10, time.Second)
	if err != nil || len(got) != 1 {
		t.Fatalf("read: %v %d", err, len(got))
	}
	if err := e.proc.Process(e.ctx, got[0].Action); err != nil {
		t.Fatal(err)
	}
	first := e.waitResult(userOf(hakem), "t")
	seq := e.load().Seq
	// Worker B's consumer reclaims it once idle and processes it again.
	proc := NewProcessor(e.store, Options{Group: group, Consumer: "B", ReclaimIdle: 100 * time.Millisecond, Block: 50 * time.Millisecond})
	c := NewConsumer(proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	again := e.waitResult(userOf(hakem), "t")
	if err := c.Stop(e.ctx); err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatalf("reclaimed answer %+v differs from %+v", again, first)
	}
	if l := e.load(); l.Seq != seq || len(l.Table.Moves) != 1 {
		t.Fatalf("reclaim applied the action again: seq %d→%d, %d moves", seq, l.Seq, len(l.Table.Moves))
	}
	pending, err := e.rdb.XPending(e.ctx, e.store.Keys().Actions(part), group).Result()
	if err != nil || pending.Count != 0 {
		t.Fatalf("entries still pending after reclaim: %v %v", pending, err)
	}
}

// TestBotsPlayWholeMatchThroughStream seats one player, fills with bots,
// starts, and hands the player's seat to a bot by leaving: the bots then play
// the whole match through the action stream, and the finished match is
// handed to persistence with a record that replays to the same result.
func TestBotsPlayWholeMatchThroughStream(t *testing.T) {
	e := newActionEnv(t)
	e.runConsumer(t, time.Second)
	for _, a := range []redisstore.Action{
		e.action("u0", "1", table.OpSit, 0, ""), e.action("u0", "2", table.OpAddBots, 0, ""),
		e.action("u0", "3", table.OpStart, 0, ""), e.action("u0", "4", table.OpLeave, 0, ""),
	} {
		if err := e.store.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		if r := e.waitResult(a.User, a.ID); r.Code != "" {
			t.Fatalf("%s refused: %s", a.Op, r.Code)
		}
	}
	var last int64
	for {
		select {
		case ev := <-e.events:
			if ev.Seq != last+1 && last != 0 {
				t.Fatalf("event seq jumped from %d to %d", last, ev.Seq)
			}
			last = ev.Seq
		case <-e.ctx.Done():
			t.Fatal("match did not finish")
		}
		if l := e.load(); l.Table.Status == table.Finished && l.Seq == last {
			break
		}
	}
	l := e.load()
	waitFor(t, func() bool { e.mu.Lock(); defer e.mu.Unlock(); return len(e.persisted) > 0 })
	e.mu.Lock()
	m := e.persisted[0]
	e.mu.Unlock()
	if m.MatchID != l.Table.MatchID() || m.Winner != l.Table.Game.Winner {
		t.Fatalf("persisted %s winner %d, table %s winner %d", m.MatchID, m.Winner, l.Table.MatchID(), l.Table.Game.Winner)
	}
	b, _ := json.Marshal(m.Record)
	res, status := game.ReplayJSON(bytesReader(b))
	if status != 0 || res.Score != l.Table.Game.Score || *res.Winner != l.Table.Game.Winner {
		t.Fatalf("replay of the record: status %d score %v, live score %v", status, res.Score, l.Table.Game.Score)
	}
}

// TestHandledActionsAreAcknowledged: what a reader handled leaves the
// pending list with its next read (AckAndRead), with no reclaim (the
// reclaimer here waits an hour), whether the next batch is there at once
// (a burst) or not (one at a time).
func TestHandledActionsAreAcknowledged(t *testing.T) {
	e := newActionEnv(t)
	e.runConsumer(t, time.Hour)
	pending := func() int64 {
		var n int64
		for p := range 2 {
			n += e.rdb.XPending(e.ctx, e.store.Keys().Actions(p), "g").Val().Count
		}
		return n
	}
	burst := []redisstore.Action{e.action("u0", "1", table.OpSit, 0, ""), e.action("u1", "2", table.OpSit, 1, ""), e.action("u2", "3", table.OpSit, 2, "")}
	for _, a := range burst {
		if err := e.store.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range burst {
		if r := e.waitResult(a.User, a.ID); r.Code != "" {
			t.Fatalf("%s refused: %s", a.ID, r.Code)
		}
	}
	waitFor(t, func() bool { return pending() == 0 })
	one := e.action("u3", "4", table.OpSit, 3, "")
	if err := e.store.Enqueue(e.ctx, one); err != nil {
		t.Fatal(err)
	}
	if r := e.waitResult(one.User, one.ID); r.Code != "" {
		t.Fatalf("refused: %s", r.Code)
	}
	waitFor(t, func() bool { return pending() == 0 })
}

// runConsumer runs a consumer ("c1" of group "g") over two partitions of
// e's store until the test ends; reclaimIdle is its ReclaimIdle.
func (e *actionEnv) runConsumer(t *testing.T, reclaimIdle time.Duration) {
	t.Helper()
	proc := NewProcessor(e.store, Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		ReclaimIdle: reclaimIdle, Persist: e.proc.opts.Persist})
	c := NewConsumer(proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSeedDecidesTheDeal: with Options.Seed fixed, a match's deal is the
// one table.Apply makes with that seed (tests can know the hands).
func TestSeedDecidesTheDeal(t *testing.T) {
	e := newActionEnv(t)
	e.proc = NewProcessor(e.store, Options{Seed: func() uint64 { return 7 }, Persist: func(context.Context, table.MatchRecord) error { return nil }})
	before := e.load().Table
	e.seatFour()
	got := e.load().Table
	want := before
	for s := range 4 {
		u := "u" + string(rune('0'+s))
		var err error
		if want, _, err = table.Apply(want, u, table.Command{Op: table.OpSit, Seat: game.Seat(s), Name: u}, table.Env{}); err != nil {
			t.Fatal(err)
		}
	}
	for s := 1; s < 4; s++ {
		var err error
		if want, _, err = table.Apply(want, userOf(s), table.Command{Op: table.OpReady, Ready: true}, table.Env{}); err != nil {
			t.Fatal(err)
		}
	}
	want, _, err := table.Apply(want, "u0", table.Command{Op: table.OpStart}, table.Env{Now: got.Started, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got.Game.Hands != want.Game.Hands || got.Game.Hakem != want.Game.Hakem {
		t.Fatalf("the deal with seed 7 differs from table.Apply's: hakem %d vs %d", got.Game.Hakem, want.Game.Hakem)
	}
}

// batchRecorder records the batches of commits sent in one round trip.
type batchRecorder struct {
	*redisstore.Store
	mu      sync.Mutex
	batches [][]string // the table of each commit, per batch
}

func (s *batchRecorder) CommitBatch(ctx context.Context, cs []redisstore.Commit) []redisstore.CommitResult {
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i] = cs[i].Table.ID
	}
	s.mu.Lock()
	s.batches = append(s.batches, ids)
	s.mu.Unlock()
	return s.Store.CommitBatch(ctx, cs)
}

// TestBatchCommitsKeepEachTablesOrder: a burst of actions at several
// tables, read as one batch, is committed a round at a time — the next
// action of each table, their commits in one round trip — and every action
// gets the answer it would get alone: a table's actions in their order (a
// sit then a leave leaves the seat empty), a repeated id its first answer,
// a refusal its code, and an action at a table changed behind the worker's
// back (its cached copy stale) is applied to a fresh read.
func TestBatchCommitsKeepEachTablesOrder(t *testing.T) {
	e := newActionEnv(t)
	cs := &batchRecorder{Store: e.store}
	proc := NewProcessor(cs, Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond, ReclaimIdle: time.Hour})
	ids := []string{testenv.RandomName("ta"), testenv.RandomName("tb"), testenv.RandomName("tc")}
	// All three tables in one partition, so that one read takes the burst.
	part := e.store.Partition(ids[0])
	for len(ids) < 6 {
		if id := testenv.RandomName("t"); e.store.Partition(id) == part {
			ids = append(ids, id)
		}
	}
	ids = ids[3:]
	act := func(tb, user, id string, op table.Op, seat int) redisstore.Action {
		return redisstore.Action{Table: tb, User: user, Name: user, ID: id, Op: op, Seat: seat}
	}
	for _, id := range ids {
		tb, err := table.New(id, game.Rules{Target: 3}, "host", 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.CreateTable(e.ctx, &tb); err != nil {
			t.Fatal(err)
		}
		// One action through the processor leaves its copy in the cache.
		if err := proc.Process(e.ctx, act(id, "u0", "s0", table.OpSit, 0)); err != nil {
			t.Fatal(err)
		}
	}
	// The third table changes behind the processor's back.
	if err := e.proc.Process(e.ctx, act(ids[2], "u3", "s3", table.OpSit, 3)); err != nil {
		t.Fatal(err)
	}
	burst := []redisstore.Action{
		// Refused before the table is read: answered at the seq the table
		// has when its turn comes (1), not after the sit behind it.
		act(ids[0], "u1", "a0", table.OpTimeout, 0),
		act(ids[0], "u1", "a1", table.OpSit, 1), act(ids[1], "u1", "b1", table.OpSit, 1),
		act(ids[2], "u1", "c1", table.OpSit, 1), act(ids[0], "u1", "a2", table.OpLeave, 0),
		act(ids[1], "u2", "b2", table.OpSit, 1), // taken by u1 just before
		act(ids[0], "u1", "a1", table.OpSit, 1), // a1 again: its first answer
		act(ids[1], "u2", "b3", table.OpSit, 2),
	}
	for _, a := range burst {
		if err := e.store.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	batches := func() (n uint64, commits float64) {
		var m dto.Metric
		if err := metrics.CommitBatch.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.Histogram.GetSampleCount(), m.Histogram.GetSampleSum()
	}
	n0, sum0 := batches()
	c := NewConsumer(proc, e.store, e.store.Options().Partitions)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	answer := func(a redisstore.Action) *redisstore.Result {
		var r *redisstore.Result
		waitFor(t, func() bool {
			var err error
			r, err = e.store.LookupAnswer(e.ctx, a.Table, a.User, a.ID)
			return err == nil && r != nil
		})
		return r
	}
	want := map[string]string{"a0": string(protocol.CodeUnknownType), "a1": "", "b1": "", "c1": "", "a2": "", "b2": string(table.CodeSeatTaken), "b3": ""}
	for _, a := range burst {
		if r := answer(a); r.Code != want[a.ID] {
			t.Errorf("%s at %s: code %q, want %q", a.ID, a.Table, r.Code, want[a.ID])
		}
	}
	if r := answer(burst[0]); r.Seq != 1 {
		t.Errorf("a0 answered at seq %d, want 1: judged after an action behind it", r.Seq)
	}
	waitFor(t, func() bool { // every entry acknowledged
		return e.rdb.XPending(e.ctx, e.store.Keys().Actions(part), "g").Val().Count == 0
	})
	seated := func(id string) string {
		l, err := e.store.LoadTable(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for i, p := range l.Table.Seats {
			if p != nil {
				s = append(s, string(rune('0'+i))+p.ID)
			}
		}
		return strings.Join(s, " ")
	}
	for id, w := range map[string]string{ids[0]: "0u0", ids[1]: "0u0 1u1 2u2", ids[2]: "0u0 1u1 3u3"} {
		if got := seated(id); got != w {
			t.Errorf("table %s seats %q, want %q", id, got, w)
		}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	together := false
	for _, b := range cs.batches {
		together = together || len(b) > 1
		seen := map[string]bool{}
		for _, id := range b {
			if seen[id] {
				t.Errorf("one batch holds two commits of table %s: %v", id, b)
			}
			seen[id] = true
		}
	}
	if !together {
		t.Errorf("no two commits went together: batches %v", cs.batches)
	}
	if n, sum := batches(); n == n0 || sum-sum0 <= float64(n-n0) {
		t.Errorf("hokm_worker_commits_per_round_trip: %d round trips with %.0f commits observed, want one with two or more",
			n-n0, sum-sum0)
	}
}
