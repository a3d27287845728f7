package table_test

import (
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// reservedTable is a tournament's table: u0 and u2 against u1 and a bot
// (seat 3 kept for nobody), before anyone sat down.
func reservedTable(t *testing.T) table.Table {
	t.Helper()
	tb, err := table.NewTournament(tableID, game.Rules{Target: 3}, "cup", [4]string{"u0", "u1", "u2", ""}, created)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestReservedSeats: at a tournament's table each seat is its player's —
// a stranger, or a player at another's seat, is refused seat_reserved, the
// host swaps nothing — and the match is the only one: no rematch, no ready
// for one, no start after it.
func TestReservedSeats(t *testing.T) {
	t.Parallel()
	tb := reservedTable(t)
	refused := func(tb table.Table, user string, c table.Command, want game.Code) {
		t.Helper()
		next, evs, err := table.Apply(tb, user, c, table.Env{Now: 99})
		if table.CodeOf(err) != want || evs != nil || next.Seats != tb.Seats || next.Status != tb.Status {
			t.Fatalf("%s %+v: %v (events %v), want %s and nothing changed", user, c, err, evs, want)
		}
	}
	if tb.Host != "u0" || tb.Seats[3] == nil || !tb.Seats[3].Bot {
		t.Fatalf("a new tournament table: host %s, seat 3 %+v", tb.Host, tb.Seats[3])
	}
	refused(tb, "stranger", table.Command{Op: table.OpSit, Seat: 0}, table.CodeSeatReserved)
	refused(tb, "u1", table.Command{Op: table.OpSit, Seat: 0}, table.CodeSeatReserved) // not their seat
	refused(tb, "u0", table.Command{Op: table.OpSwap, Seat: 0, To: 1}, table.CodeSeatReserved)
	// The players sit down in any order (the host last here); the match
	// starts with the last, without a start command.
	for i, u := range []string{"u2", "u1", "u0"} {
		seat := map[string]game.Seat{"u0": 0, "u1": 1, "u2": 2}[u]
		tb, _ = mustApply(t, tb, u, table.Command{Op: table.OpSit, Seat: seat, Name: u, Ready: true}, table.Env{Now: int64(i + 1), Seed: 7})
		if want := map[bool]table.Status{false: table.Waiting, true: table.Playing}[i == 2]; tb.Status != want {
			t.Fatalf("after %s sat: %s, want %s", u, tb.Status, want)
		}
	}
	if tb.Match != 1 || tb.Host != "u0" {
		t.Fatalf("match %d, host %s", tb.Match, tb.Host)
	}
	// A player who left comes back to their own seat only once the match is
	// over (the bot finishes it for them).
	tb, _ = mustApply(t, tb, "u2", table.Command{Op: table.OpLeave}, table.Env{Now: 7})
	if p := tb.Seats[2]; p == nil || !p.Bot || p.AbandonedBy != "u2" {
		t.Fatalf("seat 2 after u2 left: %+v", p)
	}
	tb = playToEnd(t, tb, rng(7))
	if tb.Status != table.Finished {
		t.Fatalf("status %s after the match", tb.Status)
	}
	if tb.Deadline != 0 {
		t.Fatalf("a rematch offer's deadline (%d) at a tournament's table: its end would unseat the players", tb.Deadline)
	}
	refused(tb, "u1", table.Command{Op: table.OpRematch}, table.CodeNoRematch)
	refused(tb, "u1", readyCmd(true), table.CodeNoRematch)
	refused(tb, "u0", table.Command{Op: table.OpStart}, table.CodeNoRematch)
	refused(tb, "stranger", table.Command{Op: table.OpSit, Seat: 1}, table.CodeSeatReserved)
	// Without Tournament the same seats are free to take, and a full
	// table does not start by itself.
	free := newTable(t, game.Rules{})
	free.Options.Reserved = [4]string{"u0", "u1", "u2", "u3"}
	free = sitAt(t, free, []string{"stranger", "u1", "u2", "u3"}, 0, 1, 2, 3)
	if free.Status != table.Waiting {
		t.Fatalf("a table without a tournament: %s", free.Status)
	}
	if _, err := table.NewTournament("x", game.Rules{}, "cup", [4]string{}, 0); table.CodeOf(err) != table.CodeBadRules {
		t.Fatalf("a tournament table without players: %v", err)
	}
}

// TestQuickMatchTableStartsByItself: the matchmaker's table for two people
// has bots in seats 2 and 3 and starts its first match when both sat down
// ready, in either order, with no start command; a person who is not ready
// (a stranger who took a seat) holds it back; after the match, the
// rematch offer works as anywhere.
func TestQuickMatchTableStartsByItself(t *testing.T) {
	t.Parallel()
	tb, err := table.NewQuickMatch(tableID, game.Rules{Target: 3}, "u0", 2, created)
	if err != nil {
		t.Fatal(err)
	}
	if !tb.Options.Public || !tb.Options.AutoStart || tb.Seats[2] == nil || !tb.Seats[2].Bot || tb.Seats[3] == nil || tb.Seats[1] != nil {
		t.Fatalf("a quick match's table: %+v", tb.Meta)
	}
	ready := func(seat game.Seat) table.Command {
		return table.Command{Op: table.OpSit, Seat: seat, Name: "n", Ready: true}
	}
	first, _ := mustApply(t, tb, "u1", ready(1), table.Env{Now: 1, Seed: 3}) // the second of the group first
	if first.Status != table.Waiting {
		t.Fatalf("started with one of two: %s", first.Status)
	}
	started, _ := mustApply(t, first, "u0", ready(0), table.Env{Now: 2, Seed: 3})
	if started.Status != table.Playing || started.Match != 1 {
		t.Fatalf("both seated and ready: %s, match %d", started.Status, started.Match)
	}
	stranger, _ := mustApply(t, first, "x", table.Command{Op: table.OpSit, Seat: 0, Name: "x"}, table.Env{Now: 2, Seed: 3})
	if stranger.Status != table.Waiting {
		t.Fatalf("started with a stranger who is not ready: %s", stranger.Status)
	}
	over := playToEnd(t, started, rng(3))
	if over.Status != table.Finished || over.Deadline == 0 {
		t.Fatalf("after the match: %s, deadline %d (the rematch offer)", over.Status, over.Deadline)
	}
}
