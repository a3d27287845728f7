// Package tasks is the contract of the asynq tasks: their stable type names,
// queues, versioned payloads, constructors carrying the default options, and
// parsers. Producers (game workers, the reconcile job) and consumers (the
// persistence worker) depend on this package only, never on each other.
// docs/tasks.md is the catalog for operators.
package tasks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/zjson"
)

// Task type names. They are stored in Redis with every task and shown in
// asynqmon: never rename one; add a new name for an incompatible change.
const (
	TypePersistMatch = "persist:match"
)

// Queue names.
const (
	QueuePersist = "persist" // writes to PostgreSQL
	QueueDefault = "default" // everything else (scheduled jobs)
)

// Defaults of the persist tasks.
const (
	// DefaultMaxRetry is the retry count for persist tasks: with RetryDelay
	// about 171 s of retries, so a PostgreSQL outage of a few minutes loses
	// nothing.
	DefaultMaxRetry = 12
	// PersistTimeout bounds one attempt of a persist task.
	PersistTimeout = 30 * time.Second
	// PersistRetention keeps a completed persist task (and so its TaskID)
	// this long, so a duplicate enqueue meanwhile is refused by asynq: the
	// worker's own duplicates come within seconds (a redelivered action),
	// and any later one is stored once all the same (the persist's ON
	// CONFLICT). A completed task keeps its payload — the whole record, ≈ 12
	// KB of Redis —: kept a day, as it was, they took a gigabyte of Redis
	// for every match ending a second.
	PersistRetention = 5 * time.Minute
)

// PersistMatchVersion is the payload version NewPersistMatchTask writes.
const PersistMatchVersion = 1

// PersistMatch is the payload of a persist:match task: a whole match to
// write to PostgreSQL. V is the payload version.
type PersistMatch struct {
	V     int               `json:"v"`
	Match table.MatchRecord `json:"match"`
}

// PersistMatchTaskID is the TaskID of the persist:match task of a match.
func PersistMatchTaskID(matchID string) string { return TypePersistMatch + ":" + matchID }

// NewPersistMatchTask builds the persist:match task of m with its default
// options: queue persist, maxRetry retries (DefaultMaxRetry is the usual
// choice), a 30 s timeout per attempt, TaskID "persist:match:<match id>"
// and PersistRetention. Options passed to Enqueue override them. With
// compress the payload is gzip-compressed (≈ 5× less Redis while the task
// waits and for its retention; ParsePersistMatch reads both forms, a
// release before 2026-12-08 only the plain one: see HOKM_COMPRESS_RECORDS).
// It returns an error when m has no match id or does not marshal.
func NewPersistMatchTask(m table.MatchRecord, maxRetry int, compress bool) (*asynq.Task, error) {
	if m.MatchID == "" {
		return nil, errors.New("tasks: persist:match: empty match id")
	}
	payload, err := zjson.Marshal(PersistMatch{V: PersistMatchVersion, Match: m}, compress)
	if err != nil {
		return nil, fmt.Errorf("tasks: persist:match payload: %w", err)
	}
	return asynq.NewTask(TypePersistMatch, payload,
		asynq.Queue(QueuePersist),
		asynq.MaxRetry(maxRetry),
		asynq.Timeout(PersistTimeout),
		asynq.TaskID(PersistMatchTaskID(m.MatchID)),
		asynq.Retention(PersistRetention),
	), nil
}

// ParsePersistMatch decodes a persist:match task, its payload plain or
// compressed. A payload that will never decode — not JSON, an unknown version, no match id, or a task of another
// type — is an error wrapping asynq.SkipRetry, so a handler that returns it
// sends the task straight to the archive.
func ParsePersistMatch(t *asynq.Task) (PersistMatch, error) {
	if t.Type() != TypePersistMatch {
		return PersistMatch{}, skip("task type %q is not %s", t.Type(), TypePersistMatch)
	}
	var p PersistMatch
	if err := zjson.Unmarshal(t.Payload(), &p); err != nil {
		return PersistMatch{}, skip("decode: %v", err)
	}
	if p.V != PersistMatchVersion {
		return PersistMatch{}, skip("unknown payload version %d", p.V)
	}
	if p.Match.MatchID == "" {
		return PersistMatch{}, skip("empty match id")
	}
	return p, nil
}

func skip(format string, args ...any) error {
	return fmt.Errorf("tasks: persist:match: %s: %w", fmt.Sprintf(format, args...), asynq.SkipRetry)
}

// Enqueue enqueues t with client. A task whose TaskID is already known to
// asynq (pending, retrying, completed within its retention, or archived) or
// a duplicate of a Unique task counts as enqueued and returns nil; any other
// failure is returned.
func Enqueue(ctx context.Context, client *asynq.Client, t *asynq.Task, opts ...asynq.Option) error {
	_, err := client.EnqueueContext(ctx, t, opts...)
	if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return fmt.Errorf("tasks: enqueue %s: %w", t.Type(), err)
}

// Retry policy of RetryDelay.
const (
	retryBase   = time.Second
	retryCap    = 20 * time.Second
	retryJitter = 0.2 // ±20 %
)

// RetryDelay is the asynq RetryDelayFunc of the persist queue: capped
// exponential backoff with jitter. Retry n (0 for the first) waits
// min(1 s·2^n, 20 s), then ±20 % at random: 1, 2, 4, 8, 16, 20, 20, … s,
// never more than 24 s and never negative.
//
// Why these numbers (docs/tasks.md, retry policy): PostgreSQL down for 60 s must lose nothing,
// and everything must be persisted ≤ 30 s after it returns.
//   - The cap bounds the time from PostgreSQL returning to the next attempt:
//     at most 24 s (cap plus jitter), plus the server's
//     DelayedTaskCheckInterval (set it to 1 s; asynq's default of 5 s would
//     make the worst case 29 s) and the TaskCheckInterval poll. A cap of
//     30 s or more could miss the 30 s target on its own.
//   - The budget bounds how long an outage may last before tasks are
//     archived: with DefaultMaxRetry (12) the delays sum to about
//     1+2+4+8+16+7·20 = 171 s (±20 %), plus the attempts themselves, so a
//     60 s outage uses about half of it and a 2½-minute one still loses
//     nothing. Longer outages archive the tasks; the reconcile job re-runs
//     them and PostgreSQL's ON CONFLICT keeps that exactly-once.
//   - Jitter spreads the retries of the many matches that finished during
//     the outage, so they do not all hit PostgreSQL in the same instant when
//     it returns.
//
// err and t are not used: every retried error is treated alike.
func RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	d := retryCap // from n = 5 on: 2^5 s is past the cap
	switch {
	case n <= 0:
		d = retryBase
	case n < 5:
		d = retryBase << n
	}
	jitter := 1 + retryJitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * jitter)
}
