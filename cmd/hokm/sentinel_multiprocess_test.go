package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tools/botclient"
)

// TestRolesUnderSentinel: a gateway and a worker configured with
// HOKM_REDIS_SENTINELS (and a HOKM_REDIS_URL whose host does not exist)
// reach the primary through the Sentinels: a match is played and
// persisted. Then the primary is SIGKILLed and, once the Sentinels have
// promoted the replica, a second match is played and persisted.
func TestRolesUnderSentinel(t *testing.T) {
	s := procs.StartSentinelSet(t, procs.SentinelOptions{Redis: procs.RedisOptions{AOF: true}})
	pg := procs.StartPostgres(t, procs.PostgresOptions{})
	dbURL := pg.URL("hokm")
	c := procs.NewHokm(t,
		"HOKM_REDIS_URL=redis://no-such-host.invalid:6379/0", // only its DB number counts
		"HOKM_REDIS_SENTINELS="+strings.Join(s.SentinelAddrs(), ","), "HOKM_REDIS_MASTER="+s.MasterName(),
		"HOKM_DATABASE_URL="+dbURL, "HOKM_OPS_ADDR=off", "HOKM_RECLAIM_IDLE=1s", "HOKM_SHUTDOWN_TIMEOUT=2s",
		"HOKM_CLIENT_RATE=100000", "HOKM_CLIENT_BURST=100000",
	)
	if m := c.Start("migrate", nil, "migrate"); !m.Wait(60*time.Second) || m.Err() != nil {
		t.Fatalf("hokm migrate: %v", m.Err())
	}
	addr := procs.FreePort(t)
	gw := c.Start("gateway", []string{"HOKM_HTTP_ADDR=" + addr}, "gateway")
	c.Start("worker", []string{"HOKM_WORKER_ID=w1"}, "worker")
	gw.WaitReady(addr)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := pgstore.New(pool)
	play := func(when string) {
		t.Helper()
		rep, err := botclient.Run(ctx, botclient.Options{
			URLs: []string{"ws://" + addr + "/ws"}, Rules: game.Rules{Target: 3},
			Matches: 1, Parallel: 1, Timeout: 60 * time.Second, CheckLeaks: true,
		})
		if err != nil || rep.Completed != 1 || len(rep.Results) != 1 {
			t.Fatalf("%s: %v, report %+v", when, err, rep)
		}
		id := rep.Results[0].ID
		if !until(30*time.Second, func() bool { ok, _ := store.MatchExists(ctx, id); return ok }) {
			t.Fatalf("%s: match %s never reached PostgreSQL", when, id)
		}
	}
	play("before the failover")

	old := s.KillPrimary()
	now := s.WaitPrimaryChanged(old, 30*time.Second)
	gw.WaitReady(addr)
	play("after the failover to " + now)
}
