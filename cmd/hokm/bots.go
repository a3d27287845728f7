package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/botclient"
)

// runBots implements `hokm bots`: exit 0 only if every match completed.
func runBots(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bots", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := botclient.Options{}
	fs.StringVar(&opts.URL, "url", "ws://127.0.0.1:8080/ws", "gateway WebSocket URL")
	fs.IntVar(&opts.Matches, "matches", 1, "matches to play")
	fs.IntVar(&opts.Parallel, "parallel", 1, "matches at once")
	fs.IntVar(&opts.Rules.Target, "target", 7, "points to win a match (3, 5 or 7)")
	fs.DurationVar(&opts.Timeout, "timeout", 0, "time limit per match (default 5m)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := (game.Rules{Target: opts.Rules.Target}).Validate(); err != nil {
		fmt.Fprintln(stderr, "hokm bots:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := botclient.Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "hokm bots:", err)
		return 2
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(stderr, "match failed:", e)
	}
	writeJSON(stdout, rep)
	if rep.Completed != rep.Matches {
		return 1
	}
	return 0
}
