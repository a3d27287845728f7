package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/tournament"
)

// runTournamentTool runs `hokm ops tournament create|reschedule|list|show|cancel`:
// tournaments in PostgreSQL, each change audited with the operator
// (HOKM_OPERATOR, else the OS user).
func runTournamentTool(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, opsUsage)
		return 2
	}
	var t pgstore.Tournament
	var id string
	var checkinAt, startsAt time.Time // reschedule's
	switch {
	case args[0] == "create":
		fs := flag.NewFlagSet("hokm ops tournament create", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.StringVar(&t.ID, "id", "", "the tournament's id (default: a new random one)")
		fs.StringVar(&t.Name, "name", "", "its name, shown to players (required)")
		fs.StringVar(&t.Format, "format", "swiss", "swiss or elimination")
		fs.IntVar(&t.Target, "target", 7, "points to win a match (3, 5 or 7)")
		fs.IntVar(&t.Rounds, "rounds", 5, "rounds (swiss)")
		fs.IntVar(&t.MaxTeams, "max-teams", 16, "teams at most (2 to 256)")
		fs.BoolVar(&t.BotsFill, "bots-fill", false, "a bot may take a no-show's seat")
		checkinIn := fs.Duration("checkin-in", time.Hour, "registration closes and check-in opens this long from now")
		checkinFor := fs.Duration("checkin-for", 15*time.Minute, "check-in lasts this long; then the teams are formed and round 1 starts")
		fs.DurationVar(&t.RoundBreak, "round-break", time.Minute, "the pause between a round's last result and the next round (0 to 1h)")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
			return 2
		}
		if *checkinIn < 0 || *checkinFor < 0 {
			fmt.Fprintln(stderr, "hokm ops tournament create: --checkin-in and --checkin-for: not negative")
			return 2
		}
		t.CheckinAt = time.Now().Add(*checkinIn).Truncate(time.Second)
		t.StartsAt = t.CheckinAt.Add(*checkinFor)
		if err := checkTournament(&t); err != nil {
			fmt.Fprintf(stderr, "hokm ops tournament create: %v\n", err)
			return 2
		}
	case args[0] == "reschedule" && len(args) >= 2 && !strings.HasPrefix(args[1], "-"):
		id = args[1]
		fs := flag.NewFlagSet("hokm ops tournament reschedule", flag.ContinueOnError)
		fs.SetOutput(stderr)
		checkinIn := fs.Duration("checkin-in", -1, "registration closes and check-in opens this long from now (0: now; only while registration is open)")
		startIn := fs.Duration("start-in", -1, "check-in closes and round 1 starts this long from now (0: now; default: the check-in keeps its length)")
		if err := fs.Parse(args[2:]); err != nil || fs.NArg() != 0 {
			return 2
		}
		if *checkinIn < 0 && *startIn < 0 {
			fmt.Fprintln(stderr, "hokm ops tournament reschedule: --checkin-in, --start-in or both (not negative)")
			return 2
		}
		now := time.Now()
		if *checkinIn >= 0 {
			checkinAt = now.Add(*checkinIn).Truncate(time.Second)
		}
		if *startIn >= 0 {
			startsAt = now.Add(*startIn).Truncate(time.Second)
		}
	case args[0] == "list" && len(args) == 1:
	case (args[0] == "show" || args[0] == "cancel") && len(args) == 2:
		id = args[1]
	default:
		fmt.Fprint(stderr, opsUsage)
		return 2
	}
	env, status := openTool("hokm ops tournament", time.Minute, stderr)
	if env == nil {
		return status
	}
	defer env.Close()
	ctx, pg := env.ctx, pgstore.New(env.pool)
	fail := func(err error) int {
		fmt.Fprintf(stderr, "hokm ops tournament %s: %v\n", args[0], err)
		return 1
	}
	switch args[0] {
	case "create":
		if err := pg.CreateTournament(ctx, t, operator()); err != nil {
			return fail(err)
		}
		scheduleSteps(env, "create", t.ID, t.CheckinAt, t.StartsAt, stderr)
		fmt.Fprintf(stdout, "tournament %s created: registration open, check-in %s, start %s\n", t.ID,
			t.CheckinAt.Format(time.RFC3339), t.StartsAt.Format(time.RFC3339))
	case "reschedule":
		checkin, start, err := pg.RescheduleTournament(ctx, id, checkinAt, startsAt, operator())
		if err != nil {
			return fail(err)
		}
		scheduleSteps(env, "reschedule", id, checkin, start, stderr)
		fmt.Fprintf(stdout, "tournament %s rescheduled: check-in %s, start %s\n", id, checkin.Format(time.RFC3339), start.Format(time.RFC3339))
	case "cancel":
		if err := pg.SetTournamentStatus(ctx, id, "cancelled", operator()); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "tournament %s cancelled\n", id)
	case "list":
		ts, err := pg.Tournaments(ctx)
		if err != nil {
			return fail(err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tFORMAT\tTARGET\tROUNDS\tTEAMS\tSTATUS")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d/%d\t%s\n", t.ID, t.Name, t.Format, t.Target, t.Rounds, t.Teams, t.MaxTeams, t.Status)
		}
		tw.Flush()
	case "show":
		info, err := pg.Tournament(ctx, id)
		if err != nil {
			return fail(err)
		}
		teams, err := pg.TournamentTeams(ctx, id)
		if err != nil {
			return fail(err)
		}
		roster, err := pg.Roster(ctx, id)
		if err != nil {
			return fail(err)
		}
		rows, err := pg.GameRows(ctx, id)
		if err != nil {
			return fail(err)
		}
		name := map[string]string{}
		for _, t := range roster {
			name[t.ID] = t.Name
		}
		games := make([]tournament.Game, len(rows))
		for i, r := range rows {
			games[i] = r.Game()
		}
		st, err := tournament.Standings(teams, games)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s (%s): %s, %s to %d, %d rounds, %d/%d teams; check-in %s, start %s\n", info.Name, info.ID, info.Status,
			info.Format, info.Target, info.Rounds, info.Teams, info.MaxTeams, info.CheckinAt.Format(time.RFC3339), info.StartsAt.Format(time.RFC3339))
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tTEAM\tNAME\tWINS\tBUCHHOLZ\tPOINTS\tRATING\tPLAYED\tBYES")
		for _, s := range st {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%+d\t%d\t%d\t%d\n", s.Rank, s.Team, name[s.Team], s.Wins, s.Buchholz, s.Points, s.Rating, s.Played, s.Byes)
		}
		tw.Flush()
		for _, g := range rows {
			switch {
			case g.B == "":
				fmt.Fprintf(stdout, "round %d: %s has a bye\n", g.Round, name[g.A])
			case g.Winner == "":
				fmt.Fprintf(stdout, "round %d: %s v %s, playing at %s\n", g.Round, name[g.A], name[g.B], g.Table)
			default:
				fmt.Fprintf(stdout, "round %d: %s v %s, %d–%d, won by %s (match %s)\n", g.Round, name[g.A], name[g.B], g.ScoreA, g.ScoreB, name[g.Winner], g.Match)
			}
		}
	}
	return 0
}

