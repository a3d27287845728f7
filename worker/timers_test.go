package worker

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
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
func (c *clock) passDeadline(ms int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := time.UnixMilli(ms + 1); t.After(c.now) {
		c.now = t
	}
}

// timerEnv is an actionEnv whose table has short timers (5 s, the shortest
// a client may set, on the test's clock), whose processor runs the timer
// hook, and which can start workers (consumers) and timer loops.
type timerEnv struct {
	*actionEnv
	clock *clock
	opts  table.Options
	stops []func()
}

func newTimerEnv(t *testing.T, opts table.Options) *timerEnv {
	t.Helper()
	e := &timerEnv{actionEnv: newActionEnv(t), clock: newClock(), opts: opts}
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
	return NewProcessor(e.store, Options{Group: "g", Consumer: consumer, Block: 20 * time.Millisecond,
		ReclaimIdle: 150 * time.Millisecond, Now: e.clock.Now, Bot: slowBot, AfterChange: []func(context.Context, *table.Table, int64) error{TimerHook(e.store)}})
}

// slowBot is the heuristic bot taking 10 ms a move, so that a match of
// bots lasts long enough for the test to act in the middle of it.
func slowBot(v game.View) game.Action {
	time.Sleep(10 * time.Millisecond)
	return bot.NewHeuristic().Choose(v)
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

// loop starts a timer loop as a worker process would.
func (e *timerEnv) loop() *TimerLoop {
	e.t.Helper()
	l := NewTimerLoop(e.store, TimerOptions{Interval: 5 * time.Millisecond, Now: e.clock.Now})
	if err := l.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.stops = append(e.stops, func() { l.Stop(context.Background()) })
	return l
}

// send enqueues an action and returns its answer.
func (e *timerEnv) send(a redisstore.Action) redisstore.Result {
	e.t.Helper()
	if err := e.store.Enqueue(e.ctx, a); err != nil {
		e.t.Fatal(err)
	}
	return e.waitResult(a.User, a.ID)
}

// armed is the table's entry in the timer set (ok false when none).
func (e *timerEnv) armed() (redisstore.Timer, bool) {
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

// until polls the table until cond holds (10 s at most).
func (e *timerEnv) until(what string, cond func(l *redisstore.Loaded) bool) redisstore.Loaded {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l := e.load()
		if cond(&l) {
			return l
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not reached in 10 s; table at seq %d, %d moves, on turn %d, meta %+v",
				what, l.Seq, len(l.Table.Moves), l.Table.OnTurn(), l.Table.Meta)
		}
		time.Sleep(5 * time.Millisecond)
	}
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
// its consumer and its timer loop; the timeout event is published right
// before the move it made.
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
	e.loop()
	e.loop()
	time.Sleep(50 * time.Millisecond)
	if got := e.load(); got.Seq != l.Seq {
		t.Fatal("a timer fired before its deadline")
	}
	e.clock.passDeadline(l.Table.Deadline)
	after := e.until("trump chosen by the timer", func(x *redisstore.Loaded) bool { return len(x.Table.Moves) > 0 })
	// Let every duplicate of the timeout reach a worker.
	time.Sleep(300 * time.Millisecond)
	now := e.load()
	if now.Seq != after.Seq || len(now.Table.Moves) != 1 || now.Table.Moves[0].Seat != hakem {
		t.Fatalf("after the timeout: seq %d→%d, moves %+v", after.Seq, now.Seq, now.Table.Moves)
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
	var wg sync.WaitGroup
	var fired atomic.Int64
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := NewTimerLoop(b, TimerOptions{Now: e.clock.Now}).Fire(e.ctx)
			if err != nil {
				t.Error(err)
			}
			fired.Add(int64(n))
		}()
	}
	wg.Wait()
	if fired.Load() != 2 {
		t.Fatalf("the loops fired %d times, want 2", fired.Load())
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
	// Worker B takes the pending entry over and plays for the Hakem.
	e.worker("B")
	e.until("timeout applied by worker B", func(x *redisstore.Loaded) bool { return len(x.Table.Moves) == 1 })
	if n := e.timeoutsLogged(); n != 1 {
		t.Fatalf("%d timeouts logged", n)
	}
}

// failOnce fails the first SetTimer: a worker that dies after committing a
// move but before arming the next timer.
type failOnce struct {
	*redisstore.Store
	failed atomic.Bool
}

func (f *failOnce) SetTimer(ctx context.Context, id string, n, deadline int64) error {
	if f.failed.CompareAndSwap(false, true) {
		return errors.New("killed")
	}
	return f.Store.SetTimer(ctx, id, n, deadline)
}

// A worker that committed a move and died before arming the next timer
// leaves the action pending; its retry arms it.
func TestTimerArmedAfterWorkerDiedBeforeHook(t *testing.T) {
	e := newTimerEnv(t, fastTimers())
	l := e.fourPeople()
	hakem := l.Table.Game.Hakem
	f := &failOnce{Store: e.store}
	proc := NewProcessor(e.store, Options{Group: "g", Consumer: "dies", Block: 20 * time.Millisecond, ReclaimIdle: 100 * time.Millisecond,
		Now: e.clock.Now, AfterChange: []func(context.Context, *table.Table, int64) error{TimerHook(f)}})
	c := NewConsumer(proc, e.store, e.store.Options().Partitions)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	r := e.send(e.action(userOf(hakem), "tr", table.OpTrump, 0, "C"))
	if r.Code != "" {
		t.Fatalf("trump: %s", r.Code)
	}
	want := e.load().Table
	waitFor(t, func() bool { a, ok := e.armed(); return ok && a.ID == want.Timer && a.Deadline == want.Deadline })
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
	e.loop()
	e.loop()
	// Let u0's time run out whenever it is u0's turn, until u0 is away.
	for timeouts := 0; timeouts < 2; {
		l := e.until("u0 on turn", func(x *redisstore.Loaded) bool { return x.Table.OnTurn() == 0 && x.Table.Deadline != 0 })
		e.clock.passDeadline(l.Table.Deadline)
		e.until("u0's timeout", func(x *redisstore.Loaded) bool { return x.Table.Seats[0].Timeouts > timeouts })
		timeouts++
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
	e.until("the bot plays u0's seat twice", func(x *redisstore.Loaded) bool {
		return x.Table.Status == table.Finished || botSeat0(x) >= 2
	})
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
	l = e.until("u0 on turn after back", func(x *redisstore.Loaded) bool { return x.Table.OnTurn() == 0 })
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
	l := NewTimerLoop(nil, TimerOptions{Interval: time.Millisecond, Paused: func() bool {
		if calls.Add(1) == 1 {
			panic("a bug in one pass")
		}
		return true // held back: the pass ends before the store
	}})
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !testenv.Until(5*time.Second, func() bool { return calls.Load() >= 3 }) {
		t.Fatalf("the loop stopped after its panic (%d passes)", calls.Load())
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := testutil.ToFloat64(metrics.Panics.WithLabelValues("timers")) - before; d != 1 {
		t.Fatalf("hokm_panics_total{component=timers} grew by %v, want 1", d)
	}
}
