package table_test

import (
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
	"github.com/hokm-project/hokm/game/table"
)

// timedTable is u0..u3 seated with opts, the match started at now.
func timedTable(t *testing.T, opts table.Options, seed uint64, now int64) table.Table {
	t.Helper()
	tb := seated(t, game.Rules{}, 0, 1, 2, 3)
	tb.Options = opts
	return startedAt(t, tb, table.Env{Now: now, Seed: seed})
}

// timeoutCmd is the timer's command for tb's current deadline.
func timeoutCmd(tb *table.Table) table.Command {
	return table.Command{Op: table.OpTimeout, Timer: tb.Timer}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	tb := timedTable(t, table.Options{TurnSeconds: 7, TrumpSeconds: 9}, 21, 1000)
	if tb.Deadline != 1000+9000 || tb.Timer != 1 || tb.OnTurn() != tb.Game.Hakem {
		t.Fatalf("after start: deadline %d timer %d on turn %d", tb.Deadline, tb.Timer, tb.OnTurn())
	}
	// Trump chosen by a person, a person on turn: a new deadline, announced
	// by a turn event after the engine's events.
	h := tb.Game.Hakem
	next, evs := mustApply(t, tb, users[h], table.Act(game.ChooseTrump(game.Spades)), table.Env{Now: 2000})
	if next.Deadline != 2000+7000 || next.Timer != 2 {
		t.Fatalf("after trump: deadline %d timer %d", next.Deadline, next.Timer)
	}
	// (the last event: the rest of the deal, private to seat 3, whose public
	// form carries it too)
	last := evs[len(evs)-1]
	clock := table.Clock{Seat: next.Game.Turn, Deadline: 9000}
	if c, ok := last.Clock(); !ok || c != clock || last.Public.(table.Turned).Turn != clock {
		t.Fatalf("last event %+v", last)
	}
	for _, d := range []any{last.Data, last.Public} {
		if b := string(mustJSON(t, d)); !strings.HasPrefix(b, `{"`) || !strings.HasSuffix(b, `,"turn":{"seat":`+string(rune('0'+next.Game.Turn))+`,"deadline":9000}}`) {
			t.Fatalf("event carrying the turn timer: %s", b)
		}
	}
	// Someone else leaving does not restart the clock of the seat on turn.
	other := game.Next(next.Game.Turn)
	left, evs := mustApply(t, next, users[other], table.Command{Op: table.OpLeave}, table.Env{Now: 5000})
	if left.Deadline != 9000 || left.Timer != 2 || len(evs) != 1 {
		t.Fatalf("after another seat left: deadline %d timer %d, %d events", left.Deadline, left.Timer, len(evs))
	}
	// The player on turn leaving: the bot plays, no clock; the table event shows it.
	gone, evs := mustApply(t, next, users[next.Game.Turn], table.Command{Op: table.OpLeave}, table.Env{Now: 5000})
	if gone.Deadline != 0 || len(evs) != 1 {
		t.Fatalf("after the seat on turn left: deadline %d, %d events", gone.Deadline, len(evs))
	}
	checkMetaEvent(t, evs[0], gone.Meta)
	if strings.Contains(string(mustJSON(t, evs[0].Data)), "deadline") {
		t.Fatalf("table event with no clock shows a deadline: %s", mustJSON(t, evs[0].Data))
	}
	// A finished match has the rematch offer's clock, under a new timer.
	done := playToEnd(t, next, rng(21))
	if done.Deadline != done.Ended+table.DefaultRematchSeconds*1000 || done.OnTurn() != -1 {
		t.Fatalf("finished table (ended %d) with deadline %d", done.Ended, done.Deadline)
	}
	// Defaults.
	d := timedTable(t, table.Options{}, 22, 0)
	if d.Deadline != table.DefaultTrumpSeconds*1000 {
		t.Fatalf("default trump deadline %d", d.Deadline)
	}
}

