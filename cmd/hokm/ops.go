package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/ops"
	"github.com/hokm-project/hokm/store/pgstore"
)

const opsUsage = `usage: hokm ops dlq list [--json]
       hokm ops dlq replay ID|--all [--json]
       hokm ops reconcile [--json]
       hokm ops stats recompute [--all] [--json]
       hokm ops config list|get KEY|set KEY VALUE
       hokm ops maintenance on|off
       hokm ops actions dlq list|show ID|replay ID|drop ID
       hokm ops tournament create --name N [--format swiss|elimination] [--target 7] [--rounds 5] [--max-teams 16] [--bots-fill]
                                  [--checkin-in 1h] [--checkin-for 15m] [--round-break 1m] [--id ID]
       hokm ops tournament reschedule ID [--checkin-in D] [--start-in D]
       hokm ops tournament list|show ID|cancel ID
`

// runOpsTool runs `hokm ops ...`: the dead letters of the persistence
// tasks, kept in PostgreSQL (docs/operations.md).
func runOpsTool(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "config" {
		return runConfigTool(args, stdout, stderr) // config.go
	}
	if len(args) > 0 && args[0] == "maintenance" {
		return runConfigTool(args, stdout, stderr) // config.go
	}
	if len(args) > 0 && args[0] == "actions" {
		return runActionsTool(args[1:], stdout, stderr) // actions.go
	}
	if len(args) > 0 && args[0] == "tournament" {
		return runTournamentTool(args[1:], stdout, stderr) // tournament.go
	}
	if len(args) > 0 && args[0] == "reconcile" {
		return runReconcileTool(args[1:], stdout, stderr) // reconcile.go
	}
	if len(args) > 0 && args[0] == "stats" {
		return runStatsTool(args[1:], stdout, stderr) // stats.go
	}
	if len(args) < 2 || args[0] != "dlq" || (args[1] != "list" && args[1] != "replay") {
		fmt.Fprint(stderr, opsUsage)
		return 2
	}
	env, status := openTool("hokm ops", 5*time.Minute, stderr)
	if env == nil {
		return status
	}
	defer env.Close()
	// Both share env's Redis client, which Close closes.
	insp := asynq.NewInspectorFromRedisClient(env.rdb)
	client := asynq.NewClientFromRedisClient(env.rdb)
	q := &ops.DLQ{Store: pgstore.New(env.pool), Inspector: insp, Client: client}
	ctx := env.ctx
	return runDLQ(ctx, q, args[1:], stdout, stderr)
}

// runDLQ runs `list` or `replay` (args[0]) with q.
func runDLQ(ctx context.Context, q *ops.DLQ, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ops dlq "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "replay every dead letter not replayed since it was archived")
	if err := fs.Parse(reorder(args[1:])); err != nil {
		fmt.Fprint(stderr, opsUsage)
		return 2
	}
	// Tasks asynq archived while PostgreSQL was down were not recorded then.
	if _, err := q.Sync(ctx); err != nil {
		fmt.Fprintf(stderr, "hokm ops dlq: warning: sync from asynq's archive: %v\n", err)
	}
	switch args[0] {
	case "list":
		if fs.NArg() != 0 || *all {
			fmt.Fprint(stderr, opsUsage)
			return 2
		}
		list, err := q.List(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "hokm ops dlq list: %v\n", err)
			return 1
		}
		if *asJSON {
			writeJSON(stdout, list)
			return 0
		}
		printDeadLetters(stdout, list)
		return 0
	}
	var done []ops.Replayed
	var err error
	switch {
	case *all && fs.NArg() == 0:
		done, err = q.ReplayAll(ctx)
	case !*all && fs.NArg() == 1:
		id, perr := strconv.ParseInt(fs.Arg(0), 10, 64)
		if perr != nil || id <= 0 {
			fmt.Fprintf(stderr, "hokm ops dlq replay: %q is not a dead letter id\n", fs.Arg(0))
			return 2
		}
		var r ops.Replayed
		if r, err = q.Replay(ctx, id); err == nil {
			done = append(done, r)
		}
	default:
		fmt.Fprint(stderr, opsUsage)
		return 2
	}
	if *asJSON {
		if done == nil {
			done = []ops.Replayed{}
		}
		writeJSON(stdout, done)
	} else {
		for _, r := range done {
			fmt.Fprintf(stdout, "replayed %d %s (%s)\n", r.ID, r.TaskID, r.How)
		}
		if *all && len(done) == 0 && err == nil {
			fmt.Fprintln(stdout, "nothing to replay")
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "hokm ops dlq replay: %v\n", err)
		return 1
	}
	return 0
}

// reorder puts flags before positional arguments, so `replay 3 --json`
// works like `replay --json 3`.
func reorder(args []string) []string {
	var flags, rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}

func printDeadLetters(w io.Writer, list []ops.Entry) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTASK TYPE\tMATCH\tSTORED\tARCHIVED AT\tREPLAYED\tERROR")
	for _, e := range list {
		replayed := "no"
		if e.ReplayedAt != nil {
			replayed = fmt.Sprintf("%s (x%d)", e.ReplayedAt.UTC().Format(time.RFC3339), e.ReplayCount)
		}
		match, stored := e.MatchID, "-"
		if match == "" {
			match = "-"
		}
		if e.Stored != nil {
			stored = map[bool]string{true: "yes", false: "no"}[*e.Stored]
		}
		errText := strings.Join(strings.Fields(e.Error), " ")
		if len(errText) > 120 {
			errText = errText[:117] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.TaskType, match, stored,
			e.ArchivedAt.UTC().Format(time.RFC3339), replayed, errText)
	}
	tw.Flush()
}
