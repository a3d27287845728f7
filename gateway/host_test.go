package gateway

import (
	"encoding/json"
	"testing"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
)

// The players' rules over the socket: the host's commands, ready and swap
// frames, untimed tables, and the lobby when the host leaves.

// tableOf decodes the table object of a "table" event frame (zero for any
// other frame).
func tableOf(t *testing.T, f *frame) table.Meta {
	t.Helper()
	if eventType(f) != "table" {
		return table.Meta{}
	}
	var ev struct {
		Table table.Meta `json:"table"`
	}
	if err := json.Unmarshal(f.Event, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Table
}

// TestHostReadyAndSwapFrames: a private table's host and a friend: who may
// fill, swap and start; ready with and without its flag; the frames'
// shapes.
func TestHostReadyAndSwapFrames(t *testing.T) {
	e := setupReal(t, 1, Options{})
	host, hd := e.guest(0, "host")
	friend, fd := e.guest(0, "friend")
	td := createTable(t, host, &protocol.TableOptions{Untimed: true})
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})
	friend.ok(protocol.Request{Type: protocol.TypeJoinCode, Code: td.Code, Seat: ptr(1)})
	snap := friend.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	if m := snap.TableInfo; m.Host != hd.User || m.Seats[1].ID != fd.User || m.Seats[1].Ready || m.Seats[1].Since == 0 || !m.Options.Untimed {
		t.Fatalf("the friend's snapshot: %s", snap.raw)
	}

	// The host's commands are the host's.
	friend.fails(protocol.Request{Type: protocol.TypeAddBots, Table: td.Table}, table.CodeNotHost)
	friend.fails(protocol.Request{Type: protocol.TypeSwap, Table: td.Table, Seat: ptr(0), To: ptr(1)}, table.CodeNotHost)
	friend.fails(protocol.Request{Type: protocol.TypeStart, Table: td.Table}, table.CodeNotHost)
	host.ok(protocol.Request{Type: protocol.TypeAddBots, Table: td.Table})
	f := host.waitFor("bots", func(f *frame) bool { m := tableOf(t, f); return eventType(f) == "table" && m.Full() })
	if m := tableOf(t, f); m.Seats[2].Name != "Tahmineh" || m.Seats[3].Name != "Gordafarid" || !m.Seats[3].Bot {
		t.Fatalf("bots: %s", f.raw)
	}
	host.fails(protocol.Request{Type: protocol.TypeStart, Table: td.Table}, table.CodePlayersNotReady)

	// Ready (the flag defaults to true), not ready, ready again; the same
	// value twice is no change.
	ack := friend.ok(protocol.Request{Type: protocol.TypeReady, ID: "r1", Table: td.Table})
	var sd protocol.SeqData
	_ = json.Unmarshal(ack.Data, &sd)
	f = host.waitFor("ready", func(f *frame) bool { return eventType(f) == "table" && f.Seq == sd.Seq })
	if m := tableOf(t, f); !m.Seats[1].Ready {
		t.Fatalf("after ready: %s", f.raw)
	}
	again := friend.ok(protocol.Request{Type: protocol.TypeReady, ID: "r2", Table: td.Table, Ready: ptr(true)})
	if string(again.Data) != string(ack.Data) {
		t.Fatalf("ready twice: %s, then %s", ack.Data, again.Data)
	}
	friend.fails(protocol.Request{Type: protocol.TypeReady, ID: "r1", Table: td.Table, Ready: ptr(false)}, protocol.CodeActionIDReused)
	friend.ok(protocol.Request{Type: protocol.TypeReady, Table: td.Table, Ready: ptr(false)})
	host.fails(protocol.Request{Type: protocol.TypeStart, Table: td.Table}, table.CodePlayersNotReady)
	friend.ok(protocol.Request{Type: protocol.TypeReady, Table: td.Table})

	// The host moves the friend next to them: a bot takes the friend's old
	// seat, and the friend is to say ready again.
	friend.send(`{"type":"swap","id":"w0","table":"` + td.Table + `","seat":1}`)
	if f := friend.answer("w0"); f.Code != protocol.CodeBadMessage {
		t.Fatalf("swap without to: %s", f.raw)
	}
	host.fails(protocol.Request{Type: protocol.TypeSwap, Table: td.Table, Seat: ptr(1), To: ptr(7)}, table.CodeInvalidSeat)
	ack = host.ok(protocol.Request{Type: protocol.TypeSwap, Table: td.Table, Seat: ptr(1), To: ptr(2)})
	_ = json.Unmarshal(ack.Data, &sd)
	f = friend.waitFor("swap", func(f *frame) bool { return eventType(f) == "table" && f.Seq == sd.Seq })
	if m := tableOf(t, f); m.Seats[2].ID != fd.User || m.Seats[2].Ready || m.Seats[1].ID != "bot:1" || m.Seats[1].Name != "Sohrab" {
		t.Fatalf("after the swap: %s", f.raw)
	}
	host.fails(protocol.Request{Type: protocol.TypeStart, Table: td.Table}, table.CodePlayersNotReady)
	friend.ok(protocol.Request{Type: protocol.TypeReady, Table: td.Table})
	host.ok(protocol.Request{Type: protocol.TypeStart, Table: td.Table})
	f = friend.waitFor("the match", func(f *frame) bool { return eventType(f) == "table" && tableOf(t, f).Status == table.Playing })
	if m := tableOf(t, f); m.Deadline != 0 || m.Seats[2].Ready {
		t.Fatalf("the untimed match's start: %s", f.raw)
	}
	friend.fails(protocol.Request{Type: protocol.TypeReady, Table: td.Table}, table.CodeMatchRunning)
	host.fails(protocol.Request{Type: protocol.TypeSwap, Table: td.Table, Seat: ptr(0), To: ptr(1)}, table.CodeMatchRunning)
	host.fails(protocol.Request{Type: protocol.TypeRematch, Table: td.Table}, table.CodeNotFinished)
}