// Bots' turns have no clock and no turn events; a bot's move before a
// person's turn starts that person's clock.
func TestNoClockForBots(t *testing.T) {
	t.Parallel()
	tb := seated(t, game.Rules{}, 0)
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpAddBots}, table.Env{})
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 1, Seed: 5})
	r := rng(5)
	timers := 0
	for i := int64(0); tb.Status == table.Playing; i++ {
		prev := tb
		var evs []table.Event
		tb, evs, _, _ = step(t, tb, r, 100+i)
		onTurn := tb.OnTurn()
		turns := 0
		for _, e := range evs {
			if _, ok := e.Clock(); ok {
				turns++
			}
		}
		switch {
		case tb.Status == table.Finished:
			// The rematch offer's clock (u0 is seated), announced by the
			// table event of the match's end.
			if tb.Deadline != 100+i+table.DefaultRematchSeconds*1000 || turns != 0 || tb.Timer != prev.Timer+1 {
				t.Fatalf("finished: deadline %d at %d, timer %d after %d, %d turn events", tb.Deadline, 100+i, tb.Timer, prev.Timer, turns)
			}
			continue
		case onTurn == 0 && tb.Deadline != 100+i+table.DefaultTurnSeconds*1000 && tb.Deadline != 100+i+table.DefaultTrumpSeconds*1000:
			t.Fatalf("u0 on turn with deadline %d at %d", tb.Deadline, 100+i)
		case onTurn != 0 && (tb.Deadline != 0 || turns != 0):
			t.Fatalf("bot on turn: deadline %d, %d turn events", tb.Deadline, turns)
		case onTurn == 0 && tb.Timer != prev.Timer+1:
			t.Fatalf("timer %d after %d", tb.Timer, prev.Timer)
		}
		if onTurn == 0 {
			timers++
		}
	}
	if timers == 0 {
		t.Fatal("u0 was never on turn")
	}
}

func TestTimeoutRefusedWhenStale(t *testing.T) {
	t.Parallel()
	started := timedTable(t, table.Options{}, 31, 10)
	played, _ := mustApply(t, started, users[started.Game.Hakem], table.Act(game.ChooseTrump(game.Hearts)), table.Env{Now: 20})
	botOnTurn, _ := mustApply(t, played, users[played.Game.Turn], table.Command{Op: table.OpLeave}, table.Env{Now: 30})
	cases := []struct {
		name  string
		tb    table.Table
		timer int64
	}{
		{"timer of a turn already played", played, started.Timer},
		{"timer from the future", played, played.Timer + 1},
		{"bot on turn", botOnTurn, botOnTurn.Timer},
		{"no match yet", seated(t, game.Rules{}, 0, 1, 2, 3), 0},
		{"finished", finished(t, 32), 0},
	}
	for _, tc := range cases {
		snap := clone(tc.tb)
		out, evs, err := table.Apply(tc.tb, "timer", table.Command{Op: table.OpTimeout, Timer: tc.timer}, table.Env{Now: 1 << 40})
		if table.CodeOf(err) != table.CodeStaleTimeout || evs != nil {
			t.Fatalf("%s: %v, %d events", tc.name, err, len(evs))
		}
		sameTable(t, tc.name+": returned table", out, snap)
		sameTable(t, tc.name+": input table", tc.tb, snap)
	}
	// Away on turn: the bot plays, the timer is stale.
	away := played
	for away.Seats[away.OnTurn()].Away == false {
		away, _ = mustApply(t, away, "timer", timeoutCmd(&away), table.Env{Now: 40})
	}
	if _, _, err := table.Apply(away, "timer", table.Command{Op: table.OpTimeout, Timer: away.Timer}, table.Env{}); table.CodeOf(err) != table.CodeStaleTimeout {
		t.Fatalf("timeout of an away seat: %v", err)
	}
}

