package table_test

import (
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// The players' rules: the host's commands, ready flags, seat swaps, the host
// passing on, the rematch offer, bot names and untimed tables.

// cmd is a command without arguments.
func cmd(op table.Op) table.Command { return table.Command{Op: op} }

func readyCmd(on bool) table.Command { return table.Command{Op: table.OpReady, Ready: on} }

func swapCmd(a, b game.Seat) table.Command { return table.Command{Op: table.OpSwap, Seat: a, To: b} }

func sitCmd(seat game.Seat, now int64) (table.Command, table.Env) {
	return table.Command{Op: table.OpSit, Seat: seat, Name: "n"}, table.Env{Now: now}
}

// sitAt seats users in order, user i at seats[i], sitting at time i+1.
func sitAt(t *testing.T, tb table.Table, users []string, seats ...game.Seat) table.Table {
	t.Helper()
	for i, s := range seats {
		c, env := sitCmd(s, int64(i+1))
		tb, _ = mustApply(t, tb, users[i], c, env)
	}
	return tb
}

// flags is the ready flag of each seat ("-" empty, "b" bot, "r" ready, "." not).
func flags(tb *table.Table) string {
	var b strings.Builder
	for _, p := range tb.Seats {
		switch {
		case p == nil:
			b.WriteByte('-')
		case p.Bot:
			b.WriteByte('b')
		case p.Ready:
			b.WriteByte('r')
		default:
			b.WriteByte('.')
		}
	}
	return b.String()
}

// TestHostCommands: start, add_bots and swap are the host's; a seated
// player gets not_host, anyone else not_in_game — the creator too, once
// someone else sat down while they had not (that person hosts).
func TestHostCommands(t *testing.T) {
	t.Parallel()
	waiting := func(t *testing.T) table.Table {
		// u1 (host: the first to sit down), u2, u3 seated and ready, seat 0
		// a bot; the creator u0 never sat down.
		tb := readied(t, seated(t, game.Rules{}, 1, 2, 3))
		tb, _ = mustApply(t, tb, "u1", cmd(table.OpAddBots), table.Env{})
		if tb.Host != "u1" {
			t.Fatalf("host %q", tb.Host)
		}
		return tb
	}
	cases := []struct {
		name string
		user string
		c    table.Command
		want game.Code // "" accepted
	}{
		{"the host starts", "u1", cmd(table.OpStart), ""},
		{"a seated player starts", "u2", cmd(table.OpStart), table.CodeNotHost},
		{"a stranger starts", "stranger", cmd(table.OpStart), table.CodeNotInGame},
		{"the creator starts", host, cmd(table.OpStart), table.CodeNotInGame},
		{"the host swaps", "u1", swapCmd(1, 2), ""},
		{"a seated player swaps", "u3", swapCmd(1, 2), table.CodeNotHost},
		{"a stranger swaps", "stranger", swapCmd(1, 2), table.CodeNotInGame},
		{"the host adds bots (none needed)", "u1", cmd(table.OpAddBots), ""},
		{"a seated player adds bots", "u3", cmd(table.OpAddBots), table.CodeNotHost},
		{"a stranger adds bots", "stranger", cmd(table.OpAddBots), table.CodeNotInGame},
		{"the creator adds bots", host, cmd(table.OpAddBots), table.CodeNotInGame},
		{"a seated player says not ready", "u3", readyCmd(false), ""},
		{"the creator says ready", host, readyCmd(true), table.CodeNotInGame},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := waiting(t)
			_, _, err := table.Apply(tb, tc.user, tc.c, table.Env{Now: 5, Seed: 1})
			if got := table.CodeOf(err); got != tc.want || (tc.want == "") != (err == nil) {
				t.Fatalf("%s by %s: %v, want %q", tc.c.Op, tc.user, err, tc.want)
			}
		})
	}
}

