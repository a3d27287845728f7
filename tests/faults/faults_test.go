// Package faults is the fault suite: a whole deployment of the test's own —
// redis-server (or a Sentinel set) and PostgreSQL on side ports, hokm in
// split roles — plays bot matches over WebSocket while processes are
// killed, paused, restarted and emptied, and then checks the invariants of
// the failure model (docs/architecture.md): every match completes for its players, every finished match is
// in PostgreSQL exactly once and replays to what they saw, no frame shows a
// hidden card, and no process needs a manual restart.
//
// `go test ./tests/faults` (part of scripts/test) runs a short profile, a
// few faults in under three minutes; `make faults` (HOKM_FAULTS=full) runs the
// whole catalogue, 200 matches and 40 faults, and prints a table.
package faults

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv/procs"
)

func TestMain(m *testing.M) { procs.Main(m) }

// fault is one fault of the catalogue: run injects it while the load plays,
// recovers from it (as an operator's supervisor would: a killed process is
// started again) and says how long play took to resume.
type fault struct {
	name string
	run  func(c *cluster, l *load, i int) outcome
}

// outcome is what one fault did.
type outcome struct {
	took  time.Duration // from the injection to the recovery step (restart, resume)
	stall time.Duration // the longest pause of play at any table from the injection on
	note  string
}

// settle waits until the deployment is ready and the load is making moves
// (the fault hits mid-match).
func settle(c *cluster, l *load) {
	c.t.Helper()
	// Every role ready: above all, the workers' recovery from the last
	// fault is over. A fault must not land on the one before (PostgreSQL
	// stopped while the tables Redis lost are read back from its journal
	// stalls those tables, as it would in production, for the whole stop).
	for _, r := range c.all() {
		c.waitReady(r, time.Minute)
	}
	if !l.waitMoves(40, time.Minute) {
		c.t.Fatal("no moves made before the fault")
	}
}

// resumed waits until moves are made again after since (play resumed),
// lets play go on for a while so that every stalled table had its next
// card, and returns the longest stall since start.
func resumed(c *cluster, l *load, start, since time.Time) time.Duration {
	c.t.Helper()
	if _, ok := l.resumed(since, 90*time.Second); !ok {
		c.t.Fatalf("play did not resume within 90 s")
	}
	l.waitMoves(150, 30*time.Second)
	return l.stall(start)
}

