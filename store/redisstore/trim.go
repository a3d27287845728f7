package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// TrimActions deletes the entries of every partition that group has
// acknowledged (those older than its oldest pending entry, or than its last
// delivered one when nothing is pending) and that were added more than
// keep ago by Redis' clock: the last moments of traffic stay readable
// (XRANGE) for whoever is looking at a stream, whenever the trim runs. It
// returns how many were deleted.
func (s *Store) TrimActions(ctx context.Context, group string, keep time.Duration) (int64, error) {
	now, err := s.rdb.Time(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("redis time: %w", err)
	}
	// Entry ids of the action streams are Redis' own (ms-time)-(n).
	horizon := fmt.Sprintf("%d-0", now.Add(-keep).UnixMilli())
	var total int64
	for p := 0; p < s.opts.Partitions; p++ {
		key := s.keys.Actions(p)
		min, err := s.oldestUnacked(ctx, key, group)
		if err != nil {
			return total, err
		}
		if min == "" {
			continue
		}
		if streamIDLess(horizon, min) {
			min = horizon
		}
		n, err := s.rdb.XTrimMinID(ctx, key, min).Result()
		if err != nil {
			return total, fmt.Errorf("trim %s: %w", key, err)
		}
		total += n
	}
	return total, nil
}

// oldestUnacked is the id below which every entry of key is acknowledged
// by group, or "" when the group does not exist yet. The last delivered id
// is read before the pending list: read the other way round, a worker
// reading in between could make entries it has not finished look acked.
func (s *Store) oldestUnacked(ctx context.Context, key, group string) (string, error) {
	groups, err := s.rdb.XInfoGroups(ctx, key).Result()
	if err != nil {
		if IsNoGroup(err) || redis.HasErrorPrefix(err, "no such key") {
			return "", nil
		}
		return "", fmt.Errorf("groups of %s: %w", key, err)
	}
	delivered := ""
	for _, g := range groups {
		if g.Name == group {
			delivered = g.LastDeliveredID
		}
	}
	if delivered == "" {
		return "", nil
	}
	pend, err := s.rdb.XPending(ctx, key, group).Result()
	if err != nil {
		return "", fmt.Errorf("pending of %s: %w", key, err)
	}
	if pend.Count > 0 {
		return pend.Lower, nil
	}
	return delivered, nil
}

// streamIDLess reports whether stream entry id a comes before b.
func streamIDLess(a, b string) bool {
	ams, aseq := splitStreamID(a)
	bms, bseq := splitStreamID(b)
	return ams < bms || ams == bms && aseq < bseq
}

func splitStreamID(id string) (ms, seq uint64) {
	m, q, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(q, 10, 64)
	return ms, seq
}

// IsNoGroup reports Redis's NOGROUP error: the stream or its consumer group
// does not exist (Redis lost them, or nothing created them yet).
func IsNoGroup(err error) bool { return redis.HasErrorPrefix(err, "NOGROUP") }
