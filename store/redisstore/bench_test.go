package redisstore_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/redisnodes"
	"github.com/hokm-project/hokm/internal/sealbox"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/redis/go-redis/v9"
)

// BenchmarkLoadCommit is a move's store work on the real Redis: load the
// table, commit it back with one event and the action's answer. "sealed"
// seals the hands (the server's setting), "plain" does not: the difference
// is the cost per move of keeping hands encrypted at rest.
func BenchmarkLoadCommit(b *testing.B) {
	key, err := sealbox.NewKey("k1")
	if err != nil {
		b.Fatal(err)
	}
	ring, err := sealbox.NewKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		seal redisstore.Sealer
	}{{"plain", nil}, {"sealed", ring}} {
		b.Run(tc.name, func(b *testing.B) {
			rdb, prefix := testenv.Redis(b, 0, false)
			s := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Seal: tc.seal})
			ctx := context.Background()
			tb, err := table.New("bench", game.Rules{Target: 7}, "u0", 1)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.CreateTable(ctx, &tb); err != nil {
				b.Fatal(err)
			}
			for seat := range 4 {
				tb.Seats[seat] = &table.Player{ID: "u" + strconv.Itoa(seat), Name: "p", Ready: seat > 0}
			}
			tb, _, err = table.Apply(tb, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 1, Seed: 42})
			if err != nil {
				b.Fatal(err)
			}
			ev := json.RawMessage(`{"type":"card_played","seat":1,"card":"KH","hand":0}`)
			l := redisstore.Loaded{Table: tb, Epoch: 1}
			b.ReportAllocs()
			cpu0, script0, own0 := redisCPU(b, rdb), scriptTime(b, rdb), ownCPU(b)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if i > 0 {
					if l, err = s.LoadTable(ctx, "bench"); err != nil {
						b.Fatal(err)
					}
				}
				res := redisstore.Result{User: "u1", ID: strconv.Itoa(i), Hash: "h"}
				c := redisstore.CommitOf(&l, &l.Table, res, []redisstore.Entry{{Seq: l.Seq + 1, To: -1, E: ev}})
				if _, err := s.Commit(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((redisCPU(b, rdb)-cpu0).Nanoseconds())/float64(b.N)/1e3, "redis-µs/op")
			b.ReportMetric(float64((scriptTime(b, rdb)-script0).Nanoseconds())/float64(b.N)/1e3, "script-µs/op")
			b.ReportMetric(float64((ownCPU(b)-own0).Nanoseconds())/float64(b.N)/1e3, "client-cpu-µs/op")
		})
	}
}

// BenchmarkActionTrip is actions' way through their partition stream on
// the real Redis: the gateways' XADDs, the worker's XREADGROUP and XACK.
// "one" sends one action at a time (three round trips an action, Redis
// waking for each); "batch" 100 at once (enqueued together, so they share
// pipelines, then read and acknowledged in one call each), which leaves
// mostly what the entries themselves cost. redis-µs/op is per action.
func BenchmarkActionTrip(b *testing.B) {
	for _, n := range []int{1, 100} {
		name := "one"
		if n > 1 {
			name = "batch"
		}
		b.Run(name, func(b *testing.B) {
			rdb, prefix := testenv.Redis(b, 0, false)
			s := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 1})
			ctx := context.Background()
			if err := s.EnsureGroup(ctx, "g"); err != nil {
				b.Fatal(err)
			}
			a := redisstore.Action{Table: "01JC9ZK7T3QX", User: "01JC9ZK7U1AB", ID: "m-42", Op: table.OpPlay, Arg: "KH",
				At: time.Now().UnixMicro()}
			b.ReportAllocs()
			cpu0, own0 := redisCPU(b, rdb), ownCPU(b)
			b.ResetTimer()
			for b.Loop() {
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						if err := s.Enqueue(ctx, a); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				es, err := s.ReadActions(ctx, "g", "c", 0, int64(n), time.Second)
				if err != nil || len(es) != n || es[0].Action != a {
					b.Fatalf("read %d actions (%v), want %d of %+v", len(es), err, n, a)
				}
				ids := make([]string, len(es))
				for i := range es {
					ids[i] = es[i].ID
				}
				if err := s.AckIDs(ctx, "g", 0, ids); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			per := float64(b.N * n)
			b.ReportMetric(float64((redisCPU(b, rdb)-cpu0).Nanoseconds())/per/1e3, "redis-µs/action")
			b.ReportMetric(float64((ownCPU(b)-own0).Nanoseconds())/per/1e3, "client-cpu-µs/action")
		})
	}
}

// ownCPU is this process's CPU time so far (user and system): the client's
// side of a benchmark, which its wall time hides behind the round trips.
func ownCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scriptTime is the time Redis has spent in EVALSHA calls so far (INFO
// commandstats; without reading and answering them): a script's own cost.
func scriptTime(b *testing.B, rdb redis.UniversalClient) time.Duration {
	stats := info(b, rdb, "commandstats")["cmdstat_evalsha"] // calls=…,usec=…,…
	_, usec, _ := strings.Cut(stats, "usec=")
	usec, _, _ = strings.Cut(usec, ",")
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil && stats != "" {
		b.Fatal(err)
	}
	return time.Duration(n) * time.Microsecond
}

// redisCPU is the Redis server's CPU time so far (used_cpu_user +
// used_cpu_sys): what a benchmark costs Redis, as long as nothing else
// keeps it busy meanwhile.
func redisCPU(b *testing.B, rdb redis.UniversalClient) time.Duration {
	f := info(b, rdb, "cpu")
	var sum float64
	for _, k := range []string{"used_cpu_user", "used_cpu_sys"} {
		v, err := strconv.ParseFloat(f[k], 64)
		if err != nil {
			b.Fatal(err)
		}
		sum += v
	}
	return time.Duration(sum * float64(time.Second))
}

func info(b *testing.B, rdb redis.UniversalClient, section string) map[string]string {
	s, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		b.Fatal(err)
	}
	return redisnodes.InfoFields(s)
}
