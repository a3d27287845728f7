// Package readiness answers /readyz from named checks of the process's
// dependencies. A required check that fails makes the process unready
// (503: a load balancer should send it nothing); an optional one makes it
// degraded (200: it still does its job, with less). The body says which:
//
//	{"status":"degraded","checks":{"redis":"ok","postgres":"degraded"}}
//
// status is ok, degraded, unavailable (a required check failed) or
// draining (the process is shutting down); each check is ok, degraded (an
// optional check failed) or fail (a required one failed).
package readiness

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hokm-project/hokm/internal/logthrottle"
)

// Check is one named readiness check.
type Check struct {
	Name string
	// Required: the process cannot do its job while it fails (503);
	// otherwise it runs degraded (200).
	Required bool
	// Check returns nil when the dependency is usable; it must return by
	// the context's deadline.
	Check func(ctx context.Context) error
}

// The statuses of a Report and of its checks.
const (
	StatusOK          = "ok"
	StatusDegraded    = "degraded"
	StatusUnavailable = "unavailable"
	StatusDraining    = "draining"
	CheckFail         = "fail"
)

// Report is the body of /readyz.
type Report struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	// Errors are the failing checks' errors, only where Options.Detail
	// allows (the ops listener, not the public one).
	Errors map[string]string `json:"errors,omitempty"`
}

// Ready tells whether the report allows traffic (ok or degraded).
func (r Report) Ready() bool { return r.Status == StatusOK || r.Status == StatusDegraded }

// Options tune a Handler. Zero values take the defaults.
type Options struct {
	Timeout  time.Duration // for all checks together; default 1 s
	Draining func() bool   // when true the report is draining (503)
	Detail   bool          // put the failing checks' errors in the body
	// Log gets a failing check's error (warn, throttled per check) and a
	// "recovered" line when it passes again; nil logs nothing.
	Log *logthrottle.Logger
}

// Run runs the checks in parallel, each bounded by ctx, and reports.
func Run(ctx context.Context, checks []Check, detail bool) (Report, map[string]error) {
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Check(ctx)
		}()
	}
	wg.Wait()
	r := Report{Status: StatusOK, Checks: map[string]string{}}
	failed := map[string]error{}
	for i, c := range checks {
		err := errs[i]
		switch {
		case err == nil:
			r.Checks[c.Name] = StatusOK
			continue
		case c.Required:
			r.Checks[c.Name], r.Status = CheckFail, StatusUnavailable
		default:
			r.Checks[c.Name] = StatusDegraded
			if r.Status == StatusOK {
				r.Status = StatusDegraded
			}
		}
		failed[c.Name] = err
		if detail {
			if r.Errors == nil {
				r.Errors = map[string]string{}
			}
			r.Errors[c.Name] = err.Error()
		}
	}
	return r, failed
}

// Handler serves /readyz: 200 when every required check passes (status ok
// or degraded), else 503 (unavailable, or draining).
func Handler(checks []Check, o Options) http.Handler {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), o.Timeout)
		defer cancel()
		r, failed := Run(ctx, checks, o.Detail)
		if o.Log != nil {
			for _, c := range checks {
				key := "readiness check failed: " + c.Name
				if err := failed[c.Name]; err != nil {
					o.Log.Log(ctx, slog.LevelWarn, key, key, "required", c.Required, "err", err)
				} else {
					o.Log.Recovered(key)
				}
			}
		}
		if o.Draining != nil && o.Draining() {
			r.Status = StatusDraining
		}
		code := http.StatusOK
		if !r.Ready() {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(r)
	})
}
