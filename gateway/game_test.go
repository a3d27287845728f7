package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
)

// TestGameAtTable plays the start of a match through four sockets and
// checks what each one receives, down to every card.
func TestGameAtTable(t *testing.T) {
	for _, v := range []int{protocol.Version1, protocol.Version2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { gameAtTable(t, v) })
	}
}

// gameAtTable is TestGameAtTable with clients of protocol version v (the
// test client unfolds version 2's events frames: the same checks hold).
func gameAtTable(t *testing.T, v int) {
	e := setup(t, Options{})
	url := e.urlV(v)
	ctx := context.Background()
	var cs [4]*client
	var users [4]protocol.HelloData
	for i := range cs {
		cs[i] = dial(t, url, nil).startReading()
		users[i] = cs[i].hello("p")
	}
	f := cs[0].ok(protocol.Request{Type: protocol.TypeCreateTable})
	var td protocol.TableData
	_ = json.Unmarshal(f.Data, &td)
	tid := td.Table
	if !protocol.ValidTableID(tid) {
		t.Fatalf("table id %q", tid)
	}

	// Each sitter gets a snapshot (before the ack), then everyone seated
	// sees the later sits as table events.
	for i, c := range cs {
		c.ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(i)})
		snap := c.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
		if snap.Table != tid || snap.TableInfo == nil || snap.TableInfo.Seats[i] == nil || snap.TableInfo.Seats[i].ID != users[i].User {
			t.Fatalf("seat %d: snapshot %s", i, snap.raw)
		}
		if string(snap.View) != "null" {
			t.Fatalf("view before the first match: %s", snap.View)
		}
	}
	for i := 0; i < 3; i++ { // seat i saw seats i+1.. sit
		for j := i + 1; j < 4; j++ {
			cs[i].event("table")
		}
	}

	// Only the host (the creator, seated) starts, once the others are ready.
	cs[0].fails(protocol.Request{Type: protocol.TypeStart, Table: tid}, table.CodePlayersNotReady)
	for i := 1; i < 4; i++ {
		cs[i].ok(protocol.Request{Type: protocol.TypeReady, Table: tid})
		for _, c := range cs {
			_, ev := c.event("table")
			if p := ev["table"].(map[string]any)["seats"].([]any)[i].(map[string]any); p["ready"] != true {
				t.Fatalf("seat %d after its ready: %v", i, p)
			}
		}
	}
	cs[2].fails(protocol.Request{Type: protocol.TypeStart, Table: tid}, table.CodeNotHost)
	start := cs[0].ok(protocol.Request{Type: protocol.TypeStart, Table: tid})
	var sd protocol.SeqData
	_ = json.Unmarshal(start.Data, &sd)
	for i, c := range cs {
		c.event("table")
		c.event("match_started")
		c.event("hand_started")
		checkDeal(t, c, i, 5)
	}
	if sd.Seq != 14 { // table, match_started, hand_started, 4 × cards_dealt after 4 sits and 3 readies
		t.Fatalf("start acked with seq %d, want 14", sd.Seq)
	}
	l, err := e.store.LoadTable(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	hands := l.Table.Game.Hands // the whole deal of hand 0
	hakem := l.Table.Game.Hakem

	cs[hakem].ok(protocol.Request{Type: protocol.TypeTrump, Table: tid, Suit: "S"})
	for i, c := range cs {
		c.event("trump_chosen")
		checkDeal(t, c, i, 13) // the whole hand now
	}

	// The Hakem leads; everyone sees the card, the player gets the seq.
	card := hands[hakem].Cards()[0].String()
	play := protocol.Request{Type: protocol.TypePlay, ID: "lead", Table: tid, Card: card}
	ack := cs[hakem].ok(play)
	var as protocol.SeqData
	_ = json.Unmarshal(ack.Data, &as)
	for i, c := range cs {
		ef, ev := c.event("card_played")
		// The card carries the next seat's turn timer, in the same frame:
		// the card's seq is the ack's.
		turn, _ := ev["turn"].(map[string]any)
		if ev["card"] != card || int(ev["seat"].(float64)) != hakem || ef.Seq != as.Seq ||
			turn == nil || int(turn["seat"].(float64)) != (hakem+1)%4 || turn["deadline"].(float64) <= 0 {
			t.Fatalf("seat %d: %s (ack seq %d)", i, ef.raw, as.Seq)
		}
	}

	// The same id again: the same answer, applied once.
	again := cs[hakem].ok(play)
	if string(again.Data) != string(ack.Data) {
		t.Fatalf("repeat answered %s, first %s", again.Data, ack.Data)
	}
	if l, _ := e.store.LoadTable(ctx, tid); l.Seq != as.Seq {
		t.Fatalf("the repeated action moved the table to seq %d", l.Seq)
	}
	for _, c := range cs {
		c.quiet(200*time.Millisecond, "second card_played", func(f *frame) bool { return eventType(f) == "card_played" })
	}
	// The same id with another card: action_id_reused.
	other := play
	other.Card = hands[hakem].Cards()[1].String()
	cs[hakem].fails(other, protocol.CodeActionIDReused)
	played := 0
	logged, _ := e.store.ReadLog(ctx, tid, 0, 1000)
	for _, le := range logged {
		var ev map[string]any
		_ = json.Unmarshal(le.E, &ev)
		if ev["type"] == "card_played" {
			played++
		}
	}
	if played != 1 {
		t.Fatalf("%d card_played in the log, want 1", played)
	}

	// Playing out of turn is refused by the engine, code passed through.
	wrong := (hakem + 2) % 4
	cs[wrong].fails(protocol.Request{Type: protocol.TypePlay, Table: tid, Card: hands[wrong].Cards()[0].String()}, game.CodeNotYourTurn)

	// A non-member learns nothing and receives no events.
	out := dial(t, url, nil).startReading()
	out.hello("outsider")
	out.fails(protocol.Request{Type: protocol.TypePlay, Table: tid, Card: card}, table.CodeNotInGame)
	out.fails(protocol.Request{Type: protocol.TypeAddBots, Table: tid}, table.CodeNotInGame)
	out.fails(protocol.Request{Type: protocol.TypeLeave, Table: tid}, table.CodeNotInGame)
	out.fails(protocol.Request{Type: protocol.TypePlay, Table: "nosuchtable", Card: card}, table.CodeNotInGame)
	out.fails(protocol.Request{Type: protocol.TypeSync, Table: tid}, table.CodeNotInGame)
	out.fails(protocol.Request{Type: protocol.TypeSync, Table: "nosuchtable"}, table.CodeNotInGame)
	out.fails(protocol.Request{Type: protocol.TypeSit, Table: "nosuchtable", Seat: ptr(0)}, protocol.CodeTableNotFound)
	out.fails(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(0)}, game.Code("match_running"))

	// The next player plays; the outsider still gets nothing.
	next := (hakem + 1) % 4
	legal := l.Table.Game.Hands[next]
	if follow := legal.OfSuit(hands[hakem].Cards()[0].Suit()); follow != 0 {
		legal = follow
	}
	cs[next].ok(protocol.Request{Type: protocol.TypePlay, Table: tid, Card: legal.Cards()[0].String()})
	for _, c := range cs {
		c.event("card_played")
	}
	out.quiet(200*time.Millisecond, "frame to an outsider", func(f *frame) bool { return true })
	for _, f := range out.all() {
		if f.Type != protocol.TypeAck && f.Type != protocol.TypeError {
			t.Fatalf("outsider received %s", f.raw)
		}
	}

	// Reconnect as seat 1 with the token: the old socket is replaced; sync
	// after N (within the log: its last 8 events) gets exactly the missed
	// events this seat may see.
	now, err := e.store.LoadTable(ctx, tid)
	if err != nil || now.Seq < 6 {
		t.Fatalf("table at seq %d (%v): too early for the test", now.Seq, err)
	}
	after := now.Seq - 5
	re := dial(t, url, nil).startReading()
	re.ok(protocol.Request{Type: protocol.TypeHello, Token: users[1].Token})
	bye := cs[1].waitFor("bye", func(f *frame) bool { return f.Type == protocol.TypeBye })
	if bye.Reason != protocol.ByeReplaced {
		t.Fatalf("bye %s", bye.raw)
	}
	syncAck := re.ok(protocol.Request{Type: protocol.TypeSync, Table: tid, After: ptr(int64(after))})
	var ss protocol.SeqData
	_ = json.Unmarshal(syncAck.Data, &ss)
	logged, _ = e.store.ReadLog(ctx, tid, after, 1000)
	var want []int64 // every seq: others' deals come redacted
	for _, le := range logged {
		want = append(want, le.Seq)
	}
	var got []int64
	for _, f := range re.all() {
		if f.Type == protocol.TypeEvent {
			got = append(got, f.Seq)
		}
		if f.Type == protocol.TypeSnapshot {
			t.Fatalf("sync within the log sent a snapshot")
		}
	}
	if len(got) != len(want) || ss.Seq != logged[len(logged)-1].Seq {
		t.Fatalf("sync after %d: got seqs %v ack %d, want %v", after, got, ss.Seq, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("sync after %d: got seqs %v, want %v", after, got, want)
		}
	}
	// A sync without after: a snapshot with this seat's view.
	re.ok(protocol.Request{Type: protocol.TypeSync, Table: tid})
	snap := re.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	var view game.View
	if err := json.Unmarshal(snap.View, &struct {
		Seat *int `json:"seat"`
	}{&view.Seat}); err != nil || view.Seat != 1 {
		t.Fatalf("snapshot view %s", snap.View)
	}

	// Hidden cards: no frame to any socket holds a card outside its own
	// hand, the ace draw or the cards played so far.
	for i, c := range append(cs[:], re) {
		seat := i
		if i == 4 {
			seat = 1
		}
		checkCards(t, seat, hands[seat], c.all())
	}
	checkCards(t, -1, 0, out.all())
}