// TestReadyFlags: who is ready after each change while the table waits.
func TestReadyFlags(t *testing.T) {
	t.Parallel()
	type step struct {
		user string
		c    table.Command
		want string // flags after it
	}
	sit := func(s game.Seat) table.Command { return table.Command{Op: table.OpSit, Seat: s, Name: "x"} }
	cases := []struct {
		name  string
		steps []step
	}{
		{"a newcomer sits not ready; ready and not ready again", []step{
			{"u1", sit(1), "-.--"},
			{"u1", readyCmd(true), "-r--"},
			{"u1", readyCmd(false), "-.--"},
		}},
		{"others keep their flag when someone sits, leaves or bots come", []step{
			{"u1", sit(1), "-.--"},
			{"u1", readyCmd(true), "-r--"},
			{"u2", sit(2), "-r.-"},
			{"u1", cmd(table.OpAddBots), "br.b"},
			{"u2", cmd(table.OpLeave), "br-b"},
		}},
		{"moving clears the mover's flag only", []step{
			{"u1", sit(1), "-.--"},
			{"u2", sit(2), "-..-"},
			{"u1", readyCmd(true), "-r.-"},
			{"u2", readyCmd(true), "-rr-"},
			{"u1", sit(3), "--r."},
		}},
		{"a swap clears the flags of the people it moved", []step{
			{"u1", sit(1), "-.--"},
			{"u2", sit(2), "-..-"},
			{"u3", sit(3), "-..."},
			{"u1", readyCmd(true), "-r.."},
			{"u2", readyCmd(true), "-rr."},
			{"u3", readyCmd(true), "-rrr"},
			{"u1", swapCmd(1, 0), ".-rr"},
			{"u1", cmd(table.OpAddBots), ".brr"},
			{"u1", swapCmd(1, 2), "..br"},
		}},
		{"the matchmaker seats its players ready", []step{
			{"u1", table.Command{Op: table.OpSit, Seat: 1, Name: "x", Ready: true}, "-r--"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := newTable(t, game.Rules{})
			for i, st := range tc.steps {
				var err error
				tb, _, err = table.Apply(tb, st.user, st.c, table.Env{Now: int64(i + 1)})
				if err != nil {
					t.Fatalf("step %d (%s %s): %v", i, st.user, st.c.Op, err)
				}
				if got := flags(&tb); got != st.want {
					t.Fatalf("step %d (%s %s): flags %s, want %s", i, st.user, st.c.Op, got, st.want)
				}
			}
		})
	}
}

// TestReadyIsIdempotentAndShown: the flag as a client sees it in the
// table event; ready twice is no change at all; a match start clears it.
func TestReadyIsIdempotentAndShown(t *testing.T) {
	t.Parallel()
	tb := seated(t, game.Rules{}, 0, 1)
	on, evs := mustApply(t, tb, "u1", readyCmd(true), table.Env{})
	if len(evs) != 1 {
		t.Fatalf("%d events, want the table event", len(evs))
	}
	checkMetaEvent(t, evs[0], on.Meta)
	if b := string(mustJSON(t, evs[0].Data)); !strings.Contains(b, `{"id":"u1","name":"u1","ready":true}`) {
		t.Fatalf("table event %s", b)
	}
	snap := clone(on)
	again, evs, err := table.Apply(on, "u1", readyCmd(true), table.Env{})
	if err != nil || evs != nil {
		t.Fatalf("ready again: %v, events %v", err, evs)
	}
	sameTable(t, "table after ready again", again, snap)
	// The host's own flag is allowed and changes nothing about starting.
	hostReady, _ := mustApply(t, on, "u0", readyCmd(true), table.Env{})
	if !hostReady.Seats[0].Ready {
		t.Fatal("the host's ready flag was not set")
	}
	// A match start clears every flag.
	full, _ := mustApply(t, hostReady, "u0", cmd(table.OpAddBots), table.Env{})
	m, _ := mustApply(t, full, "u0", cmd(table.OpStart), table.Env{Now: 1, Seed: 3})
	if got := flags(&m); got != "..bb" {
		t.Fatalf("flags in the match %s", got)
	}
}

// TestSwap: what each kind of seat becomes when the host swaps it.
func TestSwap(t *testing.T) {
	t.Parallel()
	// u0 (host) at 0, u1 at 1 (ready), bot at 2, seat 3 empty.
	base := func(t *testing.T) table.Table {
		tb := seated(t, game.Rules{}, 0, 1)
		tb, _ = mustApply(t, tb, "u1", readyCmd(true), table.Env{})
		tb, _ = mustApply(t, tb, "u0", cmd(table.OpAddBots), table.Env{})
		tb, _ = mustApply(t, tb, "u0", cmd(table.OpLeave), table.Env{}) // u1 hosts
		tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpSit, Seat: 0, Name: "u0"}, table.Env{})
		tb, _ = mustApply(t, tb, "u1", cmd(table.OpLeave), table.Env{}) // u0 hosts
		tb, _ = mustApply(t, tb, "u1", table.Command{Op: table.OpSit, Seat: 1, Name: "u1"}, table.Env{})
		tb, _ = mustApply(t, tb, "u1", readyCmd(true), table.Env{})
		tb = withSeat(tb, 3, nil)
		if got := seatIDs(&tb); strings.Join(got, " ") != "u0 u1 bot:2 -" || tb.Host != "u0" || flags(&tb) != ".rb-" {
			t.Fatalf("base table %v host %s flags %s", got, tb.Host, flags(&tb))
		}
		return tb
	}
	cases := []struct {
		name    string
		a, b    game.Seat
		ids     string
		names   string // of the bots, "-" for the others
		flags   string
		noEvent bool
	}{
		{"two people", 0, 1, "u1 u0 bot:2 -", "- - Tahmineh -", "..b-", false},
		{"a person and a bot: the bot is its new seat's", 1, 2, "u0 bot:1 u1 -", "- Sohrab - -", ".b.-", false},
		{"a person to an empty seat", 3, 1, "u0 - bot:2 u1", "- - Tahmineh -", ".-b.", false},
		{"a bot to an empty seat", 2, 3, "u0 u1 - bot:3", "- - - Gordafarid", ".r-b", false},
		{"a seat with itself", 1, 1, "u0 u1 bot:2 -", "- - Tahmineh -", ".rb-", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := base(t)
			snap := clone(tb)
			out, evs, err := table.Apply(tb, "u0", swapCmd(tc.a, tc.b), table.Env{Now: 9})
			if err != nil {
				t.Fatal(err)
			}
			sameTable(t, "input", tb, snap)
			if got := strings.Join(seatIDs(&out), " "); got != tc.ids {
				t.Fatalf("seats %s, want %s", got, tc.ids)
			}
			var names []string
			for _, p := range out.Seats {
				if p != nil && p.Bot {
					names = append(names, p.Name)
				} else {
					names = append(names, "-")
				}
			}
			if got := strings.Join(names, " "); got != tc.names {
				t.Fatalf("bot names %s, want %s", got, tc.names)
			}
			if got := flags(&out); got != tc.flags {
				t.Fatalf("flags %s, want %s", got, tc.flags)
			}
			if tc.noEvent != (evs == nil) {
				t.Fatalf("events %v", evs)
			}
			if !tc.noEvent {
				checkMetaEvent(t, evs[0], out.Meta)
			}
			if out.Host != "u0" {
				t.Fatalf("host %q after a swap", out.Host)
			}
		})
	}
	// Two bots, or two empty seats: nothing changes.
	full, _ := mustApply(t, base(t), "u0", cmd(table.OpAddBots), table.Env{})
	if _, evs, err := table.Apply(full, "u0", swapCmd(2, 3), table.Env{}); err != nil || evs != nil {
		t.Fatalf("two bots: %v %v", err, evs)
	}
	empty := newTable(t, game.Rules{})
	if _, evs, err := table.Apply(empty, host, swapCmd(0, 3), table.Env{}); err != nil || evs != nil {
		t.Fatalf("two empty seats: %v %v", err, evs)
	}
	// After a match, before the next one: allowed.
	done := finished(t, 12)
	if out, _, err := table.Apply(done, "u0", swapCmd(0, 3), table.Env{}); err != nil || out.SeatOf("u0") != 3 {
		t.Fatalf("swap after a match: %v", err)
	}
}

