package table_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// finished is a table whose first match (u0..u3, seed) has been played out.
func finished(t testing.TB, seed uint64) table.Table {
	t.Helper()
	tb := playToEnd(t, started(t, game.Rules{Target: 3}, seed), rng(seed))
	if tb.Status != table.Finished {
		t.Fatalf("status %q after the match", tb.Status)
	}
	return tb
}

// notHakem is a seated seat that is not the Hakem of tb's current hand.
func notHakem(tb *table.Table) game.Seat { return game.Next(tb.Game.Hakem) }

// inPlay is a running match just after trump was chosen.
func inPlay(t *testing.T) table.Table {
	t.Helper()
	tb := started(t, game.Rules{}, 11)
	h := tb.Game.Hakem
	tb, _ = mustApply(t, tb, users[h], table.Act(game.ChooseTrump(game.Hearts)), table.Env{Now: 5})
	return tb
}

func TestApplyRefusals(t *testing.T) {
	t.Parallel()
	sit := func(s game.Seat) table.Command { return table.Command{Op: table.OpSit, Seat: s, Name: "x"} }
	act := func(a game.Action) table.Command { return table.Act(a) }
	cases := []struct {
		name  string
		setup func(t *testing.T) table.Table
		user  func(tb *table.Table) string
		cmd   func(tb *table.Table) table.Command
		want  game.Code
	}{
		{"sit seat -1", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0) },
			fixed("u1"), fixedCmd(sit(-1)), table.CodeInvalidSeat},
		{"sit seat 4", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0) },
			fixed("u1"), fixedCmd(sit(4)), table.CodeInvalidSeat},
		{"sit seat 4 during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("u1"), fixedCmd(sit(4)), table.CodeInvalidSeat},
		{"sit on a person", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 2) },
			fixed("u1"), fixedCmd(sit(2)), table.CodeSeatTaken},
		{"seated user moves onto a person", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1) },
			fixed("u1"), fixedCmd(sit(0)), table.CodeSeatTaken},
		{"sit on a person after a match", func(t *testing.T) table.Table { return finished(t, 3) },
			fixed("stranger"), fixedCmd(sit(1)), table.CodeSeatTaken},
		{"stranger sits during a match", func(t *testing.T) table.Table {
			tb := started(t, game.Rules{}, 1)
			tb, _ = mustApply(t, tb, "u2", table.Command{Op: table.OpLeave}, table.Env{}) // seat 2 is a bot now
			return tb
		}, fixed("stranger"), fixedCmd(sit(2)), table.CodeMatchRunning},
		{"player changes seat during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("u1"), fixedCmd(sit(3)), table.CodeMatchRunning},
		{"player who left cannot take the bot's seat back", func(t *testing.T) table.Table {
			tb := started(t, game.Rules{}, 1)
			tb, _ = mustApply(t, tb, "u2", table.Command{Op: table.OpLeave}, table.Env{})
			return tb
		}, fixed("u2"), fixedCmd(sit(2)), table.CodeMatchRunning},
		{"leave when not seated", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0) },
			fixed("u1"), fixedCmd(table.Command{Op: table.OpLeave}), table.CodeNotInGame},
		{"leave when not seated during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("stranger"), fixedCmd(table.Command{Op: table.OpLeave}), table.CodeNotInGame},
		{"add bots by a stranger", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0) },
			fixed("stranger"), fixedCmd(table.Command{Op: table.OpAddBots}), table.CodeNotInGame},
		{"add bots by a seated player who is not the host", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1) },
			fixed("u1"), fixedCmd(table.Command{Op: table.OpAddBots}), table.CodeNotHost},
		{"start with an empty seat", func(t *testing.T) table.Table { return readied(t, seated(t, game.Rules{}, 0, 1, 3)) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpStart}), table.CodeTableNotFull},
		{"start an empty table as host", func(t *testing.T) table.Table { return newTable(t, game.Rules{}) },
			fixed(host), fixedCmd(table.Command{Op: table.OpStart}), table.CodeNotInGame},
		{"start a table of bots as its unseated host", func(t *testing.T) table.Table {
			tb, _ := mustApply(t, newTable(t, game.Rules{}), host, table.Command{Op: table.OpAddBots}, table.Env{})
			return tb
		}, fixed(host), fixedCmd(table.Command{Op: table.OpStart}), table.CodeNotInGame},
		{"start by a stranger", func(t *testing.T) table.Table { return readied(t, seated(t, game.Rules{}, 0, 1, 2, 3)) },
			fixed("stranger"), fixedCmd(table.Command{Op: table.OpStart}), table.CodeNotInGame},
		{"start by a seated player who is not the host", func(t *testing.T) table.Table { return readied(t, seated(t, game.Rules{}, 0, 1, 2, 3)) },
			fixed("u2"), fixedCmd(table.Command{Op: table.OpStart}), table.CodeNotHost},
		{"start before the others are ready", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1, 2, 3) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpStart}), table.CodePlayersNotReady},
		{"start with one person not ready", func(t *testing.T) table.Table {
			tb := readied(t, seated(t, game.Rules{}, 0, 1, 2, 3))
			tb, _ = mustApply(t, tb, "u2", table.Command{Op: table.OpReady, Ready: false}, table.Env{})
			return tb
		}, fixed("u0"), fixedCmd(table.Command{Op: table.OpStart}), table.CodePlayersNotReady},
		{"start by the creator who never sat down, once others sat", func(t *testing.T) table.Table {
			tb := readied(t, seated(t, game.Rules{}, 1, 2, 3)) // u1 hosts
			tb, _ = mustApply(t, tb, "u1", table.Command{Op: table.OpAddBots}, table.Env{})
			return tb
		}, fixed(host), fixedCmd(table.Command{Op: table.OpStart}), table.CodeNotInGame},
		{"add bots by the creator who never sat down, once others sat", func(t *testing.T) table.Table {
			return seated(t, game.Rules{}, 1, 2)
		}, fixed(host), fixedCmd(table.Command{Op: table.OpAddBots}), table.CodeNotInGame},
		{"start during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpStart}), table.CodeMatchRunning},
		{"start after a match before the others said yes", func(t *testing.T) table.Table {
			tb := finished(t, 4)
			tb, _ = mustApply(t, tb, "u1", table.Command{Op: table.OpRematch}, table.Env{})
			return tb
		}, fixed("u0"), fixedCmd(table.Command{Op: table.OpStart}), table.CodePlayersNotReady},
		{"start after a match by someone who is not the host", func(t *testing.T) table.Table { return finished(t, 4) },
			fixed("u3"), fixedCmd(table.Command{Op: table.OpStart}), table.CodeNotHost},
		{"rematch before any match", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1, 2, 3) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpRematch}), table.CodeNotFinished},
		{"rematch during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpRematch}), table.CodeNotFinished},
		{"rematch by a stranger", func(t *testing.T) table.Table { return finished(t, 4) },
			fixed("stranger"), fixedCmd(table.Command{Op: table.OpRematch}), table.CodeNotInGame},
		{"rematch after the offer ended", func(t *testing.T) table.Table {
			tb := finished(t, 5)
			tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpRematch}, table.Env{})
			tb, _ = mustApply(t, tb, "timer", timeoutCmd(&tb), table.Env{})
			return tb
		}, fixed("u0"), fixedCmd(table.Command{Op: table.OpRematch}), table.CodeNotFinished},
		{"ready by a stranger", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1) },
			fixed("stranger"), fixedCmd(table.Command{Op: table.OpReady, Ready: true}), table.CodeNotInGame},
		{"ready during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("u1"), fixedCmd(table.Command{Op: table.OpReady, Ready: true}), table.CodeMatchRunning},
		{"swap by a stranger", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1) },
			fixed("stranger"), fixedCmd(table.Command{Op: table.OpSwap, Seat: 0, To: 1}), table.CodeNotInGame},
		{"swap by a seated player who is not the host", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1) },
			fixed("u1"), fixedCmd(table.Command{Op: table.OpSwap, Seat: 0, To: 1}), table.CodeNotHost},
		{"swap from seat 4", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpSwap, Seat: 4, To: 1}), table.CodeInvalidSeat},
		{"swap to seat -1", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpSwap, Seat: 0, To: -1}), table.CodeInvalidSeat},
		{"swap during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("u0"), fixedCmd(table.Command{Op: table.OpSwap, Seat: 0, To: 1}), table.CodeMatchRunning},
		{"swap by a stranger during a match", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("stranger"), fixedCmd(table.Command{Op: table.OpSwap, Seat: 0, To: 1}), table.CodeNotInGame},
		{"start with bad rules", func(t *testing.T) table.Table {
			tb := readied(t, seated(t, game.Rules{}, 0, 1, 2, 3))
			tb.Rules.Target = 4 // not reachable through New; the engine must still refuse it
			return tb
		}, fixed("u0"), fixedCmd(table.Command{Op: table.OpStart}), table.CodeBadRules},
		{"action by a stranger", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("stranger"), func(tb *table.Table) table.Command { return act(game.ChooseTrump(game.Spades)) }, table.CodeNotInGame},
		{"action before the match", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0, 1, 2, 3) },
			fixed("u0"), fixedCmd(act(game.ChooseTrump(game.Spades))), game.CodeWrongPhase},
		{"action after the match", func(t *testing.T) table.Table { return finished(t, 6) },
			fixed("u0"), fixedCmd(act(game.ChooseTrump(game.Spades))), game.CodeGameOver},
		{"trump by a non-Hakem", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			func(tb *table.Table) string { return tb.Seats[notHakem(tb)].ID }, fixedCmd(act(game.ChooseTrump(game.Clubs))), game.CodeNotHakem},
		{"trump with a bad suit", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			func(tb *table.Table) string { return tb.Seats[tb.Game.Hakem].ID }, fixedCmd(act(game.ChooseTrump(game.InvalidSuit))), game.CodeInvalidSuit},
		{"card out of turn", inPlay,
			func(tb *table.Table) string { return tb.Seats[game.Next(tb.Game.Turn)].ID },
			func(tb *table.Table) table.Command {
				return act(game.PlayCard(tb.Game.Hands[game.Next(tb.Game.Turn)].Cards()[0]))
			}, game.CodeNotYourTurn},
		{"card not in hand", inPlay,
			func(tb *table.Table) string { return tb.Seats[tb.Game.Turn].ID },
			func(tb *table.Table) table.Command {
				other := tb.Game.Hands[game.Next(tb.Game.Turn)].Cards()[0]
				return act(game.PlayCard(other))
			}, game.CodeCardNotInHand},
		{"invalid card", inPlay,
			func(tb *table.Table) string { return tb.Seats[tb.Game.Turn].ID },
			fixedCmd(act(game.PlayCard(game.InvalidCard))), game.CodeInvalidCard},
		{"action of no kind", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			func(tb *table.Table) string { return tb.Seats[tb.Game.Hakem].ID }, fixedCmd(act(game.Action{})), game.CodeWrongPhase},
		{"no op", func(t *testing.T) table.Table { return seated(t, game.Rules{}, 0) },
			fixed("u0"), fixedCmd(table.Command{}), table.CodeUnknownCommand},
		{"unknown op", func(t *testing.T) table.Table { return started(t, game.Rules{}, 1) },
			fixed("u0"), fixedCmd(table.Command{Op: "deal_again"}), table.CodeUnknownCommand},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.setup(t)
			snap := clone(in)
			out, evs, err := table.Apply(in, tc.user(&in), tc.cmd(&in), table.Env{Now: 99, Seed: 42})
			if err == nil {
				t.Fatalf("accepted; want %q", tc.want)
			}
			if got := table.CodeOf(err); got != tc.want {
				t.Fatalf("code %q (%v), want %q", got, err, tc.want)
			}
			if evs != nil {
				t.Fatalf("refusal produced events %+v", evs)
			}
			sameTable(t, "returned table", out, snap)
			sameTable(t, "input table", in, snap)
		})
	}
}

