package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/redisstore"
)

// clusterTag is the part of key Redis Cluster hashes: the first {...} with
// something in it, else the whole key.
func clusterTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

func TestKeys(t *testing.T) {
	t.Parallel()
	k := redisstore.Keys{Prefix: "pfx"}
	ids := []string{"abc", "tb-1", "x:y", "ميز", "a b", "1"}
	seen := map[string]bool{}
	for _, id := range ids {
		keys := []string{k.Table(id), k.Acts(id), k.Log(id), k.Channel(id)}
		for _, key := range keys {
			if !strings.HasPrefix(key, "pfx:") {
				t.Errorf("key %q is not under the prefix", key)
			}
			if !strings.Contains(key, "{g:"+id+"}") || clusterTag(key) != "g:"+id {
				t.Errorf("key %q: hash tag %q, want g:%s", key, clusterTag(key), id)
			}
			if seen[key] {
				t.Errorf("key %q built twice", key)
			}
			seen[key] = true
		}
	}
	// A '}' in an id must still keep all of that table's keys in one slot.
	odd := "a}b"
	tag := clusterTag(k.Table(odd))
	for _, key := range []string{k.Acts(odd), k.Log(odd), k.Channel(odd)} {
		if clusterTag(key) != tag {
			t.Errorf("id %q: key %q hashes on %q, table on %q", odd, key, clusterTag(key), tag)
		}
	}
	for p := 0; p < 10; p++ {
		key := k.Actions(p)
		if !strings.HasPrefix(key, "pfx:") || clusterTag(key) != fmt.Sprintf("p%d", p) || seen[key] {
			t.Errorf("partition %d key %q", p, key)
		}
		seen[key] = true
	}
	for _, key := range []string{k.Session("ab12"), k.Finished()} {
		if !strings.HasPrefix(key, "pfx:") || seen[key] {
			t.Errorf("key %q", key)
		}
		seen[key] = true
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	s := redisstore.New(nil, redisstore.Options{})
	want := redisstore.Options{Prefix: "hokm", GameTTL: 4 * time.Hour, LogMaxLen: redisstore.DefaultLogMaxLen, Partitions: 8, DeadActionsMax: 10000}
	if s.Options() != want || s.Keys().Prefix != "hokm" {
		t.Fatalf("defaults %+v", s.Options())
	}
	o := redisstore.Options{Prefix: "p", GameTTL: time.Minute, LogMaxLen: 7, Partitions: 2, DeadActionsMax: 3}
	if got := redisstore.New(nil, o).Options(); got != o {
		t.Fatalf("options %+v, want %+v", got, o)
	}
}

// Every key the store writes for a table is one the key builder names:
// under the prefix, with the table's hash tag.
func TestStoredKeysUseTheBuilder(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-keys"
	l, _ := e.running(id, 3)
	if _, err := e.s.Answer(e.ctx, id, 1, redisstore.Result{User: "u9", ID: "z", Code: "not_in_game", Seq: l.seq}); err != nil {
		t.Fatal(err)
	}
	k := e.s.Keys()
	want := map[string]bool{k.Table(id): true, k.Acts(id): true, k.Log(id): true}
	got := e.dump()
	if len(got) != len(want) {
		t.Fatalf("keys written: %v, want %v", keysOf(got), want)
	}
	for key := range got {
		if !want[key] || !strings.HasPrefix(key, e.prefix+":") || clusterTag(key) != "g:"+id {
			t.Fatalf("unexpected key %q", key)
		}
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCreateAndLoadTable(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	tb := e.newTable("tb-c")
	l, err := e.s.LoadTable(e.ctx, "tb-c")
	if err != nil {
		t.Fatal(err)
	}
	if l.Seq != 0 || !reflect.DeepEqual(l.Table, tb) {
		t.Fatalf("loaded %+v seq %d, want %+v", l.Table, l.Seq, tb)
	}
	if d := e.ttl(e.s.Keys().Table("tb-c")); d > 4*time.Hour || d < 4*time.Hour-time.Minute {
		t.Fatalf("table TTL %v, want about 4h", d)
	}

	// The id is taken: a second create changes nothing.
	other, _ := table.New("tb-c", game.Rules{}, "intruder", 5)
	if err := e.s.CreateTable(e.ctx, &other); !errors.Is(err, redisstore.ErrExists) {
		t.Fatalf("second CreateTable: %v, want ErrExists", err)
	}
	l2, err := e.s.LoadTable(e.ctx, "tb-c")
	if err != nil || !reflect.DeepEqual(l2, l) {
		t.Fatalf("after refused create: %+v %v", l2, err)
	}
	if _, err := e.s.LoadTable(e.ctx, "missing"); !errors.Is(err, redisstore.ErrNotFound) {
		t.Fatalf("LoadTable(missing): %v, want ErrNotFound", err)
	}
}

func TestCommitRoundTrip(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{LogMaxLen: 1000}) // the whole log is compared
	id := "tb-rt"
	sub := e.subscribe(id)
	l := &live{tb: e.newTable(id)}
	var all []redisstore.Entry
	r := rand.New(rand.NewPCG(1, 2))
	step := func(ents []redisstore.Entry, user string) {
		t.Helper()
		all = append(all, ents...)
		// One message per commit, with the events and the result.
		m := sub.next()
		sameEntries(t, "published events", m.Events, ents)
		want := redisstore.Result{User: user, ID: fmt.Sprintf("a%d", l.n), Hash: "h", Seq: l.seq}
		if m.Result == nil || *m.Result != want || len(m.Kick) != 0 {
			t.Fatalf("published result %+v, want %+v", m.Result, want)
		}
		// The table reads back exactly as committed.
		got, err := e.s.LoadTable(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Seq != l.seq {
			t.Fatalf("loaded seq %d, want %d", got.Seq, l.seq)
		}
		wantT := l.tb
		if wantT.Match > 0 && wantT.Moves == nil {
			wantT.Moves = []table.Move{} // no moves yet: stored as empty
		}
		if !reflect.DeepEqual(got.Table, wantT) {
			t.Fatalf("loaded table differs:\n got  %+v\n want %+v", got.Table, wantT)
		}
		if ans, err := e.s.LookupAnswer(e.ctx, id, user, want.ID); err != nil || ans == nil || *ans != want {
			t.Fatalf("LookupAnswer: %+v %v", ans, err)
		}
	}
	step(e.apply(l, "u0", table.Command{Op: table.OpSit, Seat: 0, Name: "علی‌رضا 🃏"}, table.Env{}), "u0")
	step(e.apply(l, "u2", table.Command{Op: table.OpSit, Seat: 2, Name: "Zoë"}, table.Env{}), "u2")
	step(e.apply(l, "u0", table.Command{Op: table.OpAddBots}, table.Env{}), "u0")
	step(e.apply(l, "u2", table.Command{Op: table.OpReady, Ready: true}, table.Env{}), "u2")
	step(e.apply(l, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 2, Seed: 99}), "u0")
	for i := 0; i < 40; i++ {
		g := &l.tb.Game
		seat := g.Turn
		if g.Phase == game.PhaseTrump {
			seat = g.Hakem
		}
		user := l.tb.Seats[seat].ID
		step(e.act(l, r), user)
	}
	if len(l.tb.Moves) != 40 || (l.tb.Game.Hand == 0 && l.tb.Game.DoneN == 0) {
		t.Fatalf("match did not progress: %d moves", len(l.tb.Moves))
	}

	// The log holds every event with its seq, To and raw JSON.
	log, err := e.s.ReadLog(e.ctx, id, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, "log", log, all)
	private := 0
	for i, ent := range log {
		if ent.Seq != int64(i+1) {
			t.Fatalf("log entry %d has seq %d", i, ent.Seq)
		}
		if ent.To != game.Everyone {
			private++
			if !strings.Contains(string(ent.E), `"cards_dealt"`) {
				t.Fatalf("private entry %s", ent.E)
			}
		}
	}
	if private == 0 || int64(len(all)) != l.seq {
		t.Fatalf("%d private entries, %d events for seq %d", private, len(all), l.seq)
	}
}

func TestCommitStaleSeqConflicts(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-cf"
	l, _ := e.running(id, 5)
	sub := e.subscribe(id)
	before := e.dump()
	next, evs, err := table.Apply(l.tb, "u0", table.Command{Op: table.OpLeave}, table.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []int64{l.seq - 1, 0, l.seq + 1, l.seq + 100} {
		_, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &next, FromSeq: from,
			Result: redisstore.Result{User: "u0", ID: fmt.Sprintf("stale%d", from)}, Events: entries(t, evs, from)})
		if !errors.Is(err, redisstore.ErrConflict) {
			t.Fatalf("commit from %d at seq %d: %v, want ErrConflict", from, l.seq, err)
		}
		if a, _ := e.s.LookupAnswer(e.ctx, id, "u0", fmt.Sprintf("stale%d", from)); a != nil {
			t.Fatalf("conflicting commit recorded an answer %+v", a)
		}
	}
	if after := e.dump(); !reflect.DeepEqual(after, before) {
		t.Fatal("a conflicting commit wrote something")
	}
	sub.nothingPublished()
}

func TestCommitMissingTable(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-gone"
	l, _ := e.running(id, 2)
	if err := e.rdb.Del(e.ctx, e.s.Keys().Table(id)).Err(); err != nil {
		t.Fatal(err)
	}
	sub := e.subscribe(id)
	before := e.dump()
	next, evs, _ := table.Apply(l.tb, "u0", table.Command{Op: table.OpLeave}, table.Env{})
	_, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &next, FromSeq: l.seq,
		Result: redisstore.Result{User: "u0", ID: "late"}, Events: entries(t, evs, l.seq)})
	if !errors.Is(err, redisstore.ErrNotFound) {
		t.Fatalf("commit to a deleted table: %v, want ErrNotFound", err)
	}
	if after := e.dump(); !reflect.DeepEqual(after, before) {
		t.Fatalf("commit to a deleted table wrote: %v", keysOf(e.dump()))
	}
	if n := e.rdb.Exists(e.ctx, e.s.Keys().Table(id)).Val(); n != 0 {
		t.Fatal("commit re-created a deleted table")
	}
	sub.nothingPublished()

	// A table that never existed: nothing at all is created.
	tb, _ := table.New("never", game.Rules{}, "h", 1)
	_, err = e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: 0,
		Result: redisstore.Result{User: "u", ID: "1"}, Events: synthetic(0, 2)})
	if !errors.Is(err, redisstore.ErrNotFound) {
		t.Fatalf("commit to a table never created: %v", err)
	}
	for key := range e.dump() {
		if strings.Contains(key, "{g:never}") {
			t.Fatalf("key %s created for a missing table", key)
		}
	}
}

