package redisstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/store/redisstore"
)

var human = &table.Player{ID: "g-1", Name: "Sara"}

func bot(i int) *table.Player {
	return &table.Player{ID: "bot:" + string(rune('0'+i)), Name: "bot", Bot: true}
}

// cleanupTable creates a table with the given status and seats, with every
// kind of key a table has: answers, log, chat, join code, timer, lobby
// entry. idle > 0 makes it look unchanged for that long (its TTL is what a
// change that long ago would have left).
func (e *env) cleanupTable(id string, status table.Status, seats [4]*table.Player, idle time.Duration) {
	e.t.Helper()
	tb, err := table.New(id, game.Rules{Target: 3}, "host", time.Now().UnixMilli())
	if err != nil {
		e.t.Fatal(err)
	}
	tb.Status, tb.Seats = status, seats
	tb.Options.Public = true
	tb.Options.Code = "C" + id
	if err := e.s.CreateTable(e.ctx, &tb); err != nil {
		e.t.Fatal(err)
	}
	k := e.s.Keys()
	must := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(e.rdb.HSet(e.ctx, k.Acts(id), "g-1|a1", "ok").Err())
	must(e.rdb.RPush(e.ctx, k.Log(id), "{}").Err())
	must(e.s.PostChat(e.ctx, id, []byte(`{"t":"chat"}`)))
	if ok, err := e.s.ReserveCode(e.ctx, tb.Options.Code, id); err != nil || !ok {
		e.t.Fatalf("ReserveCode: %v %v", ok, err)
	}
	must(e.s.SetTimer(e.ctx, id, 1, 1, time.Now().Add(time.Hour).UnixMilli()))
	must(e.s.IndexTable(e.ctx, id, []byte(`{"id":"`+id+`"}`), tb.Options.Code))
	if idle > 0 {
		must(e.rdb.PExpire(e.ctx, k.Table(id), e.s.Options().GameTTL-idle).Err())
	}
}

// tableKeys lists which of the table's keys and index entries exist.
func (e *env) tableKeys(id string) []string {
	e.t.Helper()
	k := e.s.Keys()
	var have []string
	for _, key := range []string{k.Table(id), k.Acts(id), k.Log(id), k.Chat(id), k.Code("C" + id)} {
		if e.rdb.Exists(e.ctx, key).Val() == 1 {
			have = append(have, key)
		}
	}
	b := k.BucketOf(id)
	if e.rdb.HExists(e.ctx, k.Lobby(b), id).Val() {
		have = append(have, "lobby")
	}
	if e.rdb.ZScore(e.ctx, k.LobbySeen(b), id).Err() == nil {
		have = append(have, "lobby:seen")
	}
	if e.rdb.ZScore(e.ctx, k.Timers(b), id).Err() == nil {
		have = append(have, "timers")
	}
	if e.rdb.HExists(e.ctx, k.TimerIDs(b), id).Val() || e.rdb.HExists(e.ctx, k.TimerIDs(b), id+"@ep").Val() {
		have = append(have, "timers:id")
	}
	return have
}

