package table_test

import (
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// reservedTable is a tournament's table: u0 and u2 against u1 and a bot
// (seat 3 kept for nobody), seated and started as the director does.
func reservedTable(t *testing.T) table.Table {
	t.Helper()
	tb := newTable(t, game.Rules{Target: 3})
	tb.Options.Tournament, tb.Options.Reserved = "cup", [4]string{"u0", "u1", "u2", ""}
	for s, u := range tb.Options.Reserved {
		if u != "" {
			tb, _ = mustApply(t, tb, u, table.Command{Op: table.OpSit, Seat: s, Name: u, Ready: true}, table.Env{Now: int64(s + 1)})
		}
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
	refused(tb, "stranger", table.Command{Op: table.OpSit, Seat: 3}, table.CodeSeatReserved)
	refused(tb, "u1", table.Command{Op: table.OpSit, Seat: 3}, table.CodeSeatReserved) // not their seat
	refused(tb, "u0", table.Command{Op: table.OpSwap, Seat: 0, To: 1}, table.CodeSeatReserved)
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpAddBots}, table.Env{Now: 5})
	if p := tb.Seats[3]; p == nil || !p.Bot {
		t.Fatalf("seat 3 after add_bots: %+v", p)
	}
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 6, Seed: 7})
	if tb.Status != table.Playing {
		t.Fatalf("status %s after start", tb.Status)
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
	refused(tb, "u1", table.Command{Op: table.OpRematch}, table.CodeNoRematch)
	refused(tb, "u1", readyCmd(true), table.CodeNoRematch)
	refused(tb, "u0", table.Command{Op: table.OpStart}, table.CodeNoRematch)
	refused(tb, "stranger", table.Command{Op: table.OpSit, Seat: 1}, table.CodeSeatReserved)
	// Without Tournament the same seats are free to take.
	free := newTable(t, game.Rules{})
	free.Options.Reserved = [4]string{"u0", "u1", "u2", "u3"}
	if _, _, err := table.Apply(free, "stranger", table.Command{Op: table.OpSit, Seat: 1}, table.Env{}); err != nil {
		t.Fatalf("a table without a tournament keeps no seat: %v", err)
	}
}
