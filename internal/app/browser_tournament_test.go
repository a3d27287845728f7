package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tasks"
)

// tournamentControl is what tests/browser/tournament.mjs takes besides the
// base URL: a control endpoint's URL and a tournament id. The script drives
// the Tournaments page through a whole tournament: a Swiss tournament of
// one round to 3 points, with bots filling the seats of missing players.
// Three guests register through the page — one names a team and passes its
// code on, one joins with that code (after a wrong code first), one
// registers alone — and check in when check-in opens; the director starts
// the round and pulls the players to their table by itself (one player,
// whose page was closed at the time, goes to it from the tournament's
// page); they play the match through the page while a fourth guest,
// registered nowhere, watches the table from the tournament's page and is
// never sent a hidden card; then the tournament's page shows the winners
// with one win in the final ranking. Each of the tournament's steps is
// taken when the script has done what comes before it — the tournament
// stored and its director's steps enqueued when the browsers are ready
// (POST /create on the control endpoint, as hokm ops tournament create
// does), the check-in opened and round 1 started (POST /checkin, /start,
// as hokm ops tournament reschedule does) — so no step depends on how fast
// the machine is (one of TestBrowser's jobs: its own server and Chromium
// run beside TestBrowser's, and on a slow hour a registration window of
// 25 s closed before the script was through it).
func tournamentControl(t *testing.T, s *server) []string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := "brw" + hex.EncodeToString(b)
	client := asynq.NewClientFromRedisClient(s.rdb) // asynq's keys carry no prefix: the server's Redis DB is the test's own
	mux := http.NewServeMux()
	// Each step is taken when the script asks for it, as an operator would
	// (hokm ops tournament create, then reschedule to open the check-in now
	// and to start now): a slow machine makes the steps later, never the
	// script too late for one. Each answers the tournament's times.
	later := time.Now().Add(time.Hour).Truncate(time.Second) // a step's time until the script asks for it
	step := func(do func(ctx context.Context) (checkin, start time.Time, err error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
			defer cancel()
			checkin, start, err := do(ctx)
			for _, at := range []time.Time{checkin, start} {
				if err == nil {
					err = tasks.Enqueue(ctx, client, tasks.NewTournamentAdvanceAt(id, at))
				}
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "checkin_at": checkin, "starts_at": start})
		}
	}
	// /create: the tournament, registration open (for an hour).
	mux.HandleFunc("POST /create", step(func(ctx context.Context) (time.Time, time.Time, error) {
		tn := pgstore.Tournament{ID: id, Name: "Nowruz Cup جام نوروز", Format: "swiss", Target: 3, Rounds: 1, MaxTeams: 8,
			BotsFill: true, CheckinAt: later, StartsAt: later}
		return tn.CheckinAt, tn.StartsAt, s.pg.CreateTournament(ctx, tn, "test")
	}))
	// /checkin: registration closes, check-in opens (for an hour).
	mux.HandleFunc("POST /checkin", step(func(ctx context.Context) (time.Time, time.Time, error) {
		now := time.Now().Truncate(time.Second)
		return s.pg.RescheduleTournament(ctx, id, now, now.Add(time.Hour), "test")
	}))
	// /start: check-in closes, the teams are formed, round 1 starts.
	mux.HandleFunc("POST /start", step(func(ctx context.Context) (time.Time, time.Time, error) {
		return s.pg.RescheduleTournament(ctx, id, time.Time{}, time.Now().Truncate(time.Second), "test")
	}))
	ctl := httptest.NewServer(mux)
	t.Cleanup(ctl.Close)
	return []string{ctl.URL, id}
}
