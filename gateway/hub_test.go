package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestHubSurvivesAPanickingMessage: a message whose handling panics is
// recovered and counted (hokm_panics_total{component="gateway_hub"}); the
// hub goes on delivering the next ones.
func TestHubSurvivesAPanickingMessage(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	ch := prefix + ":test-global"
	got := make(chan string, 4)
	h := newHub(rdb, redisstore.New(rdb, redisstore.Options{Prefix: prefix}).Keys(), testLogger(),
		map[string]func(string){ch: func(p string) {
			if p == "bad" {
				panic("a bug this message runs into")
			}
			got <- p
		}}, func(*hubTable, string) {})
	t.Cleanup(h.close)
	before := testutil.ToFloat64(metrics.Panics.WithLabelValues("gateway_hub"))
	ctx := context.Background()
	if !testenv.Until(5*time.Second, func() bool { return rdb.PubSubNumSub(ctx, ch).Val()[ch] == 1 }) {
		t.Fatal("the hub never subscribed")
	}
	for _, p := range []string{"bad", "good"} {
		if err := rdb.Publish(ctx, ch, p).Err(); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case p := <-got:
		if p != "good" {
			t.Fatalf("got %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hub delivered nothing after the panicking message")
	}
	if d := testutil.ToFloat64(metrics.Panics.WithLabelValues("gateway_hub")) - before; d != 1 {
		t.Fatalf("hokm_panics_total{component=gateway_hub} grew by %v, want 1", d)
	}
}
