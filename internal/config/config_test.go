package config_test

import (
	"bytes"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/internal/sealbox"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, config.Defaults()) {
		t.Fatalf("no variables set: %+v, want the defaults %+v", c, config.Defaults())
	}
	want := config.Config{
		HTTPAddr:        "127.0.0.1:8080",
		OpsAddr:         "127.0.0.1:8081",
		RedisURL:        "redis://127.0.0.1:6379/0",
		DatabaseURL:     "postgres://postgres@127.0.0.1:5432/hokm?sslmode=disable",
		RedisPrefix:     "hokm",
		Partitions:      8,
		LogLevel:        "info",
		LogFormat:       "text",
		PersistRetries:  12,
		CompressRecords: true,
		AuditRetention:  365,
		ReclaimIdle:     5 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		ClientRate:      20,
		ClientBurst:     40,
		TimeZone:        "Asia/Tehran",
		WeekStart:       "saturday",
		JournalInterval: 100 * time.Millisecond,
		ReplicaMaxLag:   5 * time.Second,
		SchedulerLease:  10 * time.Second,
		GCHeapMiB:       256,

		CheckpointRetention: 48,

		// Abuse limits: gateway
		WSPerIP: 100, WSPerUser: 10, TablesPerUser: 3, TableCreateLimit: 10, JoinCodeMisses: 20,
		// Abuse limits: crash safety
		ActionMaxAttempts: 5,
		// Abuse limits: HTTP edge
		HTTPReadHeaderTimeout: 5 * time.Second, HTTPReadTimeout: 15 * time.Second,
		HTTPWriteTimeout: 30 * time.Second, HTTPIdleTimeout: 60 * time.Second,
		HTTPMaxBody: 64 << 10, LeaderboardDays: 400,
		GuestLimit:        ratelimit.Limit{Max: 60, Window: time.Hour},
		LoginAttemptsIP:   ratelimit.Limit{Max: 60, Window: 15 * time.Minute},
		LoginAttemptsUser: ratelimit.Limit{Max: 20, Window: 15 * time.Minute},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults %+v, want %+v", c, want)
	}
	// The defaults are valid values of their own variables.
	again, err := config.Load(env(map[string]string{
		"HOKM_HTTP_ADDR": want.HTTPAddr, "HOKM_OPS_ADDR": want.OpsAddr, "HOKM_REDIS_URL": want.RedisURL,
		"HOKM_DATABASE_URL": want.DatabaseURL, "HOKM_REDIS_PREFIX": want.RedisPrefix, "HOKM_PARTITIONS": "8",
		"HOKM_LOG_LEVEL": "info", "HOKM_LOG_FORMAT": "text", "HOKM_PERSIST_MAX_RETRY": "12", "HOKM_AUDIT_RETENTION_DAYS": "365",
		"HOKM_RECLAIM_IDLE": "5s", "HOKM_SHUTDOWN_TIMEOUT": "10s", "HOKM_CLIENT_RATE": "20", "HOKM_CLIENT_BURST": "40",
		"HOKM_TIMEZONE": "Asia/Tehran", "HOKM_WEEK_START": "saturday", "HOKM_JOURNAL_INTERVAL": "100ms",
		"HOKM_SCHEDULER_LEASE": "10s", "HOKM_GC_HEAP_MIB": "256", "HOKM_CHECKPOINT_RETENTION_HOURS": "48",
		// Abuse limits: gateway
		"HOKM_WS_PER_IP": "100", "HOKM_WS_PER_USER": "10", "HOKM_TABLES_PER_USER": "3", "HOKM_TABLE_CREATE_LIMIT": "10",
		"HOKM_JOINCODE_MISSES": "20",
		// Abuse limits: HTTP edge
		"HOKM_HTTP_READ_HEADER_TIMEOUT": "5s", "HOKM_HTTP_READ_TIMEOUT": "15s", "HOKM_HTTP_WRITE_TIMEOUT": "30s",
		"HOKM_HTTP_IDLE_TIMEOUT": "1m", "HOKM_HTTP_MAX_BODY": "65536", "HOKM_LEADERBOARD_DAYS": "400",
		"HOKM_GUEST_LIMIT": "60/1h", "HOKM_LOGIN_ATTEMPTS_IP": "60/15m", "HOKM_LOGIN_ATTEMPTS_USER": "20/15m",
	}))
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("defaults given explicitly: %+v, %v", again, err)
	}
}