func TestCommitDuplicateActionID(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-dup"
	l, _ := e.running(id, 4)
	e.apply(l, "u0", table.Command{Op: table.OpLeave}, table.Env{})
	first := redisstore.Result{User: "u0", ID: fmt.Sprintf("a%d", l.n), Hash: "h", Seq: l.seq}
	if stored, err := e.s.LookupAnswer(e.ctx, id, "u0", first.ID); err != nil || stored == nil || *stored != first {
		t.Fatalf("stored answer %+v %v, want %+v", stored, err, first)
	}
	sub := e.subscribe(id)
	before := e.dump()
	// A retry of the same id, even against the current seq with new data.
	next, evs, err := table.Apply(l.tb, "u2", table.Command{Op: table.OpLeave}, table.Env{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &next, FromSeq: l.seq,
		Result: redisstore.Result{User: "u0", ID: first.ID, Hash: "other"}, Events: entries(t, evs, l.seq)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Wrote || out.Dup == nil || *out.Dup != first {
		t.Fatalf("duplicate commit: %+v (dup %+v), want Dup %+v", out, out.Dup, first)
	}
	if after := e.dump(); !reflect.DeepEqual(after, before) {
		t.Fatal("a duplicate commit wrote something")
	}
	sub.nothingPublished()

	// The same id from another user is another action.
	out, err = e.s.Commit(e.ctx, redisstore.Commit{Table: &next, FromSeq: l.seq,
		Result: redisstore.Result{User: "u2", ID: first.ID, Hash: "h"}, Events: entries(t, evs, l.seq)})
	if err != nil || !out.Wrote || out.Dup != nil {
		t.Fatalf("same id, other user: %+v %v", out, err)
	}
}

// An answer is stored without the user and id its field names (a third of
// its bytes), and one stored by an earlier release, which names them, is
// still read.
func TestStoredAnswerIsCompactAndOldOnesRead(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-compact"
	l, _ := e.running(id, 4)
	e.apply(l, "u0", table.Command{Op: table.OpLeave}, table.Env{})
	acts := e.s.Keys().Acts(id)
	stored, err := e.rdb.HGet(e.ctx, acts, fmt.Sprintf("u0|a%d", l.n)).Result()
	if err != nil || strings.Contains(stored, `"user"`) || strings.Contains(stored, `"id"`) || !strings.HasSuffix(stored, fmt.Sprintf(`"seq":%d}`, l.seq)) {
		t.Fatalf("stored answer %q (%v): want no user or id, the seq last", stored, err)
	}
	old := redisstore.Result{User: "u1", ID: "old", Hash: "h1", Code: "not_your_turn", Seq: 2}
	if err := e.rdb.HSet(e.ctx, acts, "u1|old", `{"user":"u1","id":"old","h":"h1","code":"not_your_turn","seq":2}`).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.LookupAnswer(e.ctx, id, "u1", "old"); err != nil || got == nil || *got != old {
		t.Fatalf("an earlier release's answer read as %+v %v, want %+v", got, err, old)
	}
}

// A commit whose id was answered (refused) before gets that answer.
func TestCommitAfterAnswerIsDup(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-ad"
	l, _ := e.running(id, 1)
	refused := redisstore.Result{User: "u2", ID: "x1", Hash: "hh", Code: "not_your_turn", Seq: l.seq}
	if out, err := e.s.Answer(e.ctx, id, 1, refused); err != nil || out.Dup != nil || out.Wrote || out.NewSeq != l.seq {
		t.Fatalf("Answer: %+v %v", out, err)
	}
	before := e.dump()
	next, evs, _ := table.Apply(l.tb, "u2", table.Command{Op: table.OpLeave}, table.Env{})
	out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &next, FromSeq: l.seq,
		Result: redisstore.Result{User: "u2", ID: "x1", Hash: "hh"}, Events: entries(t, evs, l.seq)})
	if err != nil || out.Wrote || out.Dup == nil || *out.Dup != refused {
		t.Fatalf("commit after answer: %+v %v", out, err)
	}
	if !reflect.DeepEqual(e.dump(), before) {
		t.Fatal("commit after answer wrote something")
	}
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{GameTTL: time.Hour})
	id := "tb-ans"
	e.newTable(id)
	sub := e.subscribe(id)
	r := redisstore.Result{User: "پریا", ID: "id-1", Hash: "f00", Code: "not_your_turn", Seq: 0}
	out, err := e.s.Answer(e.ctx, id, 1, r)
	if err != nil || out.Dup != nil || out.Wrote || out.NewSeq != 0 {
		t.Fatalf("Answer: %+v %v", out, err)
	}
	m := sub.next()
	if m.Result == nil || *m.Result != r || len(m.Events) != 0 {
		t.Fatalf("published %+v", m)
	}
	if d := e.ttl(e.s.Keys().Acts(id)); d > time.Hour || d < time.Hour-time.Minute {
		t.Fatalf("acts TTL %v", d)
	}
	got, err := e.s.LookupAnswer(e.ctx, id, r.User, r.ID)
	if err != nil || got == nil || *got != r {
		t.Fatalf("LookupAnswer: %+v %v", got, err)
	}

	// Answered once: a second answer with another code returns the first.
	before := e.dump()
	r2 := r
	r2.Code, r2.Seq = "wrong_phase", 9
	out, err = e.s.Answer(e.ctx, id, 1, r2)
	if err != nil || out.Dup == nil || *out.Dup != r {
		t.Fatalf("second Answer: %+v %v", out, err)
	}
	if !reflect.DeepEqual(e.dump(), before) {
		t.Fatal("a repeated answer wrote something")
	}
	sub.nothingPublished()

	for _, q := range [][3]string{{id, r.User, "id-2"}, {id, "other", r.ID}, {"no-table", r.User, r.ID}} {
		if got, err := e.s.LookupAnswer(e.ctx, q[0], q[1], q[2]); got != nil || err != nil {
			t.Fatalf("LookupAnswer%v = %+v, %v; want nil, nil", q, got, err)
		}
	}
}