// withSeat sets a seat directly (a test's shortcut).
func withSeat(tb table.Table, seat game.Seat, p *table.Player) table.Table {
	seats := tb.Seats
	seats[seat] = p
	tb.Seats = seats
	return tb
}

// TestHostPasses: who hosts after the host leaves, and who becomes host of
// a table without one.
func TestHostPasses(t *testing.T) {
	t.Parallel()
	people := []string{"u0", "u1", "u2", "u3"}
	cases := []struct {
		name  string
		setup func(t *testing.T) table.Table
		user  string
		c     table.Command
		env   table.Env
		want  string
	}{
		{"the host leaves: the longest seated", func(t *testing.T) table.Table {
			return sitAt(t, newTable(t, game.Rules{}), people, 0, 3, 1) // u0 at 1 ms, u1 (seat 3) at 2, u2 (seat 1) at 3
		}, "u0", cmd(table.OpLeave), table.Env{}, "u1"},
		{"moving keeps one's time", func(t *testing.T) table.Table {
			tb := sitAt(t, newTable(t, game.Rules{}), people, 0, 3, 1)
			tb, _ = mustApply(t, tb, "u1", table.Command{Op: table.OpSit, Seat: 2}, table.Env{Now: 99})
			return tb
		}, "u0", cmd(table.OpLeave), table.Env{}, "u1"},
		{"same time: the lower seat", func(t *testing.T) table.Table {
			return seated(t, game.Rules{}, 0, 3, 2) // all at 0 ms
		}, "u0", cmd(table.OpLeave), table.Env{}, "u2"},
		{"the host leaves, only bots stay: no host", func(t *testing.T) table.Table {
			tb := seated(t, game.Rules{}, 0)
			tb, _ = mustApply(t, tb, "u0", cmd(table.OpAddBots), table.Env{})
			return tb
		}, "u0", cmd(table.OpLeave), table.Env{}, ""},
		{"the first to sit at a table without host hosts it", func(t *testing.T) table.Table {
			tb := seated(t, game.Rules{}, 0)
			tb, _ = mustApply(t, tb, "u0", cmd(table.OpLeave), table.Env{})
			return tb
		}, "u3", table.Command{Op: table.OpSit, Seat: 2}, table.Env{}, "u3"},
		{"someone else leaves: the host stays", func(t *testing.T) table.Table {
			return seated(t, game.Rules{}, 0, 1)
		}, "u1", cmd(table.OpLeave), table.Env{}, "u0"},
		{"the host moves: still host", func(t *testing.T) table.Table {
			return seated(t, game.Rules{}, 0, 1)
		}, "u0", table.Command{Op: table.OpSit, Seat: 2}, table.Env{}, "u0"},
		{"the host leaves during a match", func(t *testing.T) table.Table {
			return started(t, game.Rules{}, 5)
		}, "u0", cmd(table.OpLeave), table.Env{}, "u1"},
		{"the host leaves after a match", func(t *testing.T) table.Table {
			return finished(t, 6)
		}, "u0", cmd(table.OpLeave), table.Env{}, "u1"},
		{"the first to sit down hosts when the creator has not sat down", func(t *testing.T) table.Table {
			return newTable(t, game.Rules{})
		}, "u2", table.Command{Op: table.OpSit, Seat: 2}, table.Env{}, "u2"},
		{"the creator sitting down keeps it", func(t *testing.T) table.Table {
			return newTable(t, game.Rules{})
		}, host, table.Command{Op: table.OpSit, Seat: 2}, table.Env{}, host},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := tc.setup(t)
			out, evs := mustApply(t, tb, tc.user, tc.c, tc.env)
			if out.Host != tc.want {
				t.Fatalf("host %q, want %q (seats %v)", out.Host, tc.want, seatIDs(&out))
			}
			checkMetaEvent(t, evs[0], out.Meta)
		})
	}
	// The new host may start; the old one no longer may.
	tb := readied(t, seated(t, game.Rules{}, 0, 1, 2))
	tb, _ = mustApply(t, tb, "u0", cmd(table.OpLeave), table.Env{})
	tb, _ = mustApply(t, tb, "u1", cmd(table.OpAddBots), table.Env{})
	if _, _, err := table.Apply(tb, "u0", cmd(table.OpStart), table.Env{}); table.CodeOf(err) != table.CodeNotInGame {
		t.Fatalf("start by the old host: %v", err)
	}
	mustApply(t, tb, "u1", cmd(table.OpStart), table.Env{Seed: 1})
}

