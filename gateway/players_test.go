package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
)

func isLobby(id string, match func(*protocol.LobbyTable) bool) func(f *frame) bool {
	return func(f *frame) bool {
		return f.Type == protocol.TypeLobby && f.Lobby != nil && f.Lobby.ID == id && match(f.Lobby)
	}
}

// TestLobbyListsPublicTables: the lobby ack lists the public tables, and
// changes are pushed as the table is created, filled, played and finished.
func TestLobbyListsPublicTables(t *testing.T) {
	e := setupReal(t, 1, Options{})
	watcher, _ := e.guest(0, "w")
	host, _ := e.guest(0, "host")

	private := createTable(t, host, nil)
	if !protocol.ValidJoinCode(private.Code) {
		t.Fatalf("private table without a valid code: %+v", private)
	}
	pub := createTable(t, host, &protocol.TableOptions{Public: true, TurnSeconds: 20})
	if pub.Code != "" {
		t.Fatalf("public table got a code: %+v", pub)
	}

	// A waiting table nobody sits at is not listed (finding 4: one socket
	// filled the lobby with empty tables); it is once its host sits.
	f := watcher.ok(protocol.Request{Type: protocol.TypeLobby})
	var ld protocol.LobbyData
	if err := json.Unmarshal(f.Data, &ld); err != nil {
		t.Fatal(err)
	}
	if len(ld.Tables) != 0 {
		t.Fatalf("lobby listing %s, want no table before anybody sits", f.Data)
	}

	host.ok(protocol.Request{Type: protocol.TypeSit, Table: pub.Table, Seat: ptr(0)})
	watcher.waitFor("lobby entry with the host seated", isLobby(pub.Table, func(l *protocol.LobbyTable) bool {
		return l.Seats[0] != nil && l.Seats[0].Name == "host" && !l.Seats[0].Bot && l.Options.TurnSeconds == 20 &&
			l.Status == table.Waiting
	}))
	f = watcher.ok(protocol.Request{Type: protocol.TypeLobby})
	if err := json.Unmarshal(f.Data, &ld); err != nil {
		t.Fatal(err)
	}
	if len(ld.Tables) != 1 || ld.Tables[0].ID != pub.Table {
		t.Fatalf("lobby listing %s, want only %s", f.Data, pub.Table)
	}
	host.ok(protocol.Request{Type: protocol.TypeAddBots, Table: pub.Table})
	watcher.waitFor("lobby entry full", isLobby(pub.Table, func(l *protocol.LobbyTable) bool {
		return l.Seats[3] != nil && l.Seats[3].Bot
	}))
	host.ok(protocol.Request{Type: protocol.TypeStart, Table: pub.Table})
	watcher.waitFor("lobby entry playing", isLobby(pub.Table, func(l *protocol.LobbyTable) bool {
		return l.Status == table.Playing && l.Match == 1
	}))
	// The host leaves; a bot plays their seat and the match runs to its end.
	host.ok(protocol.Request{Type: protocol.TypeLeave, Table: pub.Table})
	watcher.waitLong("lobby removal", 60*time.Second, func(f *frame) bool {
		return f.Type == protocol.TypeLobby && f.Removed == pub.Table
	})
	vals, err := e.store.Lobby(context.Background())
	if err != nil || len(vals) != 0 {
		t.Fatalf("lobby after the match: %v %v", vals, err)
	}

	// A table created now is pushed once its host sits, and removed when
	// the host leaves it empty.
	late := createTable(t, host, &protocol.TableOptions{Public: true})
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: late.Table, Seat: ptr(1)})
	watcher.waitFor("lobby entry of a new table", isLobby(late.Table, func(l *protocol.LobbyTable) bool {
		return l.Status == table.Waiting && l.Options.Public
	}))
	host.ok(protocol.Request{Type: protocol.TypeLeave, Table: late.Table})
	watcher.waitFor("lobby removal of the table its host left", func(f *frame) bool {
		return f.Type == protocol.TypeLobby && f.Removed == late.Table
	})

	// lobby_leave: no more pushes.
	watcher.drain()
	watcher.ok(protocol.Request{Type: protocol.TypeLobbyLeave})
	again := createTable(t, host, &protocol.TableOptions{Public: true})
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: again.Table, Seat: ptr(0)})
	watcher.quiet(300*time.Millisecond, "lobby frame after lobby_leave", func(f *frame) bool { return f.Type == protocol.TypeLobby })
}

