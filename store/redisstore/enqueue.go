package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// enqueuer sends the XADDs that a gateway's sockets make at the same time
// in one pipeline. The first caller sends its own at once; the callers that
// arrive while a pipeline is on its way wait and go together in the next,
// sent by the first of them. Alone, an action costs what one XADD did;
// under load (≈ 50 XADDs in flight at once at 500 busy tables on two cores,
// each waiting for a connection and a core) a round trip, a system call
// each way and the client's per-command work are shared by a batch.
type enqueuer struct {
	mu      sync.Mutex
	waiting []*enqueueCall
	busy    bool // a caller is sending a batch
}

type enqueueCall struct {
	ctx  context.Context
	args redis.XAddArgs
	done chan error // one value: the result, or errLead
}

// errLead hands the sending to a waiting caller: the batch after the
// sender's own starts with its action.
var errLead = errors.New("lead the next batch")

// enqueueBatchMax bounds one pipeline.
const enqueueBatchMax = 128

// add sends args, alone or in a batch, and returns its XADD's error. A
// caller waits for the batch before its own without its ctx (at most the
// client's read and write timeouts): its action may be on its way; one
// whose ctx has ended by the time its batch goes is not sent.
func (q *enqueuer) add(ctx context.Context, rdb redis.UniversalClient, args redis.XAddArgs) error {
	c := &enqueueCall{ctx: ctx, args: args, done: make(chan error, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, c)
	if q.busy {
		q.mu.Unlock()
		if err := <-c.done; err != errLead {
			return err
		}
	} else {
		q.busy = true
		q.mu.Unlock()
	}
	q.send(rdb)
	return <-c.done
}

// send sends the waiting calls (up to enqueueBatchMax, the caller's own
// first) in one pipeline, answers each, and hands the sending to the next
// waiting caller, or ends it.
func (q *enqueuer) send(rdb redis.UniversalClient) {
	q.mu.Lock()
	n := min(len(q.waiting), enqueueBatchMax)
	batch := q.waiting[:n:n]
	q.waiting = q.waiting[n:]
	q.mu.Unlock()
	for i, err := range pipelineXAdds(rdb, batch) {
		batch[i].done <- err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) == 0 {
		q.busy = false
		q.waiting = nil // (a burst's backing array is not kept)
		return
	}
	q.waiting[0].done <- errLead
}

// pipelineXAdds sends batch's XADDs in one pipeline and returns each one's
// error. It never panics: a panic would leave every later caller waiting.
func pipelineXAdds(rdb redis.UniversalClient, batch []*enqueueCall) (errs []error) {
	errs = make([]error, len(batch))
	defer func() {
		if r := recover(); r != nil {
			for i := range errs {
				errs[i] = fmt.Errorf("enqueue: %v", r)
			}
		}
	}()
	cmds := make([]*redis.StringCmd, len(batch))
	_, _ = rdb.Pipelined(context.WithoutCancel(batch[0].ctx), func(p redis.Pipeliner) error {
		for i, c := range batch {
			if c.ctx.Err() == nil {
				cmds[i] = p.XAdd(c.ctx, &c.args)
			}
		}
		return nil
	}) // (each command's error is its own, read below)
	for i, c := range batch {
		if cmds[i] == nil {
			errs[i] = c.ctx.Err()
		} else {
			errs[i] = cmds[i].Err()
		}
	}
	return errs
}
