package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/sealbox"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
)

// recEnv is a table played by four people through a processor whose
// changes go to a table journal in PostgreSQL, with a Recovery on both —
// all on the real services, in the test's own key space and database.
type recEnv struct {
	t       *testing.T
	ctx     context.Context
	rdb     redis.UniversalClient
	prefix  string
	store   *redisstore.Store
	pg      *pgstore.Store
	pool    *pgxpool.Pool
	journal *Journal
	proc    *Processor
	rec     *Recovery
	tableID string
	msgs    chan redisstore.Message

	mu        sync.Mutex
	persisted []string
}

func newRecEnv(t *testing.T) *recEnv {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	pg, pool := migratedPG(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	key, err := sealbox.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := sealbox.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &recEnv{t: t, ctx: ctx, rdb: rdb, prefix: prefix, pg: pg, pool: pool, tableID: testenv.RandomName("tb"),
		store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2, Seal: ring}),
		msgs:  make(chan redisstore.Message, 1024)}
	e.journal = &Journal{Redis: e.store, PG: pg}
	e.proc = e.processor()
	e.rec = e.recovery(e.proc, "w1")
	if err := e.rec.Check(ctx); err != nil { // a worker's first check: nothing to restore
		t.Fatal(err)
	}
	tb, err := table.New(e.tableID, game.Rules{Target: 3}, "host", 1)
	if err != nil {
		t.Fatal(err)
	}
	tb.Options.TurnSeconds = 30
	if err := e.store.CreateTable(ctx, &tb); err != nil {
		t.Fatal(err)
	}
	ps := rdb.Subscribe(ctx, e.store.Keys().Channel(e.tableID))
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	go func() {
		for m := range ps.Channel() {
			var msg redisstore.Message
			if json.Unmarshal([]byte(m.Payload), &msg) == nil {
				e.msgs <- msg
			}
		}
	}()
	for s := range 4 {
		e.do(redisstore.Action{Table: e.tableID, User: userOf(s), Name: userOf(s), ID: "sit", Op: table.OpSit, Seat: s})
	}
	for s := 1; s < 4; s++ { // u0, the first to sit down, hosts
		e.do(redisstore.Action{Table: e.tableID, User: userOf(s), ID: "ready", Op: table.OpReady, Arg: table.ReadyYes})
	}
	e.do(redisstore.Action{Table: e.tableID, User: userOf(0), ID: "start", Op: table.OpStart})
	return e
}

func (e *recEnv) processor() *Processor {
	return NewProcessor(e.store, Options{Group: "g", Consumer: "c", Persist: func(_ context.Context, m table.MatchRecord) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.persisted = append(e.persisted, m.MatchID)
		return nil
	}, AfterChange: []Hook{e.journal.AfterChange, TimerHook(e.store)}})
}

func (e *recEnv) recovery(p *Processor, holder string) *Recovery {
	r := NewRecovery(e.store, e.pg, p, RecoveryOptions{Holder: holder})
	p.RebuildWith(r.Rebuild, r.ServerRunID)
	return r
}

func (e *recEnv) do(a redisstore.Action) {
	e.t.Helper()
	if err := e.proc.Process(e.ctx, a); err != nil {
		e.t.Fatalf("%s %s: %v", a.Op, a.ID, err)
	}
}

