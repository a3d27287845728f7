// Package sysconfig is the system configuration and the feature flags kept
// in PostgreSQL (table system_config): a Reader caches every key in memory,
// reloads them every few seconds and at once on the Redis notice
// <prefix>:config that Set publishes, so a change reaches every process
// within about a second without a restart.
//
// Keys: "maintenance" (true: no new tables, running matches finish) and
// "flag.<name>" (a feature flag). Values are JSON.
package sysconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/lifecycle"
	"github.com/hokm-project/hokm/internal/logthrottle"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// KeyMaintenance is the key of maintenance mode (a JSON bool).
const KeyMaintenance = "maintenance"

// FlagPrefix prefixes the key of a feature flag.
const FlagPrefix = "flag."

// DefaultRefresh is how often a Reader reloads without a notice.
const DefaultRefresh = 5 * time.Second

// Store is the PostgreSQL side; *pgstore.Store implements it.
type Store interface {
	ConfigEntries(ctx context.Context) ([]pgstore.ConfigEntry, error)
	SetConfig(ctx context.Context, key string, value json.RawMessage, operator string) error
}

// Channel is the channel of changed keys under prefix (the Redis key
// prefix): redisstore.Keys.ConfigChannel.
func Channel(prefix string) string { return redisstore.Keys{Prefix: prefix}.ConfigChannel() }

// Reader is the cached configuration of one process. Safe for concurrent
// use; the zero value is not: build it with New.
type Reader struct {
	store   Store
	rdb     redis.UniversalClient
	prefix  string
	channel string
	refresh time.Duration
	log     *slog.Logger
	quiet   *logthrottle.Logger // a failed reload every 5 s while PostgreSQL is down

	mu     sync.RWMutex
	values map[string]json.RawMessage
	loaded bool

	loops lifecycle.Group
}

// New returns a Reader over store; rdb carries the notices on
// Channel(prefix). refresh <= 0 takes DefaultRefresh. Call Start.
func New(store Store, rdb redis.UniversalClient, prefix string, refresh time.Duration, log *slog.Logger) *Reader {
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	if log == nil {
		log = slog.Default()
	}
	return &Reader{store: store, rdb: rdb, prefix: prefix, channel: Channel(prefix), refresh: refresh, log: log,
		quiet: logthrottle.New(log, logthrottle.DefaultInterval), values: map[string]json.RawMessage{}}
}

// Start loads the configuration once (a failure is logged: the defaults
// hold until a reload succeeds) and starts following changes until Stop.
func (r *Reader) Start(ctx context.Context) error {
	if err := r.Reload(ctx); err != nil {
		r.log.Warn("sysconfig: first load failed; defaults hold", "err", err)
	}
	var sub *redis.PubSub
	if r.rdb != nil {
		sub = r.rdb.Subscribe(r.loops.Context(), r.channel)
		// Wait for the subscription, so a change made after Start is never
		// left to the periodic reload; a failure is retried by go-redis.
		if _, err := sub.Receive(ctx); err != nil {
			r.log.Warn("sysconfig: subscribe failed; relying on the periodic reload until it succeeds", "err", err)
		}
	}
	r.loops.Go(func(ctx context.Context) { r.run(ctx, sub) })
	return nil
}

// Stop stops following changes (waiting at most until ctx ends).
func (r *Reader) Stop(ctx context.Context) error { return r.loops.Stop(ctx) }

func (r *Reader) run(ctx context.Context, sub *redis.PubSub) {
	var msgs <-chan *redis.Message
	if sub != nil {
		defer sub.Close()
		msgs = sub.Channel()
	}
	tick := time.NewTicker(r.refresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
		}
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		r.quiet.Outcome(ctx, "sysconfig: reload failed; keeping the last values", r.Reload(lctx))
		cancel()
	}
}

// Reload reads every key from PostgreSQL now.
func (r *Reader) Reload(ctx context.Context) error {
	entries, err := r.store.ConfigEntries(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]json.RawMessage, len(entries))
	for _, e := range entries {
		m[e.Key] = e.Value
	}
	r.mu.Lock()
	r.values, r.loaded = m, true
	r.mu.Unlock()
	return nil
}

// Value returns the cached JSON value of key, nil if unset.
func (r *Reader) Value(key string) json.RawMessage {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.values[key]
}

// Bool returns key as a bool: false when unset or not a JSON true.
func (r *Reader) Bool(key string) bool {
	var b bool
	if v := r.Value(key); v != nil && json.Unmarshal(v, &b) == nil {
		return b
	}
	return false
}

// Maintenance reports whether maintenance mode is on (no new tables).
func (r *Reader) Maintenance() bool { return r.Bool(KeyMaintenance) }

// Flag reports whether feature flag name is on (key "flag.<name>").
func (r *Reader) Flag(name string) bool { return r.Bool(FlagPrefix + name) }

// All returns a copy of the cached values.
func (r *Reader) All() map[string]json.RawMessage {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[string]json.RawMessage, len(r.values))
	for k, v := range r.values {
		out[k] = v
	}
	return out
}

// Writer changes the configuration.
type Writer struct {
	Store  Store
	Redis  redis.UniversalClient
	Prefix string
}

// Set writes key = value (JSON) with an audit_log row (kind
// ops_config_set) naming operator, then publishes the notice so every
// Reader reloads. A lost notice is made up for by the periodic reload.
func (w Writer) Set(ctx context.Context, key string, value json.RawMessage, operator string) error {
	if err := w.Store.SetConfig(ctx, key, value, operator); err != nil {
		return err
	}
	if w.Redis != nil {
		if err := w.Redis.Publish(ctx, Channel(w.Prefix), key).Err(); err != nil {
			return fmt.Errorf("sysconfig: %s saved, but the notice was not published (processes see it within %v): %w",
				key, DefaultRefresh, err)
		}
	}
	return nil
}

// Set on a Reader writes through its own store and Redis, then reloads.
func (r *Reader) Set(ctx context.Context, key string, value json.RawMessage, operator string) error {
	if err := (Writer{Store: r.store, Redis: r.rdb, Prefix: r.prefix}).Set(ctx, key, value, operator); err != nil {
		return err
	}
	return r.Reload(ctx)
}
