package metrics

import "github.com/prometheus/client_golang/prometheus"

// Abuse limits (docs/security.md): every quota that refuses a client
// counts here, by the limit's name (login:ip, guest:ip, ws:ip, ...).
var RateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "hokm_rate_limited_total",
	Help: "Requests refused by a quota (rate limit, cap), by limit.",
}, []string{"limit"})

func init() { Registry().MustRegister(RateLimited) }