// TestPrivateTableByCode: a private table is joined by its code (any case),
// with or without a seat; unknown codes and bad options are refused.
func TestPrivateTableByCode(t *testing.T) {
	e := setupReal(t, 1, Options{})
	host, _ := e.guest(0, "host")
	friend, fd := e.guest(0, "friend")

	host.fails(protocol.Request{Type: protocol.TypeCreateTable, Options: &protocol.TableOptions{TurnSeconds: 2}}, protocol.CodeBadOptions)
	host.fails(protocol.Request{Type: protocol.TypeCreateTable, Options: &protocol.TableOptions{MaxTimeouts: 11}}, protocol.CodeBadOptions)
	host.send(`{"type":"create_table","id":"x1","options":{"code":"ABCDEF"}}`)
	if f := host.answer("x1"); f.Code != protocol.CodeBadMessage {
		t.Fatalf("options with a code: %s", f.raw)
	}

	td := createTable(t, host, &protocol.TableOptions{Public: false, TrumpSeconds: 10})
	if !protocol.ValidJoinCode(td.Code) {
		t.Fatalf("code %q", td.Code)
	}
	f := friend.ok(protocol.Request{Type: protocol.TypeJoinCode, Code: strings.ToLower(td.Code)})
	var jd protocol.TableData
	_ = json.Unmarshal(f.Data, &jd)
	if jd.Table != td.Table || jd.Seq != nil {
		t.Fatalf("join_code without seat: %s", f.Data)
	}
	f = friend.ok(protocol.Request{Type: protocol.TypeJoinCode, Code: td.Code, Seat: ptr(2)})
	_ = json.Unmarshal(f.Data, &jd)
	if jd.Table != td.Table || jd.Seq == nil || *jd.Seq != 1 {
		t.Fatalf("join_code with seat: %s", f.Data)
	}
	snap := friend.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	if snap.TableInfo.Seats[2] == nil || snap.TableInfo.Seats[2].ID != fd.User || snap.TableInfo.Options.Code != td.Code ||
		snap.TableInfo.Options.TrumpSeconds != 10 {
		t.Fatalf("snapshot after join_code: %s", snap.raw)
	}

	friend.fails(protocol.Request{Type: protocol.TypeJoinCode, Code: "ZZZZZZ"}, protocol.CodeCodeNotFound)
	friend.send(`{"type":"join_code","id":"x2","code":"ABC10O"}`)
	if f := friend.answer("x2"); f.Code != protocol.CodeBadMessage {
		t.Fatalf("malformed code: %s", f.raw)
	}
	if vals, _ := e.store.Lobby(context.Background()); len(vals) != 0 {
		t.Fatalf("a private table is listed: %v", vals)
	}

	// back goes to the worker as a table command: refused by the table
	// (nobody is away), not by the gateway.
	f = friend.call(protocol.Request{Type: protocol.TypeBack, Table: td.Table})
	if f.Type != protocol.TypeError || f.Code == protocol.CodeBadMessage || f.Code == protocol.CodeUnknownType ||
		f.Code == protocol.CodeUnavailable {
		t.Fatalf("back: %s", f.raw)
	}
	host.fails(protocol.Request{Type: protocol.TypeBack, Table: td.Table}, table.CodeNotInGame)
}

