// Command hokm is the Hokm server's single binary; its first argument picks
// the role or tool to run. Configuration comes from HOKM_* environment
// variables (docs/configuration.md).
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/hokm-project/hokm/internal/config"
)

const usage = `usage: hokm COMMAND [ARGS]

roles (run until SIGTERM/SIGINT, then drain):
  serve           gateway + worker + scheduler in one process (migrates first)
  gateway         WebSocket gateway only
  worker          game worker + persistence task runner only
  scheduler       periodic job scheduler only (run any number: one leads)

tools:
  migrate [up|status]          apply migrations (default up) or list them
  bots --url URL --matches N --parallel P
                               play N matches with bot clients over WebSocket
  bench [--targets T,..] [--modes closed:N,paced:N,..] [--reps R]
                               the move path on the floor, the prototype and the
                               server, one load client (scripts/bench sets it up)
  sockets --url URL --n N [--seated] [--from ADDRS]
                               hold N idle guest sockets (prints when all said hello)
  health [--ready]             ask this role's ops listener /healthz (or /readyz):
                               exit 0 when it answers 200 (container health checks)
  export --match ID            print a stored match as a game record (JSON)
  replay FILE|-                replay a game record and print its result
                               (exit 0: all legal, 1: an illegal action, 2: malformed)
  ops dlq list [--json]        list the dead letters (archived persistence tasks)
  ops dlq replay ID|--all      re-run a dead letter, or all not replayed yet
  ops actions dlq list|show ID|replay ID|drop ID
                               poison actions set aside by the workers
  ops reconcile [--json]       re-persist matches finished but missing in PostgreSQL
  ops config list|get KEY|set KEY VALUE
                               system configuration and feature flags
  ops maintenance on|off       refuse new tables while running matches finish
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Every message on stderr (configuration errors, connection errors,
	// fx start-up errors) is redacted: no secret of the environment shows.
	stderr = config.NewRedactor(config.EnvSecrets(os.Getenv)...).Writer(stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve", "gateway", "worker", "scheduler":
		return runRole(cmd, stderr)
	case "migrate":
		return runMigrate(rest, stdout, stderr)
	case "export":
		return runExport(rest, stdout, stderr)
	case "health":
		return runHealth(rest, stdout, stderr)
	case "bots":
		return runBots(rest, stdout, stderr)
	case "bench":
		return runBench(rest, stdout, stderr)
	case "sockets":
		return runSockets(rest, stdout, stderr)
	case "replay":
		return runReplay(rest, stdin, stdout, stderr)
	case "ops":
		return runOpsTool(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hokm: unknown command %q\n\n%s", cmd, usage)
	return 2
}
