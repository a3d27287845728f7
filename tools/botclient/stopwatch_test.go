package botclient

import (
	"testing"
	"time"
)

// The longest gap counts from one card's arrival at all four clients to
// the next's, untimed cards (a resync's) included; a card seen by fewer
// than four does not end a gap.
func TestStopwatchLongestGap(t *testing.T) {
	w := newStopwatch(nil)
	four := func(key string) {
		for range 4 {
			w.saw(key)
		}
	}
	w.start("a")
	four("a")
	if g := w.longestGap(); g != 0 {
		t.Fatalf("gap %v after one card", g)
	}
	w.start("b")
	w.untime("b")
	time.Sleep(20 * time.Millisecond)
	for range 3 { // three clients only: the gap goes on
		w.saw("b")
	}
	time.Sleep(20 * time.Millisecond)
	w.saw("b")
	if g := w.longestGap(); g < 40*time.Millisecond {
		t.Fatalf("gap %v, want at least the 40 ms slept", g)
	}
	if len(w.latencies()) != 1 {
		t.Fatalf("%d moves timed, want 1 (b was untimed)", len(w.latencies()))
	}
}
