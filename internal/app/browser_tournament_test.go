package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
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
// with one win in the final ranking. The tournament is stored in
// PostgreSQL and its director's steps enqueued (as hokm ops tournament
// create does) when the script's browsers are ready: POST /create on the
// control endpoint, so the registration's time does not depend on how long
// the browsers took to start. (One of TestBrowser's jobs: its own server
// and Chromium beside TestBrowser's made the animation scripts late.)
func tournamentControl(t *testing.T, s *server) []string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := "brw" + hex.EncodeToString(b)
	client := asynq.NewClientFromRedisClient(s.rdb) // asynq's keys carry no prefix: the server's Redis DB is the test's own
	mux := http.NewServeMux()
	// /create?register=S&checkin=S: the tournament id, registration open
	// for S seconds, then check-in for S seconds; answers its times.
	mux.HandleFunc("POST /create", func(w http.ResponseWriter, r *http.Request) {
		secs := func(k string) time.Duration {
			n, err := strconv.Atoi(r.URL.Query().Get(k))
			if err != nil || n < 1 {
				n = 10
			}
			return time.Duration(n) * time.Second
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		checkin := time.Now().Add(secs("register")).Truncate(time.Second)
		tn := pgstore.Tournament{ID: id, Name: "Nowruz Cup جام نوروز", Format: "swiss", Target: 3, Rounds: 1, MaxTeams: 8,
			BotsFill: true, CheckinAt: checkin, StartsAt: checkin.Add(secs("checkin"))}
		if err := s.pg.CreateTournament(ctx, tn, "test"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, at := range []time.Time{tn.CheckinAt, tn.StartsAt} {
			if err := tasks.Enqueue(ctx, client, tasks.NewTournamentAdvanceAt(id, at)); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "checkin_at": tn.CheckinAt, "starts_at": tn.StartsAt})
	})
	ctl := httptest.NewServer(mux)
	t.Cleanup(ctl.Close)
	return []string{ctl.URL, id}
}
