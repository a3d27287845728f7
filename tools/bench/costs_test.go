package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// The memory per table counts the hokm tables whose match is being played
// — not those finished (kept for their rematch offer), nor the keys of a
// table whose hash is gone — and every relay table.
func TestTableMemoryCountsLiveTables(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys := redisstore.Keys{Prefix: prefix}
	hash := func(id, status string, state int) {
		t.Helper()
		if err := rdb.HSet(ctx, keys.Table(id), "meta", `{"id":"`+id+`","status":"`+status+`","match":1}`,
			"st", strings.Repeat("s", state)).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.RPush(ctx, keys.Log(id), strings.Repeat("e", state)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	usage := func(ks ...string) (n float64) {
		t.Helper()
		for _, k := range ks {
			b, err := rdb.MemoryUsage(ctx, k, 0).Result()
			if err != nil {
				t.Fatal(err)
			}
			n += float64(b)
		}
		return n
	}
	hash("live1", "playing", 100)
	hash("live2", "playing", 300)
	hash("over", "finished", 5000)
	hash("new", "waiting", 50)
	if err := rdb.RPush(ctx, keys.Log("orphan"), strings.Repeat("o", 5000)).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := tableMemory(ctx, rdb, keys.TableKeysPattern())
	if err != nil {
		t.Fatal(err)
	}
	want := usage(keys.Table("live1"), keys.Log("live1"), keys.Table("live2"), keys.Log("live2")) / 2
	if got != want {
		t.Fatalf("memory per live table %.1f, want %.1f (the two playing tables' mean)", got, want)
	}

	for _, id := range []string{"r1", "r2"} {
		if err := rdb.HSet(ctx, keys.BenchTable(id), "st", strings.Repeat("r", 200)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got, err = tableMemory(ctx, rdb, keys.BenchTablesPattern()); err != nil || got != usage(keys.BenchTable("r1")) {
		t.Fatalf("memory per relay table %.1f (%v), want %.1f", got, err, usage(keys.BenchTable("r1")))
	}
}