// A timeout plays the bot.TimeoutFor choice for the seat on turn, says so
// first, and counts; the player's own action resets the count.
func TestTimeoutPlaysForTheSeat(t *testing.T) {
	t.Parallel()
	tb := timedTable(t, table.Options{MaxTimeouts: 3}, 41, 0)
	h := tb.Game.Hakem
	want := bot.TimeoutFor(&tb.Game, h)
	snap := clone(tb)
	out, evs := mustApply(t, tb, "timer", timeoutCmd(&tb), table.Env{Now: 30_000})
	sameTable(t, "input", tb, snap)
	if len(out.Moves) != 1 || out.Moves[0] != (table.Move{Seat: h, Action: want}) || out.Game.Trump != want.Suit {
		t.Fatalf("timeout played %+v, want %+v", out.Moves, want)
	}
	if b := string(mustJSON(t, evs[0].Data)); b != `{"type":"timeout","seat":`+string(rune('0'+h))+`,"action":{"trump":"`+want.Suit.String()+`"}}` || evs[0].To != game.Everyone {
		t.Fatalf("first event %s", b)
	}
	if ge, ok := evs[1].Game(); !ok || ge.Type != game.EvTrumpChosen {
		t.Fatalf("second event %+v", evs[1].Data)
	}
	if out.Seats[h].Timeouts != 1 || out.Seats[h].Away || out.IsBot(h) {
		t.Fatalf("after one timeout: %+v", out.Seats[h])
	}
	if out.Deadline != 30_000+table.DefaultTurnSeconds*1000 || out.Timer != tb.Timer+1 {
		t.Fatalf("next deadline %d timer %d", out.Deadline, out.Timer)
	}
	// A card: the lowest legal card, not a trump if possible.
	seat := out.OnTurn()
	card := bot.TimeoutFor(&out.Game, seat)
	out2, evs := mustApply(t, out, "timer", timeoutCmd(&out), table.Env{Now: 60_000})
	if b := string(mustJSON(t, evs[0].Data)); b != `{"type":"timeout","seat":`+string(rune('0'+seat))+`,"action":{"card":"`+card.Card.String()+`"}}` {
		t.Fatalf("card timeout event %s", b)
	}
	if ge, ok := evs[1].Game(); !ok || ge.Type != game.EvCardPlayed || ge.Card != card.Card {
		t.Fatalf("card timeout second event %+v", evs[1].Data)
	}
	// The Hakem led the trick: two timeouts in a row, not yet away (max 3).
	if seat != h || out2.Seats[h].Timeouts != 2 || out2.Seats[h].Away {
		t.Fatalf("after the lead timed out: seat %d, Hakem %d, %+v", seat, h, out2.Seats[h])
	}
	// The Hakem's own action resets the count.
	for out2.OnTurn() != h {
		out2, _, _, _ = step(t, out2, rng(1), 70_000)
	}
	out3, _, _, _ := step(t, out2, rng(2), 80_000)
	if out3.Seats[h].Timeouts != 0 || out2.Seats[h].Timeouts != 2 {
		t.Fatalf("count after the Hakem acted: %d (input %d)", out3.Seats[h].Timeouts, out2.Seats[h].Timeouts)
	}
}

