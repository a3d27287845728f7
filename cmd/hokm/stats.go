package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hokm-project/hokm/store/pgstore"
)

const statsUsage = "usage: hokm ops stats recompute [--all] [--json]\n"

// runStatsTool runs `hokm ops stats recompute [--all] [--json]`: the
// stats:recompute job now, without the task's time limit — the matches
// stored since the last run, or (--all, or the first run) every stored match:
// after upgrading an installation with a long history, or after editing
// stored matches by hand.
func runStatsTool(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "recompute" {
		fmt.Fprint(stderr, statsUsage)
		return 2
	}
	fs := flag.NewFlagSet("ops stats recompute", flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := fs.Bool("all", false, "recompute from every stored match")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		fmt.Fprint(stderr, statsUsage)
		return 2
	}
	env, status := openTool("hokm ops stats", 12*time.Hour, stderr)
	if env == nil {
		return status
	}
	defer env.Close()
	s := pgstore.New(env.pool)
	run := s.RecomputePlayerStats
	if *all {
		run = s.RecomputeAllPlayerStats
	}
	start := time.Now()
	n, err := run(env.ctx, env.cfg.Location())
	if err != nil {
		fmt.Fprintf(stderr, "hokm ops stats recompute: %v\n", err)
		return 1
	}
	took := time.Since(start)
	if *asJSON {
		_ = json.NewEncoder(stdout).Encode(map[string]any{"rows": n, "all": *all, "ms": took.Milliseconds()})
		return 0
	}
	fmt.Fprintf(stdout, "player stats: %d rows written in %v\n", n, took.Round(time.Millisecond))
	return 0
}
