package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tournament"
)

// `hokm ops tournament create|reschedule|list|show|cancel`: each change stored and
// audited with the operator; bad settings refused before anything is
// written; show ranks the teams from the stored games.
func TestOpsTournament(t *testing.T) {
	ctx, pool, _, _ := opsToolEnv(t, "ops-bob")
	// create enqueues the tournament's steps as asynq tasks, whose keys take
	// no prefix: on the ops tools' Redis DB, never a running server's.
	rdb, _ := testenv.Redis(t, testenv.DBOps, true)
	t.Setenv("HOKM_REDIS_URL", testenv.RedisDBURL(t, testenv.DBOps))

	for _, bad := range [][]string{{"--name", ""}, {"--name", "Cup", "--target", "6"}, {"--name", "Cup", "--format", "league"},
		{"--name", "Cup", "--max-teams", "1"}, {"--name", "Cup", "--rounds", "0"}, {"--name", "Cup", "--id", "Bad_Id"},
		{"--name", "Cup", "--round-break", "2h"}, {"--name", "Cup", "--checkin-in", "-1m"}} {
		code, _, errOut := runHokm(t, "", append([]string{"ops", "tournament", "create"}, bad...)...)
		if code != 2 || !strings.Contains(errOut, "--") {
			t.Errorf("create %v: %d %q", bad, code, errOut)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tournaments`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d tournaments after refused creations (%v)", n, err)
	}
	code, out, errOut := runHokm(t, "", "ops", "tournament", "create", "--id", "spring", "--name", "Spring cup", "--max-teams", "4")
	if code != 0 || !strings.Contains(out, "spring created: registration open") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	// Its check-in and its start are scheduled for the director.
	scheduled, err := rdb.ZCard(ctx, "asynq:{default}:scheduled").Result()
	if err != nil || scheduled != 2 {
		t.Fatalf("%d tasks scheduled after create (%v), want the check-in and the start", scheduled, err)
	}
	if code, _, errOut := runHokm(t, "", "ops", "tournament", "create", "--id", "spring", "--name", "Again"); code != 1 ||
		!strings.Contains(errOut, "has this id already") {
		t.Fatalf("a second tournament of the same id: %d %q", code, errOut)
	}
	// reschedule: the check-in moved (the start keeps the check-in's
	// length), both steps scheduled again; refused without a time, with a
	// start before the check-in, for an unknown tournament.
	for _, bad := range [][]string{{"spring"}, {"spring", "--checkin-in", "-1m"}, {"--checkin-in", "1m"}} {
		if code, _, errOut := runHokm(t, "", append([]string{"ops", "tournament", "reschedule"}, bad...)...); code != 2 {
			t.Errorf("reschedule %v: %d %q", bad, code, errOut)
		}
	}
	if code, _, errOut := runHokm(t, "", "ops", "tournament", "reschedule", "spring", "--checkin-in", "20m", "--start-in", "10m"); code != 1 ||
		!strings.Contains(errOut, "cannot start before its check-in") {
		t.Fatalf("a start before the check-in: %d %q", code, errOut)
	}
	if code, _, errOut := runHokm(t, "", "ops", "tournament", "reschedule", "autumn", "--start-in", "1m"); code != 1 ||
		!strings.Contains(errOut, "no such tournament") {
		t.Fatalf("an unknown tournament: %d %q", code, errOut)
	}
	before := time.Now()
	code, out, errOut = runHokm(t, "", "ops", "tournament", "reschedule", "spring", "--checkin-in", "2h")
	if code != 0 || !strings.Contains(out, "spring rescheduled: check-in") {
		t.Fatalf("reschedule: %d %q %q", code, out, errOut)
	}
	var checkin, start time.Time
	if err := pool.QueryRow(ctx, `SELECT checkin_at, starts_at FROM tournaments WHERE id = 'spring'`).Scan(&checkin, &start); err != nil {
		t.Fatal(err)
	}
	if d := checkin.Sub(before); d < 2*time.Hour-time.Second || d > 2*time.Hour+time.Minute || start.Sub(checkin) != 15*time.Minute {
		t.Fatalf("rescheduled to check-in %v, start %v (asked at %v: check-in in 2h, the check-in's 15m kept)", checkin, start, before)
	}
	if scheduled, err := rdb.ZCard(ctx, "asynq:{default}:scheduled").Result(); err != nil || scheduled != 4 {
		t.Fatalf("%d tasks scheduled after reschedule (%v), want the old and the new check-in and start", scheduled, err)
	}
	pg := pgstore.New(pool)
	for i, team := range []tournament.Team{{ID: "red", Rating: 1600}, {ID: "blue", Rating: 1500}} {
		p := []string{"r1", "b1"}[i]
		if _, err := pool.Exec(ctx, `INSERT INTO players (id, name) VALUES ($1, $1)`, p); err != nil {
			t.Fatal(err)
		}
		if err := pg.RegisterTeam(ctx, "spring", team, p); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ = runHokm(t, "", "ops", "tournament", "list")
	if code != 0 || !strings.Contains(out, "spring") || !strings.Contains(out, "2/4") || !strings.Contains(out, "registration") {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = runHokm(t, "", "ops", "tournament", "show", "spring")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "Spring cup (spring): registration") ||
		!strings.HasPrefix(lines[2], "1 ") || !strings.Contains(lines[2], "red") {
		t.Fatalf("show: %d %q", code, out)
	}
	if code, out, _ := runHokm(t, "", "ops", "tournament", "cancel", "spring"); code != 0 || !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %d %q", code, out)
	}
	if code, _, errOut := runHokm(t, "", "ops", "tournament", "cancel", "spring"); code != 1 || !strings.Contains(errOut, "cancelled") {
		t.Fatalf("cancelling a cancelled tournament: %d %q", code, errOut)
	}
	rows, err := pool.Query(ctx, `SELECT kind, detail FROM audit_log WHERE kind IN ('tournament_created', 'tournament_rescheduled', 'tournament_status') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var kind string
		var detail map[string]any
		if err := rows.Scan(&kind, &detail); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(detail)
		if detail["by"] != "ops-bob" || detail["tournament"] != "spring" {
			t.Errorf("%s audited as %s", kind, b)
		}
		got = append(got, kind)
	}
	if strings.Join(got, ",") != "tournament_created,tournament_rescheduled,tournament_status" {
		t.Fatalf("audited %v", got)
	}
}