func TestEveryVariableParsed(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"HOKM_HTTP_ADDR":                "0.0.0.0:9000",
		"HOKM_OPS_ADDR":                 "[::1]:9001",
		"HOKM_REDIS_URL":                "rediss://user:pw@redis.example:6380/3",
		"HOKM_DATABASE_URL":             "postgresql://hokm:pw@db.example:5433/games?sslmode=require",
		"HOKM_DATABASE_REPLICA_URL":     "postgres://hokm:rpw@replica.example:5432/games",
		"HOKM_DATABASE_REPLICA_MAX_LAG": "1500ms",
		"HOKM_REDIS_PREFIX":             "hokm-staging_2",
		"HOKM_PARTITIONS":               "1024",
		"HOKM_ALLOWED_ORIGINS":          "https://hokm.example",
		"HOKM_TRUSTED_PROXIES":          "10.0.0.0/8, 192.0.2.7",
		"HOKM_LOG_LEVEL":                "debug",
		"HOKM_LOG_FORMAT":               "json",
		"HOKM_PERSIST_MAX_RETRY":        "0",
		"HOKM_AUDIT_RETENTION_DAYS":     "0",
		"HOKM_RECLAIM_IDLE":             "1500ms",
		"HOKM_SHUTDOWN_TIMEOUT":         "1m30s",
		"HOKM_WORKER_ID":                "worker-a 7",
		"HOKM_CLIENT_RATE":              "1000000",
		"HOKM_CLIENT_BURST":             "1",
		"HOKM_QUICKMATCH_WAIT":          "2s",
		"HOKM_SHED_AFTER":               "250ms",
		"HOKM_OPS_TOKEN":                "s3cret-token-0123456789",
		"HOKM_OPS_READONLY":             "true",
		"HOKM_COMPRESS_RECORDS":         "false",
		"HOKM_TIMEZONE":                 "Europe/Berlin",
		"HOKM_WEEK_START":               "Monday",
		"HOKM_MATCH_RETENTION_MONTHS":   "24",
		"HOKM_JOURNAL_INTERVAL":         "250ms",
		"HOKM_STATE_KEYS":               "k2:" + strings.Repeat("A", 43) + "=, k1:" + strings.Repeat("B", 43),
		"HOKM_SCHEDULER_LEASE":          "4500ms",
		"HOKM_GC_HEAP_MIB":              "0",

		"HOKM_CHECKPOINT_RETENTION_HOURS": "6",

		"HOKM_GUEST_LIMIT":         "5/30m",
		"HOKM_LOGIN_ATTEMPTS_IP":   "1000/1h",
		"HOKM_LOGIN_ATTEMPTS_USER": " 3 / 90s ",

		"HOKM_REDIS_SENTINELS":         "10.0.0.1:26379, sentinel-b.example:26380,[::1]:26381",
		"HOKM_REDIS_MASTER":            "hokm-main",
		"HOKM_REDIS_PASSWORD":          "data pw",
		"HOKM_REDIS_SENTINEL_PASSWORD": "sentinel-pw",

		// Abuse limits: gateway
		"HOKM_WS_PER_IP": "0", "HOKM_WS_PER_USER": "2", "HOKM_TABLES_PER_USER": "1", "HOKM_TABLE_CREATE_LIMIT": "1000000",
		"HOKM_JOINCODE_MISSES": "5",
		// Abuse limits: crash safety
		"HOKM_ACTION_MAX_ATTEMPTS": "7",
		// Abuse limits: HTTP edge
		"HOKM_HTTP_READ_HEADER_TIMEOUT": "2s",
		"HOKM_HTTP_READ_TIMEOUT":        "20s",
		"HOKM_HTTP_WRITE_TIMEOUT":       "45s",
		"HOKM_HTTP_IDLE_TIMEOUT":        "2m",
		"HOKM_HTTP_MAX_BODY":            "1024",
		"HOKM_LEADERBOARD_DAYS":         "30",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		HTTPAddr:             "0.0.0.0:9000",
		OpsAddr:              "[::1]:9001",
		RedisURL:             "rediss://user:pw@redis.example:6380/3",
		DatabaseURL:          "postgresql://hokm:pw@db.example:5433/games?sslmode=require",
		DatabaseReplicaURL:   "postgres://hokm:rpw@replica.example:5432/games",
		ReplicaMaxLag:        1500 * time.Millisecond,
		RedisPrefix:          "hokm-staging_2",
		Partitions:           1024,
		AllowedOrigins:       []string{"https://hokm.example"},
		TrustedProxies:       []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")},
		LogLevel:             "debug",
		LogFormat:            "json",
		PersistRetries:       0,
		ReclaimIdle:          1500 * time.Millisecond,
		ShutdownTimeout:      90 * time.Second,
		WorkerID:             "worker-a 7",
		ClientRate:           1000000,
		ClientBurst:          1,
		QuickMatchWait:       2 * time.Second,
		ShedAfter:            250 * time.Millisecond,
		OpsToken:             "s3cret-token-0123456789",
		OpsReadOnly:          true,
		TimeZone:             "Europe/Berlin",
		WeekStart:            "Monday",
		JournalInterval:      250 * time.Millisecond,
		MatchRetentionMonths: 24,
		CheckpointRetention:  6,
		StateKeys: []sealbox.Key{
			{ID: "k2", Key: make([]byte, 32)},
			{ID: "k1", Key: bytes.Repeat([]byte{0x04, 0x10, 0x41}, 11)[:32]},
		},
		SchedulerLease: 4500 * time.Millisecond,
		GCHeapMiB:      0,

		GuestLimit:        ratelimit.Limit{Max: 5, Window: 30 * time.Minute},
		LoginAttemptsIP:   ratelimit.Limit{Max: 1000, Window: time.Hour},
		LoginAttemptsUser: ratelimit.Limit{Max: 3, Window: 90 * time.Second},

		RedisSentinels:        []string{"10.0.0.1:26379", "sentinel-b.example:26380", "[::1]:26381"},
		RedisMaster:           "hokm-main",
		RedisPassword:         "data pw",
		RedisSentinelPassword: "sentinel-pw",

		// Abuse limits: gateway
		WSPerIP: 0, WSPerUser: 2, TablesPerUser: 1, TableCreateLimit: 1000000, JoinCodeMisses: 5,
		// Abuse limits: crash safety
		ActionMaxAttempts: 7,
		// Abuse limits: HTTP edge
		HTTPReadHeaderTimeout: 2 * time.Second,
		HTTPReadTimeout:       20 * time.Second,
		HTTPWriteTimeout:      45 * time.Second,
		HTTPIdleTimeout:       2 * time.Minute,
		HTTPMaxBody:           1024,
		LeaderboardDays:       30,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	// Every field was set away from its default: a variable that is not
	// read would show here.
	def := reflect.ValueOf(config.Defaults())
	got := reflect.ValueOf(c)
	for i := range got.NumField() {
		// (RedisCluster excludes Sentinel: TestRedisCluster reads it.)
		if name := got.Type().Field(i).Name; name != "PersistRetries" && name != "RedisCluster" &&
			reflect.DeepEqual(got.Field(i).Interface(), def.Field(i).Interface()) {
			t.Errorf("field %s kept its default", name)
		}
	}
	if c.PersistRetries == config.Defaults().PersistRetries {
		t.Error("HOKM_PERSIST_MAX_RETRY=0 not read")
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"HOKM_HTTP_ADDR", "localhost"},
		{"HOKM_HTTP_ADDR", "127.0.0.1:http-alt"},
		{"HOKM_HTTP_ADDR", "127.0.0.1:65536"},
		{"HOKM_HTTP_ADDR", "127.0.0.1:-1"},
		{"HOKM_HTTP_ADDR", "off"}, // only the ops listener may be off
		{"HOKM_OPS_ADDR", "8081"},
		{"HOKM_SHED_AFTER", "0s"},
		{"HOKM_SHED_AFTER", "never"},
		{"HOKM_STATE_KEYS", "k1"},
		{"HOKM_GUEST_LIMIT", "60"},
		{"HOKM_GUEST_LIMIT", "0/1h"},
		{"HOKM_GUEST_LIMIT", "60/0s"},
		{"HOKM_LOGIN_ATTEMPTS_IP", "60/hour"},
		{"HOKM_LOGIN_ATTEMPTS_USER", "-1/1m"},
		{"HOKM_STATE_KEYS", "k1:c2hvcnQ="},
		{"HOKM_STATE_KEYS", "k1:" + strings.Repeat("A", 43) + ",k1:" + strings.Repeat("A", 43)},
		{"HOKM_JOURNAL_INTERVAL", "0s"},
		{"HOKM_JOURNAL_INTERVAL", "often"},
		{"HOKM_GC_HEAP_MIB", "-1"},
		{"HOKM_GC_HEAP_MIB", "256MiB"},
		{"HOKM_CHECKPOINT_RETENTION_HOURS", "-1"},
		{"HOKM_CHECKPOINT_RETENTION_HOURS", "48h"},
		{"HOKM_OPS_ADDR", "OFF"},
		{"HOKM_REDIS_URL", "http://127.0.0.1:6379/0"},
		{"HOKM_REDIS_URL", "127.0.0.1:6379"},
		{"HOKM_REDIS_URL", "redis://"},
		{"HOKM_REDIS_URL", "redis://%zz"},
		{"HOKM_DATABASE_URL", "mysql://root@127.0.0.1/hokm"},
		{"HOKM_DATABASE_URL", "redis://127.0.0.1:6379/0"},
		{"HOKM_DATABASE_URL", "host=127.0.0.1 dbname=hokm"},
		{"HOKM_REDIS_PREFIX", "hokm{x}"},
		{"HOKM_REDIS_PREFIX", "{hokm"},
		{"HOKM_REDIS_PREFIX", "hokm:prod"},
		{"HOKM_REDIS_PREFIX", "hokm prod"},
		{"HOKM_PARTITIONS", "0"},
		{"HOKM_PARTITIONS", "-3"},
		{"HOKM_PARTITIONS", "1025"},
		{"HOKM_PARTITIONS", "eight"},
		{"HOKM_PARTITIONS", "8.0"},
		{"HOKM_PERSIST_MAX_RETRY", "-1"},
		{"HOKM_PERSIST_MAX_RETRY", "101"},
		{"HOKM_RECLAIM_IDLE", "5"},
		{"HOKM_RECLAIM_IDLE", "0s"},
		{"HOKM_RECLAIM_IDLE", "-1s"},
		{"HOKM_RECLAIM_IDLE", "soon"},
		{"HOKM_SHUTDOWN_TIMEOUT", "10 s"},
		{"HOKM_LOG_LEVEL", "verbose"},
		{"HOKM_LOG_LEVEL", "warning"},
		{"HOKM_LOG_FORMAT", "xml"},
		{"HOKM_CLIENT_RATE", "0"},
		{"HOKM_CLIENT_RATE", "1000001"},
		{"HOKM_CLIENT_BURST", "0"},
		{"HOKM_CLIENT_BURST", "lots"},
		{"HOKM_QUICKMATCH_WAIT", "15"},
		{"HOKM_QUICKMATCH_WAIT", "-5s"},
		{"HOKM_OPS_TOKEN", "short"},
		{"HOKM_OPS_TOKEN", "has a space in the middle"},
		{"HOKM_OPS_READONLY", "yes please"},
		{"HOKM_COMPRESS_RECORDS", "gzip"},
		{"HOKM_SCHEDULER_LEASE", "10"},
		{"HOKM_SCHEDULER_LEASE", "2s"},
		{"HOKM_SCHEDULER_LEASE", "-10s"},
		{"HOKM_REDIS_SENTINELS", "10.0.0.1"},
		{"HOKM_REDIS_SENTINELS", "10.0.0.1:26379,"},
		{"HOKM_REDIS_SENTINELS", "10.0.0.1:26379,:26380"},
		{"HOKM_REDIS_SENTINELS", "10.0.0.1:0"},
		{"HOKM_REDIS_SENTINELS", "10.0.0.1:sentinel"},
		{"HOKM_REDIS_MASTER", "my master"},
	} {
		c, err := config.Load(env(map[string]string{tc.name: tc.value}))
		if err == nil {
			t.Errorf("%s=%q accepted: %+v", tc.name, tc.value, c)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.name+"=") || strings.Count(msg, "HOKM_") != 1 {
			t.Errorf("%s=%q: message %q should name exactly this variable", tc.name, tc.value, msg)
		}
		if !reflect.DeepEqual(c, config.Config{}) {
			t.Errorf("%s=%q: a failed Load returned %+v", tc.name, tc.value, c)
		}
	}
}

