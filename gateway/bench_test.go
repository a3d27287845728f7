package gateway

import (
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// BenchmarkFanoutEncode is the gateway's CPU work for one published move
// at a table of four local sockets: decode the message once (hub), then
// filter and encode each event frame per recipient (writers).
func BenchmarkFanoutEncode(b *testing.B) {
	card, _ := game.ParseCard("TD")
	played, _ := json.Marshal(game.Event{Type: game.EvCardPlayed, To: game.Everyone, Seat: 2, Card: card})
	payload, _ := json.Marshal(redisstore.Message{
		Events: []redisstore.Entry{{Seq: 123, To: game.Everyone, E: played}},
		Result: &redisstore.Result{User: "g_0123456789abcdef", ID: "m-000123", Hash: "x", Seq: 123},
	})
	var bufs [4][]byte
	b.ReportAllocs()
	for b.Loop() {
		hm, err := decodeMessage("k3x9q2ab", payload)
		if err != nil {
			b.Fatal(err)
		}
		for seat := range bufs {
			for _, e := range hm.entries {
				if raw := e.For(seat, ""); len(raw) > 0 {
					bufs[seat] = protocol.AppendEvent(bufs[seat][:0], hm.table, e.Seq, raw)
				}
			}
		}
		bufs[2] = protocol.AppendAckSeq(bufs[2][:0], hm.result.ID, hm.result.Seq)
	}
}

// BenchmarkBatchConnBurst is a socket writer's burst of one frame on a
// loopback TCP connection (as a card's event reaches each seat): the
// write deadline gorilla sets, the frame gathered, the one write.
func BenchmarkBatchConnBurst(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_, _ = io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	bc := &batchConn{Conn: c}
	frame := make([]byte, 150)
	b.ReportAllocs()
	for b.Loop() {
		bc.hold()
		if err := bc.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
			b.Fatal(err)
		}
		_, _ = bc.Write(frame)
		if err := bc.release(); err != nil {
			b.Fatal(err)
		}
	}
}
