package gateway

import (
	"sync"
	"time"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
)

// Past capacity, the matches already running keep it: while the commands
// of this gateway wait longer than Options.ShedAfter for their answers
// (smoothed), new tables and quick-match entries are refused with
// unavailable and a retry_after, and a command not answered in
// AnswerTimeout is given more time (up to maxWaits of it) instead of an
// unavailable that the client would answer by sending it again: queued
// twice, it would be handled twice by workers already behind.

// shedRetry is the retry_after of a shed request.
const shedRetry = 5 * time.Second

// maxWaits bounds how many AnswerTimeouts a command waits for its answer
// while the gateway is behind.
const maxWaits = 4

// lagWindow is how long an answer's wait counts: with no answers for that
// long (nothing to answer) the gateway is not behind.
const lagWindow = 5 * time.Second

// answerLag is how long this gateway's commands wait for their workers'
// answers, smoothed (an exponential moving average over about 8 answers).
type answerLag struct {
	mu   sync.Mutex
	ewma time.Duration
	at   time.Time // of the last answer
}

func (l *answerLag) observe(d time.Duration) {
	l.mu.Lock()
	l.ewma += (d - l.ewma) / 8
	l.at = time.Now()
	l.mu.Unlock()
}

// over reports whether the answers lately took longer than limit (never
// when limit is not positive).
func (l *answerLag) over(limit time.Duration) bool {
	if limit <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ewma > limit && time.Since(l.at) < lagWindow
}

// shed refuses req (a new table, a quick-match entry) when the gateway is
// behind; true when it did.
func (c *conn) shed(req *protocol.Request) bool {
	if !c.srv.lag.over(c.srv.opts.ShedAfter) {
		return false
	}
	metrics.Shed.WithLabelValues(string(req.Type)).Inc()
	metrics.Error(metrics.ComponentGateway, string(protocol.CodeUnavailable))
	c.push(protocol.AppendErrorRetry(nil, req.ID, protocol.CodeUnavailable, "server busy: try again shortly", shedRetry))
	return true
}