func TestReadLogAfter(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{LogMaxLen: 100}) // the whole log is read
	id := "tb-log"
	tb := e.newTable(id)
	var seq int64
	var all []redisstore.Entry
	for i, n := range []int{3, 1, 7, 2, 7} {
		ents := synthetic(seq, n)
		out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: seq,
			Result: redisstore.Result{User: "u", ID: fmt.Sprint(i)}, Events: ents})
		if err != nil || out.NewSeq != seq+int64(n) {
			t.Fatalf("commit %d: %+v %v", i, out, err)
		}
		seq = out.NewSeq
		all = append(all, ents...)
	}
	for _, c := range []struct{ after, max int64 }{{0, 100}, {7, 100}, {7, 5}, {19, 100}, {19, 1}, {20, 10}, {25, 10}, {3, 1}} {
		got, err := e.s.ReadLog(e.ctx, id, c.after, c.max)
		if err != nil {
			t.Fatal(err)
		}
		lo := min(c.after, 20)
		hi := min(c.after+c.max, 20)
		sameEntries(t, fmt.Sprintf("ReadLog(after %d, max %d)", c.after, c.max), got, all[lo:hi])
	}
	if got, err := e.s.ReadLog(e.ctx, "no-table", 0, 10); err != nil || len(got) != 0 {
		t.Fatalf("ReadLog of a missing table: %v %v", got, err)
	}
}