// checkDeal reads the four cards_dealt events of a deal: the seat's own
// with its n cards, the others' with their count only.
func checkDeal(t *testing.T, c *client, seat, n int) {
	t.Helper()
	for range 4 {
		f, ev := c.event("cards_dealt")
		cards, hasCards := ev["cards"].([]any)
		own := int(ev["seat"].(float64)) == seat
		if int(ev["count"].(float64)) != n || own != hasCards || own && len(cards) != n {
			t.Fatalf("seat %d: %s", seat, f.raw)
		}
	}
}

// checkCards fails if a frame holds a card the seat may not see.
func checkCards(t *testing.T, seat int, hand game.CardSet, frames []*frame) {
	t.Helper()
	public := game.CardSet(0)
	for _, f := range frames {
		var v any
		if err := json.Unmarshal([]byte(f.raw), &v); err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		_ = json.Unmarshal(f.Event, &ev)
		switch ev["type"] {
		case "card_played":
			c, _ := game.ParseCard(ev["card"].(string))
			public = public.Add(c)
		case "match_started":
			for _, s := range cardsIn(ev["draw"]) {
				public = public.Add(s)
			}
		}
		for _, c := range cardsIn(v) {
			if !hand.Has(c) && !public.Has(c) {
				t.Fatalf("seat %d received %s, not its own: %s", seat, c, f.raw)
			}
		}
	}
}