// TestRematchOffer: the offer after a match, step by step. Each case starts
// from the finished match of u0..u3 (u0 hosts).
func TestRematchOffer(t *testing.T) {
	t.Parallel()
	type step struct {
		user string
		c    table.Command
	}
	yes := func(u string) step { return step{u, cmd(table.OpRematch)} }
	cases := []struct {
		name   string
		steps  []step
		status table.Status
		ids    string // seats after the steps
		flags  string
		host   string
	}{
		{"everyone says yes: the next match starts", []step{yes("u1"), yes("u0"), yes("u3"), yes("u2")},
			table.Playing, "u0 u1 u2 u3", "....", "u0"},
		{"ready is a yes too", []step{yes("u1"), yes("u0"), yes("u3"), {"u2", readyCmd(true)}},
			table.Playing, "u0 u1 u2 u3", "....", "u0"},
		{"a yes taken back", []step{yes("u1"), {"u1", readyCmd(false)}, yes("u2")},
			table.Finished, "u0 u1 u2 u3", "..r.", "u0"},
		{"bots count as yes", []step{{"u1", cmd(table.OpLeave)}, {"u3", cmd(table.OpLeave)}, {"u0", cmd(table.OpAddBots)},
			yes("u2"), yes("u0")}, table.Playing, "u0 bot:1 u2 bot:3", ".b.b", "u0"},
		{"not full: the yes waits for the host's bots", []step{{"u3", cmd(table.OpLeave)}, yes("u1"), yes("u2"), yes("u0")},
			table.Finished, "u0 u1 u2 -", "rrr-", "u0"},
		{"the host's bots complete it", []step{{"u3", cmd(table.OpLeave)}, yes("u1"), yes("u2"), yes("u0"),
			{"u0", cmd(table.OpAddBots)}}, table.Playing, "u0 u1 u2 bot:3", "...b", "u0"},
		{"the host starts once the others said yes", []step{yes("u1"), yes("u2"), yes("u3"), {"u0", cmd(table.OpStart)}},
			table.Playing, "u0 u1 u2 u3", "....", "u0"},
		{"a newcomer is asked too", []step{{"u3", cmd(table.OpLeave)}, {"u9", table.Command{Op: table.OpSit, Seat: 3}},
			yes("u0"), yes("u1"), yes("u2")}, table.Finished, "u0 u1 u2 u9", "rrr.", "u0"},
		{"the offer ends: who did not say yes goes", []step{yes("u1"), yes("u3"), {"timer", table.Command{Op: table.OpTimeout}}},
			table.Waiting, "- u1 - u3", "-r-r", "u1"},
		{"the offer ends with no yes: no one is left", []step{{"timer", table.Command{Op: table.OpTimeout}}},
			table.Waiting, "- - - -", "----", ""},
		{"the offer ends, the host stays", []step{yes("u0"), {"timer", table.Command{Op: table.OpTimeout}}},
			table.Waiting, "u0 - - -", "r---", "u0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := finished(t, 31)
			opened := tb.Timer
			if tb.Deadline != tb.Ended+table.DefaultRematchSeconds*1000 {
				t.Fatalf("offer deadline %d, ended %d", tb.Deadline, tb.Ended)
			}
			for i, st := range tc.steps {
				c := st.c
				if c.Op == table.OpTimeout {
					c.Timer = tb.Timer
				}
				var err error
				var evs []table.Event
				prev := tb
				tb, evs, err = table.Apply(tb, st.user, c, table.Env{Now: tb.Ended + int64(i+1), Seed: 5})
				if err != nil {
					t.Fatalf("step %d (%s %s): %v", i, st.user, c.Op, err)
				}
				checkMetaEvent(t, evs[0], tb.Meta)
				if tb.Status == table.Finished && (tb.Deadline != prev.Deadline || tb.Timer != opened) {
					t.Fatalf("step %d moved the offer's clock: %d/%d, was %d/%d", i, tb.Deadline, tb.Timer, prev.Deadline, opened)
				}
			}
			if tb.Status != tc.status || strings.Join(seatIDs(&tb), " ") != tc.ids || flags(&tb) != tc.flags || tb.Host != tc.host {
				t.Fatalf("status %s seats %v flags %s host %q; want %s %s %s %q", tb.Status, seatIDs(&tb), flags(&tb), tb.Host,
					tc.status, tc.ids, tc.flags, tc.host)
			}
			switch tb.Status {
			case table.Playing:
				if tb.Match != 2 || tb.Started == 0 {
					t.Fatalf("next match %d started %d", tb.Match, tb.Started)
				}
			case table.Waiting:
				if tb.Deadline != 0 {
					t.Fatalf("waiting with deadline %d", tb.Deadline)
				}
			}
		})
	}
}