var (
	workerKill = fault{"worker SIGKILL", func(c *cluster, l *load, i int) outcome {
		settle(c, l)
		w := c.workers[i%len(c.workers)]
		start := time.Now()
		w.proc.Kill()
		w.proc.Wait(10 * time.Second)
		// The other worker takes over the killed one's pending actions.
		d := resumed(c, l, start, time.Now())
		c.restart(w)
		return outcome{took: time.Since(start), stall: d, note: w.name + " killed, restarted"}
	}}
	gatewayKill = fault{"gateway SIGKILL", func(c *cluster, l *load, i int) outcome {
		settle(c, l)
		g := c.gateways[i%len(c.gateways)]
		start := time.Now()
		g.proc.Kill()
		g.proc.Wait(10 * time.Second)
		d := resumed(c, l, start, time.Now()) // clients reconnect to the other gateway
		c.restart(g)
		return outcome{took: time.Since(start), stall: d, note: g.name + " killed, restarted"}
	}}
	rollingRestart = fault{"SIGTERM rolling restart", func(c *cluster, l *load, _ int) outcome {
		settle(c, l)
		start := time.Now()
		for _, r := range append(append([]*role{}, c.gateways...), c.workers...) {
			r.proc.Term()
			if !r.proc.Wait(15*time.Second) || r.proc.ExitCode() != 0 {
				c.t.Fatalf("%s after SIGTERM: exit %d", r.name, r.proc.ExitCode())
			}
			c.restart(r)
		}
		took := time.Since(start)
		return outcome{took: took, stall: resumed(c, l, start, time.Now()), note: "2 gateways, 2 workers, one at a time"}
	}}
	redisPause = fault{"Redis SIGSTOP 5 s", func(c *cluster, l *load, _ int) outcome {
		settle(c, l)
		start := time.Now()
		c.redis.Pause()
		time.Sleep(5 * time.Second)
		c.redis.Resume()
		back := time.Now()
		return outcome{took: back.Sub(start), stall: resumed(c, l, start, back)}
	}}
	redisRestartEmpty = fault{"Redis restart empty", func(c *cluster, l *load, _ int) outcome {
		settle(c, l)
		start := time.Now()
		c.redis.RestartEmpty()
		back := time.Now()
		return outcome{took: back.Sub(start), stall: resumed(c, l, start, back), note: "tables from the journal"}
	}}
	redisRestartAOF = fault{"Redis restart from a cut AOF", func(c *cluster, l *load, _ int) outcome {
		settle(c, l)
		start := time.Now()
		c.redis.Kill()
		cut := c.redis.TruncateAOF(64 << 10) // an OS crash losing the AOF's tail
		c.redis.RestartFromDisk()
		back := time.Now()
		return outcome{took: back.Sub(start), stall: resumed(c, l, start, back), note: fmt.Sprintf("%d bytes of AOF cut", cut)}
	}}
	sentinelFailover = fault{"Sentinel failover (primary SIGKILL)", func(c *cluster, l *load, _ int) outcome {
		settle(c, l)
		start := time.Now()
		old := c.set.Primary()
		c.set.KillPrimary()
		c.set.WaitPrimaryChanged(old.Addr(), 30*time.Second)
		promoted := time.Now()
		d := resumed(c, l, start, promoted)
		c.set.Rejoin(old)
		c.set.WaitStable(30 * time.Second)
		return outcome{took: promoted.Sub(start), stall: d, note: "new primary " + c.set.PrimaryAddr()}
	}}
	duplicateScheduler = fault{"duplicate scheduler", func(c *cluster, l *load, i int) outcome {
		settle(c, l)
		start := time.Now()
		s := c.start("scheduler", fmt.Sprintf("scheduler-extra-%d", i))
		c.waitReady(s, 30*time.Second)
		l.waitMoves(100, 30*time.Second)
		// One of the two leads; the standby enqueues nothing.
		leaders := metric(c.schedulers[0], "hokm_scheduler_leader", "") + metric(s, "hokm_scheduler_leader", "")
		s.proc.Term()
		if !s.proc.Wait(15*time.Second) || s.proc.ExitCode() != 0 {
			c.t.Fatalf("%s after SIGTERM: exit %d", s.name, s.proc.ExitCode())
		}
		if leaders != 1 {
			c.t.Fatalf("%v schedulers led at once, want 1", leaders)
		}
		return outcome{took: time.Since(start), stall: l.stall(start), note: "one leader of two"}
	}}
)

// pgStop stops PostgreSQL for d: play goes on meanwhile.
func pgStop(d time.Duration) fault {
	return fault{fmt.Sprintf("PostgreSQL stop %v", d), func(c *cluster, l *load, _ int) outcome {
		settle(c, l)
		start := time.Now()
		c.pg.Stop("fast")
		if !l.waitMoves(50, 30*time.Second) {
			c.t.Fatal("play stopped while PostgreSQL was down")
		}
		time.Sleep(time.Until(start.Add(d)))
		c.pg.Start()
		return outcome{took: time.Since(start), stall: l.stall(start), note: "play went on"}
	}}
}

// pgStall pauses every PostgreSQL process for d (a stalled server that
// keeps its connections): play goes on meanwhile.
func pgStall(d time.Duration) fault {
	return fault{fmt.Sprintf("PostgreSQL stall %v", d), func(c *cluster, l *load, _ int) outcome {
		settle(c, l)
		start := time.Now()
		c.pg.Pause()
		if !l.waitMoves(50, 30*time.Second) {
			c.pg.Resume()
			c.t.Fatal("play stopped while PostgreSQL was stalled")
		}
		time.Sleep(time.Until(start.Add(d)))
		c.pg.Resume()
		return outcome{took: time.Since(start), stall: l.stall(start), note: "play went on"}
	}}
}

// row is one line of the table.
type row struct {
	fault string
	outcome
}

