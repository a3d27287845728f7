package gateway

import (
	"encoding/json"
	"testing"

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