// TestQuickMatchFour: four queued players are seated at one table, each
// told "matched" and sent the table with themselves seated.
func TestQuickMatchFour(t *testing.T) {
	e := setupReal(t, 2, Options{})
	e.matchmaker(time.Hour)
	var cs [4]*client
	var users [4]protocol.HelloData
	for i := range cs {
		cs[i], users[i] = e.guest(i%2, "p")
	}
	// One cancels and comes back: still one seat each.
	cs[0].ok(protocol.Request{Type: protocol.TypeQuickMatch})
	cs[0].ok(protocol.Request{Type: protocol.TypeQuickMatchCancel})
	for _, c := range cs {
		c.ok(protocol.Request{Type: protocol.TypeQuickMatch})
	}
	var tableID string
	for i, c := range cs {
		n := c.waitFor("matched", func(f *frame) bool { return f.Type == protocol.TypeNotice && f.Notice == "matched" })
		if tableID == "" {
			tableID = n.Table
		}
		if n.Table != tableID || tableID == "" {
			t.Fatalf("player %d matched to %q, others to %q", i, n.Table, tableID)
		}
		c.waitFor("snapshot seated", func(f *frame) bool {
			return f.Type == protocol.TypeSnapshot && f.Table == tableID && f.TableInfo.SeatOf(users[i].User) >= 0
		})
	}
	waitTable(t, e, tableID, func(m *table.Meta) bool { return m.Status == table.Playing })
	l, _ := e.store.LoadTable(context.Background(), tableID)
	for i, u := range users {
		if s := l.Table.SeatOf(u.User); s < 0 || l.Table.Seats[s].Bot {
			t.Fatalf("player %d not seated: %+v", i, l.Table.Seats)
		}
	}
}

// TestQuickMatchFillsWithBots: one player waits, then plays with 3 bots.
func TestQuickMatchFillsWithBots(t *testing.T) {
	e := setupReal(t, 1, Options{})
	e.matchmaker(300 * time.Millisecond)
	c, u := e.guest(0, "solo")
	c.ok(protocol.Request{Type: protocol.TypeQuickMatch})
	n := c.waitFor("matched", func(f *frame) bool { return f.Type == protocol.TypeNotice && f.Notice == "matched" })
	c.waitFor("snapshot seated", func(f *frame) bool {
		return f.Type == protocol.TypeSnapshot && f.TableInfo.SeatOf(u.User) == 0
	})
	m := waitTable(t, e, n.Table, func(m *table.Meta) bool { return m.Status == table.Playing })
	for s := 1; s < 4; s++ {
		if !m.Seats[s].Bot {
			t.Fatalf("seat %d is not a bot: %+v", s, m.Seats[s])
		}
	}
	if !m.Options.Public || m.Options.Code != "" {
		t.Fatalf("quick-match table options %+v", m.Options)
	}
}