func fixed(u string) func(*table.Table) string { return func(*table.Table) string { return u } }
func fixedCmd(c table.Command) func(*table.Table) table.Command {
	return func(*table.Table) table.Command { return c }
}

// The host's start on a finished table, once every other person said yes,
// starts the next match (the host's own yes), and leaves the input table
// unchanged.
func TestStartAfterMatchStartsNext(t *testing.T) {
	t.Parallel()
	in := readied(t, finished(t, 8))
	snap := clone(in)
	out, evs, err := table.Apply(in, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 1, Seed: 2})
	if err != nil || len(evs) == 0 {
		t.Fatalf("start on a finished table: err %v, %d events", err, len(evs))
	}
	if out.Status != table.Playing || out.Match != in.Match+1 || len(out.Moves) != 0 {
		t.Fatalf("after start: status %s match %d (was %d) moves %d", out.Status, out.Match, in.Match, len(out.Moves))
	}
	sameTable(t, "input table", in, snap)
}

func TestEngineErrorsKeepTheirIdentity(t *testing.T) {
	t.Parallel()
	tb := started(t, game.Rules{}, 1)
	_, _, err := table.Apply(tb, tb.Seats[notHakem(&tb)].ID, table.Act(game.ChooseTrump(game.Spades)), table.Env{})
	if !errors.Is(err, game.ErrNotHakem) {
		t.Fatalf("err %v, want errors.Is(game.ErrNotHakem)", err)
	}
	var te *table.Error
	_, _, err = table.Apply(tb, "nobody", table.Command{Op: table.OpLeave}, table.Env{})
	if !errors.As(err, &te) || te.Code != table.CodeNotInGame || !strings.Contains(err.Error(), "not_in_game") {
		t.Fatalf("err %v, want *table.Error not_in_game", err)
	}
	if table.CodeOf(errors.New("other")) != "" || table.CodeOf(nil) != "" {
		t.Fatal("CodeOf of a foreign error must be empty")
	}
}

