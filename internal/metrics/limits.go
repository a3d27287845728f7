package metrics

import "github.com/prometheus/client_golang/prometheus"

// Abuse limits (docs/security.md): every quota that refuses a client
// counts here, by the limit's name (login:ip, guest:ip, ws:ip, ...).
var RateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "hokm_rate_limited_total",
	Help: "Requests refused by a quota (rate limit, cap), by limit.",
}, []string{"limit"})

func init() { Registry().MustRegister(RateLimited) }

// Shed counts requests a gateway refused because it was behind (its
// commands' answers slower than HOKM_SHED_AFTER), by request type:
// create_table, quick_match.
var Shed = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "hokm_gateway_shed_total",
	Help: "New tables and quick-match entries refused while the gateway's commands waited too long for their answers, by request type.",
}, []string{"type"})

func init() { Registry().MustRegister(Shed) }
