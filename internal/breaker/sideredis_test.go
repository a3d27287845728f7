package breaker_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// sideRedis is a redis-server of the test's own on a free loopback port,
// which the test may stop (SIGSTOP), resume, kill and start again. It is
// killed by its PID when the test ends.
type sideRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

// startSideRedis starts one; without redis-server the test is skipped, or
// fails under HOKM_TEST_REQUIRE_SERVICES=1.
func startSideRedis(t *testing.T) *sideRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("HOKM_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis-server is required (HOKM_TEST_REQUIRE_SERVICES=1): %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	r := &sideRedis{t: t, port: freePort(t)}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (r *sideRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start runs redis-server (again, after kill) and waits until it answers.
func (r *sideRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer: %v", r.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *sideRedis) signal(s syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(s); err != nil {
		r.t.Fatalf("signal %v to redis-server: %v", s, err)
	}
}

func (r *sideRedis) pause()  { r.signal(syscall.SIGSTOP) }
func (r *sideRedis) resume() { r.signal(syscall.SIGCONT) }

// kill ends the process (resumed first if it was paused) and reaps it.
func (r *sideRedis) kill() {
	if r.cmd == nil || r.cmd.Process == nil || r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGCONT)
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

// client is configured as the server's (internal/app NewRedis): short
// timeouts, one retry.
func (r *sideRedis) client(hooks ...redis.Hook) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.addr(), DialTimeout: time.Second, ReadTimeout: time.Second,
		WriteTimeout: time.Second, PoolTimeout: 2 * time.Second, MaxRetries: 1, ContextTimeoutEnabled: true})
	for _, h := range hooks {
		c.AddHook(h)
	}
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

func (r *sideRedis) String() string {
	return fmt.Sprintf("redis-server pid %d on %s", r.cmd.Process.Pid, r.addr())
}