func (e *recEnv) load() redisstore.Loaded {
	e.t.Helper()
	l, err := e.store.LoadTable(e.ctx, e.tableID)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// nextAction is what the seat on turn at l plays as its person: what the
// heuristic bot would.
func (e *recEnv) nextAction(l *redisstore.Loaded, id string) redisstore.Action {
	seat := l.Table.OnTurn()
	act := bot.NewHeuristic().Choose(game.ViewFor(&l.Table.Game, seat))
	a := redisstore.Action{Table: e.tableID, User: userOf(seat), ID: id, Op: table.OpPlay, Arg: act.Card.String()}
	if act.Kind == game.KindChooseTrump {
		a.Op, a.Arg = table.OpTrump, act.Suit.String()
	}
	return a
}

// move makes the seat on turn play, and requires it applied.
func (e *recEnv) move() {
	e.t.Helper()
	l := e.load()
	a := e.nextAction(&l, fmt.Sprintf("m%d-%d", l.Epoch, l.Seq))
	e.do(a)
	if after := e.load(); after.Seq == l.Seq {
		e.t.Fatalf("move %s %s at seq %d not applied", a.Op, a.Arg, l.Seq)
	}
}

func (e *recEnv) flush() {
	e.t.Helper()
	if err := e.journal.Flush(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// wipe deletes every key of the test's key space: Redis restarted empty.
// fallBehind plays kept moves, then lost more that reach the journal, and
// puts the table hash back to where it was after the kept ones, as a Redis
// restarted from an AOF that lost its last writes. It returns the state the
// journal holds.
func (e *recEnv) fallBehind(kept, lost int) redisstore.Loaded {
	e.t.Helper()
	for range kept {
		e.move()
	}
	key := e.store.Keys().Table(e.tableID)
	old, err := e.rdb.Dump(e.ctx, key).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	for range lost {
		e.move()
	}
	e.flush()
	ahead := e.load()
	if err := e.rdb.RestoreReplace(e.ctx, key, 0, old).Err(); err != nil {
		e.t.Fatal(err)
	}
	return ahead
}

// checkAsNewRun runs a recovery check as after a restart of Redis. A real
// restart has a new run id; here the run id stays, so the marks of this
// run's recovery (the boot key, the table's rid) are dropped instead.
func (e *recEnv) checkAsNewRun() {
	e.t.Helper()
	k := e.store.Keys()
	if err := e.rdb.Del(e.ctx, k.Boot()).Err(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.rdb.HDel(e.ctx, k.Table(e.tableID), "rid").Err(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.rec.Check(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *recEnv) wipe() {
	e.t.Helper()
	if err := testenv.DeletePrefix(e.ctx, e.rdb, e.prefix); err != nil {
		e.t.Fatal(err)
	}
}

// restored waits for the table's Restored message.
func (e *recEnv) restored() redisstore.Message {
	e.t.Helper()
	for {
		select {
		case m := <-e.msgs:
			if m.Restored != nil {
				return m
			}
		case <-e.ctx.Done():
			e.t.Fatal("no restored message")
		}
	}
}

func sameGame(t *testing.T, what string, got, want *table.Table) {
	t.Helper()
	g, _ := got.Game.MarshalBinary()
	w, _ := want.Game.MarshalBinary()
	if !bytes.Equal(g, w) || len(got.Moves) != len(want.Moves) || got.Status != want.Status {
		t.Fatalf("%s: the restored table differs: %d moves %s, want %d moves %s", what, len(got.Moves), got.Status, len(want.Moves), want.Status)
	}
}

// Redis restarted empty: every table comes back from the journal as it was
// at the last journal write, in a new epoch, announced on its channel;
// the seat on turn gets a fresh deadline; play goes on.
func TestRecoveryRestoresTablesAfterRedisRestartedEmpty(t *testing.T) {
	e := newRecEnv(t)
	for range 9 {
		e.move()
	}
	e.flush()
	before := e.load()
	e.wipe()
	if err := e.rec.Check(e.ctx); err != nil {
		t.Fatal(err)
	}
	after := e.load()
	if after.Seq != before.Seq || after.Epoch != before.Epoch+1 {
		t.Fatalf("restored at seq %d epoch %d, want seq %d epoch %d", after.Seq, after.Epoch, before.Seq, before.Epoch+1)
	}
	sameGame(t, "restart empty", &after.Table, &before.Table)
	if m := e.restored(); m.Epoch != after.Epoch || m.Restored.Seq != after.Seq || m.Restored.Reason != redisstore.RestoreReason {
		t.Fatalf("restored message %+v %+v, table at seq %d epoch %d", m, m.Restored, after.Seq, after.Epoch)
	}
	if _, needed, _ := e.store.RecoveryNeeded(e.ctx); needed {
		t.Fatal("the run id is still marked for recovery")
	}
	// The resume action was queued: applying it gives the seat on turn a
	// new timer (armed in the timer set) with a fresh deadline.
	e.do(ResumeAction(e.tableID, after.Epoch))
	resumed := e.load()
	if resumed.Table.Timer != before.Table.Timer+1 || resumed.Table.Deadline <= before.Table.Deadline {
		t.Fatalf("resume: timer %d deadline %d, before %d %d", resumed.Table.Timer, resumed.Table.Deadline,
			before.Table.Timer, before.Table.Deadline)
	}
	due, err := e.store.DueTimers(e.ctx, resumed.Table.Deadline, 10)
	if err != nil || len(due) != 1 || due[0].ID != resumed.Table.Timer {
		t.Fatalf("armed timers %+v %v", due, err)
	}
	// A second check of the same Redis does nothing more.
	if err := e.rec.Check(e.ctx); err != nil || e.load().Epoch != after.Epoch {
		t.Fatalf("second check: epoch %d, %v", e.load().Epoch, err)
	}
	for range 5 {
		e.move()
	}
}

// On a Redis Cluster a table and its timer live on different nodes: the
// table's node may lose the moves since the journal's last write (restarted
// empty, or a replica promoted that had not received them) while the timers'
// node keeps the timers those moves armed, numbered past the restored table's.
// The turn the rebuild resumes must still get its deadline (else a player
// who left is never timed out and the table waits for the TTL).
func TestRecoveryArmsTheTurnPastTimersOfLostMoves(t *testing.T) {
	e := newRecEnv(t)
	for range 5 {
		e.move()
	}
	e.flush()
	journaled := e.load()
	for range 3 { // each gives a person the turn: a new timer each
		e.move()
	}
	lost := e.load()
	if lost.Table.Timer < journaled.Table.Timer+2 {
		t.Fatalf("timers %d then %d: the test needs two or more armed after the journal's write", journaled.Table.Timer, lost.Table.Timer)
	}
	k := e.store.Keys()
	for _, key := range []string{k.Table(e.tableID), k.Acts(e.tableID), k.Log(e.tableID), k.Boot()} { // (slots apart on a cluster)
		if err := e.rdb.Del(e.ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.rec.Check(e.ctx); err != nil {
		t.Fatal(err)
	}
	after := e.load()
	if after.Seq != journaled.Seq || after.Table.Timer != journaled.Table.Timer {
		t.Fatalf("restored at seq %d timer %d, want the journal's %d, %d", after.Seq, after.Table.Timer, journaled.Seq, journaled.Table.Timer)
	}
	e.do(ResumeAction(e.tableID, after.Epoch))
	resumed := e.load()
	if resumed.Table.Deadline == 0 {
		t.Fatal("resume armed no deadline")
	}
	due, err := e.store.DueTimers(e.ctx, resumed.Table.Deadline, 10)
	if err != nil {
		t.Fatal(err)
	}
	armed := false
	for _, d := range due {
		armed = armed || d.Table == e.tableID && d.ID == resumed.Table.Timer && d.Deadline == resumed.Table.Deadline
	}
	if !armed {
		t.Fatalf("the resumed turn's timer %d (deadline %d) is not in the timer set: %+v", resumed.Table.Timer, resumed.Table.Deadline, due)
	}
	e.move() // play goes on
}

// Redis came back from an AOF that lost its last second: its table is
// behind the journal, which wins; a table Redis has ahead of the journal
// keeps Redis's state. Both enter a new epoch.
func TestRecoveryTakesTheNewerOfRedisAndJournal(t *testing.T) {
	e := newRecEnv(t)
	// The AOF lost the last four moves: the table hash goes back.
	ahead := e.fallBehind(5, 4)
	e.checkAsNewRun()
	got := e.load()
	if got.Seq != ahead.Seq || got.Epoch != ahead.Epoch+1 {
		t.Fatalf("behind: seq %d epoch %d, want the journal's seq %d in epoch %d", got.Seq, got.Epoch, ahead.Seq, ahead.Epoch+1)
	}
	sameGame(t, "behind", &got.Table, &ahead.Table)

	// Now Redis is ahead of the journal (moves not flushed yet).
	for range 3 {
		e.move()
	}
	newer := e.load()
	e.checkAsNewRun()
	kept := e.load()
	if kept.Seq != newer.Seq || kept.Epoch != newer.Epoch+1 {
		t.Fatalf("ahead: seq %d epoch %d, want Redis's seq %d in epoch %d", kept.Seq, kept.Epoch, newer.Seq, newer.Epoch+1)
	}
	sameGame(t, "ahead", &kept.Table, &newer.Table)
	e.move()
}

// Two workers recovering the same Redis at once rebuild each table once.
func TestRecoveryByTwoWorkersRebuildsOnce(t *testing.T) {
	e := newRecEnv(t)
	for range 6 {
		e.move()
	}
	e.flush()
	before := e.load()
	e.wipe()
	second := e.recovery(e.processor(), "w2")
	var wg sync.WaitGroup
	for _, r := range []*Recovery{e.rec, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r.Check(e.ctx) == nil && r.Pending() { // the one without the lease waits for the other
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if got := e.load(); got.Epoch != before.Epoch+1 || got.Seq != before.Seq {
		t.Fatalf("seq %d epoch %d, want %d %d", got.Seq, got.Epoch, before.Seq, before.Epoch+1)
	}
}

// An action for a table Redis lost (and the recovery has not reached yet)
// brings it back from the journal on demand and is applied.
func TestActionRestoresMissingTable(t *testing.T) {
	e := newRecEnv(t)
	for range 4 {
		e.move()
	}
	e.flush()
	before := e.load()
	k := e.store.Keys()
	if err := e.rdb.Del(e.ctx, k.Table(e.tableID), k.Acts(e.tableID), k.Log(e.tableID)).Err(); err != nil {
		t.Fatal(err)
	}
	e.do(e.nextAction(&before, "after-loss")) // loads nothing, restores, applies
	after := e.load()
	if after.Epoch != before.Epoch+1 || after.Seq <= before.Seq {
		t.Fatalf("seq %d epoch %d after the move, before %d %d", after.Seq, after.Epoch, before.Seq, before.Epoch)
	}
	// A table with no journal row stays missing: the action is refused.
	ghost := redisstore.Action{Table: "ghost" + e.tableID, User: userOf(0), ID: "g", Op: table.OpPlay, Arg: "AS"}
	e.do(ghost)
	if _, err := e.store.LoadTable(e.ctx, ghost.Table); err == nil {
		t.Fatal("a table nobody journaled was created")
	}
}

// Redis came back from an AOF behind the journal and no check has run yet
// (the workers only learnt the new run id from their connections): an
// action at the table is not applied to the stale state; the table is
// rebuilt from the journal first, in a new epoch.
func TestActionRebuildsStaleTableFirst(t *testing.T) {
	e := newRecEnv(t)
	ahead := e.fallBehind(4, 3)
	// A new server as far as the worker knows (its connections told it).
	e.rec.NoteRunID("another-server")
	if !e.rec.Pending() {
		t.Fatal("a new run id does not make the recovery pending")
	}
	e.do(e.nextAction(&ahead, "after-aof"))
	got := e.load()
	if got.Epoch != ahead.Epoch+1 || got.Seq <= ahead.Seq || got.RunID != "another-server" {
		t.Fatalf("seq %d epoch %d run id %q, want past seq %d in epoch %d under another-server", got.Seq, got.Epoch,
			got.RunID, ahead.Seq, ahead.Epoch+1)
	}
}

// A match that finished just before Redis was lost is persisted again
// after the recovery (its journal row keeps it until it is stored).
func TestRecoveryPersistsFinishedMatchLostWithRedis(t *testing.T) {
	e := newRecEnv(t)
	for e.load().Table.Status == table.Playing {
		e.move()
	}
	e.flush()
	fin := e.load()
	id := fin.Table.MatchID()
	e.mu.Lock()
	e.persisted = nil
	e.mu.Unlock()
	e.wipe()
	if err := e.rec.Check(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.persisted) != 1 || e.persisted[0] != id {
		t.Fatalf("persisted after the recovery: %v, want [%s]", e.persisted, id)
	}
}

// A match that finished while PostgreSQL was down, whose table went on
// before its persist task's retry stored it (the rematch offer ended), is
// persisted again after Redis is lost with that task: the journal kept
// the finished row when the table's next row replaced it, and the
// recovery reads it back although the rebuilt table no longer holds the
// match. Once stored, the recovery does not persist it again.
func TestRecoveryPersistsFinishedMatchItsTableWentPast(t *testing.T) {
	e := newRecEnv(t)
	for e.load().Table.Status == table.Playing {
		e.move()
	}
	e.flush() // PostgreSQL back: the journal writes the finished table
	fin := e.load()
	id := fin.Table.MatchID()
	e.do(TimeoutAction(redisstore.Timer{Table: e.tableID, ID: fin.Table.Timer})) // the offer ends
	e.flush()
	if l := e.load(); l.Table.Status != table.Waiting {
		t.Fatalf("after the offer's end: %s, want waiting", l.Table.Status)
	}
	e.mu.Lock()
	e.persisted = nil // the persist task lost with Redis
	e.mu.Unlock()
	e.wipe()
	if err := e.rec.Check(e.ctx); err != nil {
		t.Fatal(err)
	}
	if l := e.load(); l.Table.Status != table.Waiting {
		t.Fatalf("rebuilt as %s, want waiting", l.Table.Status)
	}
	e.mu.Lock()
	got := slices.Clone(e.persisted)
	e.persisted = nil
	e.mu.Unlock()
	if len(got) != 1 || got[0] != id {
		t.Fatalf("persisted after the recovery: %v, want [%s]", got, id)
	}
	rec := fin.Table.MatchRecord()
	if _, err := e.pg.PersistMatch(e.ctx, &rec); err != nil {
		t.Fatal(err)
	}
	e.wipe()
	if err := e.rec.Check(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.persisted) != 0 {
		t.Fatalf("persisted after a second Redis loss, the match stored: %v, want none", e.persisted)
	}
}

// A dump of a live table's keys shows none of the cards in the players'
// hands, and the state blob is no engine state without the key.
func TestHandsSealedAtRest(t *testing.T) {
	e := newRecEnv(t)
	for range 6 {
		e.move()
	}
	l := e.load()
	// The ace draw's cards come from a deck of their own and are public:
	// the same card in a hand is not told by them.
	public := map[game.Card]bool{}
	for _, c := range game.HakemDraw(l.Table.Game.Seed) {
		public[c] = true
	}
	var hidden []string
	for s := range 4 {
		for _, c := range l.Table.Game.Hands[s].Cards() {
			if !public[c] {
				hidden = append(hidden, c.String())
			}
		}
	}
	k := e.store.Keys()
	var dump strings.Builder
	fields, err := e.rdb.HGetAll(e.ctx, k.Table(e.tableID)).Result()
	if err != nil {
		t.Fatal(err)
	}
	for f, v := range fields {
		dump.WriteString(f + "=" + v + "\n")
	}
	var g game.State
	if err := g.UnmarshalBinary([]byte(fields["st"])); err == nil {
		t.Fatal("the state blob decodes without the key")
	}
	entries, err := e.rdb.LRange(e.ctx, k.Log(e.tableID), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range entries {
		fmt.Fprintln(&dump, m)
	}
	e.flush()
	row, err := e.pg.LiveTable(e.ctx, e.tableID, time.Time{})
	if err != nil || row == nil {
		t.Fatalf("journal row: %v", err)
	}
	dump.Write(row.State)
	dump.Write(row.Meta)
	for _, c := range hidden {
		if strings.Contains(dump.String(), `"`+c+`"`) {
			t.Fatalf("hidden card %s appears at rest:\n%s", c, dump.String())
		}
	}
	if !strings.Contains(dump.String(), `"cards_dealt"`) {
		t.Fatal("the dump has no deal at all: the check saw nothing")
	}
}

// A match finished just before Redis was lost — its ledger entry and
// persist task gone with it — is found in the table journal by the
// reconciler and enqueued for persistence again.
func TestReconcileFindsFinishedMatchInJournal(t *testing.T) {
	e := newRecEnv(t)
	for e.load().Table.Status == table.Playing {
		e.move()
	}
	e.flush()
	fin := e.load()
	id := fin.Table.MatchID()
	e.wipe()
	// An older row no key opens is logged and passed over.
	if _, err := e.pool.Exec(e.ctx, `INSERT INTO journal_finished VALUES ('bad-1', 'bad', 1, 5, '{}', '\x00',
		now() - interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	arq, _ := testenv.Redis(t, reconcileRedisDB, true)
	client, insp := asynq.NewClientFromRedisClient(arq), asynq.NewInspectorFromRedisClient(arq)
	r := &Reconciler{Ledger: &Ledger{RDB: e.rdb, Keys: e.store.Keys()}, Store: e.pg, Client: client, Inspector: insp,
		MaxRetry: 3, Journal: e.pg,
		Decode: func(row pgstore.LiveTable) (table.Table, error) { return e.store.DecodeDurable(durableOf(&row)) },
		Now:    func() time.Time { return time.Now().Add(2 * time.Minute) }} // the row is idle long enough
	rep, err := r.Run(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Fixed) != 1 || rep.Fixed[0] != id || !slices.Contains(rep.Missing, "bad-1") {
		t.Fatalf("report %+v, want %s fixed and bad-1 missing", rep, id)
	}
	info, err := insp.GetTaskInfo(tasks.QueuePersist, tasks.PersistMatchTaskID(id))
	if err != nil {
		t.Fatal(err)
	}
	p, err := tasks.ParsePersistMatch(asynq.NewTask(info.Type, info.Payload))
	if err != nil {
		t.Fatal(err)
	}
	want := fin.Table.MatchRecord()
	if p.Match.MatchID != id || p.Match.Score != want.Score || p.Match.Winner != want.Winner ||
		len(p.Match.Record.Actions) != len(want.Record.Actions) {
		t.Fatalf("queued %s score %v winner %d, %d actions; want %v %d %d", p.Match.MatchID, p.Match.Score,
			p.Match.Winner, len(p.Match.Record.Actions), want.Score, want.Winner, len(want.Record.Actions))
	}
	// Once stored, the journal's row is no longer reported (the bad one is).
	if _, err := e.pg.PersistMatch(e.ctx, &p.Match); err != nil {
		t.Fatal(err)
	}
	if rows, err := e.pg.FinishedUnstored(e.ctx, time.Now().Add(time.Minute), 10); err != nil || len(rows) != 1 || rows[0].MatchID != "bad-1" {
		t.Fatalf("unstored finished rows after persisting: %+v, %v; want only bad-1", rows, err)
	}
}

// flakyJournal fails every save while down is set.
type flakyJournal struct {
	next interface {
		SaveLiveTables(ctx context.Context, rows []pgstore.LiveTable) error
	}
	mu   sync.Mutex
	down bool
}

func (f *flakyJournal) SaveLiveTables(ctx context.Context, rows []pgstore.LiveTable) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return fmt.Errorf("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return f.next.SaveLiveTables(ctx, rows)
}

func (f *flakyJournal) set(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

// The journal's background writer keeps PostgreSQL's copy of a table in
// step with Redis behind the moves, holds the changed tables while
// PostgreSQL fails, and writes them once it answers again.
func TestJournalWritesBehindTheMoves(t *testing.T) {
	e := newRecEnv(t)
	flaky := &flakyJournal{next: e.pg}
	e.journal.PG = flaky
	e.journal.Interval = 20 * time.Millisecond
	if err := e.journal.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer e.journal.Stop(context.Background())
	inStep := func() bool {
		l := e.load()
		row, err := e.pg.LiveTable(e.ctx, e.tableID, time.Time{})
		return err == nil && row != nil && row.Seq == l.Seq && row.Epoch == l.Epoch
	}
	waitFor(t, inStep)
	for range 5 {
		e.move()
	}
	waitFor(t, inStep)

	flaky.set(true)
	for range 5 {
		e.move()
	}
	time.Sleep(100 * time.Millisecond) // passes fail meanwhile
	if inStep() {
		t.Fatal("journal written while PostgreSQL was down")
	}
	flaky.set(false)
	waitFor(t, inStep) // caught up, with nothing else changing
}

// TestJournalWritesAWaitingTable: a table before its first match has no
// state (Redis holds ""); the journal row its commit leaves must still be
// written — a NULL state would fail the whole pass, and every pass after.
func TestJournalWritesAWaitingTable(t *testing.T) {
	e := newRecEnv(t)
	if err := e.journal.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	tb, err := table.New(testenv.RandomName("tw"), game.Rules{Target: 3}, "host", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateTable(e.ctx, &tb); err != nil {
		t.Fatal(err)
	}
	e.do(redisstore.Action{Table: tb.ID, User: userOf(0), Name: userOf(0), ID: "sit", Op: table.OpSit, Seat: 0})
	if err := e.journal.Flush(e.ctx); err != nil {
		t.Fatalf("a pass with a waiting table: %v", err)
	}
	row, err := e.pg.LiveTable(e.ctx, tb.ID, time.Time{})
	if err != nil || row == nil || row.Seq != 1 || row.Status != string(table.Waiting) || len(row.State) != 0 {
		t.Fatalf("the waiting table's journal row: %+v (%v)", row, err)
	}
}
