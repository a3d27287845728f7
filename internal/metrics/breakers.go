package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// BreakerStateDesc describes hokm_breaker_state: 0 closed, 1 half-open,
// 2 open, by dependency.
var BreakerStateDesc = prometheus.NewDesc("hokm_breaker_state",
	"Circuit breaker state by dependency: 0 closed, 1 half-open, 2 open.", []string{"dependency"}, nil)

// breakerStates reads each tracked breaker's state at scrape time, so the
// gauge is right even when no call has gone through a breaker since its
// open period ended.
var breakerStates = &breakerCollector{states: map[string]func() int{}}

type breakerCollector struct {
	mu     sync.Mutex
	states map[string]func() int
}

// TrackBreaker makes hokm_breaker_state{dependency=dep} report state() at
// each scrape. A later call for the same dependency replaces the earlier
// one (one breaker per dependency and process).
func TrackBreaker(dep string, state func() int) {
	breakerStates.mu.Lock()
	defer breakerStates.mu.Unlock()
	breakerStates.states[dep] = state
}

// Describe implements prometheus.Collector.
func (c *breakerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- BreakerStateDesc }

// Collect implements prometheus.Collector.
func (c *breakerCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for dep, state := range c.states {
		ch <- prometheus.MustNewConstMetric(BreakerStateDesc, prometheus.GaugeValue, float64(state()), dep)
	}
}

// BreakerTransition counts a breaker of dep entering state to.
func BreakerTransition(dep, to string) { BreakerTransitions.WithLabelValues(dep, to).Inc() }

// BreakerRejection counts a call the breaker of dep refused.
func BreakerRejection(dep string) { BreakerRejected.WithLabelValues(dep).Inc() }