// The answers to action ids are kept for one to two logs' worth of events:
// a command sent again within that gets its first answer (accepted or
// refused), an older one is judged again, and the hash stays that small
// however long the table lives.
func TestAnswersAreTrimmedWithTheLog(t *testing.T) {
	t.Parallel()
	const window = 20
	e := setup(t, redisstore.Options{LogMaxLen: window})
	id := "tb-acts"
	tb := e.newTable(id)
	var seq int64
	answered := map[string]int64{} // action id -> seq after it
	// on until the next commit would trim: the most the hash ever holds
	for n := 0; seq < 200 || (seq+3)/window == seq/window; n++ {
		aid := fmt.Sprint("a", n)
		if n%4 == 3 { // a refused command: answered, nothing written
			if _, err := e.s.Answer(e.ctx, id, 1, redisstore.Result{User: "u", ID: aid, Code: "not_your_turn", Seq: seq}); err != nil {
				t.Fatal(err)
			}
			answered[aid] = seq
			continue
		}
		out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: seq,
			Result: redisstore.Result{User: "u", ID: aid}, Events: synthetic(seq, 3)})
		if err != nil || !out.Wrote {
			t.Fatalf("commit %s: %+v %v", aid, out, err)
		}
		seq = out.NewSeq
		answered[aid] = seq
	}
	n, err := e.rdb.HLen(e.ctx, e.s.Keys().Acts(id)).Result()
	if err != nil {
		t.Fatal(err)
	}
	// 3 events a commit, a refused one every fourth action: ≤ 2 windows of
	// events hold ≤ 2*window/3 commits and a third as many refusals, + 1
	if max := int64(2*window/3*4/3 + 2); n > max || n == 0 {
		t.Fatalf("the acts hash holds %d answers, want 1..%d", n, max)
	}
	for aid, at := range answered {
		got, err := e.s.LookupAnswer(e.ctx, id, "u", aid)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case seq-at < window && got == nil:
			t.Errorf("%s (seq %d, %d events ago) lost its answer", aid, at, seq-at)
		case seq-at >= 2*window && got != nil:
			t.Errorf("%s (seq %d, %d events ago) still answered", aid, at, seq-at)
		case got != nil && got.Seq != at:
			t.Errorf("%s answered at seq %d, stored %+v", aid, at, got)
		}
	}
	// sent again: a recent id gets its first answer, a trimmed one is judged again
	recent, old := fmt.Sprint("a", len(answered)-2), "a0"
	out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: seq,
		Result: redisstore.Result{User: "u", ID: recent}, Events: synthetic(seq, 3)})
	if err != nil || out.Dup == nil || out.Dup.Seq != answered[recent] {
		t.Fatalf("%s sent again: %+v %v, want its first answer (seq %d)", recent, out, err, answered[recent])
	}
	out, err = e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: seq,
		Result: redisstore.Result{User: "u", ID: old}, Events: synthetic(seq, 3)})
	if err != nil || !out.Wrote {
		t.Fatalf("%s sent again %d events later: %+v %v, want it judged (written) again", old, seq, out, err)
	}
}

