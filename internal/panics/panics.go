// Package panics turns a panic in one unit of work — a client frame, an
// action, a task — into an error: it is logged with its stack and counted
// in hokm_panics_total{component}, and the process goes on serving
// everyone else. A bug reached by one input must not take a gateway or
// every worker down with it.
package panics

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/hokm-project/hokm/internal/metrics"
)

// Error is a recovered panic.
type Error struct {
	Value any
	Stack []byte
}

func (e *Error) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Catch recovers a panic of the function that defers it, logs and counts
// it, and stores it in *err (when err is not nil):
//
//	func (p *Processor) process(...) (err error) {
//		defer panics.Catch("worker", p.log, &err)
//
// It must be deferred directly (recover only works there).
func Catch(component string, log *slog.Logger, err *error) {
	r := recover()
	if r == nil {
		return
	}
	e := &Error{Value: r, Stack: debug.Stack()}
	metrics.Panics.WithLabelValues(component).Inc()
	if log == nil {
		log = slog.Default()
	}
	log.Error("panic recovered", "component", component, "panic", fmt.Sprint(r), "stack", string(e.Stack))
	if err != nil {
		*err = e
	}
}

// Do runs fn as one unit of work and returns its error, or the panic it
// recovered (see Catch): a periodic loop wraps each pass in it, so that a
// bug one pass runs into costs that pass, not the process.
func Do(component string, log *slog.Logger, fn func() error) (err error) {
	defer Catch(component, log, &err)
	return fn()
}
