package redisprod_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/testenv/procs"
)

// Every write is SET k:<8 digits> <32 bytes>: a command of a fixed size in
// the AOF, so a byte count is a write count.
const value = "0123456789abcdef0123456789abcdef"

func key(n int) string { return fmt.Sprintf("k:%08d", n) }

// aofBytesPerSet is one SET as the AOF holds it (RESP).
var aofBytesPerSet = len(fmt.Sprintf("*3\r\n$3\r\nset\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key(0)), key(0), len(value), value))

// aofHeader is the SELECT 0 the AOF starts with.
const aofHeader = len("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")

// writes writes k:0, k:1, … one at a time until ctx ends or a write fails,
// and records when each was acknowledged.
type writes struct {
	mu    sync.Mutex
	acked []time.Time // acked[n]: when SET k:n was acknowledged
}

func (w *writes) run(ctx context.Context, c redis.UniversalClient) {
	for n := 0; ; n++ {
		if err := c.Set(ctx, key(n), value, 0).Err(); err != nil {
			return
		}
		w.mu.Lock()
		w.acked = append(w.acked, time.Now())
		w.mu.Unlock()
	}
}

func (w *writes) times() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time{}, w.acked...)
}

// kept is how many writes Redis has and checks that they are k:0 … k:n-1:
// an AOF is replayed in order, so what is lost is always the tail.
func kept(t *testing.T, ctx context.Context, c redis.UniversalClient) int {
	t.Helper()
	n, err := c.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 && (c.Exists(ctx, key(int(n)-1)).Val() != 1 || c.Exists(ctx, key(int(n))).Val() != 0) {
		t.Fatalf("the %d keys kept are not k:0 … k:%d", n, n-1)
	}
	return int(n)
}

// crashUnderLoad writes for d, SIGKILLs Redis in the middle of it,
// restarts it from its AOF and returns the writes acknowledged before the
// kill and how many of them it lost.
func crashUnderLoad(t *testing.T, r *procs.Redis, d time.Duration) (acked []time.Time, lost int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := r.Client(0)
	w := &writes{}
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx, c) }()
	time.Sleep(d) // the crash comes at an arbitrary moment of the load
	r.Kill()
	<-done
	acked = w.times()
	r.RestartFromDisk()
	return acked, max(0, len(acked)-kept(t, ctx, c))
}

