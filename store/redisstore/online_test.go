package redisstore_test

import (
	"testing"
	"time"

	"github.com/hokm-project/hokm/store/redisstore"
)

// TestPlayersOnline: the reports of every gateway process add up; an
// expired one (a gateway that died) is dropped, a forgotten one is gone.
func TestPlayersOnline(t *testing.T) {
	e := setup(t, redisstore.Options{})
	if n, err := e.s.PlayersOnline(e.ctx); err != nil || n != 0 {
		t.Fatalf("nobody reported: %d %v", n, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.s.ReportOnline(e.ctx, "gw1", 3, time.Minute))
	must(e.s.ReportOnline(e.ctx, "gw2", 4, time.Minute))
	must(e.s.ReportOnline(e.ctx, "dead", 50, -time.Second))
	if n, err := e.s.PlayersOnline(e.ctx); err != nil || n != 7 {
		t.Fatalf("players online %d %v, want 7", n, err)
	}
	if e.rdb.HExists(e.ctx, e.s.Keys().Online(), "dead").Val() {
		t.Fatal("an expired report was kept")
	}
	must(e.s.ForgetOnline(e.ctx, "gw2"))
	if n, err := e.s.PlayersOnline(e.ctx); err != nil || n != 3 {
		t.Fatalf("after a gateway stopped: %d %v, want 3", n, err)
	}
}
