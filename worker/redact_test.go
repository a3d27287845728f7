package worker

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestNoCardToWhoDidNotHoldIt is a property test of the log's redaction:
// through random sits, leaves, bot fills, seat swaps, ready flags, starts,
// moves, rematches and rematch offers running out, by six users, every log entry read back at any later moment by any user, at
// the seat they hold then (as sync does), and every snapshot, carries
// hidden cards only to the user who held the seat when they were dealt.
func TestNoCardToWhoDidNotHoldIt(t *testing.T) {
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	choose := bot.NewHeuristic().Choose
	for run := range 40 {
		rng := rand.New(rand.NewPCG(uint64(run), 9))
		tb, err := table.New("t", game.Rules{Target: 3}, "u0", 1)
		if err != nil {
			t.Fatal(err)
		}
		var log []redisstore.Entry
		var holder []string // by log index: who held the entry's seat when it was written ("" public)
		var dealtTo [4]string
		var seq int64
		cards := cardsCache{t: t, m: map[string]bool{}}
		for step := range 600 {
			user, c := randomCommand(rng, &tb, users, choose)
			next, evs, err := table.Apply(tb, user, c, table.Env{Now: int64(step) + 2, Seed: rng.Uint64()})
			if err != nil || len(evs) == 0 {
				continue
			}
			for _, e := range Entries(&next, evs, seq) {
				h := ""
				if e.To >= 0 {
					h = "-"
					if p := next.Seats[e.To]; p != nil {
						h = p.ID
					}
					if cards.in(e.E) {
						dealtTo[e.To] = h
					}
				}
				log, holder = append(log, e), append(holder, h)
			}
			tb, seq = next, seq+int64(len(evs))

			for _, u := range users {
				seat := tb.SeatOf(u)
				for i := range log { // a sync reading the whole log back now
					if cards.in(log[i].For(seat, u)) && holder[i] != u {
						t.Fatalf("run %d step %d: %s at seat %d reads seq %d, dealt to %q: %s",
							run, step, u, seat, log[i].Seq, holder[i], log[i].For(seat, u))
					}
				}
				if seat < 0 || tb.Match == 0 {
					continue
				}
				viewer := seat // as the gateway's snapshot chooses its view
				if !tb.DealtTo(seat, u) {
					viewer = -1
				}
				if v := game.ViewFor(&tb.Game, viewer); len(v.Cards) > 0 && dealtTo[seat] != u {
					t.Fatalf("run %d step %d: %s at seat %d sees %v in a snapshot, dealt to %q", run, step, u, seat, v.Cards, dealtTo[seat])
				}
			}
		}
		if tb.Match < 2 {
			t.Fatalf("run %d: only %d matches started: the walk explores too little", run, tb.Match)
		}
	}
}

// randomCommand picks a user and a command for t, playing moves for the
// seat on turn most of the time so that matches end.
func randomCommand(rng *rand.Rand, t *table.Table, users []string, choose func(game.View) game.Action) (string, table.Command) {
	if t.Status == table.Playing && rng.IntN(10) < 8 {
		seat := t.OnTurn()
		if seat >= 0 {
			user := table.BotID(seat)
			if p := t.Seats[seat]; p != nil && !p.Bot && !p.Away {
				user = p.ID
			}
			return user, table.Act(choose(game.ViewFor(&t.Game, seat)))
		}
	}
	user := users[rng.IntN(len(users))]
	host := user // the host's commands come from the host most of the time
	if rng.IntN(4) > 0 && t.Host != "" {
		host = t.Host
	}
	seated := user // ready and rematch mostly from someone seated
	if p := t.Seats[rng.IntN(4)]; p != nil && !p.Bot && rng.IntN(4) > 0 {
		seated = p.ID
	}
	switch rng.IntN(12) {
	case 0, 1:
		return user, table.Command{Op: table.OpSit, Seat: game.Seat(rng.IntN(4)), Name: user}
	case 2:
		return user, table.Command{Op: table.OpLeave}
	case 3:
		return host, table.Command{Op: table.OpAddBots}
	case 4, 5:
		return host, table.Command{Op: table.OpStart}
	case 6:
		return host, table.Command{Op: table.OpSwap, Seat: game.Seat(rng.IntN(4)), To: game.Seat(rng.IntN(4))}
	case 7, 8, 9:
		return seated, table.Command{Op: table.OpReady, Ready: rng.IntN(8) > 0}
	case 10:
		if t.Status == table.Finished && rng.IntN(3) == 0 { // the rematch offer's deadline passes
			return "timer", table.Command{Op: table.OpTimeout, Timer: t.Timer}
		}
		fallthrough
	default:
		return seated, table.Command{Op: table.OpRematch}
	}
}

// cardsCache answers hasCards once per distinct event.
type cardsCache struct {
	t *testing.T
	m map[string]bool
}

func (c *cardsCache) in(raw json.RawMessage) bool {
	has, ok := c.m[string(raw)]
	if !ok {
		has = hasCards(c.t, raw)
		c.m[string(raw)] = has
	}
	return has
}

// hasCards reports whether an event names hidden cards (a hand).
func hasCards(t *testing.T, raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	var ev struct {
		Type  string   `json:"type"`
		Cards []string `json:"cards"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Type == "cards_dealt" && len(ev.Cards) > 0
}