// MaxTimeouts in a row make the player Away: the bot plays the seat until
// back; the player cannot act meanwhile; back restarts their clock.
func TestAwayAndBack(t *testing.T) {
	t.Parallel()
	tb := timedTable(t, table.Options{MaxTimeouts: 2}, 51, 0)
	h := tb.Game.Hakem
	// Trump by timeout, then the others play until the Hakem is on turn again.
	tb, _ = mustApply(t, tb, "timer", timeoutCmd(&tb), table.Env{Now: 1})
	for tb.OnTurn() != h {
		tb, _, _, _ = step(t, tb, rng(3), 2)
	}
	out, evs := mustApply(t, tb, "timer", timeoutCmd(&tb), table.Env{Now: 3})
	p := out.Seats[h]
	if !p.Away || p.Timeouts != 2 || !out.IsBot(h) || p.Bot || p.ID != users[h] {
		t.Fatalf("after two timeouts: %+v", p)
	}
	if _, ok := evs[0].Data.(table.TimeoutEvent); !ok {
		t.Fatalf("first event %T", evs[0].Data)
	}
	checkMetaEvent(t, evs[len(evs)-1], out.Meta)
	if !strings.Contains(string(mustJSON(t, evs[len(evs)-1].Data)), `"away":true`) {
		t.Fatalf("table event does not show away: %s", mustJSON(t, evs[len(evs)-1].Data))
	}
	// Play on until the away seat is on turn: no clock for it.
	for out.OnTurn() != h {
		out, _, _, _ = step(t, out, rng(4), 4)
	}
	if out.Deadline != 0 {
		t.Fatalf("away seat on turn with deadline %d", out.Deadline)
	}
	a := out.Game.Legal(h)[0]
	if _, _, err := table.Apply(out, users[h], table.Act(a), table.Env{}); table.CodeOf(err) != table.CodeSeatAway {
		t.Fatalf("away player acting: %v", err)
	}
	for _, u := range []string{table.BotID(game.Next(h)), "stranger"} {
		if _, _, err := table.Apply(out, u, table.Act(a), table.Env{}); table.CodeOf(err) != table.CodeNotInGame {
			t.Fatalf("%s acting for the away seat: %v", u, err)
		}
	}
	byBot, _ := mustApply(t, out, table.BotID(h), table.Act(a), table.Env{Now: 5})
	if m := byBot.Moves[len(byBot.Moves)-1]; m != (table.Move{Seat: h, Action: a}) || byBot.Seats[h].Timeouts != 2 || !byBot.Seats[h].Away {
		t.Fatalf("bot for the away seat: move %+v, player %+v", m, byBot.Seats[h])
	}
	// Back while on turn: the player plays again, with a fresh clock.
	snap := clone(out)
	backed, evs := mustApply(t, out, users[h], table.Command{Op: table.OpBack}, table.Env{Now: 6})
	sameTable(t, "input", out, snap)
	if p := backed.Seats[h]; p.Away || p.Timeouts != 0 || backed.IsBot(h) {
		t.Fatalf("after back: %+v", p)
	}
	if backed.Deadline != 6+table.DefaultTurnSeconds*1000 || backed.Timer != out.Timer+1 || len(evs) != 1 {
		t.Fatalf("after back: deadline %d timer %d, %d events", backed.Deadline, backed.Timer, len(evs))
	}
	checkMetaEvent(t, evs[0], backed.Meta)
	if _, _, err := table.Apply(backed, table.BotID(h), table.Act(a), table.Env{}); table.CodeOf(err) != table.CodeNotInGame {
		t.Fatalf("bot acting after back: %v", err)
	}
	mustApply(t, backed, users[h], table.Act(a), table.Env{Now: 7})
	// Refusals of back.
	for _, tc := range []struct {
		user string
		tb   table.Table
		want game.Code
	}{
		{users[h], backed, table.CodeNotAway},
		{users[game.Next(h)], out, table.CodeNotAway},
		{"stranger", out, table.CodeNotInGame},
		{users[h], seated(t, game.Rules{}, 0, 1, 2, 3), table.CodeNotAway},
	} {
		if _, evs, err := table.Apply(tc.tb, tc.user, table.Command{Op: table.OpBack}, table.Env{}); table.CodeOf(err) != tc.want || evs != nil {
			t.Fatalf("back by %s: %v, want %s", tc.user, err, tc.want)
		}
	}
}

// A bot that replaced a leaving player carries their id into the match
// record; the next match starts without it, and without anyone's timeouts.
func TestAbandonment(t *testing.T) {
	t.Parallel()
	tb := timedTable(t, table.Options{}, 61, 0)
	tb, _ = mustApply(t, tb, "timer", timeoutCmd(&tb), table.Env{Now: 1}) // someone has a timeout
	tb, _ = mustApply(t, tb, "u2", table.Command{Op: table.OpLeave}, table.Env{Now: 2})
	if p := tb.Seats[2]; !p.Bot || p.AbandonedBy != "u2" || p.ID != table.BotID(2) {
		t.Fatalf("seat 2 after leaving: %+v", p)
	}
	if _, _, err := table.Apply(tb, "u2", table.Command{Op: table.OpBack}, table.Env{}); table.CodeOf(err) != table.CodeNotInGame {
		t.Fatalf("back after leaving: %v", err)
	}
	done := playToEnd(t, tb, rng(61))
	if m := done.MatchRecord(); m.Seats[2].AbandonedBy != "u2" || !m.Seats[2].Bot {
		t.Fatalf("match record seat 2: %+v", m.Seats[2])
	}
	if b := string(mustJSON(t, done.MatchRecord())); !strings.Contains(b, `"abandoned_by":"u2"`) {
		t.Fatalf("match record JSON lacks abandoned_by: %s", b)
	}
	next := done
	for _, u := range []string{"u0", "u1", "u3"} {
		next, _ = mustApply(t, next, u, table.Command{Op: table.OpRematch}, table.Env{Now: 3, Seed: 1})
	}
	if next.Status != table.Playing || next.Match != 2 {
		t.Fatalf("after every person's yes: %+v", next.Meta)
	}
	for s, p := range next.Seats {
		if p.AbandonedBy != "" || p.Timeouts != 0 {
			t.Fatalf("seat %d in the next match: %+v", s, p)
		}
	}
	if done.Seats[2].AbandonedBy != "u2" {
		t.Fatal("rematch changed its input table")
	}
}

