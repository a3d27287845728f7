package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/tools/botclient"
)

// connectedPlayers is the gateway's gauge of open sockets, scraped from
// the ops listener.
func connectedPlayers(t *testing.T, s *server) int {
	t.Helper()
	resp, err := http.Get("http://" + s.cfg.OpsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "hokm_gateway_connected_players "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			return int(n)
		}
	}
	t.Fatal("no hokm_gateway_connected_players in /metrics")
	return 0
}

// hold runs botclient.Hold until ctx ends and returns its report once all
// sockets are in, and the channel that gets its error when it ends.
func hold(t *testing.T, ctx context.Context, o botclient.HoldOptions) (botclient.HoldReport, chan error) {
	t.Helper()
	held, done := make(chan botclient.HoldReport, 1), make(chan error, 1)
	go func() { done <- botclient.Hold(ctx, o, func(r botclient.HoldReport) { held <- r }) }()
	select {
	case r := <-held:
		return r, done
	case err := <-done:
		t.Fatalf("hold ended before all %d sockets were in: %v", o.N, err)
		return botclient.HoldReport{}, nil
	}
}

// hokm sockets (scripts/idlebench) holds N guest sockets from several
// loopback addresses: the gateway counts every one while they are held
// and none once the run ends.
func TestHoldSockets(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	s := startServeWith(t, func(c *config.Config) {
		c.WSPerIP, c.GuestLimit = 0, ratelimit.Limit{Max: 1000, Window: time.Hour}
	})
	before := connectedPlayers(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, done := hold(t, ctx, botclient.HoldOptions{URL: s.wsURL(), N: 60, From: []string{"127.0.0.2", "127.0.0.3"}})
	if r.Sockets != 60 || r.Hello.P50 <= 0 || r.HelloP99 < r.Hello.P50 {
		t.Errorf("report %+v, want 60 sockets and their hello times", r)
	}
	if got := connectedPlayers(t, s); got != before+60 {
		t.Errorf("the gateway counts %d sockets while 60 are held (%d before)", got, before)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("hold: %v", err)
	}
	if !testenv.Until(5*time.Second, func() bool { return connectedPlayers(t, s) == before }) {
		t.Errorf("after the run the gateway still counts %d sockets (%d before)", connectedPlayers(t, s), before)
	}
}

// A socket refused on the way in fails the run: with 8 guests a minute
// from one address, the ninth hello is refused.
func TestHoldSocketsRefused(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	limited := startServeWith(t, func(c *config.Config) { c.GuestLimit = ratelimit.Limit{Max: 8, Window: time.Minute} })
	err := botclient.Hold(context.Background(), botclient.HoldOptions{URL: limited.wsURL(), N: 9, Dialing: 1},
		func(r botclient.HoldReport) { t.Errorf("ready with %+v past the guest limit", r) })
	if err == nil || !strings.Contains(err.Error(), "rate_limited") {
		t.Errorf("hold past the guest limit: %v, want the refusal", err)
	}
}

// Seated, the sockets sit four to a table: two tables listed in the lobby
// for eight sockets, each with four people and waiting.
func TestHoldSocketsSeated(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	s := startServeWith(t, func(c *config.Config) { c.WSPerIP, c.TableCreateLimit = 0, 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, done := hold(t, ctx, botclient.HoldOptions{URL: s.wsURL(), N: 8, Seated: true})
	if r.Sockets != 8 {
		t.Errorf("report %+v, want 8 sockets", r)
	}
	var entries []string
	testenv.Until(5*time.Second, func() bool { // the lobby follows the tables' changes
		var err error
		entries, err = s.store.Lobby(ctx)
		return err == nil && len(entries) == 2 && !strings.Contains(strings.Join(entries, ""), "null")
	})
	if len(entries) != 2 {
		t.Fatalf("%d tables listed, want 2: %v", len(entries), entries)
	}
	for _, e := range entries {
		var entry struct {
			Status string
			Seats  []*struct{ Name string }
		}
		if err := json.Unmarshal([]byte(e), &entry); err != nil {
			t.Fatal(err)
		}
		people := 0
		for _, p := range entry.Seats {
			if p != nil {
				people++
			}
		}
		if people != 4 || entry.Status != "waiting" {
			t.Errorf("a table has %d people, status %q, want 4 waiting: %s", people, entry.Status, e)
		}
	}
	if err := botclient.Hold(ctx, botclient.HoldOptions{URL: s.wsURL(), N: 6, Seated: true}, nil); err == nil {
		t.Error("6 seated sockets (not a multiple of 4) were accepted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("hold: %v", err)
	}
}
