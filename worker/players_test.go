package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// The players' rules through the real processor: the host's commands, ready
// flags and swaps as the stream carries them, the rematch offer and its
// timer, the lobby, untimed tables and quick match.

// playersEnv is an actionEnv whose table has opts and whose processor runs
// the lobby and timer hooks, with a consumer playing the bots' moves.
func playersEnv(t *testing.T, opts table.Options) *actionEnv {
	t.Helper()
	e := newActionEnv(t)
	k := e.store.Keys()
	if err := e.rdb.Del(e.ctx, k.Table(e.tableID), k.Acts(e.tableID), k.Log(e.tableID)).Err(); err != nil {
		t.Fatal(err)
	}
	tb, err := table.New(e.tableID, game.Rules{Target: 3}, "u0", 1)
	if err != nil {
		t.Fatal(err)
	}
	tb.Options = opts
	if err := e.store.CreateTable(e.ctx, &tb); err != nil {
		t.Fatal(err)
	}
	e.proc = NewProcessor(e.store, Options{Group: "g", Consumer: "c", Block: 20 * time.Millisecond, ReclaimIdle: time.Second,
		Persist:     e.proc.opts.Persist,
		AfterChange: []Hook{LobbyHook(e.store), TimerHook(e.store)}})
	c := NewConsumer(e.proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return e
}

// must processes a and fails the test unless it is answered with code.
func (e *actionEnv) must(a redisstore.Action, code game.Code) redisstore.Result {
	e.t.Helper()
	r := e.do(a)
	if r.Code != string(code) {
		e.t.Fatalf("%s %s by %s (seat %d, arg %q): %q, want %q", a.Op, a.ID, a.User, a.Seat, a.Arg, r.Code, code)
	}
	return r
}

// listed reports whether the lobby lists the env's table.
func (e *actionEnv) listed() bool {
	e.t.Helper()
	vals, err := e.store.Lobby(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, v := range vals {
		var lt protocol.LobbyTable
		if err := json.Unmarshal([]byte(v), &lt); err != nil {
			e.t.Fatal(err)
		}
		if lt.ID == e.tableID {
			return true
		}
	}
	return false
}

// playOut plays the people's turns (as the heuristic bot would) while the
// consumer plays the bots', until the match is over.
func (e *actionEnv) playOut() redisstore.Loaded {
	e.t.Helper()
	choose := bot.NewHeuristic().Choose
	for {
		l := e.load()
		seat := l.Table.OnTurn()
		switch {
		case l.Table.Status != table.Playing:
			return l
		case l.Table.IsBot(seat):
			time.Sleep(2 * time.Millisecond)
			continue
		}
		a := botAction(&l.Table, seat, l.Seq, choose)
		a.User, a.ID = l.Table.Seats[seat].ID, "m"+strconv.FormatInt(l.Seq, 10)
		if r := e.do(a); r.Code != "" && r.Code != string(game.CodeNotYourTurn) {
			e.t.Fatalf("%s %s by %s: %s", a.Op, a.Arg, a.User, r.Code)
		}
	}
}

// TestHostRulesThroughTheWorker: who may start, fill and swap, and ready
// flags, as the action stream carries them (swap's other seat and ready's
// value in the action's arg).
func TestHostRulesThroughTheWorker(t *testing.T) {
	e := playersEnv(t, table.Options{})
	steps := []struct {
		a    redisstore.Action
		want game.Code
	}{
		{e.action("u0", "s0", table.OpSit, 0, ""), ""},
		{e.action("u1", "s1", table.OpSit, 1, ""), ""},
		{e.action("u2", "s2", table.OpSit, 3, ""), ""},
		{e.action("u1", "b1", table.OpAddBots, 0, ""), table.CodeNotHost},
		{e.action("u9", "b9", table.OpAddBots, 0, ""), table.CodeNotInGame},
		{e.action("u0", "b0", table.OpAddBots, 0, ""), ""},
		{e.action("u1", "go1", table.OpStart, 0, ""), table.CodeNotHost},
		{e.action("u0", "go0", table.OpStart, 0, ""), table.CodePlayersNotReady},
		{e.action("u1", "r1", table.OpReady, 0, table.ReadyYes), ""},
		{e.action("u1", "r1", table.OpReady, 0, table.ReadyNo), protocol.CodeActionIDReused},
		{e.action("u2", "r2", table.OpReady, 0, table.ReadyYes), ""},
		{e.action("u2", "r2b", table.OpReady, 0, table.ReadyNo), ""},
		{e.action("u0", "go0b", table.OpStart, 0, ""), table.CodePlayersNotReady},
		{e.action("u2", "r2c", table.OpReady, 0, table.ReadyYes), ""},
		{e.action("u1", "w1", table.OpSwap, 1, "3"), table.CodeNotHost},
		{e.action("u0", "w0", table.OpSwap, 1, "4"), table.CodeInvalidSeat},
		{e.action("u0", "w0b", table.OpSwap, 1, "2"), ""}, // u1 to the bot's seat 2, not ready any more
		{e.action("u0", "go0c", table.OpStart, 0, ""), table.CodePlayersNotReady},
		{e.action("u1", "r1b", table.OpReady, 0, table.ReadyYes), ""},
		{e.action("u0", "go0d", table.OpStart, 0, ""), ""},
		{e.action("u2", "r2d", table.OpReady, 0, table.ReadyNo), table.CodeMatchRunning},
		{e.action("u0", "w0c", table.OpSwap, 0, "1"), table.CodeMatchRunning},
	}
	for i, st := range steps {
		e.must(st.a, st.want)
		l := e.load()
		switch st.a.ID {
		case "w0b":
			if p := l.Table.Seats[2]; p == nil || p.ID != "u1" || p.Ready || l.Table.Seats[1].ID != table.BotID(1) || l.Table.Seats[1].Name != "Sohrab" {
				t.Fatalf("step %d: seats after the swap %+v %+v", i, l.Table.Seats[1], l.Table.Seats[2])
			}
		case "r2c":
			if p := l.Table.Seats[3]; !p.Ready {
				t.Fatalf("step %d: u2 %+v", i, p)
			}
		}
	}
	l := e.load()
	if l.Table.Status != table.Playing || l.Table.Host != "u0" {
		t.Fatalf("after the start: %+v", l.Table.Meta)
	}
	for s, p := range l.Table.Seats {
		if p.Ready {
			t.Fatalf("seat %d still ready in the match: %+v", s, p)
		}
	}
}

// TestRematchOfferThroughTheWorker: the offer after a match has its timer
// in the timer set; a yes is kept; when the timer fires, who did not say
// yes is unseated, the host passes on, the table waits (listed again with a
// person seated) — and once its last person leaves, it leaves the lobby at
// once.
func TestRematchOfferThroughTheWorker(t *testing.T) {
	e := playersEnv(t, table.Options{Public: true, RematchSeconds: 10})
	e.must(e.action("u0", "s0", table.OpSit, 0, ""), "")
	e.must(e.action("u1", "s1", table.OpSit, 1, ""), "")
	if !e.listed() {
		t.Fatal("a public waiting table with people is not listed")
	}
	e.must(e.action("u1", "r1", table.OpReady, 0, table.ReadyYes), "")
	e.must(e.action("u0", "b0", table.OpAddBots, 0, ""), "")
	e.must(e.action("u0", "go", table.OpStart, 0, ""), "")
	done := e.playOut()
	m := done.Table
	if m.Status != table.Finished || m.Deadline != m.Ended+10_000 || m.Host != "u0" {
		t.Fatalf("finished: %+v", m.Meta)
	}
	// The lobby hook runs after the last move's answer: wait for it.
	if !testenv.Until(5*time.Second, func() bool { return !e.listed() }) {
		t.Fatal("a finished table is listed")
	}
	// (On a Redis Cluster the timer hook arms it after the answer too.)
	var due []redisstore.Timer
	var err error
	if !testenv.Until(5*time.Second, func() bool {
		due, err = e.store.DueTimers(e.ctx, m.Deadline, 10)
		return err == nil && len(due) == 1 && due[0].ID == m.Timer && due[0].Table == e.tableID
	}) {
		t.Fatalf("armed timers at the offer's deadline: %+v %v (table timer %d)", due, err, m.Timer)
	}
	e.must(e.action("u1", "yes", table.OpRematch, 0, ""), "")
	e.must(e.action("u1", "yes2", table.OpRematch, 0, ""), "") // a second yes: the same
	if l := e.load(); !l.Table.Seats[1].Ready || l.Table.Status != table.Finished || l.Table.Deadline != m.Deadline {
		t.Fatalf("after u1's yes: %+v", l.Table.Meta)
	}

	// The deadline passes: the timer loop sends the timeout, the consumer applies it.
	early := NewTimerLoop(e.store, TimerOptions{Now: func() time.Time { return time.UnixMilli(m.Deadline - 1) }})
	if n, err := early.Fire(e.ctx); n != 0 || err != nil {
		t.Fatalf("fired before the deadline: %d %v", n, err)
	}
	loop := NewTimerLoop(e.store, TimerOptions{Now: func() time.Time { return time.UnixMilli(m.Deadline + 1) }})
	if n, err := loop.Fire(e.ctx); n != 1 || err != nil {
		t.Fatalf("fire: %d %v", n, err)
	}
	waitFor(t, func() bool { return e.load().Table.Status == table.Waiting })
	w := e.load().Table
	if w.SeatOf("u0") != -1 || w.SeatOf("u1") != 1 || !w.Seats[1].Ready || w.Host != "u1" || w.Deadline != 0 ||
		!w.Seats[2].Bot || !w.Seats[3].Bot || w.Match != 1 {
		t.Fatalf("after the offer ended: %+v", w)
	}
	if due, _ := e.store.DueTimers(e.ctx, m.Deadline+time.Hour.Milliseconds(), 10); len(due) != 0 {
		t.Fatalf("timers still armed: %+v", due)
	}
	// The consumer applied the timeout: its lobby hook runs after the commit.
	if !testenv.Until(5*time.Second, e.listed) {
		t.Fatal("a public table waiting again with a person is not listed")
	}
	// Its only person (the host now) leaves: out of the lobby at once.
	e.must(e.action("u1", "bye", table.OpLeave, 0, ""), "")
	if l := e.load(); l.Table.Host != "" || l.Table.HasPerson() {
		t.Fatalf("after the last person left: %+v", l.Table.Meta)
	}
	if e.listed() {
		t.Fatal("a waiting table with no person (its host left) is still listed")
	}
	// Someone sits down: they host it, and it is listed again.
	e.must(e.action("u5", "s5", table.OpSit, 0, ""), "")
	if l := e.load(); l.Table.Host != "u5" || !e.listed() {
		t.Fatalf("after a new person sat: host %q, listed %v", l.Table.Host, e.listed())
	}
}

// TestHostLeavingEmptiesTheLobbyAtOnce: a waiting public table whose host
// leaves it to bots alone is unlisted by that very leave.
func TestHostLeavingEmptiesTheLobbyAtOnce(t *testing.T) {
	e := playersEnv(t, table.Options{Public: true})
	e.must(e.action("u0", "s0", table.OpSit, 2, ""), "")
	e.must(e.action("u0", "b0", table.OpAddBots, 0, ""), "")
	if !e.listed() {
		t.Fatal("not listed with its host seated")
	}
	e.must(e.action("u0", "bye", table.OpLeave, 0, ""), "")
	if e.listed() {
		t.Fatal("still listed after its host, its only person, left")
	}
}

// TestUntimedTableArmsNoTurnTimer: at an untimed table the people's turns
// have no deadline and nothing is put in the timer set during a match.
func TestUntimedTableArmsNoTurnTimer(t *testing.T) {
	e := playersEnv(t, table.Options{Untimed: true})
	e.must(e.action("u0", "s0", table.OpSit, 0, ""), "")
	e.must(e.action("u0", "b0", table.OpAddBots, 0, ""), "")
	e.must(e.action("u0", "go", table.OpStart, 0, ""), "")
	waitFor(t, func() bool { l := e.load(); return l.Table.OnTurn() == 0 || l.Table.Status != table.Playing })
	l := e.load()
	if l.Table.Deadline != 0 || l.Table.Timer != 0 {
		t.Fatalf("untimed table on a person's turn: deadline %d timer %d", l.Table.Deadline, l.Table.Timer)
	}
	if due, err := e.store.DueTimers(e.ctx, time.Now().Add(time.Hour).UnixMilli(), 10); err != nil || len(due) != 0 {
		t.Fatalf("armed timers: %+v %v", due, err)
	}
}

// captureSits is the matchmaker's store, noting the table of each sit it
// sends, in reverse order (the workers may apply a table's sits in any
// order), and refusing to send anything else.
type captureSits struct {
	*redisstore.Store
	tables chan string
	held   []redisstore.Action
}

func (c *captureSits) Enqueue(ctx context.Context, a redisstore.Action) error {
	if a.Op != table.OpSit {
		return fmt.Errorf("the matchmaker sent %s", a.Op)
	}
	c.tables <- a.Table
	c.held = append(c.held, a)
	return nil
}

func (c *captureSits) send(ctx context.Context) error {
	for i := len(c.held) - 1; i >= 0; i-- {
		if err := c.Store.Enqueue(ctx, c.held[i]); err != nil {
			return err
		}
	}
	return nil
}

// TestQuickMatchStartsByItself: a quick match's table starts its match
// once its players are seated — they sit ready, the bots are there from
// the start — with no start command, whatever order their sits are
// applied in (here the last first: the host's sit last). Bots have their
// seats' names.
func TestQuickMatchStartsByItself(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2})
	proc := NewProcessor(st, Options{Group: "g", Consumer: "c", Block: 20 * time.Millisecond})
	c := NewConsumer(proc, st, 2)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	joined := time.Now().Add(-time.Minute)
	for _, u := range []string{"qa", "qb"} {
		if err := st.JoinQueue(ctx, u, "Q-"+u, joined); err != nil {
			t.Fatal(err)
		}
	}
	cs := &captureSits{Store: st, tables: make(chan string, 4)}
	m := NewMatchmaker(cs, MatchmakerOptions{Wait: time.Millisecond})
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var id string
	select {
	case id = <-cs.tables:
	case <-ctx.Done():
		t.Fatal("no quick match made")
	}
	if err := cs.send(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		l, err := st.LoadTable(ctx, id)
		return err == nil && l.Table.Status == table.Playing
	})
	l, err := st.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tb := l.Table
	if tb.Host != "qb" || tb.Seats[0].ID != "qa" || tb.Seats[1].ID != "qb" || tb.Match != 1 { // qb sat first
		t.Fatalf("quick match table: %+v", tb.Meta)
	}
	for s := 2; s < 4; s++ {
		if p := tb.Seats[s]; !p.Bot || p.Name != table.BotName(s) {
			t.Fatalf("seat %d: %+v", s, p)
		}
	}
	// The same id from a client gives no more than its own ready.
	a := redisstore.Action{Table: "t1", User: "x", ID: QuickMatchSitID + "t1", Op: table.OpSit, Seat: 1}
	if cmd, code := command(&a); code != "" || !cmd.Ready {
		t.Fatalf("the matchmaker's sit: %+v %q", cmd, code)
	}
	a.ID = "1"
	if cmd, _ := command(&a); cmd.Ready {
		t.Fatalf("a client's sit: %+v", cmd)
	}
}
