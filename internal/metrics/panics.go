package metrics

import "github.com/prometheus/client_golang/prometheus"

// Panics counts panics recovered in one unit of work (a client frame, a
// socket writer, an action, a task), by component.
var Panics = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "hokm_panics_total",
	Help: "Panics recovered in one unit of work (a frame, an action, a task), by component.",
}, []string{"component"})

func init() { Registry().MustRegister(Panics) }
