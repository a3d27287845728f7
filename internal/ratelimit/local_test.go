package ratelimit

import (
	"testing"
	"time"
)

// The in-process fallback of the rate limits: fixed windows like the Redis
// ones, undo, and a bounded map that refuses new keys when it is full of
// running windows (and makes room once they end).
func TestLocalLimiter(t *testing.T) {
	ll := newLocalLimiter(2)
	l := Limit{Max: 2, Window: time.Minute}
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 2 {
		if ok, _ := ll.hit("a", l, t0); !ok {
			t.Fatalf("hit %d refused", i+1)
		}
	}
	ok, retry := ll.hit("a", l, t0.Add(10*time.Second))
	if ok || retry != 50*time.Second {
		t.Fatalf("third hit: %v, retry %v; want refused for the 50 s left", ok, retry)
	}
	ll.undo("a")
	ll.undo("a")
	if ok, _ := ll.hit("a", l, t0.Add(20*time.Second)); !ok {
		t.Fatal("refused after two undos")
	}
	if ok, _ := ll.hit("a", l, t0.Add(time.Minute)); !ok {
		t.Fatal("refused in a new window")
	}

	if ok, _ := ll.hit("b", l, t0.Add(time.Minute)); !ok {
		t.Fatal("second key refused")
	}
	if ok, _ := ll.hit("c", l, t0.Add(time.Minute)); ok {
		t.Fatal("a third key was let into a full map")
	}
	if ok, _ := ll.hit("c", l, t0.Add(3*time.Minute)); !ok {
		t.Fatal("no room made once the windows ended")
	}
}
