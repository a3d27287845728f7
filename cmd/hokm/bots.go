package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/gctune"
	"github.com/hokm-project/hokm/tools/botclient"
	"github.com/hokm-project/hokm/tools/floor"
)

// runBots implements `hokm bots`: exit 0 only if every match completed.
func runBots(args []string, stdout, stderr io.Writer) int {
	gctune.Start(config.DefaultGCHeapMiB<<20, os.Getenv)
	fs := flag.NewFlagSet("bots", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := botclient.Options{}
	fs.StringVar(&opts.URL, "url", "ws://127.0.0.1:8080/ws", "gateway WebSocket URL; several, comma-separated, spread each table's seats over them")
	fs.BoolVar(&opts.CheckLeaks, "check-leaks", false, "fail a match if any frame shows a client a card it may not see")
	fs.BoolVar(&opts.NoReconnect, "no-reconnect", false, "fail a match when a client loses its connection (default: reconnect to the next URL and sync, like the web client)")
	fs.IntVar(&opts.Matches, "matches", 1, "matches to play")
	fs.IntVar(&opts.Parallel, "parallel", 1, "matches at once")
	fs.IntVar(&opts.Rules.Target, "target", 7, "points to win a match (3, 5 or 7)")
	fs.DurationVar(&opts.Timeout, "timeout", 0, "time limit per match (default 5m)")
	fs.DurationVar(&opts.Pace, "pace", 0, "time between two moves at a table, as people play (default 0: each move as soon as the last is seen)")
	floorURL := fs.String("floor-redis", "", "Redis URL: first measure the Redis-only move path there and report latencies as ratios to it")
	tournamentID := fs.String("tournament", "", "instead of matches: register --teams teams of two bots in this tournament (open for registration), check them in and play it to its end")
	teams := fs.Int("teams", 8, "with --tournament: teams of two to register")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if strings.Contains(opts.URL, ",") {
		for _, u := range strings.Split(opts.URL, ",") {
			if u = strings.TrimSpace(u); u != "" {
				opts.URLs = append(opts.URLs, u)
			}
		}
	}
	if err := (game.Rules{Target: opts.Rules.Target}).Validate(); err != nil {
		fmt.Fprintln(stderr, "hokm bots:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *tournamentID != "" {
		return botsTournament(ctx, botclient.TournamentOptions{URLs: urlsOf(opts), Tournament: *tournamentID, Teams: *teams,
			Timeout: opts.Timeout, Pace: opts.Pace}, stdout, stderr)
	}
	out := botsReport{}
	if *floorURL != "" {
		f, err := measureFloor(ctx, *floorURL)
		if err != nil {
			fmt.Fprintln(stderr, "hokm bots: floor:", err)
			return 1
		}
		out.Floor = &f
	}
	rep, err := botclient.Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "hokm bots:", err)
		return 2
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(stderr, "match failed:", e)
	}
	out.Report = rep
	if out.Floor != nil && out.Floor.P50 > 0 {
		out.Ratio = &floorMS{P50: rep.Latency.P50 / out.Floor.P50, P99: rep.Latency.P99 / out.Floor.P99}
	}
	writeJSON(stdout, out)
	if rep.Completed != rep.Matches {
		return 1
	}
	return 0
}

// botsTournament is `hokm bots --tournament`: exit 0 once the tournament
// finished with every bot's matches played.
func botsTournament(ctx context.Context, o botclient.TournamentOptions, stdout, stderr io.Writer) int {
	if o.Teams < 1 {
		fmt.Fprintln(stderr, "hokm bots: --teams: at least 1")
		return 2
	}
	if o.Timeout == 0 {
		o.Timeout = time.Hour
	}
	rep, err := botclient.PlayTournament(ctx, o)
	writeJSON(stdout, struct {
		botclient.TournamentReport
		Matches int `json:"matches"`
	}{rep, len(rep.Matches)})
	if err != nil {
		fmt.Fprintln(stderr, "hokm bots:", err)
		return 1
	}
	return 0
}

func urlsOf(o botclient.Options) []string {
	if len(o.URLs) > 0 {
		return o.URLs
	}
	return []string{o.URL}
}

// botsReport is the last line of `hokm bots`: the run's report, and with
// --floor-redis the floor measured just before and the latency ratios to it.
type botsReport struct {
	botclient.Report
	Floor *floorMS `json:"floor_ms,omitempty"`
	Ratio *floorMS `json:"latency_to_floor,omitempty"`
}

type floorMS struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// measureFloor times 2,000 moves through the Redis-only path.
func measureFloor(ctx context.Context, url string) (floorMS, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return floorMS{}, err
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	lats, err := floor.MovePath(ctx, rdb, fmt.Sprintf("hokm-floor-%d", os.Getpid()), 2000)
	if err != nil {
		return floorMS{}, err
	}
	return floorMS{P50: floor.Quantile(lats, 0.50), P99: floor.Quantile(lats, 0.99)}, nil
}

// runSockets implements `hokm sockets`: N idle sockets for a capacity
// measurement (scripts/idlebench). It prints one JSON line when all of
// them have said hello, then holds them until SIGINT or SIGTERM.
func runSockets(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sockets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := botclient.HoldOptions{}
	fs.StringVar(&o.URL, "url", "ws://127.0.0.1:8080/ws", "gateway WebSocket URL")
	fs.IntVar(&o.N, "n", 1000, "sockets to open, each a new guest that says hello")
	fs.BoolVar(&o.Seated, "seated", false, "sit them four to a table (one creates it, three sit), waiting: N a multiple of 4")
	from := fs.String("from", "", "local source addresses to dial from in turn, comma-separated (e.g. 127.0.0.2,127.0.0.3)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, a := range strings.Split(*from, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.From = append(o.From, a)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := botclient.Hold(ctx, o, func(r botclient.HoldReport) { writeJSON(stdout, r) })
	if err != nil {
		fmt.Fprintln(stderr, "hokm sockets:", err)
		return 1
	}
	return 0
}