func TestMessagesSayWhatIsWanted(t *testing.T) {
	for _, tc := range []struct{ name, value, says string }{
		{"HOKM_HTTP_ADDR", "localhost", "host:port"},
		{"HOKM_REDIS_URL", "http://127.0.0.1:6379/0", "scheme must be redis or rediss"},
		{"HOKM_DATABASE_URL", "mysql://x/y", "scheme must be postgres or postgresql"},
		{"HOKM_PARTITIONS", "0", "from 1 to 1024"},
		{"HOKM_RECLAIM_IDLE", "5", "positive duration"},
		{"HOKM_LOG_LEVEL", "verbose", "debug, info, warn, error"},
		{"HOKM_REDIS_PREFIX", "a{b}", "braces"},
		{"HOKM_SCHEDULER_LEASE", "2500ms", "at least 3s"},
	} {
		_, err := config.Load(env(map[string]string{tc.name: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), tc.value) {
			t.Errorf("%s=%q: %v, want it to quote the value and say %q", tc.name, tc.value, err, tc.says)
		}
	}
}

// TestEveryInvalidVariableReported: one Load names all the bad variables.
func TestEveryInvalidVariableReported(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"HOKM_PARTITIONS": "0", "HOKM_LOG_LEVEL": "loud", "HOKM_REDIS_PREFIX": "{x}", "HOKM_HTTP_ADDR": "127.0.0.1:8080",
	}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"HOKM_PARTITIONS", "HOKM_LOG_LEVEL", "HOKM_REDIS_PREFIX"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%v does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "HOKM_HTTP_ADDR") {
		t.Errorf("%v names a valid variable", err)
	}
}