// campaign plays matches on c while the faults run one after another, then
// checks the invariants, and returns the table's rows and the totals.
func campaign(t *testing.T, c *cluster, faults []fault, parallel, minMatches int) ([]row, totals) {
	t.Helper()
	l := c.startLoad(parallel, 8*time.Millisecond)
	var rows []row
	for i, f := range faults {
		o := f.run(c, l, i)
		rows = append(rows, row{f.name, o})
		t.Logf("%-38s %8v  longest stall %v  %s", f.name, o.took.Round(time.Millisecond), o.stall.Round(time.Millisecond), o.note)
		time.Sleep(time.Second)
	}
	for played(l) < minMatches {
		time.Sleep(time.Second)
	}
	reps := l.finish(5 * time.Minute)
	return rows, c.checkInvariants(reps)
}

func played(l *load) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reports {
		n += r.Matches
	}
	return n
}

func table(rows []row, s totals) string {
	var b strings.Builder
	b.WriteString("| fault | took | longest stall of a table | note |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %v | %v | %s |\n", r.fault, r.took.Round(time.Millisecond), r.stall.Round(time.Millisecond), r.note)
	}
	fmt.Fprintf(&b, "\nmatches %d, completed %d, stored exactly once and replayed %d; moves %d, taken back by a resync (lost with Redis) "+
		"and played again %d, the longest such loss %.0f ms; "+
		"reconnects %d, resyncs %d, seats taken again after a table went back to before its start %d, moves dropped after a resync %d; "+
		"frames checked for hidden cards %d; move latency p99 %.1f ms, max %.1f ms\n",
		s.matches, s.completed, len(s.results), s.moves, s.rolledBack, s.longestLoss, s.reconnects, s.resyncs, s.rejoins, s.dropped,
		s.frames, s.p99, s.maxLatency)
	return b.String()
}

// TestFaults is the short profile: each kind of fault once, while matches
// run on a standalone Redis with AOF, two gateways and two workers.
func TestFaults(t *testing.T) {
	if os.Getenv("HOKM_FAULTS") == "full" {
		t.Skip("HOKM_FAULTS=full runs TestFaultCatalogue instead")
	}
	c := newCluster(t, standalone)
	rows, s := campaign(t, c, []fault{
		workerKill, redisRestartEmpty, pgStop(8 * time.Second), redisPause, gatewayKill, duplicateScheduler,
	}, 4, 0)
	t.Logf("fault suite, short profile:\n%s", table(rows, s))
}

// TestFaultCatalogue is `make faults`: the whole catalogue, 40 faults over
// at least 200 matches on a standalone Redis with AOF, then Sentinel
// failovers on a Sentinel set.
func TestFaultCatalogue(t *testing.T) {
	if os.Getenv("HOKM_FAULTS") != "full" {
		t.Skip("set HOKM_FAULTS=full (make faults) to run the whole catalogue")
	}
	catalogue := []fault{workerKill, gatewayKill, rollingRestart, redisPause, redisRestartEmpty, redisRestartAOF,
		pgStop(60 * time.Second), pgStall(10 * time.Second), duplicateScheduler}
	var faults []fault
	for len(faults) < 36 {
		faults = append(faults, catalogue[len(faults)%len(catalogue)])
	}
	c := newCluster(t, standalone)
	rows, s := campaign(t, c, faults, 8, 180)
	t.Logf("fault catalogue, standalone Redis with AOF:\n%s", table(rows, s))

	cs := newCluster(t, sentinel)
	rows2, s2 := campaign(t, cs, []fault{sentinelFailover, sentinelFailover, sentinelFailover, sentinelFailover}, 4, 20)
	t.Logf("fault catalogue, Redis under Sentinel:\n%s", table(rows2, s2))
}

// TestRedisFaultStress (`make faults-redis`, HOKM_FAULTS=redis) repeats
// the faults that lose Redis state — restart empty, restart from a cut
// AOF, SIGSTOP — six times each under 8 busy tables: the races between a
// rebuild and the moves in flight.
func TestRedisFaultStress(t *testing.T) {
	if os.Getenv("HOKM_FAULTS") != "redis" {
		t.Skip("set HOKM_FAULTS=redis (make faults-redis) to run it")
	}
	c := newCluster(t, standalone)
	var faults []fault
	for range 6 {
		faults = append(faults, redisRestartEmpty, redisRestartAOF, redisPause)
	}
	rows, s := campaign(t, c, faults, 8, 0)
	t.Logf("Redis faults, repeated:\n%s", table(rows, s))
}
