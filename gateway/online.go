package gateway

import (
	"context"
	"time"

	"github.com/hokm-project/hokm/store/redisstore"
)

// OnlineInterval is how often each gateway reports its players online to
// Redis at least (a change is reported within a second); a report older
// than OnlineTTL no longer counts (a gateway that died). The store keeps
// the reports (redisstore.Store.PlayersOnline sums them).
const (
	OnlineInterval = 5 * time.Second
	OnlineTTL      = 3 * OnlineInterval
)

// reportOnline writes the number of users with a socket on this process
// every OnlineInterval until the server stops, then removes its report.
func (s *Server) reportOnline() {
	id := redisstore.NewTableID() // a random id of this process
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
		if err := s.store.ReportOnline(ctx, id, n, OnlineTTL); err != nil && s.ctx.Err() == nil {
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
			_ = s.store.ForgetOnline(ctx, id)
			cancel()
			return
		case <-tick.C:
		}
	}
}
