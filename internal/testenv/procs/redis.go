package procs

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/redisconn"
)

// RedisOptions are a redis-server's settings. The zero value is a server
// without persistence (no AOF, no RDB snapshots) and without a memory
// limit.
type RedisOptions struct {
	AOF             bool     // appendonly yes
	AppendFsync     string   // with AOF: everysec (default), always or no
	MaxMemory       string   // maxmemory, e.g. "2mb" ("" no limit)
	MaxMemoryPolicy string   // maxmemory-policy ("" Redis' default, noeviction)
	Args            []string // more command-line options, e.g. "--rename-command", "CONFIG", ""

	conf []string // more configuration lines (a Sentinel set's replicaof)
}

// Redis is a redis-server (or a Sentinel) of the test's own, on a side
// port, with its configuration file and data in a temporary directory.
// Its methods fail the test on error; call them from the test's goroutine
// (Pause and Resume from any).
type Redis struct {
	t        testing.TB
	name     string
	opt      RedisOptions
	port     int
	bus      int    // a cluster node's bus port (cluster-port): Redis' default, port+10000, may be taken or past 65535
	base     string // the configuration file
	dir      string // the data directory (AOF, RDB)
	sentinel bool
	monitor  []string // a sentinel's "sentinel ..." lines
	extra    []string // command-line options of the next start only
	proc     *Proc
	past     []*Proc // every process started, for the log of a failed test
}

// StartRedis starts a redis-server with opt and waits until it answers.
// It is killed when the test ends.
func StartRedis(t testing.TB, opt RedisOptions) *Redis {
	t.Helper()
	r := newRedis(t, "redis", opt)
	r.firstStart()
	return r
}

func newRedis(t testing.TB, name string, opt RedisOptions) *Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(t, "redis-server", err)
	}
	base := t.TempDir() // removed after the cleanup below has killed the server
	r := &Redis{t: t, name: name, opt: opt, base: base, dir: filepath.Join(base, "data")}
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.proc != nil {
			r.proc.stop()
		}
		if t.Failed() {
			for _, p := range r.past {
				t.Logf("----- %s (pid %d, %v):\n%s", p.name, p.PID(), p.err, p.Output())
			}
		}
	})
	return r
}

// firstStart starts the server on a free port, trying another port when
// someone took the chosen one in between.
func (r *Redis) firstStart() {
	r.t.Helper()
	var err error
	for range 3 {
		r.port = freePortNum(r.t)
		if slices.Contains(r.opt.conf, "cluster-enabled yes") {
			r.bus = freePortNum(r.t)
		}
		r.writeConf()
		if err = r.start(); err == nil {
			return
		}
		if r.proc == nil || !strings.Contains(r.proc.Output(), "Address already in use") {
			break
		}
	}
	r.t.Fatal(err)
}

