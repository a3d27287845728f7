// Package metrics defines every Prometheus metric of the server in one
// place, registered on one registry (with the Go and process collectors).
// The other packages only call the helpers here; internal/app serves the
// registry at the ops listener's /metrics. docs/operations.md lists every
// metric and the alerts on them.
package metrics

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Components of the request and error counters.
const (
	ComponentGateway = "gateway" // frames from clients
	ComponentWorker  = "worker"  // actions from the action stream
)

// Latency buckets (seconds) fine enough around the alert thresholds:
// Redis 5 ms, PostgreSQL 100 ms.
var (
	storeBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	moveBuckets  = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	lagBuckets   = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300}
)

var (
	// RedisDuration is the latency of Redis commands by command name
	// ("pipeline" for a pipeline or transaction as a whole).
	RedisDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hokm_redis_command_duration_seconds", Help: "Latency of Redis commands, by command name (pipeline for a whole pipeline).",
		Buckets: storeBuckets,
	}, []string{"command"})
	// RedisErrors counts Redis commands that failed (redis.Nil is no failure).
	RedisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_redis_command_errors_total", Help: "Redis commands that failed (a missing key is not a failure), by command name.",
	}, []string{"command"})
	// PostgresDuration is the latency of PostgreSQL queries by the
	// statement's first keyword (select, insert, with, ...).
	PostgresDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hokm_postgres_query_duration_seconds", Help: "Latency of PostgreSQL queries, by the statement's first keyword.",
		Buckets: storeBuckets,
	}, []string{"operation"})
	// PostgresErrors counts PostgreSQL queries that failed.
	PostgresErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_postgres_query_errors_total", Help: "PostgreSQL queries that failed, by the statement's first keyword.",
	}, []string{"operation"})

	// MovesApplied counts actions committed to a table, by op; moves/s is
	// its rate.
	MovesApplied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_moves_applied_total", Help: "Actions committed to a table by the workers, by op (play, trump, sit, ...).",
	}, []string{"op"})
	// MoveLatency is from the gateway's enqueue of an action to its commit.
	MoveLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hokm_move_latency_seconds", Help: "From the gateway's enqueue of an action (its At) to the worker's commit of it.",
		Buckets: moveBuckets,
	})
	// Requests counts requests by component: frames read by the gateway,
	// actions processed by the workers.
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_requests_total", Help: "Requests handled: client frames at the gateway, actions at the workers.",
	}, []string{"component"})
	// ClientErrors counts refusals caused by the client (illegal card,
	// malformed frame, ...), by code.
	ClientErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_client_errors_total", Help: "Requests refused because of the client (not the server's fault), by component and code.",
	}, []string{"component", "code"})
	// ServerErrors counts failures of the server (unavailable, internal), by code.
	ServerErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_server_errors_total", Help: "Requests that failed because of the server (unavailable, internal), by component and code.",
	}, []string{"component", "code"})

	// ConnectedPlayers is the number of open WebSocket connections.
	ConnectedPlayers = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hokm_gateway_connected_players", Help: "Open WebSocket connections on this gateway.",
	})
	// FramesIn and FramesOut count WebSocket data frames.
	FramesIn = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_gateway_frames_in_total", Help: "WebSocket frames read from clients.",
	})
	FramesOut = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_gateway_frames_out_total", Help: "WebSocket text frames written to clients.",
	})

	// SyncLag is from a match's end to its commit in PostgreSQL.
	SyncLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hokm_sync_lag_seconds", Help: "From a match's end (Redis) to its commit in PostgreSQL by the persist task.",
		Buckets: lagBuckets,
	})
	// MatchesPersisted counts persist tasks that committed, by whether they
	// inserted the match or found it stored.
	MatchesPersisted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_matches_persisted_total", Help: "Persist tasks that succeeded, by result (inserted, duplicate).",
	}, []string{"result"})

	// CacheRequests counts cache lookups by cache and result (hit, miss).
	CacheRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_cache_requests_total", Help: "Cache lookups by cache and result (hit, miss).",
	}, []string{"cache", "result"})

	// BreakerTransitions counts the circuit breakers' state changes, by
	// dependency (redis, postgres) and the state entered (closed,
	// half_open, open).
	BreakerTransitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_breaker_transitions_total", Help: "Circuit breaker state changes, by dependency and the state entered (closed, half_open, open).",
	}, []string{"dependency", "to"})
	// BreakerRejected counts calls a circuit breaker failed at once
	// without trying the dependency (it was open, or half-open with its
	// probe in flight).
	BreakerRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_breaker_rejected_total", Help: "Calls a circuit breaker refused at once without trying the dependency, by dependency.",
	}, []string{"dependency"})

	// LiveTables and QueueTasks are filled by collectors internal/app
	// registers (Register); their descriptions live here.
	LiveTablesDesc = prometheus.NewDesc("hokm_live_tables",
		"Tables in Redis (any status), counted by SCAN at most every 15 s.", nil, nil)
	QueueTasksDesc = prometheus.NewDesc("hokm_queue_tasks",
		"asynq tasks by queue and state (pending, active, scheduled, retry, archived).", []string{"queue", "state"}, nil)
)

