package gateway

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

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
	h := newHub(rdb, redisstore.New(rdb, redisstore.Options{Prefix: prefix}).Keys(), testLogger(), hubHooks{
		globals: map[string]func(string){ch: func(p string) {
			if p == "bad" {
				panic("a bug this message runs into")
			}
			got <- p
		}},
		onUser: func(*hubTable, string) {},
	})
	t.Cleanup(h.close)
	before := testutil.ToFloat64(metrics.Panics.WithLabelValues("gateway_hub"))
	ctx := context.Background()
	if !testenv.Until(5*time.Second, func() bool { return testenv.Subscribers(rdb, ch) == 1 }) {
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
	// (On a cluster two PUBLISHes may reach the subscriber's node by two
	// paths: "good" can come first.)
	grown := func() float64 { return testutil.ToFloat64(metrics.Panics.WithLabelValues("gateway_hub")) - before }
	if !testenv.Until(5*time.Second, func() bool { return grown() == 1 }) {
		t.Fatalf("hokm_panics_total{component=gateway_hub} grew by %v, want 1", grown())
	}
}

// TestHubBatchesSubscriptions: sockets joining at once are subscribed with
// fewer SUBSCRIBEs than channels (one per batch queued while the one before
// was on its way), each is ready only once Redis confirmed it, and each
// gets its messages; released, every channel is unsubscribed.
func TestHubBatchesSubscriptions(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	keys := redisstore.New(rdb, redisstore.Options{Prefix: prefix}).Keys()
	var mu sync.Mutex
	heard := map[string]int{}
	h := newHub(rdb, keys, testLogger(), hubHooks{onUser: func(t *hubTable, _ string) {
		mu.Lock()
		heard[t.id]++
		mu.Unlock()
	}})
	t.Cleanup(h.close)
	ctx := context.Background()
	const n = 300
	conns := make([]*conn, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range conns {
		conns[i] = &conn{}
		wg.Go(func() { errs <- h.acquireUser(ctx, "u"+strconv.Itoa(i), conns[i]) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if b := h.batches.Load(); b < 1 || b >= n {
		t.Fatalf("%d SUBSCRIBEs for %d channels joined at once", b, n)
	}
	for i := range n {
		ch := keys.User("u" + strconv.Itoa(i))
		if got := testenv.Subscribers(rdb, ch); got != 1 {
			t.Fatalf("%s: %d subscribers once acquired", ch, got)
		}
		if err := rdb.Publish(ctx, ch, "hi").Err(); err != nil {
			t.Fatal(err)
		}
	}
	if !testenv.Until(5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(heard) == n }) {
		t.Fatalf("%d of %d channels delivered their message", len(heard), n)
	}
	for _, c := range conns {
		h.releaseAll(c)
	}
	if !testenv.Until(5*time.Second, func() bool { return len(testenv.Channels(rdb, prefix+":*")) == 0 }) {
		t.Fatalf("%d channels still subscribed after every socket left", len(testenv.Channels(rdb, prefix+":*")))
	}
}

// TestHubSocketLeavesBeforeItsSubscriptionIsSent: a channel queued for the
// next SUBSCRIBE whose only socket leaves meanwhile ends unsubscribed,
// whichever goes first, with nothing left to confirm.
func TestHubSocketLeavesBeforeItsSubscriptionIsSent(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	keys := redisstore.New(rdb, redisstore.Options{Prefix: prefix}).Keys()
	h := newHub(rdb, keys, testLogger(), hubHooks{onUser: func(*hubTable, string) {}})
	t.Cleanup(h.close)
	ctx := context.Background()
	for i := range 20 {
		c := &conn{}
		h.subMu.Lock() // a SUBSCRIBE on its way: the next channel queues
		acquired := make(chan error, 1)
		// (released first, the socket waits for a confirmation that never
		// comes, until its context ends: it is leaving anyway)
		actx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		go func() { acquired <- h.acquire(actx, "t"+strconv.Itoa(i), c) }()
		if !testenv.Until(5*time.Second, func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.queued != nil }) {
			t.Fatal("the channel was never queued")
		}
		released := make(chan struct{})
		go func() { h.releaseAll(c); close(released) }()
		h.subMu.Unlock() // the release and the send race for it
		<-released
		if err := <-acquired; err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		ch := keys.Channel("t" + strconv.Itoa(i))
		if !testenv.Until(5*time.Second, func() bool { return testenv.Subscribers(rdb, ch) == 0 }) {
			t.Fatalf("round %d: %s still subscribed after its socket left", i, ch)
		}
		var left, want, started int
		if !testenv.Until(5*time.Second, func() bool { // (the confirmations come asynchronously)
			h.mu.Lock()
			defer h.mu.Unlock()
			left, want, started = len(h.chans), len(h.want), len(h.started)
			return left == 0 && want == 0 && started == 0
		}) {
			t.Fatalf("round %d: %d channels, %d confirmations and %d started left", i, left, want, started)
		}
	}
}

// TestHubHearsTablesOnTheirNode: a table's messages reach the sockets that
// follow it. On a Redis Cluster the hub subscribes each table's channel on
// the node that holds the table, where its messages are published (not
// through the cluster bus); released, it is unsubscribed there.
func TestHubHearsTablesOnTheirNode(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
	keys := st.Keys()
	h := newHub(rdb, keys, testLogger(), hubHooks{onUser: func(*hubTable, string) {}})
	t.Cleanup(h.close)
	ctx := context.Background()
	const n = 40
	conns := make([]*conn, n)
	for i := range conns {
		conns[i] = &conn{inbox: newMailbox(16)}
		if err := h.acquire(ctx, "t"+strconv.Itoa(i), conns[i]); err != nil {
			t.Fatal(err)
		}
	}
	cc, cluster := rdb.(*redis.ClusterClient)
	nodes := map[string]bool{}
	for i := range n {
		id := "t" + strconv.Itoa(i)
		ch := keys.Channel(id)
		if cluster {
			owner, err := cc.MasterForKey(ctx, ch)
			if err != nil {
				t.Fatal(err)
			}
			nodes[owner.Options().Addr] = true
			if got := owner.PubSubNumSub(ctx, ch).Val()[ch]; got != 1 {
				t.Fatalf("%s: %d subscribers on the node holding the table", ch, got)
			}
		}
		if err := st.Publish(ctx, id, redisstore.Message{Epoch: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if cluster && len(nodes) < 2 {
		t.Fatalf("40 tables on %d nodes", len(nodes))
	}
	for i, c := range conns {
		if !testenv.Until(5*time.Second, func() bool { return len(c.inbox.take(nil, 16)) == 1 }) {
			t.Fatalf("table t%d: its socket heard nothing", i)
		}
		h.releaseAll(c)
	}
	if !testenv.Until(5*time.Second, func() bool { return len(testenv.Channels(rdb, prefix+":*")) == 0 }) {
		t.Fatalf("%d channels still subscribed after every socket left", len(testenv.Channels(rdb, prefix+":*")))
	}
}