// The log is capped at exactly its length: once it has been trimmed its
// first entry is past seq 1, which tells a reconnecting client that it
// needs a snapshot; and a read from a seq it still holds starts there.
func TestLogIsCapped(t *testing.T) {
	t.Parallel()
	const maxLen = 10
	e := setup(t, redisstore.Options{LogMaxLen: maxLen})
	id := "tb-cap"
	tb := e.newTable(id)
	var seq int64
	for seq < 3*maxLen+4 {
		out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: seq,
			Result: redisstore.Result{User: "u", ID: fmt.Sprint(seq)}, Events: synthetic(seq, 3)})
		if err != nil {
			t.Fatal(err)
		}
		seq = out.NewSeq
	}
	if n := e.rdb.LLen(e.ctx, e.s.Keys().Log(id)).Val(); n != maxLen {
		t.Fatalf("log holds %d entries, want exactly %d", n, maxLen)
	}
	log, err := e.s.ReadLog(e.ctx, id, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != maxLen || log[0].Seq != seq-maxLen+1 {
		t.Fatalf("ReadLog(0) gives %d entries from seq %d, want %d from %d", len(log), log[0].Seq, maxLen, seq-maxLen+1)
	}
	for i, ent := range log {
		if ent.Seq != log[0].Seq+int64(i) {
			t.Fatalf("log has a gap at %d: seq %d", i, ent.Seq)
		}
	}
	sameEntries(t, "log", log, synthetic(seq-maxLen, maxLen))
	// From a seq it holds: the entries after it, at most max.
	got, err := e.s.ReadLog(e.ctx, id, seq-4, 3)
	if err != nil || len(got) != 3 || got[0].Seq != seq-3 {
		t.Fatalf("ReadLog(%d, 3) = %d entries from %v (%v), want 3 from %d", seq-4, len(got), got, err, seq-3)
	}
	if got, _ := e.s.ReadLog(e.ctx, id, seq, 5); len(got) != 0 {
		t.Fatalf("ReadLog(newest) = %v, want nothing", got)
	}
}

