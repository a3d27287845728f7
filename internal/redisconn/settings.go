package redisconn

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/redisnodes"
)

// Unknown is the value of a setting that could not be read (CONFIG GET is
// refused by managed Redis services and by ACLs).
const Unknown = "unknown"

// Settings are the Redis server settings that decide what a crash or a
// full memory costs the game (docs/operations.md, "Redis in production").
type Settings struct {
	MaxMemoryPolicy string // noeviction is the only safe one for game keys
	AppendOnly      string // yes: the AOF is on
	AppendFsync     string // everysec or always
	MaxMemory       string // bytes; 0 = no limit
}

// ReadSettings reads the settings with CONFIG GET; on a cluster, of every
// master, each setting reported as the first master that gets it wrong
// has it. Any error (CONFIG refused, Redis unreachable) is returned as is,
// with every field Unknown.
func ReadSettings(ctx context.Context, rdb redis.UniversalClient) (Settings, error) {
	unknown := Settings{Unknown, Unknown, Unknown, Unknown}
	nodes, err := redisnodes.Masters(ctx, rdb)
	if err != nil {
		return unknown, err
	}
	var out Settings
	for i, c := range nodes {
		s, err := readSettings(ctx, c)
		if err != nil {
			return unknown, err
		}
		if i == 0 {
			out = s
			continue
		}
		worse := func(cur *string, v string, k int) {
			if out.Checks()[k].OK == 1 && s.Checks()[k].OK != 1 {
				*cur = v
			}
		}
		worse(&out.MaxMemoryPolicy, s.MaxMemoryPolicy, 0)
		worse(&out.AppendOnly, s.AppendOnly, 1)
		worse(&out.AppendFsync, s.AppendFsync, 2)
	}
	return out, nil
}

// readSettings is ReadSettings on one server.
func readSettings(ctx context.Context, rdb redis.UniversalClient) (Settings, error) {
	names := []string{"maxmemory-policy", "appendonly", "appendfsync", "maxmemory"}
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, n := range names {
			p.ConfigGet(ctx, n)
		}
		return nil
	})
	unknown := Settings{Unknown, Unknown, Unknown, Unknown}
	if err != nil {
		return unknown, err
	}
	vals := make([]string, len(names))
	for i, c := range cmds {
		m, _ := c.(*redis.MapStringStringCmd).Result()
		v, ok := m[names[i]]
		if !ok {
			return unknown, fmt.Errorf("CONFIG GET %s: no such setting", names[i])
		}
		vals[i] = v
	}
	return Settings{MaxMemoryPolicy: vals[0], AppendOnly: vals[1], AppendFsync: vals[2], MaxMemory: vals[3]}, nil
}

// Check is one setting judged: OK is 1 when it is what production needs,
// 0 when it is not, -1 when it is unknown.
type Check struct {
	Setting string // metric label: maxmemory_policy, appendonly, appendfsync
	Value   string
	OK      int
}

// Checks judges the settings: eviction off (noeviction), the AOF on, and
// fsynced every second or on every write.
func (s Settings) Checks() []Check {
	judge := func(setting, v string, good ...string) Check {
		c := Check{Setting: setting, Value: v, OK: 0}
		if v == Unknown {
			c.OK = -1
		}
		for _, g := range good {
			if strings.EqualFold(v, g) {
				c.OK = 1
			}
		}
		return c
	}
	return []Check{
		judge("maxmemory_policy", s.MaxMemoryPolicy, "noeviction"),
		judge("appendonly", s.AppendOnly, "yes"),
		judge("appendfsync", s.AppendFsync, "everysec", "always"),
	}
}

// Watcher checks the Redis settings each time Check is called, exports
// them (hokm_redis_config_ok, hokm_redis_config_info) and logs what
// changed: a warning when the eviction policy becomes unsafe, once until
// it changes again.
type Watcher struct {
	RDB  redis.UniversalClient
	Log  *slog.Logger
	last map[string]int // OK of each setting at the previous check
}

// Check reads, exports and logs the settings and returns them.
func (w *Watcher) Check(ctx context.Context) Settings {
	s, err := ReadSettings(ctx, w.RDB)
	first := w.last == nil
	if first {
		w.last = map[string]int{}
	}
	if err != nil && (first || w.last["maxmemory_policy"] != -1) {
		// Best effort by design: managed services refuse CONFIG.
		w.Log.Debug("Redis settings unreadable; exported as unknown", "err", err)
	}
	for _, c := range s.Checks() {
		metrics.SetRedisConfig(c.Setting, c.Value, c.OK)
		prev, seen := w.last[c.Setting]
		w.last[c.Setting] = c.OK
		if c.OK != 0 || (seen && prev == 0) {
			continue
		}
		switch c.Setting {
		case "maxmemory_policy":
			w.Log.Warn("Redis maxmemory-policy is not noeviction: when memory runs out Redis evicts keys, "+
				"and an evicted table is a silently lost game (set maxmemory-policy noeviction)", "maxmemory_policy", c.Value)
		default:
			w.Log.Info("Redis persistence is not what production needs (appendonly yes, appendfsync everysec): "+
				"a Redis restart loses live tables", c.Setting, c.Value)
		}
	}
	if first && err == nil {
		w.Log.Debug("Redis settings", "maxmemory_policy", s.MaxMemoryPolicy, "appendonly", s.AppendOnly,
			"appendfsync", s.AppendFsync, "maxmemory", s.MaxMemory)
	}
	return s
}
