package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/store/redisstore"
)

const actionsUsage = `usage: hokm ops actions dlq list [--json]
       hokm ops actions dlq show ID
       hokm ops actions dlq replay ID [--json]
       hokm ops actions dlq drop ID
`

// runActionsTool runs `hokm ops actions dlq ...`: the poison actions the
// workers moved out of the action stream (docs/operations.md, "Poison
// actions"). It needs Redis only.
func runActionsTool(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "dlq" {
		fmt.Fprint(stderr, actionsUsage)
		return 2
	}
	verb := args[1]
	fs := flag.NewFlagSet("ops actions dlq "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(reorder(args[2:])); err != nil {
		fmt.Fprint(stderr, actionsUsage)
		return 2
	}
	wantArgs := 1
	switch verb {
	case "list":
		wantArgs = 0
	case "show", "replay", "drop":
	default:
		fmt.Fprint(stderr, actionsUsage)
		return 2
	}
	if fs.NArg() != wantArgs {
		fmt.Fprint(stderr, actionsUsage)
		return 2
	}
	cfg, ok := loadConfig(stderr)
	if !ok {
		return 2
	}
	rdb, err := redisconn.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hokm ops actions: %v\n", err)
		return 2
	}
	defer rdb.Close()
	st := redisstore.New(rdb, redisstore.Options{Prefix: cfg.RedisPrefix, Partitions: cfg.Partitions})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fail := func(err error) int {
		if errors.Is(err, redisstore.ErrNoDeadAction) {
			fmt.Fprintf(stderr, "hokm ops actions dlq %s: no dead-lettered action %q\n", verb, fs.Arg(0))
		} else {
			fmt.Fprintf(stderr, "hokm ops actions dlq %s: %v\n", verb, err)
		}
		return 1
	}
	switch verb {
	case "list":
		list, err := st.DeadActions(ctx)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			writeJSON(stdout, list)
		} else {
			printDeadActions(stdout, list)
		}
	case "show":
		d, err := st.DeadAction(ctx, fs.Arg(0))
		if err != nil {
			return fail(err)
		}
		b, _ := json.MarshalIndent(d, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	case "replay":
		d, err := st.ReplayDeadAction(ctx, fs.Arg(0))
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			writeJSON(stdout, d)
		} else {
			fmt.Fprintf(stdout, "replayed %s: %s %s by %s at table %s enqueued again\n", d.ID, d.Action.Op, d.Action.ID, d.Action.User, d.Action.Table)
		}
	case "drop":
		if err := st.DropDeadAction(ctx, fs.Arg(0)); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "dropped %s\n", fs.Arg(0))
	}
	return 0
}

func printDeadActions(w io.Writer, list []redisstore.DeadAction) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no dead-lettered actions")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tTABLE\tUSER\tOP\tACTION ID\tATTEMPTS\tERROR")
	for _, d := range list {
		errText := strings.Join(strings.Fields(d.Error), " ")
		if len(errText) > 100 {
			errText = errText[:97] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.At.UTC().Format(time.RFC3339), d.Action.Table,
			d.Action.User, d.Action.Op, d.Action.ID, d.Attempts, errText)
	}
	tw.Flush()
}