// TestRematchOfferClock: when the offer's clock runs.
func TestRematchOfferClock(t *testing.T) {
	t.Parallel()
	done := finished(t, 41)
	// A custom length.
	custom := done
	custom.Options.RematchSeconds = 15
	if got := custom.Options.RematchLimit(); got != 15_000 {
		t.Fatalf("RematchLimit %d", got)
	}
	// A stale timer (the match's last turn) changes nothing.
	if _, _, err := table.Apply(done, "timer", table.Command{Op: table.OpTimeout, Timer: done.Timer - 1}, table.Env{}); table.CodeOf(err) != table.CodeStaleTimeout {
		t.Fatalf("an old timer at a finished table: %v", err)
	}
	// The last person leaving ends the offer's clock; the table stays
	// finished, with no host.
	tb := done
	for _, u := range users {
		tb, _ = mustApply(t, tb, u, cmd(table.OpLeave), table.Env{Now: done.Ended + 1})
	}
	if tb.Status != table.Finished || tb.Deadline != 0 || tb.Host != "" || tb.HasPerson() {
		t.Fatalf("everyone left: %+v", tb.Meta)
	}
	if _, _, err := table.Apply(tb, "timer", table.Command{Op: table.OpTimeout, Timer: tb.Timer}, table.Env{}); table.CodeOf(err) != table.CodeStaleTimeout {
		t.Fatalf("the offer's timer after everyone left: %v", err)
	}
	// Someone sitting down there opens an offer of their own, and hosts.
	sat, evs := mustApply(t, tb, "u7", table.Command{Op: table.OpSit, Seat: 1, Name: "u7"}, table.Env{Now: 777})
	if sat.Deadline != 777+table.DefaultRematchSeconds*1000 || sat.Timer != tb.Timer+1 || sat.Host != "u7" || len(evs) != 1 {
		t.Fatalf("a person sat at a finished table: %+v, %d events", sat.Meta, len(evs))
	}
	checkMetaEvent(t, evs[0], sat.Meta)
	// Their yes alone (the host's bots fill the table) starts a match.
	sat, _ = mustApply(t, sat, "u7", cmd(table.OpAddBots), table.Env{Now: 778})
	next, _ := mustApply(t, sat, "u7", cmd(table.OpRematch), table.Env{Now: 779, Seed: 9})
	if next.Status != table.Playing || next.Match != done.Match+1 {
		t.Fatalf("after the yes: %+v", next.Meta)
	}
	// A match that ends with only bots seated (every person left) opens no offer.
	bots := started(t, game.Rules{Target: 3}, 43)
	for _, u := range users {
		bots, _ = mustApply(t, bots, u, cmd(table.OpLeave), table.Env{})
	}
	bots = playToEnd(t, bots, rng(43))
	if bots.Status != table.Finished || bots.Deadline != 0 {
		t.Fatalf("a match of bots ended: %+v", bots.Meta)
	}
	// A rematch yes twice is the same as once.
	one, _ := mustApply(t, done, "u1", cmd(table.OpRematch), table.Env{})
	snap := clone(one)
	two, evs, err := table.Apply(one, "u1", cmd(table.OpRematch), table.Env{})
	if err != nil || evs != nil {
		t.Fatalf("a second yes: %v %v", err, evs)
	}
	sameTable(t, "after a second yes", two, snap)
}

