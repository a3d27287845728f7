package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/redisnodes"
)

// costs is a reading of the CPU time every party has used so far, and
// Redis's command count; two readings make a window's costs.
type costs struct {
	server   time.Duration   // the target's processes
	procs    []time.Duration // each of them
	redis    time.Duration   // used_cpu_user + used_cpu_sys (of every node of a cluster)
	postgres time.Duration   // every postgres process on the machine
	client   time.Duration   // this process: the load clients
	commands int64           // Redis total_commands_processed
	// reads is Redis's total_reads_processed: one per request a client
	// sends and waits for (a command, a pipeline, a script call), i.e. the
	// round trips to Redis of every party.
	reads int64
	// On a Redis Cluster: the nodes read (masters and replicas) and the
	// replicas' part of redis. commands and reads are the masters' only:
	// a replica counts again every write it replays from its master.
	masters, replicas int
	replicaRedis      time.Duration
}

func (c costs) sub(o costs) costs {
	d := costs{server: c.server - o.server, redis: c.redis - o.redis, postgres: c.postgres - o.postgres,
		client: c.client - o.client, commands: c.commands - o.commands, reads: c.reads - o.reads,
		masters: c.masters, replicas: c.replicas, replicaRedis: c.replicaRedis - o.replicaRedis}
	for i := range c.procs {
		d.procs = append(d.procs, c.procs[i]-o.procs[i])
	}
	return d
}

// readCosts reads the costs so far of the target's processes (pids) and
// of the load client: this process and its load processes (clients); and
// of Redis: its server, or every node of a cluster (masters and replicas:
// on one machine a replica's CPU is taken from the same cores).
func readCosts(ctx context.Context, rdb redis.UniversalClient, nodes *nodeClients, pids, clients []int) (costs, error) {
	var c costs
	for _, pid := range pids {
		cpu := procCPU(strconv.Itoa(pid))
		c.server += cpu
		c.procs = append(c.procs, cpu)
	}
	c.postgres = postgresCPU()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, pid := range clients {
		c.client += procCPU(strconv.Itoa(pid))
	}
	infos, err := redisInfo(ctx, rdb, nodes)
	if err != nil {
		return c, err
	}
	for _, n := range infos {
		user, _ := strconv.ParseFloat(n.fields["used_cpu_user"], 64)
		sys, _ := strconv.ParseFloat(n.fields["used_cpu_sys"], 64)
		cpu := time.Duration((user + sys) * float64(time.Second))
		c.redis += cpu
		if n.replica {
			c.replicas++
			c.replicaRedis += cpu
			continue
		}
		if n.cluster {
			c.masters++
		}
		commands, _ := strconv.ParseInt(n.fields["total_commands_processed"], 10, 64)
		reads, _ := strconv.ParseInt(n.fields["total_reads_processed"], 10, 64)
		c.commands += commands
		c.reads += reads
	}
	return c, nil
}

// nodeInfo is INFO cpu and stats of one Redis server.
type nodeInfo struct {
	fields  map[string]string
	cluster bool // a node of a cluster
	replica bool // a cluster's replica (INFO replication's role)
}

// redisInfo reads INFO of rdb's server, or of every node of a cluster
// that CLUSTER NODES lists, masters and replicas (nodes keeps a client of
// each). Not go-redis's slot map: it comes from CLUSTER SLOTS, which
// leaves out a replica that has not replicated anything yet (a fresh
// cluster's, for up to 10 s), and is reloaded only now and then.
func redisInfo(ctx context.Context, rdb redis.UniversalClient, nodes *nodeClients) ([]nodeInfo, error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		info, err := rdb.Info(ctx, "cpu", "stats").Result()
		if err != nil {
			return nil, err
		}
		return []nodeInfo{{fields: redisnodes.InfoFields(info)}}, nil
	}
	list, err := cc.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("redis cluster nodes: %w", err)
	}
	addrs := clusterAddrs(list)
	out := make([]nodeInfo, len(addrs))
	errs := make(chan error, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() {
			info, err := nodes.client(cc, addr).Info(ctx, "cpu", "stats", "replication").Result()
			if err != nil {
				errs <- fmt.Errorf("redis cluster node %s: %w", addr, err)
				return
			}
			f := redisnodes.InfoFields(info)
			out[i] = nodeInfo{fields: f, cluster: true, replica: f["role"] == "slave"}
		})
	}
	wg.Wait()
	close(errs)
	return out, <-errs
}