func TestNewTable(t *testing.T) {
	t.Parallel()
	for _, target := range []int{1, 2, 4, 6, 8, -1, 100} {
		_, err := table.New("x", game.Rules{Target: target}, host, 1)
		if table.CodeOf(err) != table.CodeBadRules {
			t.Errorf("target %d: err %v, want bad_rules", target, err)
		}
		var te *table.Error
		if errors.As(err, &te) && te.Msg == "" {
			t.Errorf("target %d: bad_rules without a message", target)
		}
	}
	tb, err := table.New("x", game.Rules{HideUntilTrump: true}, host, 77)
	if err != nil {
		t.Fatal(err)
	}
	want := table.Meta{ID: "x", Rules: game.Rules{Target: 7, HideUntilTrump: true}, Host: host, Status: table.Waiting, Created: 77}
	if !reflect.DeepEqual(tb.Meta, want) || tb.Moves != nil || tb.Match != 0 {
		t.Fatalf("New: %+v, want meta %+v", tb, want)
	}
	if tb.Full() || tb.SeatOf(host) != -1 {
		t.Fatal("a new table has no one seated")
	}
}

func TestSit(t *testing.T) {
	t.Parallel()
	tb := newTable(t, game.Rules{})
	before := clone(tb)

	t1, evs := mustApply(t, tb, "u1", table.Command{Op: table.OpSit, Seat: 2, Name: "Ali\n"}, table.Env{})
	sameTable(t, "input table", tb, before)
	if p := t1.Seats[2]; p == nil || *p != (table.Player{ID: "u1", Name: "Ali"}) {
		t.Fatalf("seat 2 holds %+v", t1.Seats[2])
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	checkMetaEvent(t, evs[0], t1.Meta)

	// Sitting again where one already sits is a no-op without events.
	snap := clone(t1)
	t2, evs, err := table.Apply(t1, "u1", table.Command{Op: table.OpSit, Seat: 2, Name: "Other"}, table.Env{})
	if err != nil || evs != nil {
		t.Fatalf("re-sit: err %v events %v", err, evs)
	}
	sameTable(t, "re-sit table", t2, snap)

	// An already seated user moves: the old seat is freed.
	t3, evs := mustApply(t, t1, "u1", table.Command{Op: table.OpSit, Seat: 0, Name: "Ali"}, table.Env{})
	sameTable(t, "earlier table", t1, snap)
	if t3.Seats[2] != nil || t3.Seats[0] == nil || t3.Seats[0].ID != "u1" || t3.SeatOf("u1") != 0 {
		t.Fatalf("after moving: seats %v", seatIDs(&t3))
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	checkMetaEvent(t, evs[0], t3.Meta)

	// A person may take a bot's seat while no match runs; the bot goes. (u1
	// hosts: the creator never sat down.)
	if t1.Host != "u1" || t3.Host != "u1" {
		t.Fatalf("host %q, want u1, the first to sit down", t1.Host)
	}
	t4, _ := mustApply(t, t3, "u1", table.Command{Op: table.OpAddBots}, table.Env{})
	t5, evs := mustApply(t, t4, "u3", table.Command{Op: table.OpSit, Seat: 1, Name: "Sara"}, table.Env{})
	if t5.Seats[1].ID != "u3" || t5.Seats[1].Bot || t4.Seats[1].ID != table.BotID(1) {
		t.Fatalf("bot seat not taken over: before %v after %v", seatIDs(&t4), seatIDs(&t5))
	}
	checkMetaEvent(t, evs[0], t5.Meta)

	// During a match, sitting in one's own seat is a harmless no-op.
	m := started(t, game.Rules{}, 9)
	snap = clone(m)
	m2, evs, err := table.Apply(m, "u3", table.Command{Op: table.OpSit, Seat: 3}, table.Env{})
	if err != nil || evs != nil {
		t.Fatalf("own seat during match: err %v events %v", err, evs)
	}
	sameTable(t, "match table", m2, snap)
}

func TestSitAfterMatchMovesSeats(t *testing.T) {
	t.Parallel()
	tb := finished(t, 21)
	t2, evs := mustApply(t, tb, "u0", table.Command{Op: table.OpLeave}, table.Env{})
	checkMetaEvent(t, evs[0], t2.Meta)
	if t2.Seats[0] != nil || tb.Seats[0] == nil {
		t.Fatal("leave after a match must free the seat (and not touch the earlier table)")
	}
	t3, _ := mustApply(t, t2, "u1", table.Command{Op: table.OpSit, Seat: 0, Name: "u1"}, table.Env{})
	if t3.SeatOf("u1") != 0 || t3.Seats[1] != nil {
		t.Fatalf("seats after moving: %v", seatIDs(&t3))
	}
}

func seatIDs(tb *table.Table) []string {
	var out []string
	for _, p := range tb.Seats {
		if p == nil {
			out = append(out, "-")
		} else {
			out = append(out, p.ID)
		}
	}
	return out
}

func TestLeave(t *testing.T) {
	t.Parallel()
	t.Run("waiting", func(t *testing.T) {
		t.Parallel()
		tb := seated(t, game.Rules{}, 0, 1)
		snap := clone(tb)
		out, evs := mustApply(t, tb, "u1", table.Command{Op: table.OpLeave}, table.Env{})
		sameTable(t, "input", tb, snap)
		if out.Seats[1] != nil || out.Seats[0].ID != "u0" {
			t.Fatalf("seats %v", seatIDs(&out))
		}
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		checkMetaEvent(t, evs[0], out.Meta)
	})
	t.Run("during a match a bot takes the seat", func(t *testing.T) {
		t.Parallel()
		tb := started(t, game.Rules{}, 3)
		snap := clone(tb)
		for seat := 0; seat < 4; seat++ {
			out, evs := mustApply(t, tb, users[seat], table.Command{Op: table.OpLeave}, table.Env{Now: 50})
			sameTable(t, "input", tb, snap)
			want := table.Player{ID: table.BotID(seat), Name: table.BotName(seat), Bot: true, AbandonedBy: users[seat]}
			if out.Seats[seat] == nil || *out.Seats[seat] != want || !out.IsBot(seat) {
				t.Fatalf("seat %d after leave: %+v", seat, out.Seats[seat])
			}
			if out.Status != table.Playing || !out.Full() || out.SeatOf(users[seat]) != -1 {
				t.Fatalf("match disturbed by a leave: %+v", out.Meta)
			}
			if !reflect.DeepEqual(out.Game, tb.Game) || !reflect.DeepEqual(out.Moves, tb.Moves) || out.Match != tb.Match {
				t.Fatal("leave changed the match")
			}
			if len(evs) != 1 {
				t.Fatalf("%d events", len(evs))
			}
			checkMetaEvent(t, evs[0], out.Meta)
		}
	})
}

func TestAddBots(t *testing.T) {
	t.Parallel()
	tb := seated(t, game.Rules{}, 0, 1, 3)
	tb, _ = mustApply(t, tb, "u1", table.Command{Op: table.OpReady, Ready: true}, table.Env{})
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpLeave}, table.Env{}) // u1 is host now
	if tb.Host != "u1" {
		t.Fatalf("host %q after the host left, want u1", tb.Host)
	}
	snap := clone(tb)
	out, evs := mustApply(t, tb, "u1", table.Command{Op: table.OpAddBots}, table.Env{})
	sameTable(t, "input", tb, snap)
	for seat, p := range out.Seats {
		switch seat {
		case 1, 3:
			if p == nil || p.ID != users[seat] || p.Bot || out.IsBot(seat) || p.Ready != (seat == 1) {
				t.Fatalf("person at seat %d replaced (or their ready flag changed): %+v", seat, p)
			}
		default:
			if p == nil || *p != (table.Player{ID: table.BotID(seat), Name: table.BotName(seat), Bot: true}) || !out.IsBot(seat) {
				t.Fatalf("seat %d: %+v, want its bot", seat, p)
			}
		}
	}
	if !out.Full() || out.Status != table.Waiting {
		t.Fatalf("after add_bots: %+v", out.Meta)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	checkMetaEvent(t, evs[0], out.Meta)

	// Nothing left to fill: no change, no events.
	snap = clone(out)
	again, evs, err := table.Apply(out, "u1", table.Command{Op: table.OpAddBots}, table.Env{})
	if err != nil || evs != nil {
		t.Fatalf("add_bots on a full table: err %v events %v", err, evs)
	}
	sameTable(t, "full table", again, snap)

	// Another person may not fill the table.
	_, _, err = table.Apply(tb, "u3", table.Command{Op: table.OpAddBots}, table.Env{})
	if table.CodeOf(err) != table.CodeNotHost {
		t.Fatalf("add_bots by a player who is not the host: %v", err)
	}

	// The host may fill the table without sitting.
	empty := newTable(t, game.Rules{})
	allBots, evs := mustApply(t, empty, host, table.Command{Op: table.OpAddBots}, table.Env{})
	if !allBots.Full() || len(evs) != 1 || empty.Full() {
		t.Fatalf("host add_bots: %v, %d events", seatIDs(&allBots), len(evs))
	}
	for seat := 0; seat < 4; seat++ {
		if !allBots.IsBot(seat) {
			t.Fatalf("seat %d is not a bot", seat)
		}
	}
	if allBots.IsBot(-1) || allBots.IsBot(4) {
		t.Fatal("IsBot out of range")
	}
}

func TestStartAndRematch(t *testing.T) {
	t.Parallel()
	tb := seated(t, game.Rules{Target: 3}, 0, 1, 2, 3)
	snap := clone(tb)
	env := table.Env{Now: 5000, Seed: 0xdeadbeef}
	tb = readied(t, tb)
	snap = clone(tb)
	m1, evs := mustApply(t, tb, "u0", table.Command{Op: table.OpStart}, env)
	sameTable(t, "input", tb, snap)
	if m1.Match != 1 || m1.Status != table.Playing || m1.Started != 5000 || m1.Ended != 0 || m1.Moves != nil {
		t.Fatalf("after start: %+v moves %v", m1.Meta, m1.Moves)
	}
	g, gevs, err := game.NewMatch(m1.Rules, env.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m1.Game, g) {
		t.Fatal("started game is not game.NewMatch(rules, seed)")
	}
	checkWrapped(t, evs, m1.Meta, gevs, true)
	if m1.MatchID() != "tb1-1" || table.MatchID("x", 12) != "x-12" {
		t.Fatalf("match ids %q %q", m1.MatchID(), table.MatchID("x", 12))
	}

	r := rng(5)
	mid, _, _, _ := step(t, m1, r, 6000)
	if len(mid.Moves) != 1 {
		t.Fatalf("%d moves after one action", len(mid.Moves))
	}
	done := playToEnd(t, mid, r)
	if done.Status != table.Finished || done.Ended == 0 || done.Started != 5000 || !done.Game.Over() {
		t.Fatalf("after the match: %+v", done.Meta)
	}
	doneSnap := clone(done)

	// Every person's yes, in any order, the host's among them: the last one
	// starts the next match.
	env2 := table.Env{Now: 90000, Seed: 77}
	for _, u := range []string{"u1", "u3", "u0"} {
		var evs []table.Event
		done, evs = mustApply(t, done, u, table.Command{Op: table.OpRematch}, env2)
		if done.Status != table.Finished || !done.Seats[done.SeatOf(u)].Ready || len(evs) != 1 {
			t.Fatalf("after %s's yes: %+v, %d events", u, done.Meta, len(evs))
		}
		checkMetaEvent(t, evs[0], done.Meta)
	}
	doneSnap = clone(done)
	m2, evs := mustApply(t, done, "u2", table.Command{Op: table.OpRematch}, env2)
	sameTable(t, "finished table", done, doneSnap)
	if m2.Match != 2 || m2.Status != table.Playing || m2.Started != 90000 || m2.Ended != 0 || len(m2.Moves) != 0 {
		t.Fatalf("after rematch: %+v, %d moves", m2.Meta, len(m2.Moves))
	}
	g2, gevs2, _ := game.NewMatch(m2.Rules, env2.Seed)
	if !reflect.DeepEqual(m2.Game, g2) {
		t.Fatal("rematch game is not game.NewMatch(rules, new seed)")
	}
	checkWrapped(t, evs, m2.Meta, gevs2, true)
	if m2.MatchID() != "tb1-2" {
		t.Fatalf("rematch id %q", m2.MatchID())
	}
}

// checkWrapped checks that evs are (optionally) the table event, then the
// engine's events in order with the same To.
func checkWrapped(t testing.TB, evs []table.Event, meta table.Meta, gevs []game.Event, withMeta bool) {
	t.Helper()
	if withMeta {
		if len(evs) == 0 {
			t.Fatal("no events")
		}
		checkMetaEvent(t, evs[0], meta)
		evs = evs[1:]
	}
	if len(evs) != len(gevs) {
		t.Fatalf("%d game events, want %d", len(evs), len(gevs))
	}
	for i, e := range evs {
		ge, ok := e.Data.(game.Event)
		if !ok {
			t.Fatalf("event %d: data %T, want game.Event", i, e.Data)
		}
		if e.To != ge.To || !reflect.DeepEqual(ge, gevs[i]) {
			t.Fatalf("event %d: To %d data %+v, want %+v", i, e.To, ge, gevs[i])
		}
	}
}

func TestBotsActAsBotID(t *testing.T) {
	t.Parallel()
	tb := seated(t, game.Rules{}, 0)
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpAddBots}, table.Env{})
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 1, Seed: 1234})
	r := rng(1)
	botMoves, personMoves := 0, 0
	for tb.Status == table.Playing {
		seat := actor(&tb.Game)
		a := tb.Game.Legal(seat)[0]
		if seat != 0 {
			// Neither a person nor another seat's bot can play a bot's turn.
			others := []string{"u0"}
			if o := game.Next(seat); o != 0 {
				others = append(others, table.BotID(o))
			}
			for _, u := range others {
				_, _, err := table.Apply(tb, u, table.Act(a), table.Env{})
				if c := table.CodeOf(err); c != game.CodeNotYourTurn && c != game.CodeNotHakem {
					t.Fatalf("%s acting for seat %d: %v", u, seat, err)
				}
			}
			botMoves++
		} else {
			personMoves++
		}
		var evs []table.Event
		tb, evs, _, _ = step(t, tb, r, 2)
		if len(evs) == 0 {
			t.Fatal("an accepted action produced no events")
		}
	}
	if botMoves == 0 || personMoves == 0 {
		t.Fatalf("bot moves %d, person moves %d", botMoves, personMoves)
	}
	for _, m := range tb.Moves {
		if m.Seat < 0 || m.Seat > 3 {
			t.Fatalf("move seat %d", m.Seat)
		}
	}
	// A user that is not seated cannot act as a bot of an empty seat.
	w := seated(t, game.Rules{}, 0, 1, 2)
	_, _, err := table.Apply(w, table.BotID(3), table.Act(game.ChooseTrump(0)), table.Env{})
	if table.CodeOf(err) != table.CodeNotInGame {
		t.Fatalf("unseated bot acting: %v", err)
	}
}

