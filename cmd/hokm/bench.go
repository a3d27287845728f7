package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/gctune"
	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tools/bench"
)

// runBench implements `hokm bench` (tools/bench); `hokm bench relay`
// is one of its targets, started by it.
func runBench(args []string, stdout, stderr io.Writer) int {
	// The same collector tuning as the roles, for the load client and the
	// relays alike (every target's numbers pay for the same client).
	gctune.Start(config.DefaultGCHeapMiB<<20, os.Getenv)
	if len(args) > 0 && args[0] == "relay" {
		return runRelay(args[1:], stderr)
	}
	if len(args) > 0 && args[0] == "load" {
		return runLoad(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "floor,prototype,serve,split", "targets, in the order measured: floor, prototype, serve, split; NAME@BINARY runs NAME from another build (before/after); a +v1 suffix makes the load client speak protocol version 1 to it")
	modes := fs.String("modes", "closed:1,closed:10,closed:100,paced:100,paced:500,paced:1000", "loads: closed:N (N tables, closed loop), paced:N (N tables at --rate)")
	rate := fs.Float64("rate", 10, "cards per second per table of the paced modes")
	window := fs.Duration("window", 10*time.Second, "measured time per target and mode")
	warm := fs.Duration("warm", 3*time.Second, "time after every table has played, before the window")
	reps := fs.Int("reps", 1, "repetitions, interleaved, the targets in reverse order every other one; each figure is their median")
	port := fs.Int("port", 18100, "the targets' WebSocket port (127.0.0.1)")
	profile := fs.String("profile", "", "directory: save a CPU and an allocation profile of each hokm process (and a CPU profile of the load client when it runs in this process) over each window there")
	gateways := fs.Int("gateways", 1, "gateway processes of the split target (a table's seats spread over them)")
	ramp := fs.Duration("ramp", 0, "start each load's tables evenly over this time (0: all at once)")
	clients := fs.Int("clients", 1, "processes the load client of hokm's targets runs in (one may hold 20,000 sockets at most here)")
	asJSON := fs.Bool("json", false, "print the rows as JSON instead of a table")
	cluster := fs.String("redis-cluster", os.Getenv("HOKM_REDIS_CLUSTER_ADDRS"), "host:port,…: run serve and split on this Redis Cluster (default $HOKM_REDIS_CLUSTER_ADDRS; HOKM_REDIS_URL then gives only its credentials and DB 0), Redis's CPU summed over every node, masters and replicas, its commands over the masters; the relay targets need a single server")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var nodes []string
	for _, a := range strings.Split(*cluster, ",") {
		if a = strings.TrimSpace(a); a != "" {
			nodes = append(nodes, a)
		}
	}
	cfg := bench.Config{Port: *port, Warm: *warm, Window: *window, Reps: max(*reps, 1), Env: os.Environ(), RedisCluster: nodes,
		ProfileDir: *profile, Gateways: *gateways, Clients: *clients, Ramp: *ramp,
		Prefix: os.Getenv("HOKM_REDIS_PREFIX"), Log: func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }}
	if cfg.Prefix == "" {
		cfg.Prefix = "bench"
	}
	for _, t := range strings.Split(*targets, ",") {
		cfg.Targets = append(cfg.Targets, strings.TrimSpace(t))
	}
	for _, s := range strings.Split(*modes, ",") {
		m, err := bench.ParseMode(strings.TrimSpace(s), *rate)
		if err != nil {
			fmt.Fprintln(stderr, "hokm bench:", err)
			return 2
		}
		cfg.Modes = append(cfg.Modes, m)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "hokm bench:", err)
		return 1
	}
	cfg.Exe = exe
	var rdb redis.UniversalClient
	if len(nodes) > 0 {
		rdb, err = benchCluster(nodes)
	} else {
		rdb, err = benchRedis()
	}
	if err != nil {
		fmt.Fprintln(stderr, "hokm bench:", err)
		return 2
	}
	defer rdb.Close()
	cfg.Redis = rdb
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if url := os.Getenv("HOKM_DATABASE_URL"); url != "" {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			fmt.Fprintln(stderr, "hokm bench: HOKM_DATABASE_URL:", err)
			return 2
		}
		defer pool.Close()
		cfg.Journal = pgstore.New(pool)
	}
	rows, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "hokm bench:", err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(rows)
		return 0
	}
	fmt.Fprintf(stdout, "Machine: %s. Window %v per target and mode, median of %d.\n", bench.Machine(), cfg.Window, cfg.Reps)
	if len(rows) > 0 && rows[0].RedisMasters > 0 {
		fmt.Fprintf(stdout, "Redis Cluster of %d masters and %d replicas (%s): Redis CPU over every node, commands and round trips over the masters.\n",
			rows[0].RedisMasters, rows[0].RedisReplicas, strings.Join(nodes, ","))
	}
	fmt.Fprintln(stdout)
	bench.WriteTable(stdout, rows)
	return 0
}

// runLoad is one process of a load client split over several
// (bench.ServeLoad), started by hokm bench.
func runLoad(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("urls", "", "the gateways' WebSocket URLs, comma-separated")
	tables := fs.Int("tables", 1, "tables to play")
	pace := fs.Duration("pace", 0, "time between a table's cards (0: closed loop)")
	ramp := fs.Duration("ramp", 0, "start the tables evenly over this time")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := bench.LoadOptions{URLs: strings.Split(*urls, ","), Tables: *tables, Pace: *pace, Ramp: *ramp}
	if err := bench.ServeLoad(ctx, opts, os.Stdin, stdout); err != nil {
		fmt.Fprintln(stderr, "hokm bench load:", err)
		return 1
	}
	return 0
}

// runRelay serves a relay target (floor or prototype) until SIGTERM.
func runRelay(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", bench.KindFloor, "floor or prototype")
	addr := fs.String("addr", "127.0.0.1:18100", "listen address")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rdb, err := benchRedis()
	if err != nil {
		fmt.Fprintln(stderr, "hokm bench relay:", err)
		return 2
	}
	defer rdb.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	prefix := os.Getenv("HOKM_REDIS_PREFIX")
	if prefix == "" {
		prefix = "bench-relay"
	}
	if err := bench.ServeRelay(ctx, *kind, *addr, rdb, redisstore.Keys{Prefix: prefix}); err != nil {
		fmt.Fprintln(stderr, "hokm bench relay:", err)
		return 1
	}
	return 0
}

// benchCluster is a cluster client of nodes, with HOKM_REDIS_URL's
// credentials, which must name DB 0 (the roles refuse another on a
// cluster: better said before any target starts).
func benchCluster(nodes []string) (*redis.ClusterClient, error) {
	url := os.Getenv("HOKM_REDIS_URL")
	if url == "" {
		url = "redis://" + nodes[0] + "/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("HOKM_REDIS_URL: %w", err)
	}
	if opt.DB != 0 {
		return nil, fmt.Errorf("HOKM_REDIS_URL names DB %d: a Redis Cluster (--redis-cluster) has only DB 0", opt.DB)
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: nodes, Username: opt.Username, Password: opt.Password,
		TLSConfig: opt.TLSConfig, PoolSize: 64, Protocol: redisconn.Protocol(opt.Protocol)}), nil
}

// benchRedis is a client of HOKM_REDIS_URL (one node: the bench reads its
// CPU and command counts).
func benchRedis() (*redis.Client, error) {
	url := os.Getenv("HOKM_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("HOKM_REDIS_URL: %w", err)
	}
	opt.PoolSize = 64
	opt.Protocol = redisconn.Protocol(opt.Protocol) // the relays pay what the server pays
	return redis.NewClient(opt), nil
}
