package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Players online: each gateway process reports how many users it holds a
// socket of, in one field of Keys.Online ("<count>:<expiry unix ms>"); a
// report past its expiry (a gateway that died) no longer counts.

// ReportOnline writes process id's count of users online, valid for ttl.
func (s *Store) ReportOnline(ctx context.Context, id string, n int, ttl time.Duration) error {
	v := strconv.Itoa(n) + ":" + strconv.FormatInt(time.Now().Add(ttl).UnixMilli(), 10)
	if err := s.rdb.HSet(ctx, s.keys.Online(), id, v).Err(); err != nil {
		return fmt.Errorf("report players online: %w", err)
	}
	return nil
}

// ForgetOnline removes process id's report (a gateway stopping).
func (s *Store) ForgetOnline(ctx context.Context, id string) error {
	return s.rdb.HDel(ctx, s.keys.Online(), id).Err()
}

// PlayersOnline sums the live reports of every gateway, dropping expired
// ones.
func (s *Store) PlayersOnline(ctx context.Context) (int, error) {
	key := s.keys.Online()
	all, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return 0, fmt.Errorf("players online: %w", err)
	}
	now := time.Now().UnixMilli()
	total := 0
	for id, v := range all {
		n, exp, ok := strings.Cut(v, ":")
		count, err1 := strconv.Atoi(n)
		expiry, err2 := strconv.ParseInt(exp, 10, 64)
		if !ok || err1 != nil || err2 != nil || expiry < now {
			s.rdb.HDel(ctx, key, id)
			continue
		}
		total += count
	}
	return total, nil
}
