package procs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/internal/testenv"
)

// PostgresOptions are a PostgreSQL server's settings.
type PostgresOptions struct {
	// Settings are more "name=value" server settings (-c), after the
	// defaults: fsync=off, full_page_writes=off, shared_buffers=16MB,
	// max_connections=60. synchronous_commit stays on: with it off a
	// commit is acknowledged before its WAL leaves shared memory, and an
	// immediate stop (a crash) would lose acknowledged transactions, which
	// production (on) never does; fsync=off alone keeps commits cheap and
	// loses nothing unless the OS crashes.
	Settings []string
}

// Postgres is a PostgreSQL server of the test's own: its own data
// directory (copied from a template made by initdb once per machine), on
// 127.0.0.1 and a side port, trust authentication for the user postgres,
// no Unix socket, fsync off and small buffers (it is for fault tests of
// processes, not for durability across an OS crash). As root it runs as
// the postgres OS user, since PostgreSQL refuses to run as root. Its
// methods fail the test on error; call them from the test's goroutine.
// StartPostgres takes about a second (a copy of the template, a start).
type Postgres struct {
	t      testing.TB
	opt    PostgresOptions
	port   int
	dir    string // data directory
	cred   *syscall.Credential
	proc   *Proc
	past   []*Proc
	paused []int // PIDs stopped by Pause
}

// StartPostgres starts a PostgreSQL server and waits until it accepts
// connections. It is stopped (immediate) when the test ends and its
// directory removed.
func StartPostgres(t testing.TB, opt PostgresOptions) *Postgres {
	t.Helper()
	cred, err := testenv.PostgresCredential()
	if err != nil {
		missing(t, "a postgres OS user", err)
	}
	if _, err := pgBinDir(); err != nil {
		missing(t, "PostgreSQL's server programs", err)
	}
	tmpl, err := pgTemplate(cred)
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "hokm-procs-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg := &Postgres{t: t, opt: opt, cred: cred, dir: filepath.Join(base, "data")}
	pg.removeAtEnd(base)
	if out, err := exec.Command("cp", "-a", tmpl, pg.dir).CombinedOutput(); err != nil {
		t.Fatalf("copy the PostgreSQL template: %v\n%s", err, out)
	}
	pg.own(base)
	pg.startOnFreePort()
	return pg
}

// StartReplica makes a streaming replica of pg — pg_basebackup -R over a
// replication connection, which the template's trust rules allow — in a
// directory of its own and starts it on a side port. It is a Postgres like
// any other (Stop, Start, Pause, Kill), read-only while in recovery; it is
// stopped when the test ends.
func (pg *Postgres) StartReplica() *Postgres {
	t := pg.t
	t.Helper()
	bin, err := pgBinDir()
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "hokm-procs-pgreplica-")
	if err != nil {
		t.Fatal(err)
	}
	r := &Postgres{t: t, opt: pg.opt, cred: pg.cred, dir: filepath.Join(base, "data")}
	r.removeAtEnd(base)
	r.own(base)
	cmd := exec.Command(filepath.Join(bin, "pg_basebackup"), "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port),
		"-U", "postgres", "-D", r.dir, "-R", "-X", "stream", "-c", "fast", "--no-sync")
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup from %s: %v\n%s", pg.Addr(), err, out)
	}
	r.startOnFreePort()
	return r
}

// removeAtEnd stops the server (immediate) when the test ends, shows its
// logs if the test failed, and removes base.
func (pg *Postgres) removeAtEnd(base string) {
	pg.t.Cleanup(func() {
		if pg.proc != nil && pg.proc.Running() {
			pg.resumeAll()
			pg.proc.Signal(syscall.SIGQUIT) // immediate shutdown: the children go too
			if !pg.proc.Wait(10 * time.Second) {
				pg.killChildren()
				pg.proc.stop()
			}
		}
		if pg.t.Failed() {
			for _, p := range pg.past {
				pg.t.Logf("----- %s (pid %d, %v):\n%s", p.name, p.PID(), p.err, p.Output())
			}
		}
		os.RemoveAll(base)
	})
}

// own gives dir to the postgres OS user when running as root.
func (pg *Postgres) own(dir string) {
	if pg.cred != nil {
		if err := os.Chown(dir, int(pg.cred.Uid), int(pg.cred.Gid)); err != nil {
			pg.t.Fatal(err)
		}
	}
}

