package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// clock is the time every processor and timer loop of a test reads: it
// moves only when the test moves it, so a deadline passes exactly when the
// test says and never while a test player is about to act.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.UnixMilli(1_764_000_000_000)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// passDeadline moves the clock just past ms (unix ms), if it is not already.
func (c *clock) passDeadline(ms int64) { c.forward(ms + 1) }

// justBefore moves the clock to the last ms before ms (unix ms), if it is
// not there already.
func (c *clock) justBefore(ms int64) { c.forward(ms - 1) }

func (c *clock) forward(ms int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := time.UnixMilli(ms); t.After(c.now) {
		c.now = t
	}
}

// timerEnv is an actionEnv whose table has short timers (5 s, the shortest
// a client may set, on the test's clock), whose processor runs the timer
// hook, and which can start workers (consumers). Timers fire only when the
// test runs a timer loop's pass (Fire), and bots move only when it
// releases their moves (botsUntil).
type timerEnv struct {
	*actionEnv
	clock *clock
	opts  table.Options
	bots  *heldBots
	stops []func()
}

func newTimerEnv(t *testing.T, opts table.Options) *timerEnv {
	t.Helper()
	e := &timerEnv{actionEnv: newActionEnv(t), clock: newClock(), opts: opts}
	e.bots = &heldBots{Store: e.store, moves: make(chan redisstore.Action, 64)}
	// Replace the table with one that has opts (same id: the subscription stays).
	k := e.store.Keys()
	if err := e.rdb.Del(e.ctx, k.Table(e.tableID), k.Acts(e.tableID), k.Log(e.tableID)).Err(); err != nil {
		t.Fatal(err)
	}
	tb, err := table.New(e.tableID, game.Rules{Target: 3}, "host", 1)
	if err != nil {
		t.Fatal(err)
	}
	tb.Options = opts
	if err := e.store.CreateTable(e.ctx, &tb); err != nil {
		t.Fatal(err)
	}
	e.proc = e.processor("direct")
	t.Cleanup(func() {
		for i := len(e.stops) - 1; i >= 0; i-- {
			e.stops[i]()
		}
	})
	return e
}

func (e *timerEnv) processor(consumer string) *Processor {
	return NewProcessor(e.bots, Options{Group: "g", Consumer: consumer, Block: 20 * time.Millisecond,
		ReclaimIdle: 150 * time.Millisecond, Now: e.clock.Now, AfterChange: []Hook{TimerHook(e.store)}})
}

// heldBots is the store the env's processors write through. It holds back
// every bot move (a worker enqueues it after committing the move before)
// until the test releases it: a match of bots goes exactly as far as the
// test lets it, and stands still while the test looks. Blocking in the bot
// itself would block the worker, and its action would be reclaimed.
type heldBots struct {
	*redisstore.Store
	moves chan redisstore.Action
}

