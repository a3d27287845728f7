package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ViaPgBouncer reports whether the test databases are reached through
// pgbouncer (HOKM_TEST_PGBOUNCER=1: scripts/test's pass of the persistence
// and account tests).
func ViaPgBouncer() bool { return os.Getenv("HOKM_TEST_PGBOUNCER") == "1" }

// PgBouncerExecMode is the pgx query exec mode the server uses through
// pgbouncer in transaction pooling mode (docs/operations.md): statement
// descriptions cached per connection, each statement parsed unnamed in the
// round trip that runs it — no named prepared statement, which would stay
// on one server connection while the next transaction gets another.
const PgBouncerExecMode = "cache_describe"

var bouncer struct {
	once sync.Once
	addr string
	err  error
}

// throughPgBouncer is url (a test database on the admin server) as reached
// through a pgbouncer in transaction pooling mode in front of that server,
// started once per test process; it dies with the process.
func throughPgBouncer(t testing.TB, dbURL string) string {
	t.Helper()
	bouncer.once.Do(func() { bouncer.addr, bouncer.err = startPgBouncer() })
	if bouncer.err != nil {
		unavailable(t, "pgbouncer (HOKM_TEST_PGBOUNCER=1)", bouncer.err)
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&default_query_exec_mode=%s", cfg.User, bouncer.addr, cfg.Database, PgBouncerExecMode)
}

// startPgBouncer runs pgbouncer (from PATH: scripts/lib/pgbouncer.sh) on a
// free port: every database name goes to the same one on the admin
// server, trust authentication, transaction pooling. As root it runs as
// the postgres OS user, since pgbouncer refuses to run as root.
func startPgBouncer() (string, error) {
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		return "", err
	}
	admin, err := pgx.ParseConfig(AdminDatabaseURL())
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "hokm-test-pgbouncer-")
	if err != nil {
		return "", err
	}
	cred, err := PostgresCredential() // pgbouncer refuses to run as root too
	if err != nil {
		return "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return "", err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	users := fmt.Sprintf("%q \"\"\n%q \"\"\n", "postgres", admin.User)
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %s
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
`, admin.Host, admin.Port, port, filepath.Join(dir, "users.txt"))
	for name, body := range map[string]string{"users.txt": users, "pgbouncer.ini": ini} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	// Killed with this process: it outlives every test that uses it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	var log SyncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { _ = cmd.Wait() }()
	defer os.RemoveAll(dir) // read at start
	url := fmt.Sprintf("postgres://%s@%s/postgres?sslmode=disable", admin.User, addr)
	if !Until(10*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return false
		}
		defer c.Close(ctx)
		return c.Ping(ctx) == nil
	}) {
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("pgbouncer on %s did not answer within 10 s:\n%s", addr, log.String())
	}
	return addr, nil
}

// PostgresCredential is the postgres OS user's when running as root (nil
// otherwise: the server runs as the current user), for the programs that
// refuse to run as root (postgres, pgbouncer).
func PostgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL and pgbouncer refuse to run as root and there is no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// SyncBuffer collects a process's output while it runs (its writes and
// the test's reads may overlap).
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