func TestOpsAddrOff(t *testing.T) {
	c, err := config.Load(env(map[string]string{"HOKM_OPS_ADDR": "off"}))
	if err != nil || c.OpsAddr != "off" {
		t.Fatalf("HOKM_OPS_ADDR=off: %q, %v", c.OpsAddr, err)
	}
}

func TestShedAfterOff(t *testing.T) {
	c, err := config.Load(env(map[string]string{"HOKM_SHED_AFTER": "off"}))
	if err != nil || c.ShedAfter >= 0 {
		t.Fatalf("HOKM_SHED_AFTER=off: %v, %v (want negative: never)", c.ShedAfter, err)
	}
}

func TestAllowedOrigins(t *testing.T) {
	for in, want := range map[string][]string{
		"https://a.example": {"https://a.example"},
		" https://a.example , ,https://b.example:8443,, ": {"https://a.example", "https://b.example:8443"},
		"https://a.example,\thttp://localhost:3000\n":     {"https://a.example", "http://localhost:3000"},
		" , ": nil,
		"":    nil,
		"https://a.example,https://a.example,https://c.test/": {"https://a.example", "https://a.example", "https://c.test/"},
	} {
		c, err := config.Load(env(map[string]string{"HOKM_ALLOWED_ORIGINS": in}))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if !reflect.DeepEqual(c.AllowedOrigins, want) {
			t.Errorf("HOKM_ALLOWED_ORIGINS=%q: %q, want %q", in, c.AllowedOrigins, want)
		}
	}
}

