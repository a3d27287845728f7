package procs

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/redisnodes"
)

// SentinelOptions are a Sentinel set's settings; zero values take the
// defaults, chosen so that a failover takes a few seconds.
type SentinelOptions struct {
	Redis           RedisOptions  // both data nodes' settings
	DownAfter       time.Duration // down-after-milliseconds (default 1 s)
	FailoverTimeout time.Duration // failover-timeout (default 3 s; a second failover waits twice this)
}

// SentinelSet is a primary, a replica and three Sentinels (quorum 2)
// watching them under MasterName, all of the test's own on side ports.
// Which node is the primary changes with each failover: Primary and
// Replica ask the Sentinels.
type SentinelSet struct {
	t         testing.TB
	master    string
	nodes     []*Redis
	sentinels []*Redis
}

// StartSentinelSet starts the five processes and waits until the
// Sentinels know the primary, the replica and each other (so that a
// failover can start at once). Everything is killed when the test ends.
func StartSentinelSet(t testing.TB, opt SentinelOptions) *SentinelSet {
	t.Helper()
	if opt.DownAfter == 0 {
		opt.DownAfter = time.Second
	}
	if opt.FailoverTimeout == 0 {
		opt.FailoverTimeout = 3 * time.Second
	}
	s := &SentinelSet{t: t, master: "hokm"}
	primary := newRedis(t, "redis node 1", opt.Redis)
	primary.firstStart()
	ropt := opt.Redis
	ropt.conf = append(append([]string{}, ropt.conf...), "replicaof 127.0.0.1 "+strconv.Itoa(primary.port))
	replica := newRedis(t, "redis node 2", ropt)
	replica.firstStart()
	s.nodes = []*Redis{primary, replica}
	for i := range 3 {
		sn := newRedis(t, "sentinel "+strconv.Itoa(i+1), RedisOptions{})
		sn.sentinel = true
		sn.monitor = []string{
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", s.master, primary.port),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", s.master, opt.DownAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", s.master, opt.FailoverTimeout.Milliseconds()),
			fmt.Sprintf("sentinel parallel-syncs %s 1", s.master),
		}
		sn.firstStart()
		s.sentinels = append(s.sentinels, sn)
	}
	s.WaitStable(30 * time.Second)
	return s
}

// MasterName is the name the Sentinels know the primary by.
func (s *SentinelSet) MasterName() string { return s.master }

// SentinelAddrs are the Sentinels' host:port addresses.
func (s *SentinelSet) SentinelAddrs() []string {
	var out []string
	for _, sn := range s.sentinels {
		out = append(out, sn.Addr())
	}
	return out
}

// ServerClient is a client of the primary the Sentinels name, built as
// the server builds its own under Sentinel (redisconn.New: a failover
// client with the server's timeouts), closed when the test ends.
func (s *SentinelSet) ServerClient(hooks ...redis.Hook) redis.UniversalClient {
	s.t.Helper()
	cfg := config.Defaults()
	cfg.RedisSentinels, cfg.RedisMaster, cfg.Partitions = s.SentinelAddrs(), s.master, 1
	return serverClient(s.t, cfg, hooks)
}

// Sentinels are the three Sentinel processes (to kill or pause one).
func (s *SentinelSet) Sentinels() []*Redis { return s.sentinels }

// Nodes are the two data nodes, in start order (the first was the
// primary at start).
func (s *SentinelSet) Nodes() []*Redis { return s.nodes }

// sentinelClient is a short-lived client on one Sentinel.
func sentinelClient(addr string) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: addr, DialTimeout: 500 * time.Millisecond,
		ReadTimeout: time.Second, MaxRetries: -1, PoolSize: 1})
}

