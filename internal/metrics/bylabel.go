package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// byLabel memoizes a vector's children by the value of its one label.
// WithLabelValues hashes the value and looks it up under the vector's lock
// on every call; the move path makes several such calls a card (a request,
// each Redis command, each applied move) for a handful of values: about
// 1 % of a busy server's CPU. Only for vectors whose children are never
// deleted, and labels of bounded values.
type byLabel[T any] struct {
	children sync.Map // label value → T
	with     func(...string) T
}

func (b *byLabel[T]) of(v string) T {
	if c, ok := b.children.Load(v); ok {
		return c.(T)
	}
	c := b.with(v)
	b.children.Store(v, c)
	return c
}

var (
	requestsBy      = byLabel[prometheus.Counter]{with: Requests.WithLabelValues}
	movesAppliedBy  = byLabel[prometheus.Counter]{with: MovesApplied.WithLabelValues}
	redisDurationBy = byLabel[prometheus.Observer]{with: RedisDuration.WithLabelValues}
)
