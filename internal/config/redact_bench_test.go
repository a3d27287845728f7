package config_test

import (
	"testing"

	"github.com/hokm-project/hokm/internal/config"
)

// BenchmarkRedactLine is the cost the Redactor adds to one ordinary log
// line (no secret in it) with a full set of secrets configured.
func BenchmarkRedactLine(b *testing.B) {
	r := config.NewRedactor(config.EnvSecrets(env(map[string]string{
		"HOKM_OPS_TOKEN": "tok-S3cret-0123456789", "HOKM_REDIS_PASSWORD": "redis-pw-S3cret",
		"HOKM_DATABASE_URL": "postgres://hokm:db%2FS3cret@db.example/hokm",
		"HOKM_STATE_KEYS":   "k1:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	}))...)
	line := `time=2026-12-04T21:53:53.826Z level=INFO msg="table finished" component=worker table=t_0123456789 match=t_0123456789:3 hands=7 dur=812ms` + "\n"
	for b.Loop() {
		_ = r.String(line)
	}
}