func (h *heldBots) Enqueue(ctx context.Context, a redisstore.Action) error {
	if !strings.HasPrefix(a.User, "bot:") { // table.BotID
		return h.Store.Enqueue(ctx, a)
	}
	select {
	case h.moves <- a:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// botsUntil lets the bots move, one move at a time, each once the one
// before is fully handled, until cond holds for the table; it returns the
// table.
func (e *timerEnv) botsUntil(what string, cond func(l *redisstore.Loaded) bool) redisstore.Loaded {
	e.t.Helper()
	for {
		e.drained()
		l := e.load()
		if cond(&l) {
			return l
		}
		select {
		case a := <-e.bots.moves:
			e.send(a)
		case <-time.After(10 * time.Second):
			e.t.Fatalf("%s: not reached, no bot move to release; table at seq %d, %d moves, on turn %d, meta %+v",
				what, l.Seq, len(l.Table.Moves), l.Table.OnTurn(), l.Table.Meta)
		}
	}
}

// worker starts a consumer of the action stream as a worker process would.
func (e *timerEnv) worker(name string) *Consumer {
	e.t.Helper()
	c := NewConsumer(e.processor(name), e.store, e.store.Options().Partitions)
	if err := c.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.stops = append(e.stops, func() { c.Stop(context.Background()) })
	return c
}

// timerLoop is a worker's timer loop on s, not started: the test runs its
// passes (Fire).
func (e *timerEnv) timerLoop(s TimerStore) *TimerLoop {
	return NewTimerLoop(s, TimerOptions{Now: e.clock.Now})
}

// fireTogether runs a pass of each loop at once, as the loops of several
// workers would; it returns how many timeouts they sent in all.
func (e *timerEnv) fireTogether(loops ...*TimerLoop) int {
	e.t.Helper()
	var fired atomic.Int64
	var wg sync.WaitGroup
	for _, l := range loops {
		wg.Go(func() {
			n, err := l.Fire(e.ctx)
			if err != nil {
				e.t.Error(err)
			}
			fired.Add(int64(n))
		})
	}
	wg.Wait()
	return int(fired.Load())
}

// timeOut lets the deadline of l's turn pass and runs a timer loop's pass,
// which must fire that one timer; it returns the timeout's answer.
func (e *timerEnv) timeOut(l redisstore.Loaded) redisstore.Result {
	e.t.Helper()
	e.drained() // the hook arms the timer only after the move is answered
	e.clock.passDeadline(l.Table.Deadline)
	if n, err := e.timerLoop(e.store).Fire(e.ctx); n != 1 || err != nil {
		e.t.Fatalf("fire: %d %v", n, err)
	}
	return e.waitResult(TimerUser, TimeoutAction(redisstore.Timer{Table: e.tableID, ID: l.Table.Timer}).ID)
}

// drained waits until the consumer group has read every action of the
// table's partition and acknowledged each (none pending): every one has
// been handled, its follow-up work included.
func (e *timerEnv) drained() {
	e.t.Helper()
	key := e.store.Keys().Actions(e.store.Partition(e.tableID))
	done := testenv.Until(10*time.Second, func() bool {
		groups, err := e.rdb.XInfoGroups(e.ctx, key).Result()
		if err != nil {
			e.t.Fatal(err)
		}
		for _, g := range groups {
			if g.Name == "g" {
				return g.Lag == 0 && g.Pending == 0
			}
		}
		return false
	})
	if !done {
		e.t.Fatal("actions left unread or unacknowledged after 10 s")
	}
}

// send enqueues an action and returns its answer.
func (e *timerEnv) send(a redisstore.Action) redisstore.Result {
	e.t.Helper()
	if err := e.store.Enqueue(e.ctx, a); err != nil {
		e.t.Fatal(err)
	}
	return e.waitResult(a.User, a.ID)
}

// armed is the table's entry in the timer set (ok false when none). On a
// Redis Cluster the timer hook records a change's timer after its answer:
// it waits (up to 2 s) for the set to agree with the table.
func (e *timerEnv) armed() (redisstore.Timer, bool) {
	e.t.Helper()
	var tm redisstore.Timer
	var ok bool
	testenv.Until(2*time.Second, func() bool {
		tm, ok = e.armedNow()
		l, err := e.store.LoadTable(e.ctx, e.tableID)
		if err != nil || e.store.CommitRecordsTimer() {
			return true
		}
		want := l.Table.Timer != 0 && l.Table.Deadline != 0
		return ok == want && (!ok || tm.ID == l.Table.Timer)
	})
	return tm, ok
}

// armedNow is armed without waiting.
func (e *timerEnv) armedNow() (redisstore.Timer, bool) {
	e.t.Helper()
	due, err := e.store.DueTimers(e.ctx, 1<<62, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, d := range due {
		if d.Table == e.tableID {
			return d, true
		}
	}
	return redisstore.Timer{}, false
}

// logTypes is the type of every logged event, by seq.
func (e *timerEnv) logTypes() map[int64]string {
	e.t.Helper()
	logged, err := e.store.ReadLog(e.ctx, e.tableID, 0, 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[int64]string{}
	for _, le := range logged {
		var ev struct{ Type string }
		if err := json.Unmarshal(le.E, &ev); err != nil {
			e.t.Fatal(err)
		}
		out[le.Seq] = ev.Type
	}
	return out
}

// timeoutsLogged counts the timeout events in the log and checks that
// each comes right before the engine's event of the auto-played action.
func (e *timerEnv) timeoutsLogged() int {
	e.t.Helper()
	types := e.logTypes()
	n := 0
	for seq, typ := range types {
		if typ == "timeout" {
			n++
			if next := types[seq+1]; next != "trump_chosen" && next != "card_played" {
				e.t.Fatalf("timeout at seq %d followed by %q", seq, next)
			}
		}
	}
	return n
}

// fourPeople seats u0..u3 and starts; it returns the table after the start.
func (e *timerEnv) fourPeople() redisstore.Loaded {
	e.t.Helper()
	e.seatFour()
	return e.load()
}

func typeOf(t *testing.T, e redisstore.Entry) string {
	t.Helper()
	if e.E == nil {
		return ""
	}
	var ev struct{ Type string }
	if err := json.Unmarshal(e.E, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Type
}

func fastTimers() table.Options {
	return table.Options{TurnSeconds: 5, TrumpSeconds: 5, MaxTimeouts: 2}
}

// The seat on turn is auto-played exactly once by two workers, each running
// its consumer and its timer loop, when both loops fire its timer; the
// timeout event is published right before the move it made.
func TestTimeoutAutoPlayedOnceByTwoWorkers(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	l := e.fourPeople()
	hakem := l.Table.Game.Hakem
	armed, ok := e.armed()
	if !ok || armed.Deadline != l.Table.Deadline || armed.ID != l.Table.Timer || l.Table.Deadline != e.clock.Now().UnixMilli()+5000 {
		t.Fatalf("after start: armed %+v %v, meta deadline %d timer %d", armed, ok, l.Table.Deadline, l.Table.Timer)
	}
	e.worker("w1")
	e.worker("w2")
	e.clock.justBefore(l.Table.Deadline)
	if n := e.fireTogether(e.timerLoop(e.store), e.timerLoop(e.store)); n != 0 {
		t.Fatalf("%d timers fired before their deadline", n)
	}
	if _, ok := e.armed(); !ok || e.load().Seq != l.Seq {
		t.Fatal("the table or its timer changed before the deadline")
	}
	e.clock.passDeadline(l.Table.Deadline)
	r := &readTogether{Store: e.store}
	r.read.Add(2)
	if n := e.fireTogether(e.timerLoop(r), e.timerLoop(r)); n != 2 {
		t.Fatalf("the loops fired %d times, want 2", n)
	}
	e.drained() // both timeouts reached a worker
	timer := redisstore.Timer{Table: e.tableID, ID: l.Table.Timer}
	first := e.waitResult(TimerUser, TimeoutAction(timer).ID)
	second := e.waitResult(TimerUser, TimeoutAction(timer).ID)
	now := e.load()
	if first.Code != "" || second != first || now.Seq != first.Seq || len(now.Table.Moves) != 1 || now.Table.Moves[0].Seat != hakem {
		t.Fatalf("after the timeout: answers %+v %+v, seq %d, moves %+v", first, second, now.Seq, now.Table.Moves)
	}
	if p := now.Table.Seats[hakem]; p.Timeouts != 1 || p.Away {
		t.Fatalf("Hakem after one timeout: %+v", p)
	}
	if n := e.timeoutsLogged(); n != 1 {
		t.Fatalf("%d timeout events logged", n)
	}
	// Published in order: timeout, then trump_chosen, with the auto-played suit.
	var prev, cur redisstore.Entry
	for typeOf(t, cur) != "trump_chosen" {
		select {
		case ev := <-e.events:
			prev, cur = cur, ev
		case <-e.ctx.Done():
			t.Fatal("trump_chosen not published")
		}
	}
	var tev table.TimeoutEvent
	if err := json.Unmarshal(prev.E, &tev); err != nil || tev.Type != "timeout" || tev.Seat != hakem ||
		tev.Action.Trump != now.Table.Game.Trump.String() || prev.Seq+1 != cur.Seq {
		t.Fatalf("event before trump_chosen: %s (%v)", prev.E, err)
	}
	// The next turn (the Hakem leads) has its own timer, armed as a new one.
	armed, ok = e.armed()
	if !ok || armed.ID != now.Table.Timer || armed.ID != l.Table.Timer+1 || armed.Deadline != now.Table.Deadline {
		t.Fatalf("next timer %+v %v, table timer %d deadline %d", armed, ok, now.Table.Timer, now.Table.Deadline)
	}
}

// readTogether holds each loop's pass, once it has read the due timers,
// until every loop on it has (read.Add(loops)): each sends what is due,
// even though a worker may apply the first timeout, and arm the next
// timer, before another loop has looked.
type readTogether struct {
	*redisstore.Store
	read sync.WaitGroup
}

func (r *readTogether) DueTimers(ctx context.Context, now, max int64) ([]redisstore.Timer, error) {
	due, err := r.Store.DueTimers(ctx, now, max)
	r.read.Done()
	r.read.Wait()
	return due, err
}

// barrierStore holds every DropTimer until n loops have sent their
// timeout: all of them fire the same timer.
type barrierStore struct {
	*redisstore.Store
	sent sync.WaitGroup
}

func (b *barrierStore) Enqueue(ctx context.Context, a redisstore.Action) error {
	err := b.Store.Enqueue(ctx, a)
	b.sent.Done()
	return err
}

func (b *barrierStore) DropTimer(ctx context.Context, t redisstore.Timer) (bool, error) {
	b.sent.Wait()
	return b.Store.DropTimer(ctx, t)
}

// Two loops that both fire the same timer, and a third sending it again
// (a loop that crashed between sending and removing): applied once, the
// repeats answered with the same answer.
func TestTimerFiredRepeatedlyAppliedOnce(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	l := e.fourPeople()
	e.clock.passDeadline(l.Table.Deadline)
	b := &barrierStore{Store: e.store}
	b.sent.Add(2)
	if n := e.fireTogether(e.timerLoop(b), e.timerLoop(b)); n != 2 {
		t.Fatalf("the loops fired %d times, want 2", n)
	}
	if _, ok := e.armed(); ok {
		t.Fatal("fired timer still armed")
	}
	e.worker("w1")
	e.worker("w2")
	timer := redisstore.Timer{Table: e.tableID, ID: l.Table.Timer, Deadline: l.Table.Deadline}
	first := e.waitResult(TimerUser, TimeoutAction(timer).ID)
	second := e.waitResult(TimerUser, TimeoutAction(timer).ID)
	third := e.send(TimeoutAction(timer))
	if first.Code != "" || second != first || third != first {
		t.Fatalf("answers %+v %+v %+v", first, second, third)
	}
	now := e.load()
	if len(now.Table.Moves) != 1 || now.Seq != first.Seq || e.timeoutsLogged() != 1 {
		t.Fatalf("after three sends: %d moves, seq %d (answer %d)", len(now.Table.Moves), now.Seq, first.Seq)
	}
}

// A timeout sent after the player acted is refused and changes nothing;
// so is one naming a timer the table never had, and no client may send one.
func TestStaleTimeoutRefused(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	l := e.fourPeople()
	hakem := l.Table.Game.Hakem
	old := redisstore.Timer{Table: e.tableID, ID: l.Table.Timer, Deadline: l.Table.Deadline}
	if r := e.do(e.action(userOf(hakem), "tr", table.OpTrump, 0, "S")); r.Code != "" {
		t.Fatalf("trump: %s", r.Code)
	}
	before := e.load()
	for _, a := range []redisstore.Action{
		TimeoutAction(old),
		TimeoutAction(redisstore.Timer{Table: e.tableID, ID: before.Table.Timer + 1}),
		{Table: e.tableID, User: TimerUser, ID: "tx", Op: table.OpTimeout, Arg: "x"},
	} {
		if r := e.do(a); r.Code != string(table.CodeStaleTimeout) || r.Seq != before.Seq {
			t.Fatalf("timeout %s: %+v", a.Arg, r)
		}
	}
	mine := TimeoutAction(redisstore.Timer{Table: e.tableID, ID: before.Table.Timer})
	mine.User = userOf(hakem)
	if r := e.do(mine); r.Code != string(protocol.CodeUnknownType) {
		t.Fatalf("timeout sent by a player: %+v", r)
	}
	after := e.load()
	if after.Seq != before.Seq || len(after.Table.Moves) != 1 || after.Table.Seats[hakem].Timeouts != 0 {
		t.Fatalf("a stale timeout changed the table: seq %d→%d", before.Seq, after.Seq)
	}
	// The armed timer is the current turn's, not the old one.
	if armed, ok := e.armed(); !ok || armed.ID != after.Table.Timer {
		t.Fatalf("armed %+v %v, table timer %d", armed, ok, after.Table.Timer)
	}
}

// A worker that read the timeout and died before acting on it loses
// nothing: the entry stays pending and another worker takes it over.
func TestTimerSurvivesKilledWorker(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	l := e.fourPeople()
	if err := e.store.EnsureGroup(e.ctx, "g"); err != nil {
		t.Fatal(err)
	}
	e.clock.passDeadline(l.Table.Deadline)
	if n, err := NewTimerLoop(e.store, TimerOptions{Now: e.clock.Now}).Fire(e.ctx); n != 1 || err != nil {
		t.Fatalf("fire: %d %v", n, err)
	}
	if _, ok := e.armed(); ok {
		t.Fatal("timer still armed after firing")
	}
	// Worker A reads the timeout, then is killed.
	got, err := e.store.ReadActions(e.ctx, "g", "A", e.store.Partition(e.tableID), 10, time.Second)
	if err != nil || len(got) != 1 || got[0].Action.Op != table.OpTimeout {
		t.Fatalf("worker A read %+v %v", got, err)
	}
	// Worker B takes the pending entry over (once it has been idle for
	// ReclaimIdle, on Redis's clock) and plays for the Hakem.
	e.worker("B")
	timer := redisstore.Timer{Table: e.tableID, ID: l.Table.Timer}
	if r := e.waitResult(TimerUser, TimeoutAction(timer).ID); r.Code != "" || len(e.load().Table.Moves) != 1 {
		t.Fatalf("timeout taken over by worker B: %+v", r)
	}
	if n := e.timeoutsLogged(); n != 1 {
		t.Fatalf("%d timeouts logged", n)
	}
}

// A move's commit records the next turn's timer in the same step: a worker
// that dies right after the commit, before any hook, leaves it armed. (The
// processor here has no timer hook at all, and its only hook fails.) On a
// Redis Cluster the commit cannot (the timers are in another slot): the
// action, left unacknowledged, is delivered again and its duplicate's
// re-run arms the timer through the hook.
func TestTimerArmedByTheCommit(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	l := e.fourPeople()
	hakem := l.Table.Game.Hakem
	dies := func(context.Context, Change) error { return errors.New("killed") }
	proc := NewProcessor(e.store, Options{Group: "g", Consumer: "dies", Block: 20 * time.Millisecond, ReclaimIdle: time.Hour,
		Now: e.clock.Now, AfterChange: []Hook{dies}})
	c := NewConsumer(proc, e.store, e.store.Options().Partitions)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	before, _ := e.armed()
	trump := e.action(userOf(hakem), "tr", table.OpTrump, 0, "C")
	if r := e.send(trump); r.Code != "" {
		t.Fatalf("trump: %s", r.Code)
	}
	want := e.load().Table
	if want.Timer == before.ID {
		t.Fatalf("the trump armed no new timer (%d)", want.Timer)
	}
	if !e.store.CommitRecordsTimer() {
		if a, _ := e.armed(); a.ID == want.Timer {
			t.Fatalf("armed %+v by a commit on a cluster", a)
		}
		again := NewProcessor(e.store, Options{Group: "g", Consumer: "again", Now: e.clock.Now,
			AfterChange: []Hook{TimerHook(e.store)}})
		if err := again.Process(e.ctx, trump); err != nil {
			t.Fatal(err)
		}
	}
	if a, ok := e.armed(); !ok || a.ID != want.Timer || a.Deadline != want.Deadline {
		t.Fatalf("armed %+v %v, table timer %d deadline %d", a, ok, want.Timer, want.Deadline)
	}
}

// TimerHook records the timer of a change whose commit did not (a rebuilt
// table, a duplicate's re-run), and leaves alone one the commit recorded.
func TestTimerHookRecordsWhatNoCommitDid(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	l := e.fourPeople()
	k := e.store.Keys()
	b := k.BucketOf(l.Table.ID)
	if err := e.rdb.Del(e.ctx, k.Timers(b), k.TimerIDs(b)).Err(); err != nil {
		t.Fatal(err)
	}
	hook := TimerHook(e.store)
	if err := hook(e.ctx, Change{Table: &l.Table, Seq: l.Seq, Before: &l.Table, From: l.Seq - 1}); err != nil {
		t.Fatal(err)
	}
	if a, ok := e.armed(); ok == e.store.CommitRecordsTimer() {
		t.Fatalf("the hook recorded %+v (%v) for a committed change; the commit records timers: %v", a, ok, e.store.CommitRecordsTimer())
	}
	if err := e.rdb.Del(e.ctx, k.Timers(b), k.TimerIDs(b)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := hook(e.ctx, Change{Table: &l.Table, Seq: l.Seq}); err != nil {
		t.Fatal(err)
	}
	if a, ok := e.armed(); !ok || a.ID != l.Table.Timer || a.Deadline != l.Table.Deadline {
		t.Fatalf("armed %+v %v, table timer %d deadline %d", a, ok, l.Table.Timer, l.Table.Deadline)
	}
}

// After MaxTimeouts in a row the bot plays the seat and the match goes on
// without the player; back gives the seat back and the player plays again.
func TestBotTakesOverAndPlayerComesBack(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	for _, a := range []redisstore.Action{e.action("u0", "s", table.OpSit, 0, ""), e.action("u0", "b", table.OpAddBots, 0, ""), e.action("u0", "go", table.OpStart, 0, "")} {
		if r := e.do(a); r.Code != "" {
			t.Fatalf("%s: %s", a.Op, r.Code)
		}
	}
	e.worker("w1")
	e.worker("w2")
	// Let u0's time run out whenever it is u0's turn, until u0 is away.
	for timeouts := 1; timeouts <= 2; timeouts++ {
		l := e.botsUntil("u0 on turn", func(x *redisstore.Loaded) bool { return x.Table.OnTurn() == 0 && x.Table.Deadline != 0 })
		if r := e.timeOut(l); r.Code != "" {
			t.Fatalf("timeout %d: %s", timeouts, r.Code)
		}
		if p := e.load().Table.Seats[0]; p.Timeouts != timeouts {
			t.Fatalf("u0 after timeout %d: %+v", timeouts, p)
		}
	}
	l := e.load()
	if p := l.Table.Seats[0]; !p.Away || p.Timeouts != 2 || !l.Table.IsBot(0) || p.ID != "u0" {
		t.Fatalf("u0 after two timeouts: %+v", p)
	}
	if r := e.send(e.action("u0", "p0", table.OpPlay, 0, "2C")); r.Code != string(table.CodeSeatAway) && r.Code != string(game.CodeNotYourTurn) {
		t.Fatalf("away player's play: %s", r.Code)
	}
	// The bot plays u0's seat: the match goes on with no more timeouts.
	moves := len(l.Table.Moves)
	botSeat0 := func(x *redisstore.Loaded) int {
		n := 0
		for _, m := range x.Table.Moves[moves:] {
			if m.Seat == 0 {
				n++
			}
		}
		return n
	}
	e.botsUntil("the bot plays u0's seat twice", func(x *redisstore.Loaded) bool {
		return x.Table.Status == table.Finished || botSeat0(x) >= 2
	})
	// The bots' next move is held: the match goes on only after back. No
	// timer runs while the bots play, however late it gets.
	e.clock.passDeadline(e.clock.Now().Add(time.Hour).UnixMilli())
	if n, err := e.timerLoop(e.store).Fire(e.ctx); n != 0 || err != nil {
		t.Fatalf("%d timers fired while the bots played (%v)", n, err)
	}
	if l := e.load(); l.Table.Status != table.Playing || e.timeoutsLogged() != 2 || !l.Table.Seats[0].Away {
		t.Fatalf("after the bot played: status %s, %d timeouts, %+v", l.Table.Status, e.timeoutsLogged(), l.Table.Seats[0])
	}
	// Back: u0 holds the seat again and plays when on turn.
	if r := e.send(e.action("u0", "back", table.OpBack, 0, "")); r.Code != "" {
		t.Fatalf("back: %s", r.Code)
	}
	if r := e.send(e.action("u0", "back2", table.OpBack, 0, "")); r.Code != string(table.CodeNotAway) {
		t.Fatalf("second back: %s", r.Code)
	}
	l = e.botsUntil("u0 on turn after back", func(x *redisstore.Loaded) bool { return x.Table.OnTurn() == 0 })
	if p := l.Table.Seats[0]; p.Away || p.Timeouts != 0 || l.Table.IsBot(0) || l.Table.Deadline == 0 {
		t.Fatalf("u0 after back: %+v, deadline %d", p, l.Table.Deadline)
	}
	before := len(l.Table.Moves)
	act := l.Table.Game.Legal(0)[0]
	op, arg := table.OpPlay, act.Card.String()
	if act.Kind == game.KindChooseTrump {
		op, arg = table.OpTrump, act.Suit.String()
	}
	if r := e.send(e.action("u0", "mine", op, 0, arg)); r.Code != "" {
		t.Fatalf("u0's own move after back: %s", r.Code)
	}
	l = e.load()
	if m := l.Table.Moves[before]; m.Seat != 0 || m.Action != act {
		t.Fatalf("move after back: %+v, want seat 0 %v", m, act)
	}
	if e.timeoutsLogged() != 2 {
		t.Fatal("a timeout fired for a player who was present")
	}
}

// TestTimerLoopSurvivesAPanic: a pass that panics is recovered and
// counted (hokm_panics_total{component="timers"}); the loop goes on.
func TestTimerLoopSurvivesAPanic(t *testing.T) {
	before := testutil.ToFloat64(metrics.Panics.WithLabelValues("timers"))
	var calls atomic.Int64
	third := make(chan struct{})
	l := NewTimerLoop(nil, TimerOptions{Interval: time.Millisecond, Paused: func() bool {
		switch calls.Add(1) {
		case 1:
			panic("a bug in one pass")
		case 3:
			close(third)
		}
		return true // held back: the pass ends before the store
	}})
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-third:
	case <-time.After(5 * time.Second):
		t.Fatalf("the loop stopped after its panic (%d passes)", calls.Load())
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := testutil.ToFloat64(metrics.Panics.WithLabelValues("timers")) - before; d != 1 {
		t.Fatalf("hokm_panics_total{component=timers} grew by %v, want 1", d)
	}
}
