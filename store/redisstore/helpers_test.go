package redisstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// env is one test's own key space on the real Redis, with a store on it.
type env struct {
	t      *testing.T
	ctx    context.Context
	rdb    redis.UniversalClient
	prefix string
	s      *redisstore.Store
}

func setup(t *testing.T, opts redisstore.Options) *env {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	opts.Prefix = prefix
	if opts.Partitions == 0 {
		opts.Partitions = 3
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return &env{t: t, ctx: ctx, rdb: rdb, prefix: prefix, s: redisstore.New(rdb, opts)}
}

// newTable creates a table in Redis and returns it (seq 0).
func (e *env) newTable(id string) table.Table {
	e.t.Helper()
	tb, err := table.New(id, game.Rules{Target: 3}, "host", 1_700_000_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.CreateTable(e.ctx, &tb); err != nil {
		e.t.Fatalf("CreateTable: %v", err)
	}
	return tb
}

// entries numbers events after seq the way the worker does.
func entries(t testing.TB, evs []table.Event, seq int64) []redisstore.Entry {
	t.Helper()
	out := make([]redisstore.Entry, len(evs))
	for i, ev := range evs {
		raw, err := json.Marshal(ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = redisstore.Entry{Seq: seq + int64(i) + 1, To: ev.To, E: raw}
		_, out[i].Meta = ev.Data.(table.MetaEvent) // round-trips too
		if ev.To >= 0 {
			out[i].U = fmt.Sprintf("holder-%d-%d", ev.To, seq) // round-trips through the log and the channel
		}
	}
	return out
}

// synthetic is n made-up events after seq (for log tests).
func synthetic(seq int64, n int) []redisstore.Entry {
	out := make([]redisstore.Entry, n)
	for i := range out {
		s := seq + int64(i) + 1
		out[i] = redisstore.Entry{Seq: s, To: int(s%5) - 1, E: json.RawMessage(fmt.Sprintf(`{"type":"x","n":%d}`, s))}
	}
	return out
}

// live is the state of a table as the tests drive it.
type live struct {
	tb  table.Table
	seq int64
	n   int // action ids used
}

// leaveCommit is the commit of seat 0's leaving l's table, read at seq
// from, under action id id (not sent).
func leaveCommit(t testing.TB, l *live, id string, from int64) redisstore.Commit {
	t.Helper()
	next, evs, err := table.Apply(l.tb, "u0", table.Command{Op: table.OpLeave}, table.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return redisstore.Commit{Table: &next, FromSeq: from, Result: redisstore.Result{User: "u0", ID: id, Hash: "h"},
		Events: entries(t, evs, from)}
}

// apply runs one command through table.Apply and commits it; it returns the
// committed events.
func (e *env) apply(l *live, user string, c table.Command, envt table.Env) []redisstore.Entry {
	e.t.Helper()
	next, evs, err := table.Apply(l.tb, user, c, envt)
	if err != nil {
		e.t.Fatalf("table.Apply(%s, %+v): %v", user, c, err)
	}
	l.n++
	ents := entries(e.t, evs, l.seq)
	res := redisstore.Result{User: user, ID: fmt.Sprintf("a%d", l.n), Hash: "h"}
	out, err := e.s.Commit(e.ctx, redisstore.Commit{Table: &next, FromSeq: l.seq, Result: res, Events: ents})
	if err != nil {
		e.t.Fatalf("Commit: %v", err)
	}
	if !out.Wrote || out.Dup != nil || out.NewSeq != l.seq+int64(len(ents)) {
		e.t.Fatalf("Commit from %d with %d events: %+v", l.seq, len(ents), out)
	}
	l.tb, l.seq = next, out.NewSeq
	return ents
}

// act plays one legal game action chosen by r.
func (e *env) act(l *live, r *rand.Rand) []redisstore.Entry {
	e.t.Helper()
	g := &l.tb.Game
	seat := g.Turn
	if g.Phase == game.PhaseTrump {
		seat = g.Hakem
	}
	legal := g.Legal(seat)
	return e.apply(l, l.tb.Seats[seat].ID, table.Act(legal[r.IntN(len(legal))]), table.Env{Now: 5})
}

// running creates a table and commits, one by one, two people sitting,
// bots filling it, the second person ready, the host's start, and k game
// actions.
func (e *env) running(id string, k int) (*live, []redisstore.Entry) {
	e.t.Helper()
	l := &live{tb: e.newTable(id)}
	var all []redisstore.Entry
	all = append(all, e.apply(l, "u0", table.Command{Op: table.OpSit, Seat: 0, Name: "علی‌رضا 🃏"}, table.Env{})...)
	all = append(all, e.apply(l, "u2", table.Command{Op: table.OpSit, Seat: 2, Name: "Zoë"}, table.Env{})...)
	all = append(all, e.apply(l, "u0", table.Command{Op: table.OpAddBots}, table.Env{})...)
	all = append(all, e.apply(l, "u2", table.Command{Op: table.OpReady, Ready: true}, table.Env{})...)
	all = append(all, e.apply(l, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 2, Seed: 0xc0ffee})...)
	r := rand.New(rand.NewPCG(uint64(len(id)), 7))
	for i := 0; i < k; i++ {
		all = append(all, e.act(l, r)...)
	}
	return l, all
}

// keyDump is everything stored under the test's prefix (values, not TTLs).
func (e *env) dump() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, k := range testenv.Keys(e.t, e.rdb, e.prefix+":*") {
		typ, err := e.rdb.Type(e.ctx, k).Result()
		if err != nil {
			e.t.Fatal(err)
		}
		var v string
		switch typ {
		case "string":
			v = e.rdb.Get(e.ctx, k).Val()
		case "hash":
			m := e.rdb.HGetAll(e.ctx, k).Val()
			keys := make([]string, 0, len(m))
			for f := range m {
				keys = append(keys, f)
			}
			slices.Sort(keys)
			var b strings.Builder
			for _, f := range keys {
				fmt.Fprintf(&b, "%q=%q;", f, m[f])
			}
			v = b.String()
		case "stream":
			for _, m := range e.rdb.XRange(e.ctx, k, "-", "+").Val() {
				v += fmt.Sprintf("%s:%v;", m.ID, m.Values)
			}
		case "list":
			v = strings.Join(e.rdb.LRange(e.ctx, k, 0, -1).Val(), ";")
		default:
			v = typ
		}
		out[k] = typ + ":" + v
	}
	return out
}

// ttl is the TTL of key, failing unless it has one.
func (e *env) ttl(key string) time.Duration {
	e.t.Helper()
	d, err := e.rdb.PTTL(e.ctx, key).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	if d < 0 {
		e.t.Fatalf("key %s has no TTL (%v)", key, d)
	}
	return d
}

// sub is a subscription to a table's channel.
type sub struct {
	t  *testing.T
	e  *env
	id string
	ch <-chan *redis.Message
}

func (e *env) subscribe(id string) *sub {
	e.t.Helper()
	ps := e.rdb.Subscribe(e.ctx, e.s.Keys().Channel(id))
	if _, err := ps.Receive(e.ctx); err != nil { // the subscription confirmation
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ps.Close() })
	return &sub{t: e.t, e: e, id: id, ch: ps.Channel()}
}

// next is the next message on the channel.
func (s *sub) next() redisstore.Message {
	s.t.Helper()
	select {
	case m := <-s.ch:
		var msg redisstore.Message
		if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
			s.t.Fatalf("message %q: %v", m.Payload, err)
		}
		return msg
	case <-time.After(5 * time.Second):
		s.t.Fatal("no message on the table's channel")
	}
	return redisstore.Message{}
}

// nothingPublished checks that no message arrived since the last next: it
// publishes a marker and expects it to come first.
func (s *sub) nothingPublished() {
	s.t.Helper()
	marker := fmt.Sprintf("marker-%d", time.Now().UnixNano())
	if err := s.e.s.Publish(s.e.ctx, s.id, redisstore.Message{Kick: []string{marker}}); err != nil {
		s.t.Fatal(err)
	}
	if m := s.next(); len(m.Kick) != 1 || m.Kick[0] != marker {
		s.t.Fatalf("unexpected message published: %+v", m)
	}
}

// sameEntries fails unless got and want hold the same events.
func sameEntries(t testing.TB, what string, got, want []redisstore.Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || got[i].To != want[i].To || string(got[i].E) != string(want[i].E) || got[i].U != want[i].U || got[i].Meta != want[i].Meta {
			t.Fatalf("%s: entry %d = {%d %d %s %q}, want {%d %d %s %q}", what, i,
				got[i].Seq, got[i].To, got[i].E, got[i].U, want[i].Seq, want[i].To, want[i].E, want[i].U)
		}
	}
}