// primaryAddrs is each running Sentinel's idea of the primary's address
// ("" where it did not answer).
func (s *SentinelSet) primaryAddrs() []string {
	var out []string
	for _, sn := range s.sentinels {
		if !sn.Running() {
			continue
		}
		c := sentinelClient(sn.Addr())
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		a, err := c.GetMasterAddrByName(ctx, s.master).Result()
		cancel()
		c.Close()
		if err != nil || len(a) != 2 {
			out = append(out, "")
			continue
		}
		out = append(out, net.JoinHostPort(a[0], a[1]))
	}
	return out
}

// PrimaryAddr is the primary's address as the first Sentinel that
// answers has it.
func (s *SentinelSet) PrimaryAddr() string {
	s.t.Helper()
	for _, a := range s.primaryAddrs() {
		if a != "" {
			return a
		}
	}
	s.t.Fatal("no Sentinel answered GET-MASTER-ADDR-BY-NAME")
	return ""
}

// Primary is the data node the Sentinels name as primary.
func (s *SentinelSet) Primary() *Redis {
	s.t.Helper()
	return s.node(s.PrimaryAddr())
}

// Replica is the other data node.
func (s *SentinelSet) Replica() *Redis {
	s.t.Helper()
	p := s.PrimaryAddr()
	for _, n := range s.nodes {
		if n.Addr() != p {
			return n
		}
	}
	s.t.Fatalf("no data node other than the primary %s", p)
	return nil
}

func (s *SentinelSet) node(addr string) *Redis {
	s.t.Helper()
	for _, n := range s.nodes {
		if n.Addr() == addr {
			return n
		}
	}
	s.t.Fatalf("the Sentinels name %s, which is none of the data nodes", addr)
	return nil
}

// Failover asks a Sentinel for a failover (SENTINEL FAILOVER: the
// replica is promoted) and returns the address of the primary before it.
// Wait for the change with WaitPrimaryChanged. The old primary keeps
// running as a primary until the Sentinels reconfigure it into a replica,
// 10–20 s later (WaitStable waits for that).
func (s *SentinelSet) Failover() string {
	s.t.Helper()
	old := s.PrimaryAddr()
	c := sentinelClient(s.sentinels[0].Addr())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Failover(ctx, s.master).Err(); err != nil {
		s.t.Fatalf("SENTINEL FAILOVER %s: %v", s.master, err)
	}
	return old
}

// KillPrimary SIGKILLs the primary, leaving it to the Sentinels to notice
// (after DownAfter) and elect the replica, and returns its address.
func (s *SentinelSet) KillPrimary() string {
	s.t.Helper()
	p := s.Primary()
	p.Kill()
	return p.Addr()
}

// Rejoin starts the stopped data node n again as a replica of the
// current primary, as an operator would bring back a failed node. (Start
// brings it back as it was: a former primary comes up as a primary with
// its old data until the Sentinels reconfigure it, 10–20 s later.)
func (s *SentinelSet) Rejoin(n *Redis) {
	s.t.Helper()
	host, port, _ := net.SplitHostPort(s.PrimaryAddr())
	n.extra = []string{"--replicaof", host, port}
	defer func() { n.extra = nil }()
	n.Start()
}

// WaitPrimaryChanged waits at most d until every running Sentinel names a
// primary other than old and that node answers as a primary, and returns
// its address.
func (s *SentinelSet) WaitPrimaryChanged(old string, d time.Duration) string {
	s.t.Helper()
	var now string
	ok := until(d, func() bool {
		addrs := s.primaryAddrs()
		now = ""
		for _, a := range addrs {
			if a == "" || a == old || (now != "" && a != now) {
				return false
			}
			now = a
		}
		return now != "" && role(now) == "master"
	})
	if !ok {
		s.t.Fatalf("the primary did not change from %s within %v (Sentinels say %v)", old, d, s.primaryAddrs())
	}
	return now
}

// probe runs ask on a one-connection client of the Redis at addr, made
// for it and closed after, within 2 s: a node that does not answer fails
// fast instead of holding a wait loop.
func probe(addr string, ask func(ctx context.Context, c *redis.Client) error) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 500 * time.Millisecond,
		ReadTimeout: time.Second, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return ask(ctx, c)
}

