// Package redisnodes runs the Redis commands that are about a server rather
// than a key the same way on one server and on a Redis Cluster: SCAN walks
// one node's keys, so on a cluster it is run on every master; and the
// "server" whose run id tells a restart or a failover is the set of masters.
package redisnodes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Masters returns a client per master of rdb: the masters of a cluster
// client (as its slot map knows them now), else rdb itself.
func Masters(ctx context.Context, rdb redis.UniversalClient) ([]redis.UniversalClient, error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return []redis.UniversalClient{rdb}, nil
	}
	var mu sync.Mutex
	var out []redis.UniversalClient
	err := cc.ForEachMaster(ctx, func(_ context.Context, c *redis.Client) error {
		mu.Lock()
		out = append(out, c)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis cluster masters: %w", err)
	}
	return out, nil
}

// Scan calls fn with the keys matching pattern in batches of about count,
// on every master of a cluster (one after the other); it stops at fn's
// first error. A key may be seen twice (SCAN's own guarantee), or on two
// masters while its slot moves.
func Scan(ctx context.Context, rdb redis.UniversalClient, pattern string, count int64, fn func(keys []string) error) error {
	nodes, err := Masters(ctx, rdb)
	if err != nil {
		return err
	}
	for _, c := range nodes {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, count).Result()
			if err != nil {
				return fmt.Errorf("scan %s: %w", pattern, err)
			}
			if len(keys) > 0 {
				if err := fn(keys); err != nil {
					return err
				}
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
	}
	return nil
}

// RunID is the run id of the Redis server rdb talks to (INFO server),
// which changes with every start. On a cluster it is the run ids of its
// masters, sorted and joined by ",": it changes when any master restarts or
// a replica takes over from one.
func RunID(ctx context.Context, rdb redis.UniversalClient) (string, error) {
	nodes, err := Masters(ctx, rdb)
	if err != nil {
		return "", err
	}
	ids := make([]string, 0, len(nodes))
	for _, c := range nodes {
		info, err := c.Info(ctx, "server").Result()
		if err != nil {
			return "", fmt.Errorf("redis info: %w", err)
		}
		id := InfoFields(info)["run_id"]
		if id == "" {
			return "", errors.New("redis info: no run_id")
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, ","), nil
}

// RunIDHas reports whether node, one server's run id, is part of runID
// (RunID's answer). It allocates nothing: a worker asks it of every action
// on a cluster.
func RunIDHas(runID, node string) bool {
	for node != "" && runID != "" {
		var id string
		id, runID, _ = strings.Cut(runID, ",")
		if id == node {
			return true
		}
	}
	return false
}

// InfoFields are the "name:value" lines of an INFO (or CLUSTER INFO) reply.
func InfoFields(info string) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			f[k] = v
		}
	}
	return f
}