// TestUntimedOptions: untimed is for private tables, without turn times.
func TestUntimedOptions(t *testing.T) {
	e := setupReal(t, 1, Options{})
	host, _ := e.guest(0, "host")
	for _, o := range []protocol.TableOptions{
		{Untimed: true, Public: true},
		{Untimed: true, TurnSeconds: 30},
		{Untimed: true, MaxTimeouts: 3},
		{RematchSeconds: 5},
	} {
		host.fails(protocol.Request{Type: protocol.TypeCreateTable, Options: &o}, protocol.CodeBadOptions)
	}
	host.send(`{"type":"create_table","id":"u1","options":{"untimed":1}}`)
	if f := host.answer("u1"); f.Code != protocol.CodeBadMessage {
		t.Fatalf("untimed 1: %s", f.raw)
	}
	td := createTable(t, host, &protocol.TableOptions{Untimed: true, RematchSeconds: 120})
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})
	snap := host.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	if o := snap.TableInfo.Options; !o.Untimed || o.RematchSeconds != 120 || o.Code != td.Code {
		t.Fatalf("options %+v", o)
	}
}

// TestLobbyWhenTheHostLeaves: a public table whose host leaves stays
// listed while a person is left (who hosts it now), and is removed the
// moment its last person leaves.
func TestLobbyWhenTheHostLeaves(t *testing.T) {
	e := setupReal(t, 1, Options{})
	host, _ := e.guest(0, "host")
	guest, gd := e.guest(0, "guest")
	watcher, _ := e.guest(0, "watcher")
	td := createTable(t, host, &protocol.TableOptions{Public: true})
	watcher.ok(protocol.Request{Type: protocol.TypeLobby})
	host.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})
	guest.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(2)})
	host.ok(protocol.Request{Type: protocol.TypeAddBots, Table: td.Table})
	watcher.waitFor("the full table listed", isLobby(td.Table, func(l *protocol.LobbyTable) bool {
		return l.Seats[1] != nil && l.Seats[1].Bot && l.Seats[1].Name == "Sohrab"
	}))
	host.ok(protocol.Request{Type: protocol.TypeLeave, Table: td.Table})
	watcher.waitFor("the table without its host", isLobby(td.Table, func(l *protocol.LobbyTable) bool { return l.Seats[0] == nil }))
	f := guest.waitFor("the table event of the leave", func(f *frame) bool {
		return eventType(f) == "table" && tableOf(t, f).Seats[0] == nil
	})
	if m := tableOf(t, f); m.Host != gd.User {
		t.Fatalf("host after the host left: %s", f.raw)
	}
	guest.ok(protocol.Request{Type: protocol.TypeLeave, Table: td.Table})
	watcher.waitFor("removal once no person is left", func(f *frame) bool {
		return f.Type == protocol.TypeLobby && f.Removed == td.Table
	})
}