// TestOnlyHOKMVariablesRead: Load asks for nothing but HOKM_* names, and
// each of them is documented in docs/configuration.md.
func TestOnlyHOKMVariablesRead(t *testing.T) {
	var asked []string
	if _, err := config.Load(func(k string) string { asked = append(asked, k); return "" }); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) < 27 {
		t.Errorf("asked for only %d variables: %v", len(asked), asked)
	}
	for _, k := range asked {
		if !strings.HasPrefix(k, "HOKM_") {
			t.Errorf("reads %s", k)
		}
		if !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("%s is not documented in docs/configuration.md", k)
		}
	}
}

// TestOpsLoopbackRule: without HOKM_OPS_TOKEN the ops listener may only
// bind to loopback; with a token, or off, anything goes.
func TestOpsLoopbackRule(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:8081": true, "127.3.4.5:8081": true, "[::1]:8081": true, "localhost:8081": true,
		"LocalHost:0": true, "off": true,
		"0.0.0.0:8081": false, ":8081": false, "[::]:8081": false, "10.0.0.7:8081": false,
		"ops.example:8081": false, "[2001:db8::1]:8081": false,
	} {
		_, err := config.Load(env(map[string]string{"HOKM_OPS_ADDR": addr}))
		if ok && err != nil {
			t.Errorf("HOKM_OPS_ADDR=%q without a token: %v", addr, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "loopback") ||
			!strings.Contains(err.Error(), "HOKM_OPS_TOKEN") || !strings.Contains(err.Error(), addr)) {
			t.Errorf("HOKM_OPS_ADDR=%q without a token: %v, want a message about loopback and HOKM_OPS_TOKEN", addr, err)
		}
		c, err := config.Load(env(map[string]string{"HOKM_OPS_ADDR": addr, "HOKM_OPS_TOKEN": "0123456789abcdef"}))
		if err != nil || c.OpsAddr != addr {
			t.Errorf("HOKM_OPS_ADDR=%q with a token: %+v %v", addr, c, err)
		}
	}
}