func waitTable(t *testing.T, e *realEnv, id string, cond func(*table.Meta) bool) *table.Meta {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := e.store.LoadTable(context.Background(), id)
		if err == nil && cond(&l.Table.Meta) {
			return &l.Table.Meta
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %s: condition not met: %+v %v", id, l.Table.Meta, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSpectatorSeesNoHiddenCard: a spectator watches a whole match of
// bots; every card it is sent was played or turned up in the ace draw.
func TestSpectatorSeesNoHiddenCard(t *testing.T) {
	e := setupReal(t, 1, Options{})
	host, _ := e.guest(0, "host")
	spec, _ := e.guest(0, "spec")
	td := createTable(t, host, &protocol.TableOptions{Public: true})
	spec.fails(protocol.Request{Type: protocol.TypeWatch, Table: "nosuchtable"}, protocol.CodeTableNotFound)
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})
	host.fails(protocol.Request{Type: protocol.TypeWatch, Table: td.Table}, table.CodeAlreadySeated)
	host.ok(protocol.Request{Type: protocol.TypeAddBots, Table: td.Table})
	spec.ok(protocol.Request{Type: protocol.TypeWatch, Table: td.Table})
	snap := spec.waitFor("spectator snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	if snap.TableInfo.Options.Code != "" {
		t.Fatalf("snapshot %s", snap.raw)
	}
	host.ok(protocol.Request{Type: protocol.TypeStart, Table: td.Table})
	host.ok(protocol.Request{Type: protocol.TypeLeave, Table: td.Table}) // a bot plays the seat
	// Mid-match a second spectator snapshot (a sync) has no hand either.
	spec.waitFor("a card played", func(f *frame) bool { return eventType(f) == "card_played" })
	spec.ok(protocol.Request{Type: protocol.TypeSync, Table: td.Table})
	spec.waitLong("match_ended", 60*time.Second, func(f *frame) bool { return eventType(f) == "match_ended" })

	seen, played := map[string]bool{}, map[string]bool{}
	var last int64
	for _, f := range spec.all() {
		var v any
		if err := json.Unmarshal([]byte(f.raw), &v); err != nil {
			t.Fatal(err)
		}
		collectCards(v, seen)
		switch f.Type {
		case protocol.TypeEvent:
			if f.Seq != last+1 && last != 0 {
				t.Fatalf("spectator got seq %d after %d", f.Seq, last)
			}
			last = f.Seq
			var ev struct {
				Type  string   `json:"type"`
				Card  string   `json:"card"`
				Draw  []string `json:"draw"`
				Cards []string `json:"cards"`
			}
			_ = json.Unmarshal(f.Event, &ev)
			switch ev.Type {
			case "card_played":
				played[ev.Card] = true
			case "match_started":
				for _, c := range ev.Draw {
					played[c] = true
				}
			case "cards_dealt":
				if ev.Cards != nil {
					t.Fatalf("spectator got a hand: %s", f.raw)
				}
			}
		case protocol.TypeSnapshot:
			last = f.Seq
			var view struct {
				Cards []string `json:"cards"`
				Legal []string `json:"legal"`
				Seat  int      `json:"seat"`
			}
			if string(f.View) != "null" {
				_ = json.Unmarshal(f.View, &view)
				if len(view.Cards) != 0 || len(view.Legal) != 0 || view.Seat != game.Spectator {
					t.Fatalf("spectator snapshot with cards: %s", f.raw)
				}
			}
		}
	}
	if len(played) < 13 {
		t.Fatalf("only %d cards played", len(played))
	}
	for c := range seen {
		if !played[c] {
			t.Fatalf("spectator was sent %s, which was never played nor drawn", c)
		}
	}
	spec.ok(protocol.Request{Type: protocol.TypeUnwatch, Table: td.Table})
}

// collectCards adds every string of v that is a card.
func collectCards(v any, out map[string]bool) {
	switch v := v.(type) {
	case string:
		if _, ok := game.ParseCard(v); ok && len(v) == 2 {
			out[v] = true
		}
	case []any:
		for _, x := range v {
			collectCards(x, out)
		}
	case map[string]any:
		for _, x := range v {
			collectCards(x, out)
		}
	}
}