// TestBotNames: each seat's bot has its own name, and stays a bot.
func TestBotNames(t *testing.T) {
	t.Parallel()
	tb, _ := mustApply(t, newTable(t, game.Rules{}), host, cmd(table.OpAddBots), table.Env{})
	seen := map[string]bool{}
	for s, p := range tb.Seats {
		if !p.Bot || p.ID != table.BotID(s) || p.Name != table.BotNames[s] || p.Name != table.BotName(s) || seen[p.Name] {
			t.Fatalf("seat %d: %+v", s, p)
		}
		seen[p.Name] = true
	}
	if b := string(mustJSON(t, tb.Seats[0])); b != `{"id":"bot:0","name":"Rostam","bot":true}` {
		t.Fatalf("bot JSON %s", b)
	}
	if table.BotName(4) != "bot" || table.BotName(-1) != "bot" {
		t.Fatal("BotName out of range")
	}
	// The bot that takes over a leaver's seat is that seat's.
	m := started(t, game.Rules{}, 1)
	m, _ = mustApply(t, m, "u3", cmd(table.OpLeave), table.Env{})
	if p := m.Seats[3]; p.Name != "Gordafarid" || !p.Bot || p.AbandonedBy != "u3" {
		t.Fatalf("seat 3 after leaving: %+v", p)
	}
}

