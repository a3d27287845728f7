package gateway

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/hokm-project/hokm/store/redisstore"
)

// OnlineInterval is how often each gateway reports its players online to
// Redis at least (a change is reported within a second); a report older
// than OnlineTTL no longer counts (a gateway that died).
const (
	OnlineInterval = 5 * time.Second
	OnlineTTL      = 3 * OnlineInterval
)

// OnlineKey is the hash of players online: gateway id → "<count>:<expiry
// unix ms>", one field per gateway process.
func OnlineKey(k redisstore.Keys) string { return k.Prefix + ":online" }

// reportOnline writes the number of users with a socket on this process
// every OnlineInterval until the server stops, then removes its field.
func (s *Server) reportOnline() {
	id := redisstore.NewTableID() // a random id of this process
	rdb, key := s.store.Client(), OnlineKey(s.store.Keys())
	last, lastAt := -1, time.Time{}
	report := func() {
		s.mu.Lock()
		n := len(s.users)
		s.mu.Unlock()
		if n == last && time.Since(lastAt) < OnlineInterval {
			return
		}
		last, lastAt = n, time.Now()
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.RedisTimeout)
		defer cancel()
		v := strconv.Itoa(n) + ":" + strconv.FormatInt(time.Now().Add(OnlineTTL).UnixMilli(), 10)
		if err := rdb.HSet(ctx, key, id, v).Err(); err != nil && s.ctx.Err() == nil {
			s.log.Debug("report players online", "err", err)
		}
	}
	tick := time.NewTicker(time.Second) // a change is written within 1 s
	defer tick.Stop()
	for {
		report()
		select {
		case <-s.ctx.Done():
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			rdb.HDel(ctx, key, id)
			cancel()
			return
		case <-tick.C:
		}
	}
}

// PlayersOnline sums the live reports of every gateway (dropping expired
// ones).
func PlayersOnline(ctx context.Context, store *redisstore.Store) (int, error) {
	rdb, key := store.Client(), OnlineKey(store.Keys())
	all, err := rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return 0, err
	}
	now := time.Now().UnixMilli()
	total := 0
	for id, v := range all {
		n, exp, ok := strings.Cut(v, ":")
		count, err1 := strconv.Atoi(n)
		expiry, err2 := strconv.ParseInt(exp, 10, 64)
		if !ok || err1 != nil || err2 != nil || expiry < now {
			rdb.HDel(ctx, key, id)
			continue
		}
		total += count
	}
	return total, nil
}
