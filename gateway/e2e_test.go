package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tools/botclient"
	"github.com/hokm-project/hokm/worker"
)

// TestBotMatchesEndToEnd plays whole matches with the load generator's
// bot clients through this gateway and the real worker.
func TestBotMatchesEndToEnd(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2})
	cons := worker.NewConsumer(worker.NewProcessor(st, worker.Options{Block: 100 * time.Millisecond}), st, 2)
	if err := cons.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cons.Stop(ctx)
	})
	srv := NewServer(st, testLogger(), Options{Rate: 5000, Burst: 5000}) // bots play far faster than people
	hs := newHTTPServer(t, srv)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := botclient.Run(ctx, botclient.Options{
		URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", Matches: 2, Parallel: 2,
		Rules: game.Rules{Target: 3}, Timeout: 50 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Completed != 2 || len(rep.Errors) > 0 {
		t.Fatalf("report %+v", rep)
	}
	t.Logf("%d moves, move latency p50 %.2f ms p99 %.2f ms", rep.Moves, rep.Latency.P50, rep.Latency.P99)
}