// clusterAddrs are the host:port of the nodes of a CLUSTER NODES reply
// that are in the cluster now (not failed, nor still in the handshake).
func clusterAddrs(list string) []string {
	var out []string
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@") // ip:port@cport[,hostname]
		flags := strings.Split(f[2], ",")
		if strings.HasPrefix(addr, ":") || slices.Contains(flags, "fail") || slices.Contains(flags, "handshake") ||
			slices.Contains(flags, "noaddr") {
			continue
		}
		out = append(out, addr)
	}
	slices.Sort(out)
	return out
}

// nodeClients is a client of each cluster node the bench reads, by address,
// with the cluster client's credentials.
type nodeClients struct {
	mu      sync.Mutex
	clients map[string]*redis.Client
}

func (n *nodeClients) client(cc *redis.ClusterClient, addr string) *redis.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.clients[addr]; ok {
		return c
	}
	if n.clients == nil {
		n.clients = map[string]*redis.Client{}
	}
	opt := cc.Options()
	c := redis.NewClient(&redis.Options{Addr: addr, Username: opt.Username, Password: opt.Password,
		TLSConfig: opt.TLSConfig, PoolSize: 2})
	n.clients[addr] = c
	return c
}

func (n *nodeClients) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.clients {
		c.Close()
	}
	n.clients = nil
}

// rss is the resident memory of the processes, in bytes, from
// /proc/PID/status (VmRSS).
func rss(pids []int) float64 {
	var total float64
	for _, pid := range pids {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				total += kb * 1024
			}
		}
	}
	return total
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// procCPU is a process's user + system CPU time from /proc/PID/stat (0
// if it is gone).
func procCPU(pid string) time.Duration {
	_, cpu := procStat(pid)
	return cpu
}

func procStat(pid string) (comm string, cpu time.Duration) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return "", 0
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0
	}
	fields := strings.Fields(s[end+1:]) // from field 3, state
	if len(fields) < 13 {
		return "", 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(fields[12], 10, 64) // field 15
	return s[open+1 : end], time.Duration(utime+stime) * time.Second / clockTicks
}

// postgresCPU sums the CPU time of the postgres processes (the server and
// its backends): persistence is part of a move's cost.
func postgresCPU() time.Duration {
	ents, _ := os.ReadDir("/proc")
	var total time.Duration
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		if comm, cpu := procStat(e.Name()); comm == "postgres" {
			total += cpu
		}
	}
	return total
}

// tableMemory is the mean Redis memory of a live table, from MEMORY USAGE
// of every key under prefix with a hash tag (a table's keys share theirs:
// {g:id} for hokm, {id} for the relays), summed by tag; 0 when none. A
// hokm table counts while a match is played at it (its meta's status
// "playing"): in closed loop a table's match ends within seconds and the
// bots go on at a new table, and the finished ones — kept until their TTL
// for the rematch offer and a late resync — would outnumber the live ones
// (a relay's table never ends). On a cluster the keys are those of every
// master (a replica's copy is not counted).
func tableMemory(ctx context.Context, rdb redis.UniversalClient, pattern string) (float64, error) {
	keys, err := scanKeys(ctx, rdb, pattern)
	if err != nil {
		return 0, err
	}
	perTag := map[string]int64{}
	playing := map[string]bool{}
	for batch := range slices.Chunk(keys, 500) {
		usage := make([]*redis.IntCmd, len(batch))
		metas := make([]*redis.StringCmd, len(batch)) // a hokm table hash's meta
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range batch {
				usage[i] = p.MemoryUsage(ctx, k, 0)
				if strings.HasPrefix(tagOf(k), "{g:") && strings.HasSuffix(k, "}:table") {
					metas[i] = p.HGet(ctx, k, "meta")
				}
			}
			return nil
		})
		if err != nil && err != redis.Nil {
			return 0, err
		}
		for i, k := range batch {
			tag := tagOf(k)
			if m := metas[i]; m != nil {
				var meta struct{ Status table.Status }
				if b, err := m.Bytes(); err == nil && json.Unmarshal(b, &meta) == nil && meta.Status == table.Playing {
					playing[tag] = true
				}
			}
			if n, err := usage[i].Result(); err == nil && tag != "" { // (an error: gone since the scan)
				perTag[tag] += n
			}
		}
	}
	var total int64
	var tables int
	for tag, n := range perTag {
		if strings.HasPrefix(tag, "{g:") && !playing[tag] {
			continue
		}
		total += n
		tables++
	}
	if tables == 0 {
		return 0, nil
	}
	return float64(total) / float64(tables), nil
}

// tagOf is key's hash tag with its braces ("" without one).
func tagOf(key string) string {
	if open, end := strings.IndexByte(key, '{'), strings.IndexByte(key, '}'); open >= 0 && end > open {
		return key[open : end+1]
	}
	return ""
}
