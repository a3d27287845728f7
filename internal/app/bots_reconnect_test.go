package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/tools/botclient"
)

// TestBotsReconnectAfterGatewayShutdown: the four bot clients of a match
// are spread over gateway A (seats 0 and 2) and the server's own gateway
// B. Mid-match A is stopped as on SIGTERM (Server.Shutdown: bye shutdown,
// close 1001), while no client may make a further move. A's two clients
// reconnect to B with their tokens, sync and finish the match there; the
// stored match replays to what all four saw, with every move once.
func TestBotsReconnectAfterGatewayShutdown(t *testing.T) {
	t.Parallel()
	s := startServe(t) // gateway B, the worker and the scheduler
	cfgA := s.cfg
	cfgA.HTTPAddr, cfgA.OpsAddr, cfgA.WorkerID = freeAddr(t), "off", ""
	gwA := fx.New(app.Role("gateway", cfgA))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := gwA.Start(ctx); err != nil {
		t.Fatalf("start gateway A: %v", err)
	}
	var stopOnce sync.Once
	stopA := func() (err error) {
		stopOnce.Do(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer scancel()
			err = gwA.Stop(sctx)
		})
		return err
	}
	t.Cleanup(func() { _ = stopA() })
	waitReady(t, cfgA.HTTPAddr)

	// At the 10th move the clients are held (each after its own move)
	// while A shuts down, so that the match is surely not over before.
	var (
		mu      sync.Mutex
		moves   int
		gate    sync.RWMutex
		stopped = make(chan error, 1)
	)
	rep, err := botclient.Run(ctx, botclient.Options{
		URLs:  []string{"ws://" + cfgA.HTTPAddr + "/ws", s.wsURL()},
		Rules: game.Rules{Target: 3}, Matches: 1, Parallel: 1, Timeout: 45 * time.Second, CheckLeaks: true,
		OnMove: func() {
			mu.Lock()
			moves++
			if moves == 10 {
				gate.Lock()
				go func() {
					defer gate.Unlock()
					stopped <- stopA()
				}()
			}
			mu.Unlock()
			gate.RLock()
			gate.RUnlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("stop gateway A: %v", err)
		}
	default:
		t.Fatalf("the match ended after %d moves, before gateway A was stopped: %+v", moves, rep)
	}
	if rep.Completed != 1 || len(rep.Errors) > 0 || len(rep.Results) != 1 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Reconnects != 2 || rep.Resyncs != 0 || rep.DroppedMoves != 0 {
		t.Fatalf("reconnects %d (want seats 0 and 2 once each), resyncs %d, dropped %d",
			rep.Reconnects, rep.Resyncs, rep.DroppedMoves)
	}
	t.Logf("%d moves; reconnects %d, reconnect ms p50 %.1f max %.1f; move latency p50 %.2f ms",
		rep.Moves, rep.Reconnects, rep.ReconnectLatency.P50, rep.ReconnectLatency.Max, rep.Latency.P50)
	m := rep.Results[0]
	waitStored(t, s.pg, m.ID, 10*time.Second)
	if actions := checkStored(t, s.pg, m); actions != rep.Moves {
		t.Fatalf("%d actions stored, the clients made %d moves", actions, rep.Moves)
	}
}