// A log left over from a history the table no longer has (here: entries
// pushed past the table's seq by hand) refuses the commit and writes
// nothing; a read takes only the newest rising run of seqs.
func TestLogAheadRefusesTheCommit(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-ahead"
	tb := e.newTable(id)
	out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: 0,
		Result: redisstore.Result{User: "u", ID: "a"}, Events: synthetic(0, 3)})
	if err != nil || out.NewSeq != 3 {
		t.Fatal(out, err)
	}
	for _, ent := range synthetic(3, 2) { // seqs 4 and 5, which the table never reached
		b, _ := json.Marshal(ent)
		if err := e.rdb.RPush(e.ctx, e.s.Keys().Log(id), b).Err(); err != nil {
			t.Fatal(err)
		}
	}
	before := e.dump()
	_, err = e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: 3,
		Result: redisstore.Result{User: "u", ID: "b"}, Events: synthetic(3, 1)})
	if !errors.Is(err, redisstore.ErrLogAhead) {
		t.Fatalf("commit over a log ahead: %v, want ErrLogAhead", err)
	}
	if after := e.dump(); !reflect.DeepEqual(after, before) {
		t.Fatal("a refused commit wrote something")
	}
	// An id answered before still gets its answer.
	if out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: 3,
		Result: redisstore.Result{User: "u", ID: "a"}, Events: synthetic(3, 1)}); err != nil || out.Dup == nil || out.Dup.Seq != 3 {
		t.Fatalf("a repeated id over a log ahead: %+v %v, want its answer at seq 3", out, err)
	}
	// Pushed after them, older seqs are not taken as following them.
	b, _ := json.Marshal(synthetic(1, 1)[0]) // seq 2 again
	if err := e.rdb.RPush(e.ctx, e.s.Keys().Log(id), b).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.ReadLog(e.ctx, id, 1, 10)
	if err != nil || len(got) != 1 || got[0].Seq != 2 {
		t.Fatalf("ReadLog(1) = %v (%v), want only the newest entry, seq 2", got, err)
	}
}

