package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// runReconcileTool runs `hokm ops reconcile [--json]`: one reconciliation of
// the finished-match ledger with PostgreSQL, printing what it fixed.
func runReconcileTool(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ops reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprint(stderr, "usage: hokm ops reconcile [--json]\n")
		return 2
	}
	env, status := openTool("hokm ops", 5*time.Minute, stderr)
	if env == nil {
		return status
	}
	defer env.Close()
	cfg, ctx, pool := env.cfg, env.ctx, env.pool
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pg := pgstore.New(pool)
	seal := &app.StateSealer{} // the journal's finished matches are sealed
	if err := seal.Load(ctx, cfg, pg, log); err != nil {
		fmt.Fprintf(stderr, "hokm ops reconcile: %v\n", err)
		return 1
	}
	store := redisstore.New(env.rdb, redisstore.Options{Prefix: cfg.RedisPrefix, Partitions: cfg.Partitions, Seal: seal})
	r := app.NewReconciler(store, pg, cfg, log)
	defer r.Client.Close()
	rep, err := r.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "hokm ops reconcile: %v\n", err)
		return 1
	}
	if *asJSON {
		_ = json.NewEncoder(stdout).Encode(rep)
		return 0
	}
	fmt.Fprintf(stdout, "checked %d finished matches: %d missing in PostgreSQL, %d fixed, %d in flight, %d ledger entries cleaned\n",
		rep.Checked, len(rep.Missing), len(rep.Fixed), len(rep.InFlight), rep.Cleaned)
	for _, id := range rep.Fixed {
		fmt.Fprintf(stdout, "fixed %s (persist task re-enqueued)\n", id)
	}
	for _, id := range rep.InFlight {
		fmt.Fprintf(stdout, "in flight %s (persist task pending or retrying)\n", id)
	}
	return 0
}
