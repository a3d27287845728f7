package table_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// Shared helpers of the table tests. Users are "u0".."u3" (seat i for u<i>)
// and the table's host is "u0", its creator (not seated unless a test
// seats it).

var users = [4]string{"u0", "u1", "u2", "u3"}

const (
	tableID = "tb1"
	host    = "u0"
	created = int64(1_700_000_000_000)
)

// newTable is an empty table with rules r.
func newTable(t testing.TB, r game.Rules) table.Table {
	t.Helper()
	tb, err := table.New(tableID, r, host, created)
	if err != nil {
		t.Fatalf("New(%+v): %v", r, err)
	}
	return tb
}

// mustApply applies c for user and fails the test on an error.
func mustApply(t testing.TB, tb table.Table, user string, c table.Command, env table.Env) (table.Table, []table.Event) {
	t.Helper()
	next, evs, err := table.Apply(tb, user, c, env)
	if err != nil {
		t.Fatalf("Apply(%s, %+v): %v", user, c, err)
	}
	return next, evs
}

// seated is a waiting table with u<i> at seat i for every seat in seats.
func seated(t testing.TB, r game.Rules, seats ...game.Seat) table.Table {
	t.Helper()
	tb := newTable(t, r)
	for _, s := range seats {
		tb, _ = mustApply(t, tb, users[s], table.Command{Op: table.OpSit, Seat: s, Name: users[s]}, table.Env{})
	}
	return tb
}

// readied is tb with every person seated but the host ready.
func readied(t testing.TB, tb table.Table) table.Table {
	t.Helper()
	for _, p := range tb.Seats {
		if p != nil && !p.Bot && p.ID != tb.Host && !p.Ready {
			tb, _ = mustApply(t, tb, p.ID, table.Command{Op: table.OpReady, Ready: true}, table.Env{})
		}
	}
	return tb
}

// startedAt is tb (full) with everyone ready and a match started by its
// host with env.
func startedAt(t testing.TB, tb table.Table, env table.Env) table.Table {
	t.Helper()
	tb, _ = mustApply(t, readied(t, tb), tb.Host, table.Command{Op: table.OpStart}, env)
	return tb
}

// started is a table with u0..u3 seated and the first match started with seed.
func started(t testing.TB, r game.Rules, seed uint64) table.Table {
	t.Helper()
	return startedAt(t, seated(t, r, 0, 1, 2, 3), table.Env{Now: created + 1000, Seed: seed})
}

// actor is the seat that must act now in a running match.
func actor(g *game.State) game.Seat {
	if g.Phase == game.PhaseTrump {
		return g.Hakem
	}
	return g.Turn
}

// step plays one legal action chosen by rng through table.Apply, as the user
// holding the seat whose turn it is (a bot acts as BotID(seat), also for
// an Away player).
func step(t testing.TB, tb table.Table, rng *rand.Rand, now int64) (table.Table, []table.Event, game.Seat, game.Action) {
	t.Helper()
	seat := actor(&tb.Game)
	legal := tb.Game.Legal(seat)
	if len(legal) == 0 {
		t.Fatalf("no legal action for seat %d in phase %v", seat, tb.Game.Phase)
	}
	a := legal[rng.IntN(len(legal))]
	user := tb.Seats[seat].ID
	if tb.Seats[seat].Away {
		user = table.BotID(seat)
	}
	next, evs := mustApply(t, tb, user, table.Act(a), table.Env{Now: now})
	return next, evs, seat, a
}

// playToEnd plays the running match to its end.
func playToEnd(t testing.TB, tb table.Table, rng *rand.Rand) table.Table {
	t.Helper()
	for i := 0; tb.Status == table.Playing; i++ {
		if i > 10000 {
			t.Fatal("match does not end")
		}
		tb, _, _, _ = step(t, tb, rng, created+2000+int64(i))
	}
	return tb
}

// clone is a deep copy of tb: no pointer or slice shared with it.
func clone(tb table.Table) table.Table {
	c := tb
	for i, p := range tb.Seats {
		if p != nil {
			q := *p
			c.Seats[i] = &q
		}
	}
	c.Moves = slices.Clone(tb.Moves)
	c.Game.Results = slices.Clone(tb.Game.Results)
	c.Game.Decks = slices.Clone(tb.Game.Decks)
	return c
}

// sameTable fails unless got deeply equals want.
func sameTable(t testing.TB, what string, got, want table.Table) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s changed:\n got  %+v\n want %+v", what, got, want)
	}
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7461626c65)) }

// metaOf checks that ev is the "table" event for everyone carrying meta.
func checkMetaEvent(t testing.TB, ev table.Event, meta table.Meta) {
	t.Helper()
	if ev.To != game.Everyone {
		t.Fatalf("table event To = %d, want Everyone", ev.To)
	}
	me, ok := ev.Data.(table.MetaEvent)
	if !ok {
		t.Fatalf("event data is %T, want table.MetaEvent", ev.Data)
	}
	if me.Type != "table" {
		t.Fatalf("table event type %q", me.Type)
	}
	if !reflect.DeepEqual(me.Table, meta) {
		t.Fatalf("table event meta\n got  %+v\n want %+v", me.Table, meta)
	}
}
