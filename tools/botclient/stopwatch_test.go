package botclient

import (
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
)

// ck is the stopwatch's key of card c ("AS") played by seat in hand.
func ck(t *testing.T, hand, seat int, c string) cardKey {
	t.Helper()
	card, ok := game.ParseCard(c)
	if !ok {
		t.Fatalf("card %q", c)
	}
	return moveKey(hand, seat, card)
}

// A card's timing is forgotten once its fourth client saw it; one a client
// got in a catch-up is kept until played again (which starts it afresh).
func TestStopwatchForgetsSeenCards(t *testing.T) {
	w := newStopwatch(nil)
	a, b := ck(t, 0, 0, "AS"), ck(t, 0, 1, "KS")
	w.start(a)
	w.start(b)
	for range 4 {
		w.saw(a)
	}
	for range 3 {
		w.saw(b)
	}
	w.untime(b)
	if _, ok := w.cards[a]; ok || len(w.cards) != 1 {
		t.Fatalf("cards kept %v, want b's only", w.cards)
	}
	w.start(b)
	for range 4 {
		w.saw(b)
	}
	if len(w.cards) != 0 || len(w.latencies()) != 2 {
		t.Fatalf("cards kept %v, %d timed; want none kept, 2 timed", w.cards, len(w.latencies()))
	}
}

// The longest gap counts from one card's arrival at all four clients to
// the next's, untimed cards (a resync's) included; a card seen by fewer
// than four does not end a gap.
func TestStopwatchLongestGap(t *testing.T) {
	w := newStopwatch(nil)
	four := func(key cardKey) {
		for range 4 {
			w.saw(key)
		}
	}
	a, b := ck(t, 0, 0, "AS"), ck(t, 0, 1, "KS")
	w.start(a)
	four(a)
	if g := w.longestGap(); g != 0 {
		t.Fatalf("gap %v after one card", g)
	}
	w.start(b)
	w.untime(b)
	time.Sleep(20 * time.Millisecond)
	for range 3 { // three clients only: the gap goes on
		w.saw(b)
	}
	time.Sleep(20 * time.Millisecond)
	w.saw(b)
	if g := w.longestGap(); g < 40*time.Millisecond {
		t.Fatalf("gap %v, want at least the 40 ms slept", g)
	}
	if len(w.latencies()) != 1 {
		t.Fatalf("%d moves timed, want 1 (b was untimed)", len(w.latencies()))
	}
}