// A bot that took over a leaving player's seat plays on with BotID(seat).
func TestBotTakesOverMidMatch(t *testing.T) {
	t.Parallel()
	tb := started(t, game.Rules{Target: 3}, 55)
	r := rng(55)
	for i := 0; i < 7; i++ {
		tb, _, _, _ = step(t, tb, r, 3)
	}
	seat := actor(&tb.Game)
	tb, _ = mustApply(t, tb, users[seat], table.Command{Op: table.OpLeave}, table.Env{})
	a := tb.Game.Legal(seat)[0]
	_, _, err := table.Apply(tb, users[seat], table.Act(a), table.Env{})
	if table.CodeOf(err) != table.CodeNotInGame {
		t.Fatalf("player who left still acts: %v", err)
	}
	next, evs := mustApply(t, tb, table.BotID(seat), table.Act(a), table.Env{})
	if len(next.Moves) != len(tb.Moves)+1 || next.Moves[len(next.Moves)-1] != (table.Move{Seat: seat, Action: a}) || len(evs) == 0 {
		t.Fatalf("bot action not recorded: %v", next.Moves[len(next.Moves)-1])
	}
	done := playToEnd(t, next, r)
	res, code := game.ReplayJSON(strings.NewReader(string(mustJSON(t, done.Record()))))
	if code != 0 || !res.Over {
		t.Fatalf("replay of a match with a takeover: exit %d %+v", code, res)
	}
}