// role is the ROLE of the Redis at addr ("" when it does not answer).
func role(addr string) string {
	var v []any
	err := probe(addr, func(ctx context.Context, c *redis.Client) (err error) {
		v, err = c.Do(ctx, "ROLE").Slice()
		return err
	})
	if err != nil || len(v) == 0 {
		return ""
	}
	r, _ := v[0].(string)
	return r
}

// WaitStable waits at most d until every running Sentinel agrees on the
// primary, sees no failure, knows the other running Sentinels and lists
// every other running data node as a replica, and each such node follows
// the primary with its link up — the state in which the next failover can
// start. (A node restarted after it was the primary comes up as a primary
// and follows only once the Sentinels notice and reconfigure it, which
// takes them 10–20 s.)
func (s *SentinelSet) WaitStable(d time.Duration) {
	s.t.Helper()
	var why string
	if !until(d, func() bool { why = s.unstable(); return why == "" }) {
		s.t.Fatalf("Sentinel set not stable within %v: %s", d, why)
	}
}

// unstable says why the set is not stable yet ("" when it is).
func (s *SentinelSet) unstable() string {
	var running []*Redis
	for _, sn := range s.sentinels {
		if sn.Running() {
			running = append(running, sn)
		}
	}
	primary := ""
	for _, sn := range running {
		c := sentinelClient(sn.Addr())
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		m, err := c.Master(ctx, s.master).Result()
		var replicas []map[string]string
		if err == nil {
			replicas, err = c.Replicas(ctx, s.master).Result()
		}
		cancel()
		c.Close()
		if err != nil {
			return fmt.Sprintf("%s: %v", sn.Addr(), err)
		}
		addr := net.JoinHostPort(m["ip"], m["port"])
		switch {
		case m["flags"] != "master":
			return fmt.Sprintf("%s: primary %s flags %q", sn.Addr(), addr, m["flags"])
		case primary != "" && addr != primary:
			return fmt.Sprintf("Sentinels disagree on the primary: %s, %s", primary, addr)
		case m["num-other-sentinels"] != strconv.Itoa(len(running)-1):
			return fmt.Sprintf("%s: knows %s other Sentinels", sn.Addr(), m["num-other-sentinels"])
		}
		primary = addr
		for _, n := range s.nodes {
			if n.Addr() != addr && n.Running() && !listsReplica(replicas, n.Addr()) {
				return fmt.Sprintf("%s: does not list %s as a healthy replica", sn.Addr(), n.Addr())
			}
		}
	}
	if primary == "" {
		return "no Sentinel runs"
	}
	if r := role(primary); r != "master" {
		return fmt.Sprintf("the primary %s answers ROLE %q", primary, r)
	}
	for _, n := range s.nodes {
		if n.Addr() != primary && n.Running() {
			if f := following(n.Addr()); f != primary {
				return fmt.Sprintf("%s follows %q, not the primary %s", n.Addr(), f, primary)
			}
		}
	}
	return ""
}

// listsReplica reports whether a Sentinel's replica list has addr with no
// failure flag (down, disconnected).
func listsReplica(replicas []map[string]string, addr string) bool {
	for _, r := range replicas {
		if net.JoinHostPort(r["ip"], r["port"]) == addr {
			return r["flags"] == "slave"
		}
	}
	return false
}

// following is the primary the replica at addr replicates from with its
// link up ("" when it is not a replica or its link is down).
func following(addr string) string {
	var info string
	err := probe(addr, func(ctx context.Context, c *redis.Client) (err error) {
		info, err = c.Info(ctx, "replication").Result()
		return err
	})
	if err != nil {
		return ""
	}
	f := redisnodes.InfoFields(info)
	if f["role"] != "slave" || f["master_link_status"] != "up" {
		return ""
	}
	return net.JoinHostPort(f["master_host"], f["master_port"])
}
