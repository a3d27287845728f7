// Package bench is `hokm bench`: the move path measured on every target
// in one run, with the same load client, so that each figure of the real
// server stands beside the floor it is judged against, as a ratio
// measured at the same time on the same machine (README "Measurements").
//
// Targets: the relay floor and prototype (relay.go: the path without
// rules), `hokm serve` (one process) and `hokm gateway` + `hokm worker`
// (split roles). Modes: N tables in a closed loop (each card sent as soon
// as it is the seat's turn), or paced (each table a card every 1/rate s).
// A run starts a fresh target for each mode, waits until every table has
// played, warms up, then measures a window: cards delivered, latency from
// a card's write until all four seats have read it, CPU per card of the
// target's processes, Redis, PostgreSQL and the clients, Redis commands
// and frames per card.
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tools/botclient"
	"github.com/hokm-project/hokm/tools/floor"
)

// Target names; a target may also be NAME@BINARY, NAME run from another
// build of hokm, and end in +v1: the load client speaks protocol version 1
// to it (a build before version 2, or the versions compared on one build).
const (
	TargetFloor     = KindFloor
	TargetPrototype = KindPrototype
	TargetServe     = "serve"
	TargetSplit     = "split"
)

// Mode is a load: Tables at once, each in a closed loop (Rate 0) or
// paced at Rate cards per second.
type Mode struct {
	Tables int
	Rate   float64
}

// pace is the time between a table's cards (0: a closed loop).
func (m Mode) pace() time.Duration {
	if m.Rate == 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / m.Rate)
}

func (m Mode) String() string {
	if m.Rate == 0 {
		return fmt.Sprintf("closed loop, %d", m.Tables)
	}
	return fmt.Sprintf("%d tables × %g/s", m.Tables, m.Rate)
}

// ParseMode reads "closed:N" or "paced:N" (at rate cards/s per table).
func ParseMode(s string, rate float64) (Mode, error) {
	kind, n, ok := strings.Cut(s, ":")
	tables, err := strconv.Atoi(n)
	if !ok || err != nil || tables < 1 || kind != "closed" && kind != "paced" {
		return Mode{}, fmt.Errorf("mode %q: want closed:N or paced:N", s)
	}
	m := Mode{Tables: tables}
	if kind == "paced" {
		m.Rate = rate
	}
	return m, nil
}

// Config of a run.
type Config struct {
	Exe string   // the hokm binary, started for each target
	Env []string // the targets' environment (HOKM_*: Redis, PostgreSQL, limits off)
	// Redis is the targets' Redis, of which the bench reads the CPU and
	// command counts and deletes each run's keys: a client of its server,
	// or a cluster client of RedisCluster.
	Redis redis.UniversalClient
	// RedisCluster, when set, is the seed nodes (host:port) of the Redis
	// Cluster hokm's targets run on: they get HOKM_REDIS_CLUSTER_ADDRS
	// (without it, none of Env's reaches them), Redis's CPU is summed over
	// every node, masters and replicas, its commands over the masters, and
	// the keys are deleted on every master. The relay targets (floor,
	// prototype) run on one server only: Run refuses them on a cluster.
	RedisCluster []string
	// Journal, when set, is the targets' PostgreSQL: after each run of
	// hokm its table journal is emptied, or the next run would begin by
	// restoring the last one's tables into Redis.
	Journal *pgstore.Store
	Prefix  string // Redis key prefix of the targets (suffixed by target)
	Port    int    // the targets' WebSocket port
	Targets []string
	Modes   []Mode
	Warm    time.Duration // after every table has played, before the window
	Window  time.Duration
	Reps    int // repetitions, interleaved: every target and mode, then again
	// ProfileDir, when set, receives a CPU profile of each hokm process
	// over each window (TARGET-ROLE-MODE.pprof, TARGET as given with any
	// "/" made "_"; go tool pprof bin/hokm FILE) and its allocations over
	// the window (TARGET-ROLE-MODE-allocs.pprof),
	// and of the load client when it runs in this process
	// (TARGET-client-MODE.pprof).
	ProfileDir string
	// Gateways is how many `hokm gateway` processes the split target runs
	// (default 1); a table's seats are spread over them.
	Gateways int
	// Clients is how many processes the load client of hokm's targets runs
	// in (default 1: this one); the relays' is always this one.
	Clients int
	// Ramp spreads the start of a load's tables over that time (0: all at
	// once): thousands of tables seating at the same instant measure a
	// storm, not the play that follows.
	Ramp time.Duration
	Log  func(format string, args ...any)
	// nodes are clients of a cluster's nodes, whose costs are read one by
	// one (set by Run).
	nodes *nodeClients
}