// TestChat: delivery to players and spectators, cleaning, length and
// rate limits, and the history after a reconnect.
func TestChat(t *testing.T) {
	e := setupReal(t, 1, Options{})
	p, pd := e.guest(0, "Sara")
	spec, sd := e.guest(0, "Reza")
	stranger, _ := e.guest(0, "x")
	td := createTable(t, p, &protocol.TableOptions{Public: true})
	p.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(1)})
	spec.ok(protocol.Request{Type: protocol.TypeWatch, Table: td.Table})

	p.ok(protocol.Request{Type: protocol.TypeChat, Table: td.Table, Text: "  salam\u202e\n!  "})
	for _, c := range []*client{p, spec} {
		f := c.waitFor("chat", func(f *frame) bool { return f.Type == protocol.TypeChat })
		if f.Text != "salam!" || f.Table != td.Table || f.From == nil || f.From.User != pd.User || f.From.Name != "Sara" ||
			f.From.Seat != 1 || f.At == 0 {
			t.Fatalf("chat frame %s", f.raw)
		}
	}
	spec.ok(protocol.Request{Type: protocol.TypeChat, Table: td.Table, Text: strings.Repeat("ب", protocol.MaxChatLen)})
	f := p.waitFor("spectator chat", func(f *frame) bool { return f.Type == protocol.TypeChat })
	if f.From.User != sd.User || f.From.Seat != -1 {
		t.Fatalf("spectator chat %s", f.raw)
	}
	spec.fails(protocol.Request{Type: protocol.TypeChat, Table: td.Table, Text: strings.Repeat("a", protocol.MaxChatLen+1)}, protocol.CodeTooLong)
	spec.fails(protocol.Request{Type: protocol.TypeChat, Table: td.Table, Text: " \t "}, protocol.CodeBadMessage)
	stranger.fails(protocol.Request{Type: protocol.TypeChat, Table: td.Table, Text: "hi"}, table.CodeNotInGame)
	stranger.quiet(200*time.Millisecond, "chat at a table not followed", func(f *frame) bool { return f.Type == protocol.TypeChat })

	// Burst 5, then 1/s: p has sent 1, so 4 more pass and the next is refused.
	for i := range 4 {
		p.ok(protocol.Request{Type: protocol.TypeChat, Table: td.Table, Text: "m" + string(rune('0'+i))})
	}
	p.fails(protocol.Request{Type: protocol.TypeChat, Table: td.Table, Text: "flood"}, protocol.CodeRateLimited)

	// A new socket of the player: snapshot, then the recent chat.
	p2 := dial(t, e.urls[0], nil).startReading()
	p2.ok(protocol.Request{Type: protocol.TypeHello, Token: pd.Token})
	p2.ok(protocol.Request{Type: protocol.TypeSync, Table: td.Table})
	snapAt, histAt := -1, -1
	for i, f := range p2.all() {
		switch f.Type {
		case protocol.TypeSnapshot:
			snapAt = i
		case protocol.TypeChatHistory:
			histAt = i
			if len(f.Messages) != 6 || f.Table != td.Table {
				t.Fatalf("chat history %s", f.raw)
			}
			var first protocol.Chat
			_ = json.Unmarshal(f.Messages[0], &first)
			if first.Text != "salam!" || first.Type != protocol.TypeChat {
				t.Fatalf("oldest message %s", f.Messages[0])
			}
		}
	}
	if snapAt < 0 || histAt != snapAt+1 {
		t.Fatalf("want snapshot then chat_history:\n%s", p2.dump())
	}
	n, _ := e.rdb.TTL(context.Background(), e.store.Keys().Chat(td.Table)).Result()
	if n <= 0 || n > time.Hour {
		t.Fatalf("chat TTL %v", n)
	}
}

// TestKickClosesSockets: a message on the kick channel closes every socket
// of that user within a second, with bye and 1008.
func TestKickClosesSockets(t *testing.T) {
	e := setupReal(t, 2, Options{})
	a, ad := e.guest(0, "a")
	a2 := dial(t, e.urls[1], nil).startReading() // the same user on the other gateway
	a2.ok(protocol.Request{Type: protocol.TypeHello, Token: ad.Token})
	b, _ := e.guest(1, "b")
	start := time.Now()
	if err := e.store.KickUser(context.Background(), ad.User, protocol.ByeLoggedOut); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, a2} {
		bye := c.waitFor("bye", func(f *frame) bool { return f.Type == protocol.TypeBye })
		if bye.Reason != protocol.ByeLoggedOut {
			t.Fatalf("bye %s", bye.raw)
		}
		if code := c.closeCode(); code != websocket.ClosePolicyViolation {
			t.Fatalf("close code %d, want 1008", code)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("closed after %v", d)
	}
	b.ok(protocol.Request{Type: protocol.TypePing}) // another user is untouched
}

// TestReplacedAcrossGateways: a second socket of the same user on another
// gateway replaces the first, which is told why.
func TestReplacedAcrossGateways(t *testing.T) {
	e := setupReal(t, 2, Options{})
	first, u := e.guest(0, "p")
	td := createTable(t, first, nil)
	first.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})

	second := dial(t, e.urls[1], nil).startReading()
	second.ok(protocol.Request{Type: protocol.TypeHello, Token: u.Token})
	first.ok(protocol.Request{Type: protocol.TypePing}) // a hello alone replaces nothing
	second.ok(protocol.Request{Type: protocol.TypeSync, ID: "s1", Table: td.Table})
	bye := first.waitFor("bye", func(f *frame) bool { return f.Type == protocol.TypeBye })
	if bye.Reason != protocol.ByeReplaced {
		t.Fatalf("bye %s", bye.raw)
	}
	if code := first.closeCode(); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d", code)
	}
	second.ok(protocol.Request{Type: protocol.TypeAddBots, ID: "s2", Table: td.Table})
	second.quiet(300*time.Millisecond, "bye to the new socket", func(f *frame) bool { return f.Type == protocol.TypeBye })
}