var registry = newRegistry()

func newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		RedisDuration, RedisErrors, PostgresDuration, PostgresErrors,
		MovesApplied, MoveLatency, Requests, ClientErrors, ServerErrors,
		ConnectedPlayers, FramesIn, FramesOut, SyncLag, MatchesPersisted, CacheRequests,
		BreakerTransitions, BreakerRejected, breakerStates,
	)
	return r
}

// Registry is the process's registry: serve it with promhttp.HandlerFor.
func Registry() *prometheus.Registry { return registry }

// registering makes Register's replace one step: two apps starting at once
// in one test process would otherwise both unregister the old collector
// and the second MustRegister would panic on the first's new one.
var registering sync.Mutex

// Register adds a collector (live tables, queue sizes) to the registry. A
// collector already registered (a second fx app in one test process) is
// replaced.
func Register(c prometheus.Collector) {
	registering.Lock()
	defer registering.Unlock()
	if err := registry.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			registry.Unregister(are.ExistingCollector)
			registry.MustRegister(c)
			return
		}
		panic(err)
	}
}

// serverCodes are the error codes that are the server's fault; every other
// code is the client's.
var serverCodes = map[string]bool{"unavailable": true, "internal": true, "internal_error": true}

// IsServerError tells whether an error code is the server's fault.
func IsServerError(code string) bool { return serverCodes[code] }

// Request counts one request at component.
func Request(component string) { requestsBy.of(component).Inc() }

// Error counts an answer with an error code at component, as a client or a
// server error.
func Error(component, code string) {
	if code == "" {
		return
	}
	if IsServerError(code) {
		ServerErrors.WithLabelValues(component, code).Inc()
		return
	}
	ClientErrors.WithLabelValues(component, code).Inc()
}

// MoveApplied counts a committed action and, when the gateway stamped it
// (atMicros > 0), observes its latency up to now.
func MoveApplied(op string, atMicros int64, now time.Time) {
	movesAppliedBy.of(op).Inc()
	if atMicros > 0 {
		if d := now.Sub(time.UnixMicro(atMicros)); d >= 0 {
			MoveLatency.Observe(d.Seconds())
		}
	}
}

// MatchPersisted observes the sync lag of a match that ended at endedMillis
// (unix ms; 0 = unknown) and is now committed in PostgreSQL.
func MatchPersisted(endedMillis int64, inserted bool, now time.Time) {
	if inserted {
		MatchesPersisted.WithLabelValues("inserted").Inc()
	} else {
		MatchesPersisted.WithLabelValues("duplicate").Inc()
	}
	if endedMillis > 0 {
		if d := now.Sub(time.UnixMilli(endedMillis)); d >= 0 {
			SyncLag.Observe(d.Seconds())
		}
	}
}

// CacheHit and CacheMiss count a lookup of cache.
func CacheHit(cache string)  { CacheRequests.WithLabelValues(cache, "hit").Inc() }
func CacheMiss(cache string) { CacheRequests.WithLabelValues(cache, "miss").Inc() }

// sqlOps bounds the operation label to known keywords.
var sqlOps = map[string]bool{"select": true, "insert": true, "update": true, "delete": true, "with": true,
	"begin": true, "commit": true, "rollback": true, "create": true, "alter": true, "drop": true, "set": true,
	"lock": true, "copy": true, "truncate": true}

// SQLOperation is the lower-cased first keyword of a statement, or "other".
func SQLOperation(sql string) string {
	s := strings.TrimSpace(sql)
	for strings.HasPrefix(s, "--") { // skip leading line comments
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = strings.TrimSpace(s[i+1:])
		} else {
			return "other"
		}
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(s)
	}
	op := strings.ToLower(s[:end])
	if sqlOps[op] {
		return op
	}
	return "other"
}
