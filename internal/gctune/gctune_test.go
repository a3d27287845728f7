package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, roots, target uint64
		want                int
	}{
		{0, 0, 256 * mib, Max},              // nothing collected yet
		{10 * mib, 0, 256 * mib, Max},       // small heap: as rare as allowed
		{64 * mib, 0, 256 * mib, 300},       // may grow by 192 MiB
		{60 * mib, 4 * mib, 256 * mib, 306}, // stacks and globals count in the base
		{128 * mib, 0, 256 * mib, Min},      // growing by half the target: Go's default
		{200 * mib, 0, 256 * mib, Min},
		{300 * mib, 0, 256 * mib, Min}, // over the target: never below the default
	} {
		if got := Percent(c.live, c.roots, c.target); got != c.want {
			t.Errorf("Percent(%d, %d, %d MiB) = %d, want %d", c.live/mib, c.roots/mib, c.target/mib, got, c.want)
		}
	}
}

func gcPercent() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestStartRespectsTheOperator(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOGC" {
				return v
			}
			return ""
		}
	}
	if Start(1<<30, env("100")) {
		t.Error("tuning started with GOGC set")
	}
	if Start(0, env("")) {
		t.Error("tuning started with no target")
	}
}

func TestTunesAfterEveryCollection(t *testing.T) {
	defer debug.SetGCPercent(100)
	if !Start(1<<40, func(string) string { return "" }) {
		t.Fatal("tuning did not start")
	}
	if p := gcPercent(); p != Max {
		t.Fatalf("percent at start %d, want %d", p, Max)
	}
	// Someone else's setting is replaced after the next collection, and
	// again after a later one: the tuner arms itself anew each time.
	for round := 0; round < 3; round++ {
		debug.SetGCPercent(150)
		deadline := time.Now().Add(10 * time.Second)
		for gcPercent() != Max {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: percent still %d after collections", round, gcPercent())
			}
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestAdjustFallsBackOverTheTarget(t *testing.T) {
	defer debug.SetGCPercent(100)
	keep := make([]byte, 8<<20) // a live heap well over the target below
	runtime.GC()
	tn := newTuner(1 << 20)
	debug.SetGCPercent(Max)
	tn.adjust()
	if p := gcPercent(); p != Min {
		t.Errorf("percent %d with the live heap over the target, want %d", p, Min)
	}
	runtime.KeepAlive(keep)
}
