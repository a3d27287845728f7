// Command hokm is the Hokm server's single binary; its first argument picks
// the role or tool to run.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: hokm COMMAND [ARGS]

commands:
  replay FILE|-   replay a game record and print its result as JSON
                  (exit 0: all legal, 1: an illegal action, 2: malformed record)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "replay":
		return runReplay(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hokm: unknown command %q\n\n%s", args[0], usage)
	return 2
}
