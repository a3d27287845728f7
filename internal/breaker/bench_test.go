package breaker_test

import (
	"context"
	"testing"

	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/testenv"
)

// BenchmarkBreakerDo is the breaker's own cost per call (no I/O).
func BenchmarkBreakerDo(b *testing.B) {
	br := breaker.NewRedis()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = br.Do(ctx, func() error { return nil })
		}
	})
}

// BenchmarkRedisGet: one GET on the local Redis with and without the
// breaker hook.
func BenchmarkRedisGet(b *testing.B) {
	for _, guarded := range []bool{false, true} {
		name := "plain"
		if guarded {
			name = "breaker"
		}
		b.Run(name, func(b *testing.B) {
			rdb, prefix := testenv.Redis(b, 0, false)
			c := testenv.Another(b, rdb)
			if guarded {
				c.AddHook(breaker.RedisHook(breaker.NewRedis()))
			}
			ctx := context.Background()
			c.Set(ctx, prefix+":k", "v", 0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Get(ctx, prefix+":k").Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBreakerDoSerial: one goroutine, with and without the slow-call
// timer.
func BenchmarkBreakerDoSerial(b *testing.B) {
	for name, s := range map[string]breaker.Settings{"slowcall": breaker.RedisSettings, "noslowcall": {}} {
		b.Run(name, func(b *testing.B) {
			br := breaker.New("bench", s, func(error) breaker.Outcome { return breaker.Success })
			ctx := context.Background()
			b.ReportAllocs()
			for range b.N {
				_ = br.Do(ctx, func() error { return nil })
			}
		})
	}
}