// Row is one target under one mode (the median of the repetitions).
type Row struct {
	Target    string  `json:"target"`
	Mode      string  `json:"mode"`
	Tables    int     `json:"tables"`
	Offered   float64 `json:"offered_per_s,omitempty"` // paced: tables × rate
	Delivered float64 `json:"moves_per_s"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	P999      float64 `json:"p999_ms"`
	ServerUS  float64 `json:"server_cpu_us"` // CPU per card, µs
	// RoleUS is ServerUS by process when the target has several (split:
	// gateway, worker).
	RoleUS    map[string]float64 `json:"role_cpu_us,omitempty"`
	RedisUS   float64            `json:"redis_cpu_us"`
	PostgreUS float64            `json:"postgres_cpu_us"`
	ClientUS  float64            `json:"client_cpu_us"`
	Commands  float64            `json:"redis_commands"` // per card
	// RoundTrips is requests to Redis per card, of every party (the load
	// client sends none): Redis's count of the socket reads it served.
	RoundTrips float64 `json:"redis_round_trips"`
	Frames     float64 `json:"frames"` // read by the clients per card
	// RSS is the target's resident memory at the end of the window
	// (all its processes), in bytes.
	RSS float64 `json:"rss_bytes"`
	// TableBytes is Redis's memory per live table (MEMORY USAGE of its
	// keys) at the end of the window.
	TableBytes float64 `json:"redis_bytes_per_table"`
	Errors     int     `json:"errors,omitempty"`
	// On a Redis Cluster (Config.RedisCluster): the nodes whose costs the
	// row sums (RedisUS is every node's CPU, ReplicaUS the replicas' part
	// of it; Commands and RoundTrips are the masters').
	RedisMasters  int     `json:"redis_masters,omitempty"`
	RedisReplicas int     `json:"redis_replicas,omitempty"`
	ReplicaUS     float64 `json:"redis_replica_cpu_us,omitempty"`
}

// clusterEnv names the Redis Cluster's nodes to hokm's roles.
const clusterEnv = "HOKM_REDIS_CLUSTER_ADDRS"

// Run measures every mode on every target, Reps times, and returns a row
// per mode and target (median of the repetitions), modes in order.
func Run(ctx context.Context, cfg Config) ([]Row, error) {
	if len(cfg.RedisCluster) > 0 {
		for _, target := range cfg.Targets {
			if name, _, _ := parseTarget(target); name == TargetFloor || name == TargetPrototype {
				return nil, fmt.Errorf("target %s: the relay targets run on a single Redis server, not on a Redis Cluster (measure serve or split there)", target)
			}
		}
	}
	cfg.nodes = &nodeClients{}
	defer cfg.nodes.close()
	runs := map[string][]Row{}
	for rep := range cfg.Reps {
		for _, m := range cfg.Modes {
			for _, target := range repOrder(cfg.Targets, rep) {
				row, err := measure(ctx, cfg, target, m)
				if err != nil {
					return nil, fmt.Errorf("%s, %s: %w", target, m, err)
				}
				cfg.Log("rep %d %-9s %-22s %8.0f moves/s  p50 %6.2f  p99 %7.2f ms  server %5.0f µs  redis %4.0f µs/move",
					rep+1, target, m, row.Delivered, row.P50, row.P99, row.ServerUS, row.RedisUS)
				key := target + "|" + m.String()
				runs[key] = append(runs[key], row)
			}
		}
	}
	var rows []Row
	for _, m := range cfg.Modes {
		for _, target := range cfg.Targets {
			rows = append(rows, median(runs[target+"|"+m.String()]))
		}
	}
	return rows, nil
}

// repOrder is the order the targets run in at repetition rep: as given,
// reversed every other repetition. Here the comparison of two builds moved
// by up to 10 % of CPU per card with the order they ran in (a PGO build
// looked cheaper run second, dearer run first), so a fixed order can tilt
// every before/after pair the same way.
func repOrder(targets []string, rep int) []string {
	if rep%2 == 0 {
		return targets
	}
	r := slices.Clone(targets)
	slices.Reverse(r)
	return r
}

// measure starts target, loads it with m and measures one window.
func measure(ctx context.Context, cfg Config, target string, m Mode) (Row, error) {
	tg, err := start(ctx, cfg, target)
	if err != nil {
		return Row{}, err
	}
	defer tg.stop()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, m.Tables+1)
	var win window
	var clientPids []int
	if cfg.Clients > 1 && !tg.relay {
		cs, err := startClients(lctx, cfg, tg.urls, m, errs)
		if err != nil {
			return Row{}, err
		}
		defer cs.stop()
		win, clientPids = cs, cs.pids()
	} else {
		col := newCollector()
		done := load(lctx, tg, m, cfg.Ramp, col, errs)
		defer func() {
			cancel()
			<-done
		}()
		win = col
	}
	if err := warmUp(ctx, win, m.Tables, cfg.Ramp, errs); err != nil {
		return Row{}, err
	}
	sleep(ctx, cfg.Warm)
	before, err := readCosts(ctx, cfg.Redis, cfg.nodes, tg.pids(), clientPids)
	if err != nil {
		return Row{}, err
	}
	t0 := time.Now()
	win.open()
	profiled := tg.profile(ctx, cfg, m)
	stopClientProfile := clientProfile(cfg, tg.label, m, clientPids == nil)
	sleep(ctx, cfg.Window)
	stopClientProfile()
	lats, moved, framed := win.close()
	if err := <-profiled; err != nil {
		cfg.Log("profile: %v", err)
	}
	elapsed := time.Since(t0)
	after, err := readCosts(ctx, cfg.Redis, cfg.nodes, tg.pids(), clientPids)
	if err != nil {
		return Row{}, err
	}
	if before.masters+before.replicas != after.masters+after.replicas {
		return Row{}, fmt.Errorf("the Redis Cluster's nodes changed during the window (%d+%d, then %d+%d)",
			before.masters, before.replicas, after.masters, after.replicas)
	}
	d := after.sub(before)
	pattern := redisstore.Keys{Prefix: tg.prefix}.TableKeysPattern()
	if tg.relay {
		pattern = redisstore.Keys{Prefix: tg.prefix}.BenchTablesPattern()
	}
	perTable, err := tableMemory(ctx, cfg.Redis, pattern)
	if err != nil {
		return Row{}, err
	}
	moves := float64(moved)
	row := Row{Target: target, Mode: m.String(), Tables: m.Tables, Offered: float64(m.Tables) * m.Rate,
		Delivered: moves / elapsed.Seconds(), Errors: len(errs), TableBytes: perTable, RSS: rss(tg.pids()),
		RedisMasters: d.masters, RedisReplicas: d.replicas}
	row.P50, row.P99, row.P999 = floor.Quantile(lats, 0.5), floor.Quantile(lats, 0.99), floor.Quantile(lats, 0.999)
	if moves > 0 {
		us := func(t time.Duration) float64 { return float64(t.Microseconds()) / moves }
		row.ServerUS, row.RedisUS, row.PostgreUS, row.ClientUS = us(d.server), us(d.redis), us(d.postgres), us(d.client)
		row.ReplicaUS = us(d.replicaRedis)
		if len(d.procs) > 1 {
			row.RoleUS = map[string]float64{}
			for i, cpu := range d.procs {
				row.RoleUS[tg.roles[i]] = us(cpu)
			}
		}
		row.Commands = float64(d.commands) / moves
		row.RoundTrips = float64(d.reads) / moves
		row.Frames = float64(framed) / moves
	}
	return row, nil
}

// load starts m's tables on tg; done is closed when all have stopped
// (after ctx ends). Errors before the end go to errs.
func load(ctx context.Context, tg *running, m Mode, ramp time.Duration, col *collector, errs chan<- error) <-chan struct{} {
	done := make(chan struct{})
	pace := m.pace()
	report := func(err error) {
		if err != nil && ctx.Err() == nil {
			sendErr(errs, err)
		}
	}
	if tg.relay {
		go func() {
			defer close(done)
			var wg sync.WaitGroup
			for i := range m.Tables {
				wg.Go(func() { report(relayTable(ctx, tg.urls[0], "t"+strconv.Itoa(i), pace, col)) })
			}
			wg.Wait()
		}()
		return done
	}
	go func() {
		defer close(done)
		// (the report's errors are the matches the end of the run cut short)
		_, err := botclient.Run(ctx, botclient.Options{URLs: tg.urls, Matches: math.MaxInt32, Parallel: m.Tables,
			Rules: game.Rules{Target: 7}, NoReconnect: true, Timeout: time.Hour, Pace: pace, Ramp: ramp,
			OnPlayed: col.played, OnTimed: col.timed, OnFrame: col.frame})
		report(err)
	}()
	return done
}

// warmUp waits until every table has played a card (at most the ramp and
// two minutes, or 20 ms a table: a thousand tables of four new guests each
// take a while to seat).
func warmUp(ctx context.Context, win window, tables int, ramp time.Duration, errs <-chan error) error {
	limit := ramp + max(2*time.Minute, time.Duration(tables)*20*time.Millisecond)
	deadline := time.Now().Add(limit)
	for win.tablesPlaying() < tables {
		select {
		case err := <-errs:
			return fmt.Errorf("setting up: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d tables playing after %v", win.tablesPlaying(), tables, limit)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// median is the row of the repetitions' medians, column by column.
func median(rows []Row) Row {
	out := rows[0]
	col := func(get func(*Row) *float64) {
		vals := make([]float64, len(rows))
		for i := range rows {
			vals[i] = *get(&rows[i])
		}
		slices.Sort(vals)
		*get(&out) = vals[len(vals)/2]
	}
	for _, get := range []func(*Row) *float64{
		func(r *Row) *float64 { return &r.Delivered }, func(r *Row) *float64 { return &r.P50 },
		func(r *Row) *float64 { return &r.P99 }, func(r *Row) *float64 { return &r.P999 },
		func(r *Row) *float64 { return &r.ServerUS }, func(r *Row) *float64 { return &r.RedisUS },
		func(r *Row) *float64 { return &r.ReplicaUS },
		func(r *Row) *float64 { return &r.PostgreUS }, func(r *Row) *float64 { return &r.ClientUS },
		func(r *Row) *float64 { return &r.Commands }, func(r *Row) *float64 { return &r.RoundTrips },
		func(r *Row) *float64 { return &r.Frames },
		func(r *Row) *float64 { return &r.TableBytes }, func(r *Row) *float64 { return &r.RSS },
	} {
		col(get)
	}
	for _, r := range rows[1:] {
		out.Errors += r.Errors
	}
	if out.RoleUS != nil {
		out.RoleUS = map[string]float64{}
		for role := range rows[0].RoleUS {
			vals := make([]float64, 0, len(rows))
			for _, r := range rows {
				vals = append(vals, r.RoleUS[role])
			}
			slices.Sort(vals)
			out.RoleUS[role] = vals[len(vals)/2]
		}
	}
	return out
}

// running is a started target.
type running struct {
	name    string
	label   string // the target as given (NAME@BINARY, +v1) made a file name: its profiles'
	relay   bool
	urls    []string // its gateways' WebSocket URLs
	procs   []*exec.Cmd
	roles   []string
	ops     []string // each process's operator address, when profiling
	prefix  string
	rdb     redis.UniversalClient
	journal *pgstore.Store
}

func (r *running) pids() []int {
	var pids []int
	for _, p := range r.procs {
		pids = append(pids, p.Process.Pid)
	}
	return pids
}

// start starts target's processes and waits for their WebSocket ports:
// cfg.Port, and free ports for split's further gateways.
func start(ctx context.Context, cfg Config, target string) (*running, error) {
	addr := "127.0.0.1:" + strconv.Itoa(cfg.Port)
	label := fileLabel(target)
	target, exe, version := parseTarget(target)
	if exe == "" {
		exe = cfg.Exe
	}
	prefix := cfg.Prefix + "-" + target
	// The cluster is Config's to name: a HOKM_REDIS_CLUSTER_ADDRS of Env
	// would put the targets on a Redis the bench does not read.
	env := slices.DeleteFunc(slices.Clone(cfg.Env), func(kv string) bool { return strings.HasPrefix(kv, clusterEnv+"=") })
	env = append(env, "HOKM_REDIS_PREFIX="+prefix)
	if len(cfg.RedisCluster) > 0 {
		env = append(env, clusterEnv+"="+strings.Join(cfg.RedisCluster, ","))
	}
	r := &running{name: target, label: label, prefix: prefix, rdb: cfg.Redis, journal: cfg.Journal}
	var roles [][]string
	switch target {
	case TargetFloor, TargetPrototype:
		r.relay = true
		roles = [][]string{{"bench", "relay", "--kind", target, "--addr", addr}}
	case TargetServe:
		roles = [][]string{{"serve"}}
	case TargetSplit:
		for range max(cfg.Gateways, 1) {
			roles = append(roles, []string{"gateway"})
		}
		roles = append(roles, []string{"worker"})
	default:
		return nil, fmt.Errorf("unknown target %q", target)
	}
	var listens []string
	gateways := 0
	for _, args := range roles {
		cmd := exec.Command(exe, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = slices.Clone(env), os.Stderr, os.Stderr
		if args[0] != "worker" {
			listen := addr
			if len(listens) > 0 {
				listen = freeAddr()
			}
			cmd.Env = append(cmd.Env, "HOKM_HTTP_ADDR="+listen)
			listens = append(listens, listen)
			r.urls = append(r.urls, "ws://"+listen+"/ws"+version)
		}
		if cfg.ProfileDir != "" && !r.relay {
			ops := freeAddr()
			cmd.Env = append(cmd.Env, "HOKM_OPS_ADDR="+ops)
			r.ops = append(r.ops, ops)
		}
		role := args[0] // gateway, gateway2, … when several
		if role == "gateway" {
			if gateways++; gateways > 1 {
				role += strconv.Itoa(gateways)
			}
		}
		r.roles = append(r.roles, role)
		if err := cmd.Start(); err != nil {
			r.stop()
			return nil, err
		}
		r.procs = append(r.procs, cmd)
	}
	for _, listen := range listens {
		if err := waitListening(ctx, listen); err != nil {
			r.stop()
			return nil, fmt.Errorf("%s: %w", target, err)
		}
	}
	return r, nil
}

// parseTarget reads a target as given: its name, the binary of
// NAME@BINARY ("" for the bench's own: another build of hokm, e.g. the
// commit before a change, run as NAME, before and after measured in one
// run), and the WebSocket URL's query of a +v1 suffix.
func parseTarget(target string) (name, exe, version string) {
	if t, ok := strings.CutSuffix(target, "+v1"); ok {
		target, version = t, "?v=1"
	}
	name, exe, _ = strings.Cut(target, "@")
	return name, exe, version
}

// freeAddr is a loopback address with a port free now (the kernel's
// choice), for a process started next: ports counted from --port may be
// any other process's.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}

// waitListening waits (up to 30 s) until addr accepts connections.
func waitListening(ctx context.Context, addr string) error {
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("nothing listens on %s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// profile fetches a CPU profile of each process over the window, into
// cfg.ProfileDir; the channel has the first error when all are written.
func (r *running) profile(ctx context.Context, cfg Config, m Mode) <-chan error {
	out := make(chan error, 1)
	if len(r.ops) == 0 {
		out <- nil
		return out
	}
	// The CPU profile, and the allocations over the same window (a delta
	// profile: -sample_index=alloc_space shows what each card allocates).
	kinds := map[string]string{"": "profile", "-allocs": "allocs"}
	errs := make(chan error, len(r.ops)*len(kinds))
	secs := strconv.Itoa(int(cfg.Window.Seconds()))
	for i, ops := range r.ops {
		for suffix, path := range kinds {
			file := filepath.Join(cfg.ProfileDir, r.label+"-"+r.roles[i]+"-"+profileName(m)+suffix+".pprof")
			go func() {
				errs <- fetchProfile(ctx, "http://"+ops+"/debug/pprof/"+path+"?seconds="+secs, file)
			}()
		}
	}
	go func() {
		var first error
		for range len(r.ops) * len(kinds) {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		out <- first
	}()
	return out
}

// clientProfile saves a CPU profile of this process — the load client, when
// it runs here (inProcess) — over the window, beside the targets' (its CPU
// per card is taken from the same two cores). It returns the stop.
func clientProfile(cfg Config, target string, m Mode, inProcess bool) (stop func()) {
	if cfg.ProfileDir == "" || !inProcess {
		return func() {}
	}
	var f *os.File
	err := os.MkdirAll(cfg.ProfileDir, 0o755)
	if err == nil {
		f, err = os.Create(filepath.Join(cfg.ProfileDir, target+"-client-"+profileName(m)+".pprof"))
	}
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		cfg.Log("client profile: %v", err)
		if f != nil {
			f.Close()
		}
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// fileLabel is a target as given (serve, serve+v1, serve@/tmp/hokm-before)
// as a file name: each target of a run keeps its own profiles.
func fileLabel(target string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-._@", r) {
			return r
		}
		return '_'
	}, target)
}

// profileName is m as a file name.
func profileName(m Mode) string {
	return strings.NewReplacer(" ", "", ",", "-", "×", "x", "/", "per").Replace(m.String())
}

func fetchProfile(ctx context.Context, url, file string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stop ends the target's processes (SIGTERM, then SIGKILL after 20 s)
// and deletes its Redis keys.
func (r *running) stop() {
	for _, p := range r.procs {
		p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range r.procs {
		t := time.AfterFunc(20*time.Second, func() { p.Process.Kill() })
		p.Wait()
		t.Stop()
	}
	ctx := context.Background()
	deleteKeys(ctx, r.rdb, redisstore.Keys{Prefix: r.prefix}.All())
	if r.journal != nil && !r.relay {
		if _, err := r.journal.PurgeLiveTables(ctx, time.Now()); err != nil {
			fmt.Fprintln(os.Stderr, "hokm bench: emptying the table journal:", err)
		}
	}
}