// TestAOFProcessCrash: SIGKILL of redis-server under a stream of writes,
// then a restart from the AOF. With appendfsync always nothing
// acknowledged is lost. With everysec Redis writes the AOF before it
// answers — except while the background fsync of the previous second is
// still running: then it keeps the writes in memory (up to 2 s) and
// answers anyway, so a crash at that moment loses them. The test asserts
// that only a tail of at most 2 s of writes is ever lost, and logs how
// much was lost in each crash. HOKM_REDISPROD_CRASHES sets the number of
// crashes of each kind (default 5 under load, 10 after a start) for a
// longer measurement.
func TestAOFProcessCrash(t *testing.T) {
	loaded, bursts := 5, 10
	if v, err := strconv.Atoi(os.Getenv("HOKM_REDISPROD_CRASHES")); err == nil && v > 0 {
		loaded, bursts = v, v
	}
	always := procs.StartRedis(t, procs.RedisOptions{AOF: true, AppendFsync: "always"})
	acked, lost := crashUnderLoad(t, always, 700*time.Millisecond)
	if lost != 0 {
		t.Fatalf("appendfsync always: %d of %d acknowledged writes lost by a SIGKILL", lost, len(acked))
	}
	t.Logf("appendfsync always: SIGKILL after %d acknowledged writes (%.0f/s, one client): 0 lost",
		len(acked), rate(acked))

	r := procs.StartRedis(t, procs.RedisOptions{AOF: true, AppendFsync: "everysec"})
	total, crashes, withLoss := 0, 0, 0
	for i := range loaded {
		if i > 0 {
			r.RestartEmpty() // each crash writes k:0, k:1, … anew
		}
		acked, lost := crashUnderLoad(t, r, time.Duration(600+(i%7)*170)*time.Millisecond)
		crashes++
		total += len(acked)
		if lost == 0 {
			t.Logf("everysec crash %d: %d acknowledged writes (%.0f/s), 0 lost", i+1, len(acked), rate(acked))
			continue
		}
		withLoss++
		last := acked[len(acked)-1]
		firstLost := acked[len(acked)-lost]
		if last.Sub(firstLost) > 2*time.Second+200*time.Millisecond {
			t.Fatalf("everysec crash %d: lost %d writes acknowledged over %v, more than Redis' 2 s", i+1, lost, last.Sub(firstLost))
		}
		t.Logf("everysec crash %d: %d acknowledged writes (%.0f/s), lost the last %d, acknowledged over %v before the kill",
			i+1, len(acked), rate(acked), lost, last.Sub(firstLost).Round(time.Millisecond))
	}
	t.Logf("everysec under load: %d of %d crashes lost acknowledged writes (%d writes in all)", withLoss, crashes, total)

	// A burst right after a start: the first write starts an fsync, so the
	// ones behind it are likely to be held — the window shows plainly.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := r.Client(0)
	burstLoss, maxLost := 0, 0
	for range bursts {
		r.RestartEmpty()
		for n := range 100 {
			if err := c.Set(ctx, key(n), value, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		r.Kill()
		r.Start()
		if lost := 100 - kept(t, ctx, c); lost > 0 {
			burstLoss++
			maxLost = max(maxLost, lost)
		}
	}
	t.Logf("everysec, 100 writes right after a start, then SIGKILL: %d of %d crashes lost acknowledged writes (at most %d)",
		burstLoss, bursts, maxLost)
}

func rate(ts []time.Time) float64 {
	if len(ts) < 2 {
		return 0
	}
	return float64(len(ts)-1) / ts[len(ts)-1].Sub(ts[0]).Seconds()
}

// TestAOFOSCrash: an OS crash with appendfsync everysec loses what was not
// yet fsynced — up to the last second of the AOF. Simulated by cutting a
// second's worth of bytes (at the measured write rate) off the AOF's tail:
// Redis starts (the torn command is dropped) with exactly the writes
// before the cut, and the figures are logged.
func TestAOFOSCrash(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{AOF: true, AppendFsync: "everysec"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := r.Client(0)
	w := &writes{}
	wctx, stop := context.WithTimeout(ctx, 1500*time.Millisecond)
	w.run(wctx, c)
	stop()
	acked := w.times()
	r.Term() // all of it on disk: the cut below is then the only loss

	incr := incrAOF(t, r)
	st, err := os.Stat(incr)
	if err != nil {
		t.Fatal(err)
	}
	if (int(st.Size())-aofHeader)%aofBytesPerSet != 0 {
		t.Fatalf("AOF of %d bytes is not SELECT + whole SETs of %d bytes", st.Size(), aofBytesPerSet)
	}
	onDisk := (int(st.Size()) - aofHeader) / aofBytesPerSet
	if onDisk != len(acked) && onDisk != len(acked)+1 { // +1: the write in flight when the writer stopped
		t.Fatalf("%d writes in the AOF after a clean stop, %d acknowledged", onDisk, len(acked))
	}
	perSecond := int(rate(acked))
	cut := int64(perSecond*aofBytesPerSet - aofBytesPerSet/2) // ends inside a command
	removed := r.TruncateAOF(cut)
	lostWrites := (int(cut) + aofBytesPerSet - 1) / aofBytesPerSet
	if removed != int64(lostWrites*aofBytesPerSet) {
		t.Fatalf("TruncateAOF(%d) removed %d bytes, want %d whole commands", cut, removed, lostWrites)
	}
	r.Start()
	got := kept(t, ctx, c)
	if got != onDisk-lostWrites {
		t.Fatalf("%d writes kept after cutting %d, want %d", got, lostWrites, onDisk-lostWrites)
	}
	t.Logf("one second of writes at %d SET/s is %d bytes of AOF (%d bytes per SET); an OS crash losing it "+
		"leaves Redis starting with %d of %d writes: the last %d, acknowledged over %v, are gone",
		perSecond, cut, aofBytesPerSet, got, len(acked), lostWrites, acked[len(acked)-1].Sub(acked[got]).Round(time.Millisecond))
}

// incrAOF is the path of the server's last incremental AOF file.
func incrAOF(t *testing.T, r *procs.Redis) string {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(r.Dir(), "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for _, line := range strings.Split(string(m), "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[5] == "i" {
			name = f[1]
		}
	}
	if name == "" {
		t.Fatalf("no incremental AOF in the manifest:\n%s", m)
	}
	return filepath.Join(r.Dir(), "appendonlydir", name)
}
