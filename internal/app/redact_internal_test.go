package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/sealbox"
)

// TestLoggerRedactsSecrets (finding 11): a log line never shows a secret
// of the configuration, whatever error or attribute embeds it, in either
// log format.
func TestLoggerRedactsSecrets(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xfb}, sealbox.KeySize)
	for _, format := range []string{"text", "json"} {
		cfg := config.Defaults()
		cfg.LogFormat = format
		cfg.OpsToken = "S3cret-ops-token-0123"
		cfg.DatabaseURL = "postgres://hokm:S3cret%2Fdb@db.example/hokm"
		cfg.RedisURL = "redis://:S3cret-redis@redis.example:6379/0"
		cfg.RedisPassword = "S3cret-requirepass"
		cfg.StateKeys = []sealbox.Key{{ID: "k1", Key: key}}
		var buf bytes.Buffer
		log := newLogger(cfg, &buf)
		log.Error("start failed", "err", errors.New("connect "+cfg.DatabaseURL+": refused"),
			"token", cfg.OpsToken, "redis", cfg.RedisURL, "auth", "AUTH "+cfg.RedisPassword,
			"pw", "S3cret/db", "key", "k1:"+"+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=")
		out := buf.String()
		if strings.Contains(out, "S3cret") || strings.Contains(out, "+/v7+/v7") {
			t.Errorf("%s: a secret is logged: %s", format, out)
		}
		if !strings.Contains(out, "start failed") || !strings.Contains(out, config.Redacted) {
			t.Errorf("%s: %s", format, out)
		}
	}
}