// Accepted actions append to a fresh array: tables that share history never
// see each other's moves (append aliasing).
func TestMovesNeverAliased(t *testing.T) {
	t.Parallel()
	tb := started(t, game.Rules{}, 77)
	r := rng(77)
	checked := 0
	for i := 0; i < 200 && tb.Status == table.Playing; i++ {
		next, _, _, _ := step(t, tb, r, 4)
		seat := actor(&next.Game)
		legal := next.Game.Legal(seat)
		if len(legal) >= 2 && next.Status == table.Playing {
			snap := clone(next)
			user := next.Seats[seat].ID
			a, _ := mustApply(t, next, user, table.Act(legal[0]), table.Env{})
			b, _ := mustApply(t, next, user, table.Act(legal[1]), table.Env{})
			sameTable(t, "shared parent", next, snap)
			if got := a.Moves[len(a.Moves)-1].Action; got != legal[0] {
				t.Fatalf("branch a's last move became %v (want %v) after branch b", got, legal[0])
			}
			if got := b.Moves[len(b.Moves)-1].Action; got != legal[1] {
				t.Fatalf("branch b's last move %v, want %v", got, legal[1])
			}
			if !slices.Equal(a.Moves[:len(a.Moves)-1], next.Moves) {
				t.Fatal("branch a's history differs from its parent's")
			}
			checked++
		}
		tb = next
	}
	if checked < 10 {
		t.Fatalf("only %d branch points checked", checked)
	}
}