// startOnFreePort starts the server on a free port (another if a
// concurrent process took it first).
func (pg *Postgres) startOnFreePort() {
	var err error
	for range 3 {
		pg.port = freePortNum(pg.t)
		if err = pg.start(); err == nil {
			return
		}
		if pg.proc == nil || !strings.Contains(pg.proc.Output(), "already in use") {
			break
		}
	}
	pg.t.Fatal(err)
}

// pgBinDir is the newest /usr/lib/postgresql/<major>/bin with initdb.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
	if len(dirs) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", errors.New("no PostgreSQL server binaries (/usr/lib/postgresql/<major>/bin/initdb)")
	}
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

var pgTmpl struct {
	once sync.Once
	dir  string
	err  error
}

// pgTemplate is a data directory made by initdb, cached per machine, user
// and PostgreSQL version in the temporary directory, since initdb takes
// over a second and copying it a fifth of that. It is built aside and
// renamed into place, so concurrent test processes never see half of it.
func pgTemplate(cred *syscall.Credential) (string, error) {
	pgTmpl.once.Do(func() {
		bin, err := pgBinDir()
		if err != nil {
			pgTmpl.err = err
			return
		}
		ver := filepath.Base(filepath.Dir(bin))
		final := filepath.Join(os.TempDir(), fmt.Sprintf("hokm-procs-pgtemplate-%s-%d", ver, os.Geteuid()))
		if _, err := os.Stat(filepath.Join(final, "PG_VERSION")); err == nil {
			pgTmpl.dir = final
			return
		}
		work, err := os.MkdirTemp("", "hokm-procs-pginit-")
		if err != nil {
			pgTmpl.err = err
			return
		}
		defer os.RemoveAll(work)
		if cred != nil {
			if err := os.Chown(work, int(cred.Uid), int(cred.Gid)); err != nil {
				pgTmpl.err = err
				return
			}
		}
		data := filepath.Join(work, "data")
		cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
			"--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
		cmd.Dir = work
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			pgTmpl.err = fmt.Errorf("initdb: %v\n%s", err, out)
			return
		}
		if err := os.Rename(data, final); err != nil {
			if _, serr := os.Stat(filepath.Join(final, "PG_VERSION")); serr != nil {
				pgTmpl.err = fmt.Errorf("keep the PostgreSQL template: %w", err)
				return
			} // another process put one there first
		}
		pgTmpl.dir = final
	})
	return pgTmpl.dir, pgTmpl.err
}

// start runs the postmaster and waits until it accepts connections.
func (pg *Postgres) start() error {
	bin, err := pgBinDir()
	if err != nil {
		return err
	}
	args := []string{"-D", pg.dir, "-p", strconv.Itoa(pg.port)}
	settings := append([]string{"listen_addresses=127.0.0.1", "unix_socket_directories=", "fsync=off",
		"full_page_writes=off", "shared_buffers=16MB", "max_connections=60", "max_wal_size=256MB"}, pg.opt.Settings...)
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = pg.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	p, err := startProc(pg.t, fmt.Sprintf("postgres :%d", pg.port), cmd)
	if err != nil {
		return err
	}
	pg.proc = p
	pg.past = append(pg.past, p)
	if err := pg.waitReady(30 * time.Second); err != nil {
		p.stop()
		return fmt.Errorf("%s: %w\n%s", p.name, err, p.Output())
	}
	return nil
}

func (pg *Postgres) waitReady(d time.Duration) error {
	var err error
	ok := until(d, func() bool {
		if !pg.proc.Running() {
			err = fmt.Errorf("exited: %v", pg.proc.err)
			return true
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var c *pgx.Conn
		if c, err = pgx.Connect(ctx, pg.URL("postgres")); err == nil {
			err = c.Ping(ctx)
			c.Close(ctx)
		}
		return err == nil
	})
	if !ok {
		return fmt.Errorf("not ready after %v: %w", d, err)
	}
	return err
}

// WaitReady waits until the server accepts connections (after a crash it
// recovers first).
func (pg *Postgres) WaitReady() {
	pg.t.Helper()
	if err := pg.waitReady(60 * time.Second); err != nil {
		pg.t.Fatal(err)
	}
}

// Addr is the server's host:port.
func (pg *Postgres) Addr() string { return "127.0.0.1:" + strconv.Itoa(pg.port) }

// URL is the URL of database dbname as the user postgres.
func (pg *Postgres) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", pg.Addr(), dbname)
}