// TestUntimed: an untimed table arms no turn deadline in a whole match, and
// no one goes away; the rematch offer still has its deadline.
func TestUntimed(t *testing.T) {
	t.Parallel()
	tb := seated(t, game.Rules{Target: 3}, 0, 1, 2, 3)
	tb.Options = table.Options{Untimed: true}
	tb = startedAt(t, tb, table.Env{Now: 1, Seed: 17})
	r := rng(17)
	for i := int64(0); tb.Status == table.Playing; i++ {
		if tb.Deadline != 0 || tb.Timer != 0 {
			t.Fatalf("move %d: deadline %d timer %d", i, tb.Deadline, tb.Timer)
		}
		if _, _, err := table.Apply(tb, "timer", table.Command{Op: table.OpTimeout, Timer: 0}, table.Env{}); table.CodeOf(err) != table.CodeStaleTimeout {
			t.Fatalf("a timeout at an untimed table: %v", err)
		}
		var evs []table.Event
		tb, evs, _, _ = step(t, tb, r, 10+i)
		for _, e := range evs {
			if _, ok := e.Clock(); ok {
				t.Fatalf("turn timer at an untimed table: %+v", e)
			}
		}
	}
	if tb.Deadline != tb.Ended+table.DefaultRematchSeconds*1000 || tb.Timer != 1 {
		t.Fatalf("finished untimed table: deadline %d timer %d", tb.Deadline, tb.Timer)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		o    table.Options
		want string // "" valid, else a word of the error
	}{
		{table.Options{}, ""},
		{table.Options{Untimed: true}, ""},
		{table.Options{Untimed: true, RematchSeconds: 600}, ""},
		{table.Options{Public: true, RematchSeconds: 10}, ""},
		{table.Options{Untimed: true, Public: true}, "private"},
		{table.Options{Untimed: true, TurnSeconds: 30}, "untimed"},
		{table.Options{Untimed: true, TrumpSeconds: 30}, "untimed"},
		{table.Options{Untimed: true, MaxTimeouts: 2}, "untimed"},
		{table.Options{RematchSeconds: 9}, "rematch_seconds"},
		{table.Options{RematchSeconds: 601}, "rematch_seconds"},
		{table.Options{RematchSeconds: -1}, "rematch_seconds"},
		{table.Options{TurnSeconds: 4}, "turn_seconds"},
	}
	for _, tc := range cases {
		err := tc.o.Validate()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
}
