// Package gctune trades memory a process can spare for the garbage
// collector's CPU. While the live heap is small, collections are rarer (a
// GC percent up to Max instead of Go's 100); as the heap grows towards a
// target the percent falls back to Go's default, so a large process uses
// no more memory than it would untuned.
//
// On the move path the collector took 10–14 % of a busy hokm serve's CPU
// at the default percent; docs/operations.md ("Garbage collection") has
// what the tuning saves and costs.
//
// The percent is set after every collection (a cleanup attached to an
// object that only the collector frees): what the heap may grow to before
// the next one is the target, within [Min, Max].
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The bounds of the percent set.
const (
	Min = 100 // Go's default: never collect more often than untuned
	Max = 400
)

// Percent is the GC percent that lets a heap of live bytes, with roots
// bytes of goroutine stacks and globals (which the collector's goal counts
// alongside the heap), grow to target before the next collection, within
// [Min, Max].
func Percent(live, roots, target uint64) int {
	if live >= target {
		return Min
	}
	base := live + roots
	if base == 0 {
		return Max
	}
	p := (target - live) * 100 / base
	switch {
	case p < Min:
		return Min
	case p > Max:
		return Max
	}
	return int(p)
}

var once sync.Once

// Start tunes the collector from now until the process ends, for a heap
// target of target bytes. It does nothing, and reports false, when target
// is 0 or GOGC is set in the environment (an operator's setting stands);
// GOMEMLIMIT, when set, still caps the heap. Calls after the first change
// nothing.
func Start(target uint64, getenv func(string) string) bool {
	if target == 0 || getenv("GOGC") != "" {
		return false
	}
	once.Do(func() {
		t := newTuner(target)
		t.adjust()
		t.arm()
	})
	return true
}

func newTuner(target uint64) *tuner {
	return &tuner{target: target, samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}}
}

type tuner struct {
	target  uint64
	samples []metrics.Sample
}

// sentinel is freed by the next collection after arm; it holds a pointer
// so that it is not batched in the tiny allocator, whose blocks a cleanup
// may never see freed.
type sentinel struct{ _ *byte }

// arm runs adjust, then arms again, after the next collection. Only one
// sentinel is ever pending, so adjust never runs twice at once.
func (t *tuner) arm() {
	runtime.AddCleanup(&sentinel{}, func(t *tuner) {
		t.adjust()
		t.arm()
	}, t)
}

func (t *tuner) adjust() {
	metrics.Read(t.samples)
	var v [3]uint64
	for i, s := range t.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	debug.SetGCPercent(Percent(v[0], v[1]+v[2], t.target))
}