// PID is the postmaster's process id.
func (pg *Postgres) PID() int { return pg.proc.PID() }

// Proc is the postmaster's process.
func (pg *Postgres) Proc() *Proc { return pg.proc }

// Running reports whether the postmaster is alive (a paused one is).
func (pg *Postgres) Running() bool { return pg.proc != nil && pg.proc.Running() }

// CreateDB creates database name and returns its URL.
func (pg *Postgres) CreateDB(name string) string {
	pg.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		pg.t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		pg.t.Fatalf("create database %s: %v", name, err)
	}
	return pg.URL(name)
}

// Stop shuts the server down and waits for it: mode "immediate" (SIGQUIT:
// a crash, recovery at the next start), "fast" (SIGINT: connections are
// cut, a clean shutdown) or "smart" (SIGTERM: waits for clients to leave).
// A paused server is resumed first.
func (pg *Postgres) Stop(mode string) {
	pg.t.Helper()
	sig, ok := map[string]syscall.Signal{"immediate": syscall.SIGQUIT, "fast": syscall.SIGINT, "smart": syscall.SIGTERM}[mode]
	if !ok {
		pg.t.Fatalf("Stop(%q): want immediate, fast or smart", mode)
	}
	pg.resumeAll()
	pg.proc.Signal(sig)
	if !pg.proc.Wait(60 * time.Second) {
		pg.t.Fatalf("%s still running 60 s after a %s stop", pg.proc.name, mode)
	}
}

// Kill SIGKILLs the postmaster alone and waits until its backends, which
// notice, have exited too.
func (pg *Postgres) Kill() {
	pg.t.Helper()
	pg.resumeAll()
	kids := pg.children()
	pg.proc.Kill()
	if !until(10*time.Second, func() bool {
		for _, pid := range kids {
			if alive(pid) {
				return false
			}
		}
		return true
	}) {
		pg.t.Fatalf("%s: children %v still running 10 s after the postmaster's SIGKILL", pg.proc.name, kids)
	}
}

// Start starts the stopped server again on the same port and data
// directory and waits until it accepts connections.
func (pg *Postgres) Start() {
	pg.t.Helper()
	if pg.Running() {
		pg.t.Fatalf("%s: Start while it runs", pg.proc.name)
	}
	if err := pg.start(); err != nil {
		pg.t.Fatal(err)
	}
}

// Pause stops the postmaster and every child (backends, checkpointer,
// WAL writer, ...) with SIGSTOP: a stalled server that keeps its sockets
// open and answers nothing. The postmaster goes first so that it forks no
// new child meanwhile.
func (pg *Postgres) Pause() {
	pg.t.Helper()
	pg.proc.Pause()
	pg.paused = append(pg.paused, pg.PID())
	for _, pid := range pg.children() {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err == nil {
			pg.paused = append(pg.paused, pid)
		}
	}
	for _, pid := range pg.paused[1:] {
		waitStopped(pid, 10*time.Second)
	}
}

// Resume continues what Pause stopped, the children first.
func (pg *Postgres) Resume() { pg.resumeAll() }

func (pg *Postgres) resumeAll() {
	for i := len(pg.paused) - 1; i >= 0; i-- {
		_ = syscall.Kill(pg.paused[i], syscall.SIGCONT)
	}
	pg.paused = nil
}

func (pg *Postgres) killChildren() {
	for _, pid := range pg.children() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// children are the PIDs whose parent is the postmaster (each backend
// makes itself a session leader, so the process group does not hold
// them).
func (pg *Postgres) children() []int {
	if pg.proc == nil {
		return nil
	}
	return childrenOf(pg.proc.PID())
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 2 {
			if pp, _ := strconv.Atoi(f[1]); pp == pid {
				out = append(out, n)
			}
		}
	}
	return out
}

// alive reports whether pid is a process that has not exited (a zombie
// waiting for its parent to reap it has).
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}