// writeConf writes the configuration file. A Sentinel rewrites its own
// (and a data node's, on failover), so it is written once per port.
func (r *Redis) writeConf() {
	r.t.Helper()
	lines := []string{
		"port " + strconv.Itoa(r.port),
		"bind 127.0.0.1",
		"protected-mode no",
		"dir " + strconv.Quote(r.dir), // the test's name is in it
		`logfile ""`,
	}
	if r.sentinel {
		lines = append(lines, r.monitor...)
	} else {
		fsync := r.opt.AppendFsync
		if fsync == "" {
			fsync = "everysec"
		}
		// A replica's full sync starts at once, not after Redis' 5 s wait
		// for more replicas.
		lines = append(lines, `save ""`, "appendonly "+yesNo(r.opt.AOF), "appendfsync "+fsync,
			"repl-diskless-sync-delay 0")
		if r.opt.MaxMemory != "" {
			lines = append(lines, "maxmemory "+r.opt.MaxMemory)
		}
		if r.opt.MaxMemoryPolicy != "" {
			lines = append(lines, "maxmemory-policy "+r.opt.MaxMemoryPolicy)
		}
		lines = append(lines, r.opt.conf...)
		if r.bus != 0 {
			lines = append(lines, "cluster-port "+strconv.Itoa(r.bus))
		}
	}
	if err := os.WriteFile(r.confPath(), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *Redis) confPath() string {
	if r.sentinel {
		return filepath.Join(r.base, "sentinel.conf")
	}
	return filepath.Join(r.base, "redis.conf")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// start runs the server and waits until it answers; on failure the
// process is stopped and its output is in the error.
func (r *Redis) start() error {
	args := append(append([]string{r.confPath()}, r.opt.Args...), r.extra...)
	if r.sentinel {
		args = append(args, "--sentinel")
	}
	p, err := startProc(r.t, fmt.Sprintf("%s :%d", r.name, r.port), exec.Command("redis-server", args...))
	if err != nil {
		return err
	}
	r.proc = p
	r.past = append(r.past, p)
	if err := r.waitReady(10 * time.Second); err != nil {
		p.stop()
		return fmt.Errorf("%s: %w\n%s", p.name, err, p.Output())
	}
	return nil
}

// waitReady polls PING until it answers PONG (not LOADING).
func (r *Redis) waitReady(d time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DialTimeout: 200 * time.Millisecond,
		ReadTimeout: time.Second, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	var err error
	ok := until(d, func() bool {
		if !r.proc.Running() {
			err = fmt.Errorf("exited: %v", r.proc.err)
			return true
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = c.Ping(ctx).Err()
		return err == nil
	})
	if !ok {
		return fmt.Errorf("not ready after %v: %w", d, err)
	}
	return err
}

// WaitReady waits until the server answers PING (after a restart it
// answers LOADING while it reads its files).
func (r *Redis) WaitReady() {
	r.t.Helper()
	if err := r.waitReady(30 * time.Second); err != nil {
		r.t.Fatalf("%s: %v", r.proc.name, err)
	}
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// URL is the redis:// URL of database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr(), db) }

// PID is the current process's id.
func (r *Redis) PID() int { return r.proc.PID() }

// Proc is the current process.
func (r *Redis) Proc() *Proc { return r.proc }

// Dir is the data directory (the AOF's appendonlydir is in it).
func (r *Redis) Dir() string { return r.dir }

// Running reports whether the server process is alive (a paused one is).
func (r *Redis) Running() bool { return r.proc != nil && r.proc.Running() }

// Client is a client on database db, closed when the test ends. It does
// not retry a failed command, so an error means the command may not have
// been applied and a success that it was; a context's deadline bounds a
// command's wait.
func (r *Redis) Client(db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DB: db, DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, MaxRetries: -1, ContextTimeoutEnabled: true})
	r.t.Cleanup(func() { c.Close() })
	return c
}

// ServerClient is a client on database 0 built as the server builds its
// own (redisconn.New: the same timeouts, one retry, the same pool), with
// hooks added, closed when the test ends: what the server would see of
// this Redis's faults.
func (r *Redis) ServerClient(hooks ...redis.Hook) redis.UniversalClient {
	r.t.Helper()
	cfg := config.Defaults()
	cfg.RedisURL, cfg.Partitions = r.URL(0), 1
	return serverClient(r.t, cfg, hooks)
}

func serverClient(t testing.TB, cfg config.Config, hooks []redis.Hook) redis.UniversalClient {
	t.Helper()
	c, err := redisconn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		c.AddHook(h)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Kill sends SIGKILL and waits for the process to exit: a crash of the
// process, whose writes the OS still holds.
func (r *Redis) Kill() {
	r.t.Helper()
	r.proc.Kill()
}

// Term sends SIGTERM and waits for Redis to shut down (it fsyncs the AOF
// or saves, as configured).
func (r *Redis) Term() {
	r.t.Helper()
	r.proc.Resume() // a paused server would never see the SIGTERM
	r.proc.Term()
	if !r.proc.Wait(30 * time.Second) {
		r.t.Fatalf("%s still running 30 s after SIGTERM", r.proc.name)
	}
}

// Pause stops the server with SIGSTOP: connections stay open, nothing is
// answered until Resume.
func (r *Redis) Pause() { r.t.Helper(); r.proc.Pause() }

// Resume continues a paused server.
func (r *Redis) Resume() { r.t.Helper(); r.proc.Resume() }

// Start starts the stopped server again on the same port with the files
// it has, and waits until it answers.
func (r *Redis) Start() {
	r.t.Helper()
	if r.Running() {
		r.t.Fatalf("%s: Start while it runs", r.proc.name)
	}
	if err := r.start(); err != nil {
		r.t.Fatal(err)
	}
}

// RestartFromDisk kills the server if it runs (SIGKILL) and starts it
// again from its AOF/RDB files.
func (r *Redis) RestartFromDisk() {
	r.t.Helper()
	if r.Running() {
		r.Kill()
	}
	r.Start()
}

// RestartEmpty kills the server if it runs (SIGKILL), removes its data
// files and starts it again, empty, on the same port.
func (r *Redis) RestartEmpty() {
	r.t.Helper()
	if r.Running() {
		r.Kill()
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(r.dir, e.Name())); err != nil {
			r.t.Fatal(err)
		}
	}
	r.Start()
}

// TruncateAOF cuts n bytes off the end of the stopped server's AOF (the
// last incremental file named in Redis 7's manifest) and repairs it with
// `redis-check-aof --fix`, which drops the command left incomplete, so
// that Redis starts. This is what an OS crash does to an AOF written with
// appendfsync everysec: the tail not yet fsynced is gone. It returns the
// bytes removed in all (n plus what the repair dropped).
func (r *Redis) TruncateAOF(n int64) int64 {
	r.t.Helper()
	if r.Running() {
		r.t.Fatalf("%s: TruncateAOF while it runs (Kill it first)", r.proc.name)
	}
	manifest := filepath.Join(r.dir, "appendonlydir", "appendonly.aof.manifest")
	incr, err := lastIncrAOF(manifest)
	if err != nil {
		r.t.Fatal(err)
	}
	path := filepath.Join(filepath.Dir(manifest), incr)
	st, err := os.Stat(path)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.Truncate(path, max(0, st.Size()-n)); err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command("redis-check-aof", "--fix", manifest)
	cmd.Stdin = strings.NewReader("y\n") // it asks before it shrinks a file
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("redis-check-aof --fix %s: %v\n%s", manifest, err, out)
	}
	after, err := os.Stat(path)
	if err != nil {
		r.t.Fatal(err)
	}
	return st.Size() - after.Size()
}

// lastIncrAOF is the name of the last incremental AOF file ("type i") in
// a Redis 7 manifest.
func lastIncrAOF(manifest string) (string, error) {
	f, err := os.Open(manifest)
	if err != nil {
		return "", fmt.Errorf("AOF manifest (is appendonly on?): %w", err)
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// file appendonly.aof.1.incr.aof seq 1 type i
		fs := strings.Fields(sc.Text())
		if len(fs) >= 6 && fs[0] == "file" && fs[4] == "type" && fs[5] == "i" {
			last = fs[1]
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if last == "" {
		return "", fmt.Errorf("%s names no incremental AOF file", manifest)
	}
	return last, nil
}
