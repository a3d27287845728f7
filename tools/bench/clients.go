package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/tools/botclient"
)

// The load client in several processes (Config.Clients): one process may
// hold at most 20,000 open files here, so 40,000 players need at least
// three. Each process (`hokm bench load`, ServeLoad) plays its share of the
// tables and is told over stdin when the window opens and closes; it
// reports on stdout:
//
//	playing N                     tables that have played a card (until the window opens)
//	{"moves":…,"frames":…,"lats_us":[…]}   at the window's close
//
// Its CPU time counts as the client's (read by the parent from /proc).

// window is the load's side of a measurement: in this process (collector)
// or in child processes (clientProcs).
type window interface {
	tablesPlaying() int
	open()
	close() (lats []time.Duration, moves, frames int64)
}

// windowReport is what a load process says at the window's close.
type windowReport struct {
	Moves  int64   `json:"moves"`
	Frames int64   `json:"frames"`
	LatsUS []int64 `json:"lats_us"`
}

// LoadOptions is one load process's share.
type LoadOptions struct {
	URLs   []string // the gateways; a table's seats are spread over them
	Tables int
	Pace   time.Duration // 0: closed loop
	Ramp   time.Duration // the tables start evenly over it
}

// ServeLoad runs a load process: it plays opts.Tables tables until ctx
// ends or in is closed, and answers "open" and "close" lines from in as
// described above.
func ServeLoad(ctx context.Context, opts LoadOptions, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	col := newCollector()
	errs := make(chan error, 1)
	go func() {
		_, err := botclient.Run(ctx, botclient.Options{URLs: opts.URLs, Matches: math.MaxInt32, Parallel: opts.Tables,
			Rules: game.Rules{Target: 7}, NoReconnect: true, Timeout: time.Hour, Pace: opts.Pace, Ramp: opts.Ramp,
			OnPlayed: col.played, OnTimed: col.timed, OnFrame: col.frame})
		if ctx.Err() == nil {
			errs <- fmt.Errorf("load client ended: %v", err)
		}
	}()
	var mu sync.Mutex // out
	say := func(s string) { mu.Lock(); fmt.Fprintln(out, s); mu.Unlock() }
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	measuring := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case <-tick.C:
			if !measuring {
				say("playing " + strconv.Itoa(col.tablesPlaying()))
			}
		case l, ok := <-lines:
			switch {
			case !ok:
				return nil
			case l == "open":
				measuring = true
				col.open()
			case l == "close":
				lats, moves, frames := col.close()
				r := windowReport{Moves: moves, Frames: frames, LatsUS: make([]int64, len(lats))}
				for i, d := range lats {
					r.LatsUS[i] = d.Microseconds()
				}
				b, _ := json.Marshal(r)
				say(string(b))
			}
		}
	}
}

// clientProcs is the load in child processes.
type clientProcs struct {
	procs    []*clientProc
	stopping atomic.Bool
}

type clientProc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	mu      sync.Mutex
	playing int
	reports chan windowReport
	done    chan struct{} // closed when the process has ended
}

// startClients starts cfg.Clients load processes (cfg.Exe bench load)
// sharing m's tables on urls; errors (a process that ends early) go to
// errs. stop ends them.
// Process i gets the gateways' list rotated by i (a table's seat s dials
// its (s mod len)th): with several gateways each gets its share of the
// sockets.
func startClients(ctx context.Context, cfg Config, urls []string, m Mode, errs chan<- error) (*clientProcs, error) {
	cs := &clientProcs{}
	n := cfg.Clients
	for i := range n {
		tables := m.Tables / n
		if i < m.Tables%n {
			tables++
		}
		k := i % len(urls)
		rotated := append(slices.Clone(urls[k:]), urls[:k]...)
		cmd := exec.CommandContext(ctx, cfg.Exe, "bench", "load", "--urls", strings.Join(rotated, ","),
			"--tables", strconv.Itoa(tables), "--pace", m.pace().String(), "--ramp", cfg.Ramp.String())
		cmd.Env, cmd.Stderr = cfg.Env, os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			cs.stop()
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			cs.stop()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			cs.stop()
			return nil, err
		}
		p := &clientProc{cmd: cmd, stdin: stdin, reports: make(chan windowReport, 1), done: make(chan struct{})}
		cs.procs = append(cs.procs, p)
		go p.read(stdout, &cs.stopping, errs)
	}
	return cs, nil
}

// read follows a load process's reports until it ends.
func (p *clientProc) read(stdout io.Reader, stopping *atomic.Bool, errs chan<- error) {
	defer close(p.done)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 64<<20) // a window's latencies are one line
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "playing "); ok {
			v, _ := strconv.Atoi(n)
			p.mu.Lock()
			p.playing = v
			p.mu.Unlock()
			continue
		}
		var r windowReport
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			sendErr(errs, fmt.Errorf("load process: %q: %w", line, err))
			continue
		}
		select {
		case p.reports <- r:
		default: // a report nobody waits for (a close that timed out)
		}
	}
	err := p.cmd.Wait()
	if !stopping.Load() {
		sendErr(errs, fmt.Errorf("load process %d ended: %v", p.cmd.Process.Pid, err))
	}
}

func sendErr(errs chan<- error, err error) {
	select {
	case errs <- err:
	default:
	}
}

func (cs *clientProcs) pids() []int {
	var out []int
	for _, p := range cs.procs {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

func (cs *clientProcs) tablesPlaying() int {
	n := 0
	for _, p := range cs.procs {
		p.mu.Lock()
		n += p.playing
		p.mu.Unlock()
	}
	return n
}

func (cs *clientProcs) open() {
	for _, p := range cs.procs {
		fmt.Fprintln(p.stdin, "open")
	}
}

func (cs *clientProcs) close() (lats []time.Duration, moves, frames int64) {
	for _, p := range cs.procs {
		fmt.Fprintln(p.stdin, "close")
	}
	for _, p := range cs.procs {
		select {
		case r := <-p.reports:
			moves += r.Moves
			frames += r.Frames
			for _, us := range r.LatsUS {
				lats = append(lats, time.Duration(us)*time.Microsecond)
			}
		case <-time.After(time.Minute):
		}
	}
	return lats, moves, frames
}

// stop ends the load processes (closing stdin ends one) and waits for them.
func (cs *clientProcs) stop() {
	cs.stopping.Store(true)
	for _, p := range cs.procs {
		p.stdin.Close()
	}
	for _, p := range cs.procs {
		t := time.AfterFunc(20*time.Second, func() { p.cmd.Process.Kill() })
		<-p.done
		t.Stop()
	}
}
