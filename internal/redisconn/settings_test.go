package redisconn_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
)

// logBuffer is a debug-level text logger into a buffer.
type logBuffer struct{ testenv.SyncBuffer }

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestSettingsCheck: the startup check tells noeviction from allkeys-lru,
// warns once about the latter, and reports unknown (no warning) when
// CONFIG is refused — in its result, the gauges and the log.
func TestSettingsCheck(t *testing.T) {
	ok := func(setting string) float64 {
		return testutil.ToFloat64(metrics.RedisConfigOK.WithLabelValues(setting))
	}
	info := func(setting, value string) float64 {
		return testutil.ToFloat64(metrics.RedisConfigInfo.WithLabelValues(setting, value))
	}
	for _, tc := range []struct {
		name   string
		opt    procs.RedisOptions
		want   redisconn.Settings
		ok     map[string]float64
		warned bool
	}{
		{"production", procs.RedisOptions{AOF: true, MaxMemory: "64mb", MaxMemoryPolicy: "noeviction"},
			redisconn.Settings{MaxMemoryPolicy: "noeviction", AppendOnly: "yes", AppendFsync: "everysec", MaxMemory: "67108864"},
			map[string]float64{"maxmemory_policy": 1, "appendonly": 1, "appendfsync": 1}, false},
		{"evicting cache", procs.RedisOptions{MaxMemory: "64mb", MaxMemoryPolicy: "allkeys-lru", AppendFsync: "no"},
			redisconn.Settings{MaxMemoryPolicy: "allkeys-lru", AppendOnly: "no", AppendFsync: "no", MaxMemory: "67108864"},
			map[string]float64{"maxmemory_policy": 0, "appendonly": 0, "appendfsync": 0}, true},
		{"CONFIG refused", procs.RedisOptions{MaxMemoryPolicy: "allkeys-lru", Args: []string{"--rename-command", "CONFIG", ""}},
			redisconn.Settings{MaxMemoryPolicy: "unknown", AppendOnly: "unknown", AppendFsync: "unknown", MaxMemory: "unknown"},
			map[string]float64{"maxmemory_policy": -1, "appendonly": -1, "appendfsync": -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := procs.StartRedis(t, tc.opt)
			var logs logBuffer
			w := &redisconn.Watcher{RDB: r.Client(0), Log: logs.logger()}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for range 2 { // a second check changes nothing and warns no more
				if got := w.Check(ctx); got != tc.want {
					t.Fatalf("settings %+v, want %+v", got, tc.want)
				}
			}
			for setting, want := range tc.ok {
				if got := ok(setting); got != want {
					t.Errorf("hokm_redis_config_ok{setting=%q} = %v, want %v", setting, got, want)
				}
			}
			if v := info("maxmemory_policy", tc.want.MaxMemoryPolicy); v != 1 {
				t.Errorf("hokm_redis_config_info{maxmemory_policy, %s} = %v", tc.want.MaxMemoryPolicy, v)
			}
			warns := strings.Count(logs.String(), "level=WARN")
			if tc.warned && (warns != 1 || !strings.Contains(logs.String(), "maxmemory_policy=allkeys-lru")) {
				t.Errorf("want one warning naming the policy:\n%s", logs.String())
			}
			if !tc.warned && warns != 0 {
				t.Errorf("warned:\n%s", logs.String())
			}
			if tc.want.MaxMemoryPolicy == redisconn.Unknown && !strings.Contains(logs.String(), "level=DEBUG msg=\"Redis settings unreadable") {
				t.Errorf("no debug line about the refused CONFIG:\n%s", logs.String())
			}
		})
	}

	// The policy turning unsafe at run time (a failover to a node set up
	// otherwise) warns again; turning safe clears the gauge.
	r := procs.StartRedis(t, procs.RedisOptions{MaxMemoryPolicy: "noeviction"})
	var logs logBuffer
	c := r.Client(0)
	w := &redisconn.Watcher{RDB: c, Log: logs.logger()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w.Check(ctx)
	for _, p := range []string{"volatile-lru", "noeviction", "allkeys-random"} {
		if err := c.ConfigSet(ctx, "maxmemory-policy", p).Err(); err != nil {
			t.Fatal(err)
		}
		w.Check(ctx)
		want := 0.0
		if p == "noeviction" {
			want = 1
		}
		if ok("maxmemory_policy") != want || info("maxmemory_policy", p) != 1 {
			t.Fatalf("after %s: ok %v", p, ok("maxmemory_policy"))
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
		t.Fatalf("%d warnings for two changes to an evicting policy:\n%s", n, logs.String())
	}
	if n := testutil.CollectAndCount(metrics.RedisConfigInfo); n != 3 {
		t.Fatalf("%d hokm_redis_config_info series, want one per setting", n)
	}
}
