package worker

import (
	"sync"
	"time"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/redisstore"
)

// tableCache keeps each table as this processor last committed it, so that
// the next action there needs no read: no round trip to Redis, no
// decryption or decoding of the state. It needs no ownership of the table:
// a commit is a compare-and-set on (seq, epoch), so a copy that another
// writer made stale (a timeout, the matchmaker, a rebuild, another worker
// reading the same partition) is refused, and the action is applied again
// to a fresh read. Nothing but a commit is ever decided on a cached copy: a
// refusal, a repeated action id or a rebuild is decided on a fresh read.
//
// When copies keep turning out stale (workers sharing a partition take
// turns at its tables), each stale one costs a commit more than no cache
// would, so the cache stands aside for a while and then tries again.
type tableCache struct {
	max int // tables kept; when full, one is dropped for each new one
	now func() time.Time

	mu sync.Mutex
	// tables by pointer: a Loaded is over 1 KB, and a map keeps a value
	// that large in an allocation of its own per insert.
	tables   map[string]*redisstore.Loaded
	used     int       // cached copies committed from or refused as stale, since the last look
	stale    int       // of those, refused as stale
	offUntil time.Time // standing aside until then
}

// Cache tuning: every cacheLook uses, a stale share above 1/cacheStaleMax
// turns the cache off for cacheOff.
const (
	cacheLook     = 256
	cacheStaleMax = 4
	cacheOff      = 30 * time.Second
)

func newTableCache(max int, now func() time.Time) *tableCache {
	return &tableCache{max: max, now: now, tables: map[string]*redisstore.Loaded{}}
}

// take removes and returns the table's cached copy: while one action uses
// it no other can (a concurrent action at the same table reads it fresh).
func (c *tableCache) take(id string) (*redisstore.Loaded, bool) {
	l, ok := c.takeHit(id)
	if !ok && c != nil {
		metrics.TableCache.WithLabelValues("miss").Inc()
	}
	return l, ok
}

// takeHit is take without counting a miss (the caller falls back to a
// path that takes again and counts it).
func (c *tableCache) takeHit(id string) (*redisstore.Loaded, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.tables[id]
	if ok {
		delete(c.tables, id)
	}
	return l, ok
}

// put keeps l, the table as just committed (the cache owns it from then).
func (c *tableCache) put(l *redisstore.Loaded) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now().Before(c.offUntil) {
		return
	}
	if _, ok := c.tables[l.Table.ID]; !ok && len(c.tables) >= c.max {
		for id := range c.tables { // any one: map order is random
			delete(c.tables, id)
			break
		}
	}
	c.tables[l.Table.ID] = l
}

// outcome records what became of a cached copy: committed from, or refused
// as stale by the commit.
func (c *tableCache) outcome(stale bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used++
	if stale {
		c.stale++
		metrics.TableCache.WithLabelValues("stale").Inc()
	} else {
		metrics.TableCache.WithLabelValues("hit").Inc()
	}
	if c.used < cacheLook {
		return
	}
	if c.stale*cacheStaleMax > c.used {
		c.offUntil = c.now().Add(cacheOff)
		clear(c.tables)
	}
	c.used, c.stale = 0, 0
}
