package procs

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/redisnodes"
)

// RedisCluster is a Redis Cluster of the test's own: redis-server
// processes started with cluster-enabled on side ports, each with its own
// directory (and nodes.conf), formed by `redis-cli --cluster create` into
// masters with one replica each. The nodes are ordinary *Redis: Kill, Pause,
// Start them to fail a master over. A node times out after 1 s
// (cluster-node-timeout), so a killed master's replica takes over within a
// few seconds.
type RedisCluster struct {
	t     testing.TB
	Nodes []*Redis // the masters first as created, then their replicas
}

// StartRedisCluster starts masters × 2 nodes with opt and forms them into
// a cluster of masters masters, one replica each, every slot covered; it
// waits until every node reports the cluster ok. The nodes are killed when
// the test ends.
func StartRedisCluster(t testing.TB, masters int, opt RedisOptions) *RedisCluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("StartRedisCluster(%d): Redis Cluster wants at least 3 masters", masters)
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		missing(t, "redis-cli", err)
	}
	c := &RedisCluster{t: t}
	opt.conf = append(append([]string{}, opt.conf...), "cluster-enabled yes", "cluster-config-file nodes.conf",
		"cluster-node-timeout 1000", "cluster-replica-validity-factor 0")
	for i := range 2 * masters {
		r := newRedis(t, fmt.Sprintf("cluster node %d", i), opt)
		r.firstStart()
		c.Nodes = append(c.Nodes, r)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.WaitHealthy(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

// Addrs are the nodes' host:port, in Nodes' order: seeds for a cluster
// client.
func (c *RedisCluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// Client is a go-redis cluster client on the nodes, closed when the test
// ends. It reloads the slot map every second: go-redis (v9.23) reloads it
// on MOVED and ASK answers and otherwise every ClusterStateReloadInterval
// (60 s by default) — a master that died answers nothing, so until that
// reload every command of its slots fails with a refused connection, long
// after its replica took over.
func (c *RedisCluster) Client() *redis.ClusterClient {
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), ClusterStateReloadInterval: time.Second})
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// Masters are the running nodes that are masters now (after a failover,
// a former replica is one).
func (c *RedisCluster) Masters() []*Redis {
	var out []*Redis
	for _, n := range c.Nodes {
		if n.Running() && role(n.Addr()) == "master" {
			out = append(out, n)
		}
	}
	return out
}

// WaitHealthy waits until every running node reports cluster_state:ok and
// sees all 16,384 slots served.
func (c *RedisCluster) WaitHealthy(d time.Duration) error {
	var last string
	if until(d, func() bool {
		for _, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			state, err := clusterInfo(n, "cluster_state")
			ok, _ := clusterInfo(n, "cluster_slots_ok")
			if err != nil || state != "ok" || ok != "16384" {
				last = fmt.Sprintf("%s: cluster_state %s, cluster_slots_ok %s, %v", n.Addr(), state, ok, err)
				return false
			}
		}
		return true
	}) {
		return nil
	}
	return fmt.Errorf("the cluster is not healthy after %v: %s", d, last)
}

// clusterInfo is one field of CLUSTER INFO on n.
func clusterInfo(n *Redis, field string) (string, error) {
	var info string
	err := probe(n.Addr(), func(ctx context.Context, c *redis.Client) (err error) {
		info, err = c.ClusterInfo(ctx).Result()
		return err
	})
	return redisnodes.InfoFields(info)[field], err
}