// A table's keys get their TTL when made and have it refreshed by a
// commit once a minute (the field "ex" holds the last refresh), not by
// every commit; a key a commit makes again (the log after a rebuild
// dropped it, the answers after the trim emptied them) gets it at once.
func TestTTLsSetAndRefreshed(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{GameTTL: 2 * time.Hour})
	id := "tb-ttl"
	k := e.s.Keys()
	keys := []string{k.Table(id), k.Acts(id), k.Log(id)}
	tb := e.newTable(id)
	near := func(key string, want time.Duration) {
		t.Helper()
		if d := e.ttl(key); d > want || d < want-time.Minute {
			t.Fatalf("TTL of %s is %v, want about %v", key, d, want)
		}
	}
	shorten := func(keys ...string) {
		t.Helper()
		for _, key := range keys {
			if err := e.rdb.Expire(e.ctx, key, 100*time.Second).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	lastRefreshAgo := func(d time.Duration) {
		t.Helper()
		if err := e.rdb.HSet(e.ctx, k.Table(id), "ex", time.Now().Add(-d).UnixMilli()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	near(k.Table(id), 2*time.Hour)
	seq := int64(0)
	commit := func(n int, actID string) {
		t.Helper()
		out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &tb, FromSeq: seq, Result: redisstore.Result{User: "u", ID: actID}, Events: synthetic(seq, n)})
		if err != nil || !out.Wrote {
			t.Fatalf("commit at %d: %+v, %v", seq, out, err)
		}
		seq = out.NewSeq
	}
	commit(2, "1") // a new table: every key
	for _, key := range keys {
		near(key, 2*time.Hour)
	}

	shorten(keys...)
	commit(1, "2") // refreshed a moment ago: left as they are
	for _, key := range keys {
		near(key, 100*time.Second)
	}
	lastRefreshAgo(59 * time.Second)
	commit(1, "3")
	near(k.Table(id), 100*time.Second)

	lastRefreshAgo(time.Minute) // a minute since: every key again
	commit(1, "4")
	for _, key := range keys {
		near(key, 2*time.Hour)
	}
	shorten(k.Table(id))
	lastRefreshAgo(2 * time.Minute)
	commit(0, "5") // (a commit without events too)
	near(k.Table(id), 2*time.Hour)

	// The log dropped (a rebuild does): the commit that makes it again
	// gives it its TTL, due or not.
	shorten(keys...)
	if err := e.rdb.Del(e.ctx, k.Log(id)).Err(); err != nil {
		t.Fatal(err)
	}
	commit(1, "6")
	for _, key := range keys {
		near(key, 2*time.Hour)
	}
	// A commit of more events than the log keeps trims every earlier
	// answer but its own, recorded first: the answers' hash is never
	// emptied, so it keeps the TTL it shares with the table.
	shorten(keys...)
	commit(3*int(redisstore.DefaultLogMaxLen), "7")
	if n := e.rdb.HLen(e.ctx, k.Acts(id)).Val(); n != 1 {
		t.Fatalf("answers kept after a long commit: %d, want only its own", n)
	}
	near(k.Acts(id), 100*time.Second)
	near(k.Table(id), 100*time.Second)
}

// Eight writers read the same seq and commit: exactly one wins.
func TestConcurrentCommitsOneWins(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{LogMaxLen: 100}) // the whole log is compared
	id := "tb-race"
	l, _ := e.running(id, 3)
	before, err := e.s.ReadLog(e.ctx, id, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	outs := make([]redisstore.CommitOutcome, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ents := synthetic(l.seq, i+1) // each writer its own number of events
			outs[i], errs[i] = e.s.Commit(e.ctx, redisstore.Commit{Table: &l.tb, FromSeq: l.seq,
				Result: redisstore.Result{User: "u0", ID: fmt.Sprintf("w%d", i)}, Events: ents})
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range outs {
		switch {
		case errs[i] == nil && outs[i].Wrote:
			if winner >= 0 {
				t.Fatalf("writers %d and %d both committed", winner, i)
			}
			winner = i
		case errors.Is(errs[i], redisstore.ErrConflict):
		default:
			t.Fatalf("writer %d: %+v %v", i, outs[i], errs[i])
		}
	}
	if winner < 0 {
		t.Fatal("no writer committed")
	}
	loaded, err := e.s.LoadTable(e.ctx, id)
	if err != nil || loaded.Seq != l.seq+int64(winner+1) {
		t.Fatalf("seq %d after the race (winner %d from %d): %v", loaded.Seq, winner, l.seq, err)
	}
	log, _ := e.s.ReadLog(e.ctx, id, 0, 10000)
	sameEntries(t, "log after the race", log, append(before, synthetic(l.seq, winner+1)...))
	for i := 0; i < n; i++ {
		a, _ := e.s.LookupAnswer(e.ctx, id, "u0", fmt.Sprintf("w%d", i))
		if (a != nil) != (i == winner) {
			t.Fatalf("writer %d answer recorded: %+v (winner %d)", i, a, winner)
		}
	}
}

// The same action delivered to eight workers at once is applied once.
func TestConcurrentSameActionAppliedOnce(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-race2"
	l, _ := e.running(id, 2)
	const n = 8
	var wg sync.WaitGroup
	outs := make([]redisstore.CommitOutcome, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = e.s.Commit(e.ctx, redisstore.Commit{Table: &l.tb, FromSeq: l.seq,
				Result: redisstore.Result{User: "u0", ID: "same", Hash: "h"}, Events: synthetic(l.seq, 2)})
		}()
	}
	wg.Wait()
	wrote := 0
	for i := range outs {
		switch {
		case outs[i].Wrote && errs[i] == nil:
			wrote++
		case !errors.Is(errs[i], redisstore.ErrConflict): // the version is checked before the id
			t.Fatalf("writer %d: %+v %v, want written or a conflict", i, outs[i], errs[i])
		}
	}
	if wrote != 1 {
		t.Fatalf("%d writers wrote", wrote)
	}
	// A loser reads again and commits the same id on the fresh copy: the
	// winner's answer, nothing written.
	fresh, err := e.s.LoadTable(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	before := e.dump()
	out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &fresh.Table, FromSeq: fresh.Seq,
		Result: redisstore.Result{User: "u0", ID: "same", Hash: "h"}, Events: synthetic(fresh.Seq, 2)})
	if err != nil || out.Wrote || out.Dup == nil || out.Dup.Seq != l.seq+2 {
		t.Fatalf("the same id again on a fresh read: %+v (dup %+v) %v, want the winner's answer at seq %d", out, out.Dup, err, l.seq+2)
	}
	if !reflect.DeepEqual(e.dump(), before) {
		t.Fatal("a duplicate commit wrote something")
	}
}