// A player who is away when the match ends stays away, and the next match
// waits for their yes like anyone's: once they said it, they are back.
func TestAwayAcrossRematch(t *testing.T) {
	t.Parallel()
	tb := timedTable(t, table.Options{MaxTimeouts: 1}, 71, 0)
	h := tb.Game.Hakem
	tb, _ = mustApply(t, tb, "timer", timeoutCmd(&tb), table.Env{Now: 1})
	if !tb.Seats[h].Away {
		t.Fatal("one timeout with max_timeouts 1 does not make the player away")
	}
	done := playToEnd(t, tb, rng(71))
	for _, u := range users {
		if u != users[h] {
			done, _ = mustApply(t, done, u, table.Command{Op: table.OpRematch}, table.Env{Now: 2, Seed: 2})
		}
	}
	if done.Status != table.Finished || !done.Seats[h].Away {
		t.Fatalf("the others' yes started the match without the away player: %+v", done.Meta)
	}
	if _, _, err := table.Apply(done, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 2, Seed: 2}); h != 0 && table.CodeOf(err) != table.CodePlayersNotReady {
		t.Fatalf("the host's start without the away player's yes: %v", err)
	}
	byThem, _ := mustApply(t, done, users[h], table.Command{Op: table.OpRematch}, table.Env{Now: 2, Seed: 2})
	if byThem.Status != table.Playing || byThem.Seats[h].Away {
		t.Fatalf("the away player's yes: %+v", byThem.Meta)
	}
}

// TestResumeRestartsTheClock: after a rebuild the seat on turn gets a new
// timer and a full turn from now; the old timer is stale; a table with no
// clock running does not change.
func TestResumeRestartsTheClock(t *testing.T) {
	t.Parallel()
	tb := timedTable(t, table.Options{TurnSeconds: 7, TrumpSeconds: 9}, 21, 1000)
	resumed, evs := mustApply(t, tb, "timer", table.Command{Op: table.OpResume}, table.Env{Now: 50_000})
	if resumed.Deadline != 50_000+9000 || resumed.Timer != tb.Timer+1 || resumed.OnTurn() != tb.OnTurn() {
		t.Fatalf("resumed: deadline %d timer %d on turn %d", resumed.Deadline, resumed.Timer, resumed.OnTurn())
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want the table event", len(evs))
	}
	checkMetaEvent(t, evs[0], resumed.Meta)
	if _, _, err := table.Apply(resumed, "timer", timeoutCmd(&tb), table.Env{Now: 60_000}); table.CodeOf(err) != table.CodeStaleTimeout {
		t.Fatalf("the timer from before the rebuild: %v, want stale", err)
	}
	still := seated(t, game.Rules{}, 0, 1, 2, 3)
	out, evs, err := table.Apply(still, "timer", table.Command{Op: table.OpResume}, table.Env{Now: 1})
	if err != nil || evs != nil || out.Deadline != 0 || out.Timer != still.Timer {
		t.Fatalf("no clock: %+v %v %v", out.Meta, evs, err)
	}
	// The rematch offer gets a full offer again.
	done := playToEnd(t, resumed, rng(21))
	again, evs := mustApply(t, done, "timer", table.Command{Op: table.OpResume}, table.Env{Now: 900_000})
	if again.Deadline != 900_000+table.DefaultRematchSeconds*1000 || again.Timer != done.Timer+1 || len(evs) != 1 {
		t.Fatalf("resumed offer: deadline %d timer %d (was %d), %d events", again.Deadline, again.Timer, done.Timer, len(evs))
	}
}