func TestCleanupTables(t *testing.T) {
	e := setup(t, redisstore.Options{})
	const idle = 31 * time.Minute
	e.cleanupTable("botsonly", table.Waiting, [4]*table.Player{bot(1), nil, bot(3), nil}, idle)
	e.cleanupTable("empty", table.Waiting, [4]*table.Player{}, idle)
	e.cleanupTable("human", table.Waiting, [4]*table.Player{human, bot(1), nil, nil}, idle)
	e.cleanupTable("playing", table.Playing, [4]*table.Player{bot(0), bot(1), bot(2), bot(3)}, idle)
	e.cleanupTable("done", table.Finished, [4]*table.Player{human, bot(1), bot(2), bot(3)}, idle)
	e.cleanupTable("fresh", table.Waiting, [4]*table.Player{bot(0), nil, nil, nil}, 3*time.Minute)
	e.cleanupTable("freshdone", table.Finished, [4]*table.Player{human, nil, nil, nil}, 0)
	// A waiting table nobody sits at goes after DefaultEmptyIdle (5 min),
	// not after the 30 minutes of a finished one.
	e.cleanupTable("left", table.Waiting, [4]*table.Player{nil, bot(1), nil, nil}, 6*time.Minute)
	// A waiting table with a person seated stays, but after 15 min without a
	// change (its host closed the page) it leaves the lobby.
	e.cleanupTable("waits", table.Waiting, [4]*table.Player{human, nil, nil, nil}, 10*time.Minute)

	sub := e.rdb.Subscribe(e.ctx, e.s.Keys().LobbyEvents())
	defer sub.Close()
	if _, err := sub.Receive(e.ctx); err != nil {
		t.Fatal(err)
	}

	res, err := e.s.CleanupTables(e.ctx, 0) // default: 30 min
	if err != nil {
		t.Fatal(err)
	}
	if res.Scanned != 9 || res.Found != 5 || res.Removed != 4 || res.Unlisted != 1 || res.Changed != 0 {
		t.Fatalf("result %+v, want 9 scanned, 5 found, 4 removed, 1 unlisted", res)
	}
	for _, id := range []string{"botsonly", "empty", "done", "left"} {
		if have := e.tableKeys(id); len(have) != 0 {
			t.Errorf("%s: left behind %v", id, have)
		}
	}
	for _, id := range []string{"playing", "fresh", "freshdone", "waits"} {
		if have := e.tableKeys(id); len(have) != 9 {
			t.Errorf("%s: kept only %v", id, have)
		}
	}
	if have := e.tableKeys("human"); len(have) != 7 || slices.Contains(have, "lobby") || slices.Contains(have, "lobby:seen") {
		t.Errorf("stale waiting table: kept %v, want everything but its lobby entry", have)
	}

	var removed []string
	for len(removed) < 5 {
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		msg, err := sub.ReceiveMessage(ctx)
		cancel()
		if err != nil {
			t.Fatalf("lobby events: %v (got %v)", err, removed)
		}
		if !strings.HasPrefix(msg.Payload, `{"table":`) {
			// (on a cluster a message published before the subscription,
			// on another node, may still arrive after it)
			removed = append(removed, msg.Payload)
		}
	}
	slices.Sort(removed)
	want := []string{`{"removed":"botsonly"}`, `{"removed":"done"}`, `{"removed":"empty"}`, `{"removed":"human"}`, `{"removed":"left"}`}
	if !slices.Equal(removed, want) {
		t.Errorf("lobby events %v, want %v", removed, want)
	}
	lobby, err := e.s.Lobby(e.ctx)
	if err != nil || len(lobby) != 4 {
		t.Errorf("lobby after cleanup: %d entries, %v; want 4", len(lobby), err)
	}

	// Running again is harmless: nothing more to remove, the rest untouched.
	res, err = e.s.CleanupTables(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Scanned != 5 || res.Found != 1 || res.Removed != 0 || res.Unlisted != 0 {
		t.Fatalf("second run %+v, want 5 scanned, the stale one found again, nothing removed or unlisted", res)
	}
	for _, id := range []string{"playing", "fresh", "freshdone", "waits"} {
		if have := e.tableKeys(id); len(have) != 9 {
			t.Errorf("%s after second run: kept only %v", id, have)
		}
	}
}

func TestCleanupKeepsTableChangedAfterScan(t *testing.T) {
	e := setup(t, redisstore.Options{})
	e.cleanupTable("moved", table.Waiting, [4]*table.Player{bot(0), nil, nil, nil}, time.Hour)
	found, scanned, err := e.s.FindAbandoned(e.ctx, 30*time.Minute)
	if err != nil || scanned != 1 || len(found) != 1 || found[0].ID != "moved" || found[0].Seq != 0 {
		t.Fatalf("FindAbandoned: %+v %d %v", found, scanned, err)
	}
	// A person sits down before the delete: the table's seq moves on.
	if err := e.rdb.HSet(e.ctx, e.s.Keys().Table("moved"), "seq", "1").Err(); err != nil {
		t.Fatal(err)
	}
	ok, err := e.s.RemoveTable(e.ctx, found[0])
	if err != nil || ok {
		t.Fatalf("RemoveTable of a changed table: %v %v, want false", ok, err)
	}
	if have := e.tableKeys("moved"); len(have) != 9 {
		t.Errorf("changed table: kept only %v", have)
	}
	// A table that is gone meanwhile: nothing to do, no error.
	found[0].ID = "nosuch"
	if ok, err := e.s.RemoveTable(e.ctx, found[0]); err != nil || ok {
		t.Fatalf("RemoveTable of a missing table: %v %v", ok, err)
	}
}

func TestCleanupIdleFromMetaWithoutTTL(t *testing.T) {
	e := setup(t, redisstore.Options{})
	e.cleanupTable("nottl", table.Finished, [4]*table.Player{}, 0)
	e.rdb.Persist(e.ctx, e.s.Keys().Table("nottl"))
	if res, err := e.s.CleanupTables(e.ctx, 0); err != nil || res.Removed != 0 {
		t.Fatalf("just created, no TTL: %+v %v", res, err)
	}
	// With no TTL, Created (an hour ago) is the last change.
	tb, err := table.New("old", game.Rules{Target: 3}, "host", time.Now().Add(-time.Hour).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	tb.Status = table.Finished
	if err := e.s.CreateTable(e.ctx, &tb); err != nil {
		t.Fatal(err)
	}
	e.rdb.Persist(e.ctx, e.s.Keys().Table("old"))
	if res, err := e.s.CleanupTables(e.ctx, 0); err != nil || res.Removed != 1 {
		t.Fatalf("old, no TTL: %+v %v", res, err)
	}
}

// A committed table's idleness is the time since its last commit ("at"),
// not what its TTL says: a commit refreshes the TTL only once a minute.
func TestCleanupIdleFromLastChange(t *testing.T) {
	e := setup(t, redisstore.Options{})
	k := e.s.Keys()
	for _, id := range []string{"recent", "stale"} {
		e.cleanupTable(id, table.Finished, [4]*table.Player{human, bot(1), bot(2), bot(3)}, 0)
		tb, err := e.s.LoadTable(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Commit(e.ctx, redisstore.CommitOf(&tb, &tb.Table, redisstore.Result{User: "u", ID: id}, synthetic(0, 1))); err != nil {
			t.Fatal(err)
		}
	}
	// "recent" changed just now, though its TTL was last set 31 min ago;
	// "stale" last changed 31 min ago, though its TTL was set just now.
	if err := e.rdb.PExpire(e.ctx, k.Table("recent"), e.s.Options().GameTTL-31*time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.rdb.HSet(e.ctx, k.Table("stale"), "at", time.Now().Add(-31*time.Minute).UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	found, _, err := e.s.FindAbandoned(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != "stale" || found[0].Idle < 31*time.Minute || found[0].Idle > 32*time.Minute {
		t.Fatalf("abandoned: %+v, want stale only, idle 31 min", found)
	}
}