// Apply never changes its input, for accepted commands of every kind.
func TestAcceptedCommandsLeaveInputUnchanged(t *testing.T) {
	t.Parallel()
	r := rng(99)
	tb := newTable(t, game.Rules{Target: 3})
	do := func(user string, c table.Command, env table.Env) {
		t.Helper()
		snap := clone(tb)
		next, _ := mustApply(t, tb, user, c, env)
		sameTable(t, "input", tb, snap)
		tb = next
	}
	do("u0", table.Command{Op: table.OpSit, Seat: 0, Name: "a"}, table.Env{})
	do("u1", table.Command{Op: table.OpSit, Seat: 1, Name: "b"}, table.Env{})
	do("u1", table.Command{Op: table.OpSit, Seat: 2, Name: "b"}, table.Env{})
	do("u0", table.Command{Op: table.OpSwap, Seat: 2, To: 3}, table.Env{})
	do("u0", table.Command{Op: table.OpAddBots}, table.Env{})
	do("u0", table.Command{Op: table.OpSwap, Seat: 1, To: 3}, table.Env{})
	do("u1", table.Command{Op: table.OpReady, Ready: true}, table.Env{})
	do("u0", table.Command{Op: table.OpStart}, table.Env{Now: 10, Seed: 3})
	for tb.Status == table.Playing {
		seat := actor(&tb.Game)
		a := tb.Game.Legal(seat)[r.IntN(len(tb.Game.Legal(seat)))]
		do(tb.Seats[seat].ID, table.Act(a), table.Env{Now: 20})
		if len(tb.Moves) == 30 {
			do("u1", table.Command{Op: table.OpLeave}, table.Env{})
		}
	}
	do("u0", table.Command{Op: table.OpSit, Seat: 1, Name: "a"}, table.Env{})
	do("u0", table.Command{Op: table.OpAddBots}, table.Env{})
	do("u0", table.Command{Op: table.OpRematch}, table.Env{Now: 30, Seed: 4})
}