// scheduleSteps asks the director to advance the tournament at its
// check-in and its start (a time past is at once; a task for an old time
// finds nothing due); the scheduler's minute job would within a minute
// otherwise, which is said when Redis refuses.
func scheduleSteps(env *toolEnv, cmd, id string, checkinAt, startsAt time.Time, stderr io.Writer) {
	client := asynq.NewClientFromRedisClient(env.rdb)
	for _, at := range []time.Time{checkinAt, startsAt} {
		if err := tasks.Enqueue(env.ctx, client, tasks.NewTournamentAdvanceAt(id, at)); err != nil {
			fmt.Fprintf(stderr, "hokm ops tournament %s: %v (the scheduler's minute job advances it)\n", cmd, err)
		}
	}
}

// tournamentID is what a tournament's id may be: it names its tables
// (director.TableID: "<id>-<round>-<line>", at most 32 characters).
var tournamentID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)

// checkTournament refuses settings the tournament tables would refuse,
// with the flag to change, and gives a tournament without an id one.
func checkTournament(t *pgstore.Tournament) error {
	switch {
	case t.ID != "" && !tournamentID.MatchString(t.ID):
		return fmt.Errorf("--id: 1 to 20 of a-z, 0-9 and -, starting with a letter or digit (%q)", t.ID)
	case t.RoundBreak < 0 || t.RoundBreak > time.Hour:
		return fmt.Errorf("--round-break: 0 to 1h (%v)", t.RoundBreak)
	case t.Name == "" || len(t.Name) > 80:
		return fmt.Errorf("--name: 1 to 80 characters (%q)", t.Name)
	case t.Format != "swiss" && t.Format != "elimination":
		return fmt.Errorf("--format: swiss or elimination (%q)", t.Format)
	case t.Target != 3 && t.Target != 5 && t.Target != 7:
		return fmt.Errorf("--target: 3, 5 or 7 (%d)", t.Target)
	case t.Rounds < 1 || t.Rounds > 20:
		return fmt.Errorf("--rounds: 1 to 20 (%d)", t.Rounds)
	case t.MaxTeams < 2 || t.MaxTeams > 256:
		return fmt.Errorf("--max-teams: 2 to 256 (%d)", t.MaxTeams)
	}
	if t.ID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		t.ID = "tn" + hex.EncodeToString(b)
	}
	return nil
}
