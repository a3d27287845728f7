package bench

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// costs is a reading of the CPU time every party has used so far, and
// Redis's command count; two readings make a window's costs.
type costs struct {
	server   time.Duration   // the target's processes
	procs    []time.Duration // each of them
	redis    time.Duration   // used_cpu_user + used_cpu_sys
	postgres time.Duration   // every postgres process on the machine
	client   time.Duration   // this process: the load clients
	commands int64           // Redis total_commands_processed
	// reads is Redis's total_reads_processed: one per request a client
	// sends and waits for (a command, a pipeline, a script call), i.e. the
	// round trips to Redis of every party.
	reads int64
}

func (c costs) sub(o costs) costs {
	d := costs{server: c.server - o.server, redis: c.redis - o.redis, postgres: c.postgres - o.postgres,
		client: c.client - o.client, commands: c.commands - o.commands, reads: c.reads - o.reads}
	for i := range c.procs {
		d.procs = append(d.procs, c.procs[i]-o.procs[i])
	}
	return d
}

// readCosts reads the costs so far of the target's processes (pids) and
// of the load client: this process and its load processes (clients).
func readCosts(ctx context.Context, rdb *redis.Client, pids, clients []int) (costs, error) {
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
	info, err := rdb.Info(ctx, "cpu", "stats").Result()
	if err != nil {
		return c, err
	}
	f := infoFields(info)
	user, _ := strconv.ParseFloat(f["used_cpu_user"], 64)
	sys, _ := strconv.ParseFloat(f["used_cpu_sys"], 64)
	c.redis = time.Duration((user + sys) * float64(time.Second))
	c.commands, _ = strconv.ParseInt(f["total_commands_processed"], 10, 64)
	c.reads, _ = strconv.ParseInt(f["total_reads_processed"], 10, 64)
	return c, nil
}

func infoFields(info string) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			f[k] = v
		}
	}
	return f
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

// tableMemory is the mean Redis memory of a table, from MEMORY USAGE of
// every key under prefix with a hash tag (a table's keys share theirs:
// {g:id} for hokm, {id} for the relays), summed by tag; 0 when none.
func tableMemory(ctx context.Context, rdb *redis.Client, pattern string) (float64, error) {
	keys, err := scanKeys(ctx, rdb, pattern)
	if err != nil {
		return 0, err
	}
	tables := map[string]bool{}
	var total int64
	for batch := range slices.Chunk(keys, 500) {
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.MemoryUsage(ctx, k, 0)
			}
			return nil
		})
		if err != nil && err != redis.Nil {
			return 0, err
		}
		for j, c := range cmds {
			n, err := c.(*redis.IntCmd).Result()
			if err != nil {
				continue // gone since the scan
			}
			k := batch[j]
			if open, end := strings.IndexByte(k, '{'), strings.IndexByte(k, '}'); open >= 0 && end > open {
				tables[k[open:end]] = true
				total += n
			}
		}
	}
	if len(tables) == 0 {
		return 0, nil
	}
	return float64(total) / float64(len(tables)), nil
}
