// Command winrate measures the Heuristic bot team against Random bots: it
// plays a seeded series of matches, half with the heuristic team on seats 0/2
// and half on seats 1/3, and prints the heuristic team's match win rate with
// a 95 % confidence interval (Wilson) and its hand win rate.
//
//	go run ./game/bot/cmd/winrate -matches 10000
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("winrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	matches := fs.Int("matches", 10000, "number of matches")
	seed := fs.Uint64("seed", 1, "seed of the first match; match i uses seed+i")
	target := fs.Int("target", 7, "points to win a match: 3, 5 or 7")
	all := fs.Bool("all-tricks", false, "play all 13 tricks of every hand")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rules := game.Rules{Target: *target, PlayAllTricks: *all}
	by, err := bot.HeuristicVsRandom(rules, *seed, *matches)
	if err != nil {
		fmt.Fprintln(stderr, "winrate:", err)
		return 1
	}
	report(stdout, by)
	return 0
}

func report(w io.Writer, by [2]bot.Tally) {
	total := by[0].Add(by[1])
	lo, hi := bot.Wilson95(total.MatchesWon, total.Matches)
	fmt.Fprintf(w, "heuristic team vs random team, %d matches\n", total.Matches)
	fmt.Fprintf(w, "match win rate: %.2f %% (%d/%d), 95 %% CI [%.2f %%, %.2f %%]\n",
		100*total.MatchRate(), total.MatchesWon, total.Matches, 100*lo, 100*hi)
	fmt.Fprintf(w, "hand win rate:  %.2f %% (%d/%d)\n", 100*total.HandRate(), total.HandsWon, total.Hands)
	for team, t := range by {
		fmt.Fprintf(w, "  heuristic on seats %d/%d: matches %.2f %% (%d/%d), hands %.2f %%\n",
			team, team+2, 100*t.MatchRate(), t.MatchesWon, t.Matches, 100*t.HandRate())
	}
}
