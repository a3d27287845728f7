// Package procs starts real server processes for fault tests: redis-server
// (alone or as a Sentinel set), PostgreSQL, and the hokm binary's roles.
// Each runs on a free side port in a directory of its own, is bound to a
// testing.TB and is stopped by its PID when the test ends — never the
// system Redis (6379) or PostgreSQL (5432), never a process by name.
//
// Every handle can be killed (SIGKILL), terminated (SIGTERM), paused
// (SIGSTOP) and resumed (SIGCONT); the servers can be started again on the
// same port, from their files or empty. A process still running when the
// test ends is killed, and when the test failed its output is logged.
//
// Processes get a parent-death signal (SIGKILL), so a test binary killed
// by go test's timeout leaves no server behind.
package procs

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
)

// Proc is one child process and its combined output.
type Proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	out  *testenv.SyncBuffer
	done chan struct{}
	err  error // Wait's, once done is closed
}

// startProc starts cmd, capturing its stdout and stderr. The caller
// decides what happens at the end of the test (see Proc.stop).
func startProc(t testing.TB, name string, cmd *exec.Cmd) (*Proc, error) {
	p := &Proc{t: t, name: name, cmd: cmd, out: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Name is the name the process was started under (used in messages).
func (p *Proc) Name() string { return p.name }

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Output is everything the process wrote to stdout and stderr so far.
func (p *Proc) Output() string { return p.out.String() }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Running reports whether the process has not exited yet (a paused
// process is running).
func (p *Proc) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Wait waits at most d for the process to exit and reports whether it did.
func (p *Proc) Wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Err is the exit error of a process that has exited (nil for status 0),
// nil while it runs.
func (p *Proc) Err() error {
	if p.Running() {
		return nil
	}
	return p.err
}

// ExitCode is the exit status of a process that exited by itself, or -1
// while it runs or when a signal ended it.
func (p *Proc) ExitCode() int {
	if p.Running() {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// Signaled is the signal that ended the process, or 0 when it runs or
// exited by itself.
func (p *Proc) Signaled() syscall.Signal {
	if p.Running() {
		return 0
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

// Signal sends sig to the process. Sending to a process that has exited
// is not an error; another failure fails the test (with Errorf, so Signal,
// Term, Pause and Resume may be called from any goroutine).
func (p *Proc) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, syscall.ESRCH) && p.Running() {
		p.t.Errorf("%s: signal %v: %v", p.name, sig, err)
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	p.t.Helper()
	p.Signal(syscall.SIGKILL)
	if !p.Wait(10 * time.Second) {
		p.t.Fatalf("%s (pid %d) still running 10 s after SIGKILL", p.name, p.PID())
	}
}

// Term sends SIGTERM and returns at once: wait with Wait to see how the
// process drains.
func (p *Proc) Term() { p.Signal(syscall.SIGTERM) }

// Pause stops the process with SIGSTOP: it holds its sockets and answers
// nothing until Resume. It returns once every thread is stopped: kill(2)
// returns before that, and a busy machine can let the process answer a
// request sent right after.
func (p *Proc) Pause() {
	p.t.Helper()
	p.Signal(syscall.SIGSTOP)
	if !waitStopped(p.PID(), 10*time.Second) && p.Running() {
		p.t.Errorf("%s (pid %d): not stopped 10 s after SIGSTOP", p.name, p.PID())
	}
}

// waitStopped waits at most d until every thread of pid is in the stopped
// state ("T" in /proc/pid/task/*/stat) and reports whether it got there.
// A process that is gone counts as stopped.
func waitStopped(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if allStopped(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

func allStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return true // gone
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread exited
		}
		// The state follows the command name in parentheses, which may
		// itself hold ") ".
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			return false
		}
		if st := b[i+2]; st != 'T' && st != 't' && st != 'Z' && st != 'X' {
			return false
		}
	}
	return true
}

// Resume continues a paused process (SIGCONT).
func (p *Proc) Resume() { p.Signal(syscall.SIGCONT) }

// stop kills the process if it still runs (SIGKILL ends a paused process
// too).
func (p *Proc) stop() {
	if p.Running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// WaitReady polls http://addr/readyz until it answers 200, failing the
// test when the process exits first or 30 s pass.
func (p *Proc) WaitReady(addr string) {
	p.t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if !p.Running() || time.Now().After(deadline) {
			p.t.Fatalf("%s: /readyz on %s not ready (%v, exited: %v)\n%s", p.name, addr, err, !p.Running(), p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreePort is a loopback address with a port nobody listens on now
// ("127.0.0.1:port"), chosen at random below the kernel's ephemeral range
// (ip_local_port_range): a port the kernel hands out for a listen on port
// 0 is in that range, where any connection made meanwhile — by any test —
// may take it as its source port before the caller binds it (seen: a hokm
// process's ops listener refused in the fault suite). Below the range only
// another explicit choice can take it; the servers of this package also
// retry their first start on another port.
func FreePort(t testing.TB) string {
	t.Helper()
	lo, hi := 20000, ephemeralLow()-1
	for range 200 {
		addr := "127.0.0.1:" + strconv.Itoa(lo+rand.IntN(hi-lo+1))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // the range below is full: the kernel's choice
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read, or when the range leaves too little below it).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 21000 {
		return 32768
	}
	return n
}

// freePortNum is FreePort's port number.
func freePortNum(t testing.TB) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreePort(t))
	n, _ := strconv.Atoi(port)
	return n
}

// missing skips the test when a program it needs is not installed, or
// fails it under HOKM_TEST_REQUIRE_SERVICES=1 (as internal/testenv does
// for an unreachable service).
func missing(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("HOKM_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is required (HOKM_TEST_REQUIRE_SERVICES=1): %v", what, err)
	}
	t.Skipf("%s not available (set HOKM_TEST_REQUIRE_SERVICES=1 to fail instead): %v", what, err)
}

func until(d time.Duration, cond func() bool) bool { return testenv.Until(d, cond) }
