package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hokm-project/hokm/game"
)

// runReplay implements `hokm replay FILE|-`: it prints one JSON object and
// returns the exit status (0 legal, 1 illegal action, 2 malformed record).
func runReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: hokm replay FILE   (or - for standard input)")
		return 2
	}
	in := stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			res := game.ReplayResult{Error: &game.ReplayError{Code: game.CodeInvalidRecord, Message: err.Error()}}
			writeJSON(stdout, res)
			return 2
		}
		defer f.Close()
		in = f
	}
	res, status := game.ReplayJSON(in)
	writeJSON(stdout, res)
	return status
}

func writeJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types are marshalled here
	}
	fmt.Fprintf(w, "%s\n", b)
}
