package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	// RedisConfigOK is whether a Redis setting is what production needs
	// (1), is not (0), or could not be read (-1), by setting
	// (maxmemory_policy, appendonly, appendfsync).
	RedisConfigOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hokm_redis_config_ok",
		Help: "Whether a Redis setting is what production needs: 1 yes, 0 no, -1 unknown (CONFIG GET refused), by setting.",
	}, []string{"setting"})
	// RedisConfigInfo is 1 for the current value of each setting
	// ("unknown" when it could not be read).
	RedisConfigInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hokm_redis_config_info",
		Help: "The Redis setting's current value as a label (unknown when CONFIG GET is refused); always 1.",
	}, []string{"setting", "value"})
)

func init() { Registry().MustRegister(RedisConfigOK, RedisConfigInfo) }

// SetRedisConfig exports one Redis setting: its judgement ok (1, 0, -1)
// and its value, replacing the value exported before.
func SetRedisConfig(setting, value string, ok int) {
	RedisConfigOK.WithLabelValues(setting).Set(float64(ok))
	RedisConfigInfo.DeletePartialMatch(prometheus.Labels{"setting": setting})
	RedisConfigInfo.WithLabelValues(setting, value).Set(1)
}
