package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestBehindShedsNewTablesAndWaitsLonger: with no worker, a gateway's
// commands go unanswered and their waits climb past ShedAfter. Then a new
// table and a quick-match entry are refused unavailable with retry_after,
// and a command is given more time instead of an unavailable the client
// would answer by sending it again: when a worker comes, it is answered.
// Once answers are fast again, new tables are accepted.
func TestBehindShedsNewTablesAndWaitsLonger(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 1})
	const timeout = 400 * time.Millisecond
	srv := NewServer(st, testLogger(), Options{AnswerTimeout: timeout, ShedAfter: 100 * time.Millisecond})
	url := "ws" + strings.TrimPrefix(newHTTPServer(t, srv).URL, "http") + "/ws?v=1"
	x := dial(t, url, nil).startReading()
	x.hello("x")
	td := createTable(t, x, nil)
	for i := 0; !srv.lag.over(srv.opts.ShedAfter); i++ {
		if i == 30 {
			t.Fatal("30 commands unanswered, and the gateway does not count itself behind")
		}
		x.fails(protocol.Request{Type: protocol.TypeSit, Table: td.Table, Seat: ptr(0)}, protocol.CodeUnavailable)
	}
	for _, r := range []protocol.Request{{Type: protocol.TypeCreateTable}, {Type: protocol.TypeQuickMatch}} {
		if f := x.fails(r, protocol.CodeUnavailable); !strings.Contains(string(f.raw), `"retry_after":5`) {
			t.Fatalf("%s refused while behind without retry_after: %s", r.Type, f.raw)
		}
	}
	y := dial(t, url, nil).startReading()
	y.hello("y")
	late := protocol.Request{Type: protocol.TypeSit, ID: "late", Table: td.Table, Seat: ptr(1)}
	y.sendReq(late)
	y.quiet(2*timeout, "an answer to a command still queued", func(f *frame) bool { return f.ID == "late" })
	startWorker(t, st)
	if f := y.answer("late"); f.Type != protocol.TypeAck {
		t.Fatalf("the command given more time: %s", f.raw)
	}
	for i := 0; ; i++ {
		if f := x.call(protocol.Request{Type: protocol.TypeCreateTable}); f.Type == protocol.TypeAck {
			break
		}
		if i == 40 {
			t.Fatal("still shedding after 40 fast answers")
		}
		y.ok(protocol.Request{Type: protocol.TypeReady, Table: td.Table, Ready: ptr(i%2 == 0)})
	}
}