// Every event of a whole match: table events after seat and status changes,
// engine events wrapped with their own To, private events holding only the
// receiver's cards, and no hidden card in any public event.
func TestEventsOfAMatch(t *testing.T) {
	t.Parallel()
	for _, rules := range []game.Rules{{}, {HideUntilTrump: true}, {PlayAllTricks: true, Target: 3}} {
		for seed := uint64(1); seed <= 4; seed++ {
			tb := seated(t, rules, 0, 2)
			tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpAddBots}, table.Env{})
			tb = readied(t, tb)
			prev := tb.Game
			tb, evs := mustApply(t, tb, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 1, Seed: seed})
			checkEvents(t, &prev, &tb, evs, true, game.Action{})
			r := rng(seed)
			for tb.Status == table.Playing {
				prev = tb.Game
				before := tb.Status
				var a game.Action
				tb, evs, _, a = step(t, tb, r, 2)
				checkEvents(t, &prev, &tb, evs, before == table.Playing && tb.Status == table.Finished, a)
			}
		}
	}
}

// checkEvents checks the events of one accepted start or game action that
// (played; zero for a start) led from game state prev to table tb.
func checkEvents(t testing.TB, prev *game.State, tb *table.Table, evs []table.Event, metaExpected bool, played game.Action) {
	t.Helper()
	metas := 0
	for i, e := range evs {
		if me, ok := e.Data.(table.MetaEvent); ok {
			metas++
			checkMetaEvent(t, e, tb.Meta)
			if b := mustJSON(t, me); !strings.HasPrefix(string(b), `{"type":"table","table":{`) {
				t.Fatalf("table event JSON %s", b)
			}
			continue
		}
		if c, ok := e.Clock(); ok {
			if i != len(evs)-1 || c.Seat != tb.OnTurn() || c.Deadline != tb.Deadline || c.Deadline == 0 {
				t.Fatalf("turn timer on event %d of %d: %+v, table on turn %d deadline %d", i, len(evs), c, tb.OnTurn(), tb.Deadline)
			}
			b := string(mustJSON(t, e.Data))
			if _, own := e.Data.(table.TurnEvent); own {
				if e.To != game.Everyone || b != fmt.Sprintf(`{"type":"turn","seat":%d,"deadline":%d}`, c.Seat, c.Deadline) {
					t.Fatalf("turn event to %d: %s", e.To, b)
				}
				continue
			}
			if !strings.HasSuffix(b, fmt.Sprintf(`,"turn":{"seat":%d,"deadline":%d}}`, c.Seat, c.Deadline)) {
				t.Fatalf("event %d carrying the turn timer: %s", i, b)
			}
			if pub, ok := e.Public.(table.Turned); e.Public != nil && (!ok || pub.Turn != c) {
				t.Fatalf("event %d: its public form %+v lacks the turn timer %+v", i, e.Public, c)
			}
		}
		ge, ok := e.Game()
		if !ok {
			t.Fatalf("event %d: %T", i, e.Data)
		}
		if e.To != ge.To {
			t.Fatalf("event %d (%s): wrapped To %d, engine To %d", i, ge.Type, e.To, ge.To)
		}
		b := mustJSON(t, e.Data)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["type"] != string(ge.Type) {
			t.Fatalf("event %d JSON %s", i, b)
		}
		switch {
		case ge.Type == game.EvCardsDealt:
			if e.To < 0 || e.To > 3 || ge.Seat != e.To {
				t.Fatalf("cards_dealt To %d seat %d: must be private to its seat", e.To, ge.Seat)
			}
			own := tb.Game.Visible(e.To)
			if game.SetOf(ge.Cards...) != own {
				t.Fatalf("cards_dealt to %d: %v, want exactly its visible cards %v", e.To, ge.Cards, own.Cards())
			}
			for s := 0; s < 4; s++ {
				if s != e.To && game.SetOf(ge.Cards...)&tb.Game.Hands[s] != 0 {
					t.Fatalf("cards_dealt to %d carries seat %d's cards", e.To, s)
				}
			}
		case e.To != game.Everyone:
			t.Fatalf("unexpected private event %s to %d", ge.Type, e.To)
		default:
			// A public event shows only cards that are now face up.
			shown := game.SetOf(ge.Cards...)
			if ge.Type == game.EvCardPlayed {
				shown = shown.Add(ge.Card)
			}
			if ge.Type == game.EvMatchStarted {
				continue // the face-up ace draw
			}
			// Cards still hidden in the event's hand: what the seats held
			// before this action, less the card it played; for a hand just
			// dealt, the new hands.
			var hidden game.CardSet
			if prev.Phase != 0 && ge.Hand == prev.Hand {
				for s := 0; s < 4; s++ {
					hidden |= prev.Hands[s]
				}
				if played.Kind == game.KindPlayCard {
					hidden = hidden.Remove(played.Card)
				}
			} else {
				for s := 0; s < 4; s++ {
					hidden |= tb.Game.Hands[s]
				}
			}
			if shown&hidden != 0 {
				t.Fatalf("public %s shows hidden cards %v", ge.Type, (shown & hidden).Cards())
			}
		}
	}
	want := 0
	if metaExpected {
		want = 1
	}
	if metas != want {
		t.Fatalf("%d table events, want %d", metas, want)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// Every private event has a public form without any card.
func TestPrivateEventsHaveCardlessPublicForm(t *testing.T) {
	t.Parallel()
	tb := started(t, game.Rules{}, 3)
	var evs []table.Event
	_, evs, err := table.Apply(tb, tb.Seats[tb.Game.Hakem].ID, table.Act(game.ChooseTrump(game.Hearts)), table.Env{})
	if err != nil {
		t.Fatal(err)
	}
	private := 0
	for _, e := range evs {
		if e.To == game.Everyone {
			if e.Public != nil {
				t.Errorf("public event with a redacted form: %+v", e)
			}
			continue
		}
		private++
		b, err := json.Marshal(e.Public)
		if err != nil || e.Public == nil {
			t.Fatalf("private event without public form: %+v %v", e, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["cards"]; ok || m["count"] != float64(13) {
			t.Errorf("redacted form %s: want a count of 13 and no cards", b)
		}
	}
	if private != 4 {
		t.Fatalf("%d private events after trump, want 4 (each seat's whole hand)", private)
	}
}

// TestParseCommand: each op's arguments as the action stream carries them.
func TestParseCommand(t *testing.T) {
	ace, _ := game.ParseCard("AS")
	cases := []struct {
		op         table.Op
		seat       int
		name, arg  string
		want       table.Command
		serverOnly bool
	}{
		{op: table.OpSit, seat: 2, name: "Sara", want: table.Command{Op: table.OpSit, Seat: 2, Name: "Sara"}},
		{op: table.OpLeave, arg: "ignored", want: table.Command{Op: table.OpLeave}},
		{op: table.OpAddBots, want: table.Command{Op: table.OpAddBots}},
		{op: table.OpStart, want: table.Command{Op: table.OpStart}},
		{op: table.OpRematch, want: table.Command{Op: table.OpRematch}},
		{op: table.OpBack, want: table.Command{Op: table.OpBack}},
		{op: table.OpReady, arg: table.ReadyYes, want: table.Command{Op: table.OpReady, Ready: true}},
		{op: table.OpReady, arg: "", want: table.Command{Op: table.OpReady, Ready: true}},
		{op: table.OpReady, arg: table.ReadyNo, want: table.Command{Op: table.OpReady}},
		{op: table.OpSwap, seat: 1, arg: "3", want: table.Command{Op: table.OpSwap, Seat: 1, To: 3}},
		{op: table.OpSwap, seat: 1, arg: "", want: table.Command{Op: table.OpSwap, Seat: 1, To: -1}},
		{op: table.OpTrump, arg: "H", want: table.Command{Op: table.OpTrump, Action: game.ChooseTrump(game.Hearts)}},
		{op: table.OpPlay, arg: "AS", want: table.Command{Op: table.OpPlay, Action: game.PlayCard(ace)}},
		{op: table.OpPlay, arg: "ZZ", want: table.Command{Op: table.OpPlay, Action: game.PlayCard(game.InvalidCard)}},
		{op: table.OpTimeout, arg: "17", want: table.Command{Op: table.OpTimeout, Timer: 17}, serverOnly: true},
		{op: table.OpTimeout, arg: "x", want: table.Command{Op: table.OpTimeout, Timer: -1}, serverOnly: true},
		{op: table.OpResume, want: table.Command{Op: table.OpResume}, serverOnly: true},
	}
	for _, tc := range cases {
		got, ok := table.ParseCommand(tc.op, tc.seat, tc.name, tc.arg)
		if !ok || got != tc.want {
			t.Errorf("ParseCommand(%s, %d, %q, %q) = %+v, %v; want %+v", tc.op, tc.seat, tc.name, tc.arg, got, ok, tc.want)
		}
		if tc.op.ServerOnly() != tc.serverOnly {
			t.Errorf("%s.ServerOnly() = %v", tc.op, !tc.serverOnly)
		}
	}
	if _, ok := table.ParseCommand("deal_again", 0, "", ""); ok {
		t.Error("an unknown op parsed")
	}
	if c := table.Act(game.ChooseTrump(game.Spades)); c.Op != table.OpTrump {
		t.Errorf("Act(trump) = %+v", c)
	}
}

// TestApplyOnceGrowsTheMovesInPlace: with Env.Once a card appends to the
// table's move list in place (no copy of the match so far) and the match
// comes out the same as without; the table applied to keeps its own moves.
// Without Once each result has a move list of its own.
func TestApplyOnceGrowsTheMovesInPlace(t *testing.T) {
	plain, once := started(t, game.Rules{Target: 3}, 11), started(t, game.Rules{Target: 3}, 11)
	r := rng(5)
	shared := 0
	for i := 0; plain.Status == table.Playing; i++ {
		if i > 10000 {
			t.Fatal("match does not end")
		}
		var a game.Action
		plain, _, _, a = step(t, plain, r, created+2000+int64(i)) // the same action at both tables
		before := clone(once)
		user := once.Seats[actor(&once.Game)].ID
		next, _ := mustApply(t, once, user, table.Act(a), table.Env{Now: created + 2000 + int64(i), Once: true})
		sameTable(t, "the table applied to with Once", once, before)
		if len(once.Moves) > 0 && len(next.Moves) > len(once.Moves) && &next.Moves[0] == &once.Moves[0] {
			shared++
		}
		once = next
	}
	sameTable(t, "the match played with Once", once, plain)
	if shared < len(plain.Moves)/2 {
		t.Fatalf("%d of %d moves appended in place with Once, want most", shared, len(plain.Moves))
	}
	// Without Once: a move list of its own.
	tb := started(t, game.Rules{Target: 3}, 11)
	for i := 0; i < 3; i++ {
		next, _, _, _ := step(t, tb, rng(uint64(i)), created+2000)
		if len(tb.Moves) > 0 && &next.Moves[0] == &tb.Moves[0] {
			t.Fatalf("move %d shares the move list of the table it was applied to", i)
		}
		tb = next
	}
}
