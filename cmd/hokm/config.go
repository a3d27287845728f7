package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/sysconfig"
)

// runConfigTool runs `hokm ops config list|get KEY|set KEY VALUE` and
// `hokm ops maintenance on|off`: the system configuration in PostgreSQL
// (docs/operations.md, "Configuration and feature flags"). A set is
// audited (audit_log kind ops_config_set, with the operator: HOKM_OPERATOR,
// else the OS user) and announced on Redis so every process picks it up
// within about a second.
func runConfigTool(args []string, stdout, stderr io.Writer) int {
	var op, key, value string
	switch {
	case args[0] == "config" && len(args) == 2 && args[1] == "list":
		op = "list"
	case args[0] == "config" && len(args) == 3 && args[1] == "get":
		op, key = "get", args[2]
	case args[0] == "config" && len(args) == 4 && args[1] == "set":
		op, key, value = "set", args[2], args[3]
	case args[0] == "maintenance" && len(args) == 2 && (args[1] == "on" || args[1] == "off"):
		op, key, value = "set", sysconfig.KeyMaintenance, map[string]string{"on": "true", "off": "false"}[args[1]]
	default:
		fmt.Fprint(stderr, opsUsage)
		return 2
	}
	if op == "set" && !json.Valid([]byte(value)) {
		b, _ := json.Marshal(value) // a bare word is taken as a JSON string
		value = string(b)
	}
	env, status := openTool("hokm ops", time.Minute, stderr)
	if env == nil {
		return status
	}
	defer env.Close()
	cfg, ctx, pool := env.cfg, env.ctx, env.pool
	pg := pgstore.New(pool)
	switch op {
	case "list", "get":
		entries, err := pg.ConfigEntries(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "hokm ops config: %v\n", err)
			return 1
		}
		if op == "get" {
			for _, e := range entries {
				if e.Key == key {
					fmt.Fprintln(stdout, string(e.Value))
					return 0
				}
			}
			fmt.Fprintf(stderr, "hokm ops config get: %s is not set\n", key)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tVALUE\tUPDATED\tBY")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Key, e.Value, e.UpdatedAt.UTC().Format(time.RFC3339), e.UpdatedBy)
		}
		tw.Flush()
		return 0
	}
	w := sysconfig.Writer{Store: pg, Redis: env.rdb, Prefix: cfg.RedisPrefix}
	if err := w.Set(ctx, key, json.RawMessage(value), operator()); err != nil {
		fmt.Fprintf(stderr, "hokm ops config set: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s = %s\n", key, value)
	return 0
}

// operator names who runs the tool, for the audit log.
func operator() string {
	if o := os.Getenv("HOKM_OPERATOR"); o != "" {
		return o
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}