// cardsIn lists every string in v that is a card.
func cardsIn(v any) []game.Card {
	var out []game.Card
	switch v := v.(type) {
	case string:
		if c, ok := game.ParseCard(v); ok {
			out = append(out, c)
		}
	case []any:
		for _, x := range v {
			out = append(out, cardsIn(x)...)
		}
	case map[string]any:
		for _, x := range v {
			out = append(out, cardsIn(x)...)
		}
	}
	return out
}

// TestVersion2OneFramePerChange: under protocol version 2 the events one
// change brings a socket come in one frame, with the ack of the socket's
// own command that caused them; version-1 sockets at the same table get a
// frame per event and the ack alone; both see the same seqs and the same
// public events. A command that changes nothing, or is answered again, is
// acked in a frame of its own.
func TestVersion2OneFramePerChange(t *testing.T) {
	e := setup(t, Options{})
	ctx := context.Background()
	versions := [4]int{protocol.Version2, protocol.Version1, protocol.Version2, protocol.Version1}
	var cs [4]*client
	for i := range cs {
		cs[i] = dial(t, e.urlV(versions[i]), nil).startReading()
		cs[i].hello("p")
	}
	tid := createTable(t, cs[0], nil).Table
	for i, c := range cs {
		c.ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(i)})
	}
	// allRead waits until every seat has read the events up to ack's seq:
	// a writer that finds the next change's events behind ones still unsent
	// rightly sends them all in one frame, which the counts below exclude.
	allRead := func(ack *frame) {
		t.Helper()
		var d protocol.SeqData
		_ = json.Unmarshal(ack.Data, &d)
		for _, c := range cs {
			c.waitFor(fmt.Sprintf("seq %d", d.Seq), func(f *frame) bool { return f.Type == protocol.TypeEvent && f.Seq >= d.Seq })
		}
	}
	for i := 1; i < 4; i++ {
		allRead(cs[i].ok(protocol.Request{Type: protocol.TypeReady, Table: tid}))
	}
	// A change of seven events: table, match_started, hand_started, four deals.
	start := cs[0].ok(protocol.Request{Type: protocol.TypeStart, Table: tid})
	var sd protocol.SeqData
	_ = json.Unmarshal(start.Data, &sd)
	if got := cs[0].wireOf(start); len(got) != 8 || got[0].Seq != sd.Seq-6 || got[6].Seq != sd.Seq {
		t.Fatalf("the host's start (v2): %d frames in the ack's message, want its 7 events and the ack at seq %d: %s", len(got), sd.Seq, start.raw)
	}
	for i, c := range cs {
		f, _ := c.event("cards_dealt")
		for f.Seq < sd.Seq {
			f, _ = c.event("cards_dealt")
		}
		n := len(c.wireOf(f))
		if want := map[int]int{protocol.Version1: 1, protocol.Version2: 7}[versions[i]]; i > 0 && n != want {
			t.Fatalf("seat %d (v%d): the start's last event came with %d in one message, want %d", i, versions[i], n, want)
		}
	}

	// Trump, then a whole trick: its last card and the trick's end are one
	// change, one frame (with the ack for a v2 player), two for v1.
	l, err := e.store.LoadTable(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	allRead(cs[l.Table.Game.Hakem].ok(protocol.Request{Type: protocol.TypeTrump, Table: tid, Suit: "S"}))
	var last *frame
	var lastSeat int
	var lastCard string
	for i := range 4 {
		l, err := e.store.LoadTable(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		g := &l.Table.Game
		lastSeat = int(g.Turn)
		lastCard = g.LegalCards(g.Turn).Cards()[0].String()
		last = cs[lastSeat].ok(protocol.Request{Type: protocol.TypePlay, Table: tid, Card: lastCard})
		if i < 3 {
			allRead(last)
		}
	}
	folded := len(cs[lastSeat].wireOf(last)) == 3 // card_played, trick_won, ack
	if folded != (versions[lastSeat] == protocol.Version2) {
		t.Fatalf("seat %d (v%d) closed the trick: its ack came as %s with %d frames", lastSeat, versions[lastSeat], last.raw, len(cs[lastSeat].wireOf(last)))
	}
	for i, c := range cs {
		f, _ := c.event("trick_won")
		n := len(c.wireOf(f))
		if versions[i] == protocol.Version1 && n != 1 || versions[i] == protocol.Version2 && n < 2 {
			t.Fatalf("seat %d (v%d): trick_won came with %d frames in one message", i, versions[i], n)
		}
	}

	// Answered again (the same id): the first answer, alone. A command that
	// changes nothing: an ack alone.
	again := cs[lastSeat].ok(protocol.Request{Type: protocol.TypePlay, ID: last.ID, Table: tid, Card: lastCard})
	if string(again.Data) != string(last.Data) || len(cs[lastSeat].wireOf(again)) != 1 {
		t.Fatalf("the repeat: %s, first %s", again.raw, last.Data)
	}
	nothing := cs[0].ok(protocol.Request{Type: protocol.TypeAddBots, Table: tid})
	if len(cs[0].wireOf(nothing)) != 1 {
		t.Fatalf("add_bots at a full table came with %d frames", len(cs[0].wireOf(nothing)))
	}

	// Every seat saw every seq once, in order, and the same public events.
	public := map[int64]string{}
	for i, c := range cs {
		var prev int64
		for _, f := range c.all() {
			if f.Type != protocol.TypeEvent && f.Type != protocol.TypeSnapshot {
				continue
			}
			if f.Type == protocol.TypeEvent && prev != 0 && f.Seq != prev+1 {
				t.Fatalf("seat %d (v%d): seq %d after %d", i, versions[i], f.Seq, prev)
			}
			prev = f.Seq
			if eventType(f) != "cards_dealt" && f.Type == protocol.TypeEvent {
				if was, ok := public[f.Seq]; ok && was != string(f.Event) {
					t.Fatalf("seat %d (v%d): seq %d is %s, another seat's %s", i, versions[i], f.Seq, f.Event, was)
				}
				public[f.Seq] = string(f.Event)
			}
		}
		var ls protocol.SeqData
		_ = json.Unmarshal(last.Data, &ls)
		if prev != ls.Seq {
			t.Fatalf("seat %d (v%d): events up to %d, the table's at %d", i, versions[i], prev, ls.Seq)
		}
	}
}