// The commit is one atomic step: when it fails, nothing of it is written.
// Here the table hash is gone while the log (same TTL, but deleted or lost
// separately) still holds seqs 1..n, and the id is created again: the log's
// XADD of seq 1 must fail, and the table must not be left half-committed.
func TestCommitAllOrNothingWhenLogIsAhead(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{})
	id := "tb-atomic"
	old, _ := e.running(id, 2)
	if err := e.rdb.Del(e.ctx, e.s.Keys().Table(id)).Err(); err != nil {
		t.Fatal(err)
	}
	tb := e.newTable(id) // seq 0 again; the old log reaches seq old.seq
	before := e.dump()
	_, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &old.tb, FromSeq: 0,
		Result: redisstore.Result{User: "u0", ID: "fresh"}, Events: synthetic(0, 2)})
	after := e.dump()
	if err == nil {
		// Accepted: then it must be complete (log holds the new events).
		log, _ := e.s.ReadLog(e.ctx, id, 0, 2)
		sameEntries(t, "log after commit", log, synthetic(0, 2))
		return
	}
	if !reflect.DeepEqual(after, before) {
		l, _ := e.s.LoadTable(e.ctx, id)
		a, _ := e.s.LookupAnswer(e.ctx, id, "u0", "fresh")
		t.Fatalf("Commit failed (%v) but wrote part of the step: table seq now %d (was 0, match %d was %d), answer recorded %+v, no event logged or published",
			err, l.Seq, l.Table.Match, tb.Match, a)
	}
}

// TestCommitBatch: commits of several tables sent in one round trip each
// get what Commit alone would give — written, stale, gone, a repeated id —
// also when Redis has lost its scripts (a restart: here a private
// redis-server whose script cache is flushed).
func TestCommitBatch(t *testing.T) {
	t.Parallel()
	srv := procs.StartRedis(t, procs.RedisOptions{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, rdb: rdb, prefix: "cb", s: redisstore.New(rdb, redisstore.Options{Prefix: "cb"})}
	a, _ := e.running("tb-a", 3)
	b, _ := e.running("tb-b", 3)
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	leave := func(l *live, id string, from int64) redisstore.Commit { return leaveCommit(t, l, id, from) }
	gone := leave(a, "xg", a.seq)
	gone.Table.ID = "tb-gone"
	batch := []redisstore.Commit{leave(a, "xa", a.seq), leave(b, "xb", b.seq-1), gone}
	res := e.s.CommitBatch(ctx, batch)
	if r := res[0]; r.Err != nil || !r.Out.Wrote || r.Out.NewSeq != a.seq+int64(len(batch[0].Events)) {
		t.Errorf("table a: %+v, want written at seq %d", r, a.seq+int64(len(batch[0].Events)))
	}
	// A written commit says what it wrote: the table's journal form, as
	// Redis now holds it byte for byte (the sealed state included).
	if ds, err := e.s.ReadDurable(ctx, []string{"tb-a"}); err != nil || len(ds) != 1 || res[0].Out.Durable == nil ||
		!reflect.DeepEqual(*res[0].Out.Durable, ds[0]) {
		t.Errorf("table a: the commit's durable form %+v, Redis holds %+v (%v)", res[0].Out.Durable, ds, err)
	}
	if r := res[1]; !errors.Is(r.Err, redisstore.ErrConflict) || r.Out.Durable != nil {
		t.Errorf("table b from a stale seq: %+v, want ErrConflict", r)
	}
	if r := res[2]; !errors.Is(r.Err, redisstore.ErrNotFound) {
		t.Errorf("a missing table: %+v, want ErrNotFound", r)
	}
	if l, err := e.s.LoadTable(ctx, "tb-b"); err != nil || l.Seq != b.seq {
		t.Errorf("table b at seq %d (%v), want %d: the stale commit wrote", l.Seq, err, b.seq)
	}
	// Sent again (the scripts are loaded now): xa is a repeated id.
	res = e.s.CommitBatch(ctx, []redisstore.Commit{leave(a, "xa", a.seq+int64(len(batch[0].Events))), leave(b, "xb", b.seq)})
	if r := res[0]; r.Err != nil || r.Out.Dup == nil || r.Out.Dup.Seq != a.seq+int64(len(batch[0].Events)) {
		t.Errorf("xa again: %+v, want its first answer", r)
	}
	if r := res[1]; r.Err != nil || !r.Out.Wrote {
		t.Errorf("table b: %+v, want written", r)
	}
}