// TestSecretsNotEchoed: a bad secret is named, never shown.
func TestSecretsNotEchoed(t *testing.T) {
	for name, value := range map[string]string{
		"HOKM_OPS_TOKEN":  "short-s3cr3t",
		"HOKM_STATE_KEYS": "c2VjcmV0LWtleS13aXRoLW5vLWlk",
	} {
		_, err := config.Load(env(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), value) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestURLPasswordsNotEchoed (finding 11): a bad or unparsable URL is
// shown without its password; every secret value of the environment is
// kept out of the whole message, in any quoting.
func TestURLPasswordsNotEchoed(t *testing.T) {
	for _, tc := range []struct{ name, value, secret string }{
		{"HOKM_DATABASE_URL", "mysql://hokm:pg-S3cret!@db.example/x", "pg-S3cret!"},
		{"HOKM_DATABASE_URL", "postgres://hokm:pg-S3cret@db.example:badport/x", "pg-S3cret"},
		{"HOKM_DATABASE_URL", "postgres://hokm:pg S3cret%zz@db.example/x", "pg S3cret"},
		{"HOKM_DATABASE_REPLICA_URL", "mysql://hokm:replica-S3cret@db.example/x", "replica-S3cret"},
		{"HOKM_REDIS_URL", "http://:redis-S3cret@redis.example:6379/0", "redis-S3cret"},
		{"HOKM_REDIS_URL", "redis://u:redis%40S3cret@", "redis@S3cret"},
		{"HOKM_REDIS_URL", "redis://u:pw@", "pw"}, // short: hidden by its place in the URL
	} {
		_, err := config.Load(env(map[string]string{tc.name: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s=%s: %v, want an error naming it", tc.name, tc.value, err)
			continue
		}
		raw := tc.secret
		if strings.Contains(tc.value, "%40") {
			raw = "redis%40S3cret"
		}
		if strings.Contains(err.Error(), ":"+tc.secret) || strings.Contains(err.Error(), raw) {
			t.Errorf("%s: the password shows: %v", tc.name, err)
		}
	}
	// A valid secret next to an invalid variable: still not shown, even if
	// a message happened to quote it.
	_, err := config.Load(env(map[string]string{
		"HOKM_OPS_TOKEN": "valid-token-S3cret-0123", "HOKM_REDIS_PASSWORD": "redis-pw-S3cret",
		"HOKM_REDIS_SENTINELS": "valid-token-S3cret-0123", "HOKM_REDIS_MASTER": "redis-pw-S3cret x",
	}))
	if err == nil || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("secrets in the message: %v", err)
	}
}

// TestRedactor: the known secrets, any URL's password and password=
// parameters are hidden in free text (errors, log lines).
func TestRedactor(t *testing.T) {
	getenv := env(map[string]string{
		"HOKM_OPS_TOKEN":    "tok-S3cret-0123456789",
		"HOKM_STATE_KEYS":   "k1:S3cretKeyBase64AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"HOKM_DATABASE_URL": "postgres://hokm:db%2FS3cret@db.example/hokm",
	})
	r := config.NewRedactor(config.EnvSecrets(getenv)...)
	for _, in := range []string{
		`token "tok-S3cret-0123456789" refused`,
		`key S3cretKeyBase64AAAAAAAAAAAAAAAAAAAAAAAAAAA= bad`,
		`connect postgres://hokm:db%2FS3cret@db.example/hokm: refused`,
		`password db/S3cret is wrong`,
		`dial redis://:other-S3cret@10.0.0.1:6379/0: timeout`,
		`dsn host=db user=hokm password=kv-S3cret sslmode=disable`,
		`{"err":"postgres://u:json-S3cret@h/x"}`,
	} {
		if out := r.String(in); strings.Contains(out, "S3cret") || !strings.Contains(out, config.Redacted) {
			t.Errorf("%q → %q", in, out)
		}
	}
	if out := r.String("nothing secret here: postgres://hokm@db/x"); out != "nothing secret here: postgres://hokm@db/x" {
		t.Errorf("changed a line without secrets: %q", out)
	}
}

// TestSentinelNeedsBoth: HOKM_REDIS_SENTINELS and HOKM_REDIS_MASTER come
// together or not at all; the message names both.
func TestSentinelNeedsBoth(t *testing.T) {
	for _, m := range []map[string]string{
		{"HOKM_REDIS_SENTINELS": "127.0.0.1:26379"},
		{"HOKM_REDIS_MASTER": "hokm"},
		{"HOKM_REDIS_MASTER": "hokm", "HOKM_REDIS_SENTINEL_PASSWORD": "pw"},
	} {
		c, err := config.Load(env(m))
		if err == nil {
			t.Errorf("%v accepted: %+v", m, c)
			continue
		}
		if !strings.Contains(err.Error(), "HOKM_REDIS_SENTINELS") || !strings.Contains(err.Error(), "HOKM_REDIS_MASTER") {
			t.Errorf("%v: %v should name both variables", m, err)
		}
	}
	c, err := config.Load(env(map[string]string{"HOKM_REDIS_SENTINELS": "127.0.0.1:26379", "HOKM_REDIS_MASTER": "hokm"}))
	if err != nil || !c.Sentinel() || c.RedisMaster != "hokm" || len(c.RedisSentinels) != 1 {
		t.Fatalf("both set: %+v, %v", c, err)
	}
	if c, _ := config.Load(env(nil)); c.Sentinel() {
		t.Fatal("Sentinel() without the variables")
	}
}

func TestRedisCluster(t *testing.T) {
	c, err := config.Load(env(map[string]string{"HOKM_REDIS_CLUSTER_ADDRS": "10.0.0.1:7000, redis-b.example:7001,[::1]:7002"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.1:7000", "redis-b.example:7001", "[::1]:7002"}; !c.Cluster() || !reflect.DeepEqual(c.RedisCluster, want) {
		t.Fatalf("cluster %v, want %v", c.RedisCluster, want)
	}
	if c, _ := config.Load(env(nil)); c.Cluster() {
		t.Fatal("Cluster() without the variable")
	}
	for _, v := range []string{"10.0.0.1", "10.0.0.1:7000,", "10.0.0.1:7000,:7001", "10.0.0.1:0"} {
		if c, err := config.Load(env(map[string]string{"HOKM_REDIS_CLUSTER_ADDRS": v})); err == nil || !strings.Contains(err.Error(), "HOKM_REDIS_CLUSTER_ADDRS=") {
			t.Errorf("%q: %+v, %v", v, c.RedisCluster, err)
		}
	}
	_, err = config.Load(env(map[string]string{"HOKM_REDIS_CLUSTER_ADDRS": "127.0.0.1:7000",
		"HOKM_REDIS_SENTINELS": "127.0.0.1:26379", "HOKM_REDIS_MASTER": "hokm"}))
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("cluster and sentinel together: %v", err)
	}
}
