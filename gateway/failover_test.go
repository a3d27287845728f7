package gateway

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestHubFollowsPlannedFailover: under Sentinel, a planned switch of the
// primary (SENTINEL FAILOVER, the old primary still alive) moves go-redis'
// command connections but not the hub's Pub/Sub connection; the gateway sees
// the new run id and subscribes again on the new primary, so a table's
// socket hears what is published there within seconds (not the 10–20 s until
// the old primary is demoted).
func TestHubFollowsPlannedFailover(t *testing.T) {
	set := procs.StartSentinelSet(t, procs.SentinelOptions{})
	st := redisstore.New(set.ServerClient(), redisstore.Options{Partitions: 1})
	e := &env{t: t, store: st}
	e.worker = startWorker(t, st)
	srv := NewServer(st, testLogger(), Options{})
	hs := newHTTPServer(t, srv)
	url := "ws" + hs.URL[len("http"):] + "/ws?v=1"

	c := dial(t, url, nil).startReading()
	c.hello("p")
	var td protocol.TableData
	_ = json.Unmarshal(c.ok(protocol.Request{Type: protocol.TypeCreateTable}).Data, &td)
	ack := c.ok(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)})
	var sd protocol.SeqData
	_ = json.Unmarshal(ack.Data, &sd)

	old := set.Failover()
	set.WaitPrimaryChanged(old, 30*time.Second)
	// Commands may reach the old primary (still a primary until it is
	// demoted) for about a second after the switch: that loss is what the
	// planned-switch procedure's CLIENT PAUSE prevents (docs/operations.md),
	// not what this test is about.
	time.Sleep(3 * time.Second)
	// A command after the switch: queued, applied and published on the new
	// primary. Its event and answer reach the socket only if the hub now
	// listens there (a move sent during the switch may get unavailable:
	// sent again with the same id, as the protocol says).
	req := protocol.Request{Type: protocol.TypeAddBots, ID: "bots", Table: td.Table}
	deadline := time.Now().Add(15 * time.Second)
	for {
		f := c.call(req)
		if f.Type == protocol.TypeAck {
			break
		}
		if f.Code != protocol.CodeUnavailable || time.Now().After(deadline) {
			t.Fatalf("add_bots after the switch: %s", f.raw)
		}
	}
	c.waitFor("the table event published on the new primary", func(f *frame) bool {
		return f.Type == protocol.TypeEvent && f.Seq == sd.Seq+1
	})
}

// TestPendingAnsweredWhenRedisChanged: a command whose action may have
// been lost with Redis (its worker has not answered) is answered
// unavailable as soon as the gateway sees another Redis server, not after
// the answer timeout; sent again with the same id, it is applied once.
func TestPendingAnsweredWhenRedisChanged(t *testing.T) {
	e := setup(t, Options{AnswerTimeout: time.Minute})
	c := dial(t, e.url, nil).startReading()
	c.hello("p")
	var td protocol.TableData
	_ = json.Unmarshal(c.ok(protocol.Request{Type: protocol.TypeCreateTable}).Data, &td)
	e.worker.paused.Store(true) // the action is read and never answered: lost
	req := protocol.Request{Type: protocol.TypeSit, ID: "sit-1", Table: td.Table, Seat: ptr(0)}
	c.sendReq(req)
	time.Sleep(200 * time.Millisecond) // queued and pending
	e.srv.mu.Lock()
	for cn := range e.srv.conns {
		cn.push(retryItem{}) // what watchRedis does on a new run id
	}
	e.srv.mu.Unlock()
	if f := c.answer("sit-1"); f.Type != protocol.TypeError || f.Code != protocol.CodeUnavailable {
		t.Fatalf("pending sit: %s", f.raw)
	}
	e.worker.paused.Store(false)
	c.ok(req) // the same id again: applied
}
