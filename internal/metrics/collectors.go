package metrics

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/redisnodes"
)

// LiveTablesEvery is how often at most LiveTables scans Redis.
const LiveTablesEvery = 15 * time.Second

// LiveTables reports hokm_live_tables: the tables in Redis under a key
// prefix (every status, public and private), counted with SCAN ... MATCH
// <prefix>:{g:*}:table. A SCAN walks the whole key space, so the count is
// kept for LiveTablesEvery and a scrape in between reports the last one;
// a failed scan reports nothing (the series goes stale) rather than a
// wrong number. Every process that runs it reports the same value: sum
// across tables, max across processes.
type LiveTables struct {
	rdb     redis.UniversalClient
	pattern string
	every   time.Duration

	mu    sync.Mutex
	at    time.Time
	count float64
	ok    bool
}

// NewLiveTables counts the keys matching pattern (redisstore's
// Keys.TablePattern: metrics sits below the store and builds no key).
func NewLiveTables(rdb redis.UniversalClient, pattern string) *LiveTables {
	return &LiveTables{rdb: rdb, pattern: pattern, every: LiveTablesEvery}
}

// Describe implements prometheus.Collector.
func (l *LiveTables) Describe(ch chan<- *prometheus.Desc) { ch <- LiveTablesDesc }

// Collect implements prometheus.Collector.
func (l *LiveTables) Collect(ch chan<- prometheus.Metric) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ok || time.Since(l.at) >= l.every {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := l.scan(ctx)
		cancel()
		l.at, l.ok, l.count = time.Now(), err == nil, float64(n)
	}
	if l.ok {
		ch <- prometheus.MustNewConstMetric(LiveTablesDesc, prometheus.GaugeValue, l.count)
	}
}

func (l *LiveTables) scan(ctx context.Context) (int, error) {
	n := 0
	err := redisnodes.Scan(ctx, l.rdb, l.pattern, 1000, func(keys []string) error {
		n += len(keys)
		return nil
	})
	return n, err
}

// Queues reports hokm_queue_tasks{queue,state} from asynq's Inspector at
// each scrape (GetQueueInfo per queue: a few cheap Redis calls each).
type Queues struct {
	insp   *asynq.Inspector
	queues []string
}

// NewQueues reports the given queues through the shared Redis client.
func NewQueues(rdb redis.UniversalClient, queues ...string) *Queues {
	return &Queues{insp: asynq.NewInspectorFromRedisClient(rdb), queues: queues}
}

// Describe implements prometheus.Collector.
func (q *Queues) Describe(ch chan<- *prometheus.Desc) { ch <- QueueTasksDesc }

// Collect implements prometheus.Collector. A queue asynq has not seen yet
// (nothing ever enqueued) reports zeros; a queue that cannot be read
// (Redis unreachable) reports nothing.
func (q *Queues) Collect(ch chan<- prometheus.Metric) {
	known, err := q.insp.Queues()
	if err != nil {
		return // Redis unreachable: no samples rather than wrong ones
	}
	for _, name := range q.queues {
		var st [5]int
		if slices.Contains(known, name) {
			info, err := q.insp.GetQueueInfo(name)
			if err != nil {
				continue
			}
			st = [5]int{info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived}
		}
		for i, state := range []string{"pending", "active", "scheduled", "retry", "archived"} {
			ch <- prometheus.MustNewConstMetric(QueueTasksDesc, prometheus.GaugeValue, float64(st[i]), name, state)
		}
	}
}
