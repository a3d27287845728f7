package metrics

import "github.com/prometheus/client_golang/prometheus"

// SessionStats is what the sessions collector reports: the sessions
// mirror's queues and counts (store/sessionmirror) and the Redis store's
// fallback counts (redisstore.SessionFallbacks), all since the process
// started.
type SessionStats struct {
	QueuedSaves, QueuedRevocations         int
	Written, Revoked, FlushErrors, Dropped uint64
	Restored, LookupsWithoutRedis          uint64
	CreatedWithoutRedis                    uint64
}

// Descriptions of the sessions metrics.
var (
	SessionMirrorQueuedDesc = prometheus.NewDesc("hokm_session_mirror_queued",
		"Writes waiting for the sessions mirror in PostgreSQL, by kind (save, revocation).", []string{"kind"}, nil)
	SessionMirrorWrittenDesc = prometheus.NewDesc("hokm_session_mirror_written_total",
		"Writes done by the sessions mirror, by kind (save: sessions; revocation: revoked tokens or users).", []string{"kind"}, nil)
	SessionMirrorFlushErrorsDesc = prometheus.NewDesc("hokm_session_mirror_flush_errors_total",
		"Flushes of the sessions mirror that failed (retried with backoff).", nil, nil)
	SessionMirrorDroppedDesc = prometheus.NewDesc("hokm_session_mirror_dropped_total",
		"Session writes dropped because the mirror's queue was full.", nil, nil)
	SessionFallbacksDesc = prometheus.NewDesc("hokm_session_fallbacks_total",
		"Sessions served with the mirror's help, by path (restored into Redis, lookup_without_redis, created_without_redis).",
		[]string{"path"}, nil)
)

// Sessions is the collector of the sessions metrics, read at scrape time.
type Sessions struct{ read func() SessionStats }

// NewSessions reports what read returns at each scrape.
func NewSessions(read func() SessionStats) *Sessions { return &Sessions{read: read} }

// Describe implements prometheus.Collector.
func (s *Sessions) Describe(ch chan<- *prometheus.Desc) {
	ch <- SessionMirrorQueuedDesc
	ch <- SessionMirrorWrittenDesc
	ch <- SessionMirrorFlushErrorsDesc
	ch <- SessionMirrorDroppedDesc
	ch <- SessionFallbacksDesc
}

// Collect implements prometheus.Collector.
func (s *Sessions) Collect(ch chan<- prometheus.Metric) {
	st := s.read()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(SessionMirrorQueuedDesc, float64(st.QueuedSaves), "save")
	gauge(SessionMirrorQueuedDesc, float64(st.QueuedRevocations), "revocation")
	counter(SessionMirrorWrittenDesc, st.Written, "save")
	counter(SessionMirrorWrittenDesc, st.Revoked, "revocation")
	counter(SessionMirrorFlushErrorsDesc, st.FlushErrors)
	counter(SessionMirrorDroppedDesc, st.Dropped)
	counter(SessionFallbacksDesc, st.Restored, "restored")
	counter(SessionFallbacksDesc, st.LookupsWithoutRedis, "lookup_without_redis")
	counter(SessionFallbacksDesc, st.CreatedWithoutRedis, "created_without_redis")
}