// TestQueueRejoinedAfterRedisLostIt: a player waiting for a quick match is
// put back in the queue when the gateway's hub reconnects (Redis may have
// lost the queue); a player who cancelled is not.
func TestQueueRejoinedAfterRedisLostIt(t *testing.T) {
	e := setupReal(t, 1, Options{})
	waiting, u1 := e.guest(0, "waiting")
	cancelled, _ := e.guest(0, "cancelled")
	waiting.ok(protocol.Request{Type: protocol.TypeQuickMatch})
	cancelled.ok(protocol.Request{Type: protocol.TypeQuickMatch})
	cancelled.ok(protocol.Request{Type: protocol.TypeQuickMatchCancel})
	ctx := context.Background()
	k := e.store.Keys()
	if err := e.rdb.Del(ctx, k.Matchmaking(), k.MatchmakingNames()).Err(); err != nil { // lost with Redis
		t.Fatal(err)
	}
	// The hub's global channels confirmed again: a reconnection.
	e.srvs[0].hub.confirmed(k.Kick())
	deadline := time.Now().Add(5 * time.Second)
	for {
		users, err := e.rdb.ZRange(ctx, k.Matchmaking(), 0, -1).Result()
		if err == nil && len(users) == 1 && users[0] == u1.User {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue after the reconnection: %v %v, want only %s", users, err, u1.User)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLaterOccupantSeesNoPastHand: a player who sits down in a seat after
// a match never receives the hands dealt to whoever held it before — not
// by reading the log back from the match's start (sync after=K, where no
// later seat change stops the replay before the deal) nor in a snapshot.
func TestLaterOccupantSeesNoPastHand(t *testing.T) {
	e := setupReal(t, 1, Options{})
	host, _ := e.guest(0, "host")
	victim, _ := e.guest(0, "victim")
	late, _ := e.guest(0, "late")
	td := createTable(t, host, &protocol.TableOptions{Public: true})
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})
	victim.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(1)})
	victim.ok(protocol.Request{Type: protocol.TypeReady, Table: td.Table})
	host.ok(protocol.Request{Type: protocol.TypeAddBots, Table: td.Table})
	late.ok(protocol.Request{Type: protocol.TypeWatch, Table: td.Table})
	host.ok(protocol.Request{Type: protocol.TypeStart, Table: td.Table})
	start := late.waitFor("match_started", func(f *frame) bool { return eventType(f) == "match_started" })
	victim.waitFor("the victim's hand", func(f *frame) bool {
		return eventType(f) == "cards_dealt" && strings.Contains(string(f.Event), `"cards"`)
	})
	host.ok(protocol.Request{Type: protocol.TypeLeave, Table: td.Table})
	victim.ok(protocol.Request{Type: protocol.TypeLeave, Table: td.Table})
	late.waitLong("match_ended", 60*time.Second, func(f *frame) bool { return eventType(f) == "match_ended" })

	late.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(1)})
	late.ok(protocol.Request{Type: protocol.TypeSync, Table: td.Table, After: ptr(start.Seq)})
	late.ok(protocol.Request{Type: protocol.TypeSync, Table: td.Table})
	late.waitFor("a snapshot as seat 1", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	deals := 0
	for _, f := range late.all() {
		switch {
		case eventType(f) == "cards_dealt":
			deals++
			if strings.Contains(string(f.Event), `"cards"`) {
				t.Fatalf("a later occupant of seat 1 got a past hand: %s", f.raw)
			}
		case f.Type == protocol.TypeSnapshot && string(f.View) != "null" && len(f.View) > 0:
			var view struct {
				Cards []string `json:"cards"`
			}
			_ = json.Unmarshal(f.View, &view)
			if len(view.Cards) != 0 {
				t.Fatalf("a later occupant's snapshot holds cards: %s", f.raw)
			}
		}
	}
	if deals < 8 { // the deals seen watching, then again read back
		t.Fatalf("only %d cards_dealt events: the log was not read back\n%s", deals, lastLines(late.dump(), 30))
	}
}
