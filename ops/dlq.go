package ops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/zjson"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tasks"
)

// Store is the PostgreSQL side of the dead letters (*pgstore.Store).
type Store interface {
	RecordDeadLetter(ctx context.Context, d pgstore.DeadLetter) (int64, error)
	DeadLetters(ctx context.Context) ([]pgstore.DeadLetter, error)
	DeadLetter(ctx context.Context, id int64) (pgstore.DeadLetter, error)
	MarkDeadLetterReplayed(ctx context.Context, id int64) error
	StoredMatches(ctx context.Context, ids []string) (map[string]bool, error)
}

// DLQ records archived persistence tasks in PostgreSQL and re-runs them.
// asynq trims its own archive (10,000 tasks per queue, 90 days); the
// dead_letters table keeps every one until an operator replays it.
type DLQ struct {
	Store     Store
	Inspector *asynq.Inspector // asynq's view of the queues
	Client    *asynq.Client    // re-enqueues a task asynq no longer has
}

// Queues whose archived tasks are recorded as dead letters.
var Queues = []string{tasks.QueuePersist}

func recorded(queue string) bool {
	for _, q := range Queues {
		if q == queue {
			return true
		}
	}
	return false
}

// Archiving reports whether asynq archives the task after this failure:
// its retries ran out or the error wraps asynq.SkipRetry (asynq's own
// rule; RevokeTask drops the task instead).
func Archiving(retried, maxRetry int, err error) bool {
	if errors.Is(err, asynq.RevokeTask) {
		return false
	}
	return retried >= maxRetry || errors.Is(err, asynq.SkipRetry)
}

// RecordFailure is called from the asynq server's ErrorHandler: when the
// failure archives a task of a recorded queue it stores the dead letter
// (ok=true). The task's context may be spent (a timeout), so it writes
// with a context of its own.
func RecordFailure(ctx context.Context, s Store, t *asynq.Task, err error) (ok bool, _ error) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	taskID, _ := asynq.GetTaskID(ctx)
	if !recorded(queue) || !Archiving(retried, maxRetry, err) {
		return false, nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, rerr := s.RecordDeadLetter(wctx, pgstore.DeadLetter{
		TaskID: taskID, TaskType: t.Type(), Queue: queue, Payload: t.Payload(), Error: err.Error(), Retried: retried,
	})
	return rerr == nil, rerr
}

// RecordArchived records a task in asynq's archive as a dead letter (once:
// recording it again changes nothing). The reconciler calls it before it
// runs an archived persist task again, so the failure stays on record.
func RecordArchived(ctx context.Context, s Store, ti *asynq.TaskInfo) error {
	_, err := s.RecordDeadLetter(ctx, pgstore.DeadLetter{TaskID: ti.ID, TaskType: ti.Type,
		Queue: ti.Queue, Payload: ti.Payload, Error: ti.LastErr, Retried: ti.Retried, ArchivedAt: ti.LastFailedAt})
	return err
}

// Entry is one dead letter as `hokm ops dlq list` shows it.
type Entry struct {
	ID          int64      `json:"id"`
	TaskID      string     `json:"task_id"`
	TaskType    string     `json:"task_type"`
	Queue       string     `json:"queue"`
	MatchID     string     `json:"match_id,omitempty"`
	Error       string     `json:"error"`
	Retried     int        `json:"retried"`
	ArchivedAt  time.Time  `json:"archived_at"`
	ReplayedAt  *time.Time `json:"replayed_at"`
	ReplayCount int        `json:"replay_count"`
	// Stored tells whether PostgreSQL has the dead letter's match (nil: not
	// a match's task). A match stored since it was archived — the reconcile
	// job runs an archived persist task again without marking its dead
	// letter replayed — is not lost, whatever Pending says.
	Stored *bool `json:"stored,omitempty"`
}

// Pending reports whether the dead letter has not been replayed since it
// was last archived.
func (e Entry) Pending() bool { return e.ReplayedAt == nil || e.ReplayedAt.Before(e.ArchivedAt) }

func entry(d pgstore.DeadLetter) Entry {
	return Entry{ID: d.ID, TaskID: d.TaskID, TaskType: d.TaskType, Queue: d.Queue, MatchID: matchID(d.Payload),
		Error: d.Error, Retried: d.Retried, ArchivedAt: d.ArchivedAt, ReplayedAt: d.ReplayedAt, ReplayCount: d.ReplayCount}
}

// matchID is the match id of a persist:match payload (plain or
// compressed), or "".
func matchID(payload []byte) string {
	var p struct {
		Match struct {
			MatchID string `json:"match_id"`
		} `json:"match"`
	}
	if zjson.Unmarshal(payload, &p) != nil {
		return ""
	}
	return p.Match.MatchID
}

// List returns every dead letter, oldest first, each match's with whether
// PostgreSQL has the match now.
func (q *DLQ) List(ctx context.Context) ([]Entry, error) {
	rows, err := q.Store.DeadLetters(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(rows))
	var ids []string
	for _, d := range rows {
		e := entry(d)
		if e.MatchID != "" {
			ids = append(ids, e.MatchID)
		}
		out = append(out, e)
	}
	// One query: dead letters are few (an outage's worth at most), and
	// ANY($1) takes thousands of ids.
	var stored map[string]bool
	if len(ids) > 0 {
		if stored, err = q.Store.StoredMatches(ctx, ids); err != nil {
			return nil, err
		}
	}
	for i := range out {
		if out[i].MatchID != "" {
			ok := stored[out[i].MatchID]
			out[i].Stored = &ok
		}
	}
	return out, nil
}

// Sync records the tasks in asynq's archive of the recorded queues that
// are not in PostgreSQL yet (their ErrorHandler write failed, typically
// because PostgreSQL was down — the reason persist tasks get archived).
// It returns how many archived tasks it saw.
func (q *DLQ) Sync(ctx context.Context) (int, error) {
	n := 0
	for _, queue := range Queues {
		for page := 1; ; page++ {
			list, err := q.Inspector.ListArchivedTasks(queue, asynq.PageSize(100), asynq.Page(page))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				return n, fmt.Errorf("ops: list archived %s: %w", queue, err)
			}
			for _, ti := range list {
				if err := RecordArchived(ctx, q.Store, ti); err != nil {
					return n, err
				}
				n++
			}
			if len(list) < 100 {
				break
			}
		}
	}
	return n, nil
}

// Replayed is the outcome of replaying one dead letter.
type Replayed struct {
	ID     int64  `json:"id"`
	TaskID string `json:"task_id"`
	// How: "run" (RunTask of asynq's archived copy), "enqueued" (asynq no
	// longer had it: re-enqueued from the stored payload) or "queued"
	// (asynq already has it pending, scheduled, retrying or running).
	How string `json:"how"`
}

// Replay re-runs dead letter id: RunTask when the task is still in
// asynq's archive, otherwise a fresh enqueue of the stored payload under
// the same task id. It marks the row replayed and writes an audit_log row
// (ops_dlq_replay). Re-running a persist task is safe: persisting is
// idempotent.
func (q *DLQ) Replay(ctx context.Context, id int64) (Replayed, error) {
	d, err := q.Store.DeadLetter(ctx, id)
	if err != nil {
		return Replayed{}, err
	}
	r := Replayed{ID: d.ID, TaskID: d.TaskID}
	info, err := q.Inspector.GetTaskInfo(d.Queue, d.TaskID)
	switch {
	case err == nil && info.State == asynq.TaskStateArchived:
		if err := q.Inspector.RunTask(d.Queue, d.TaskID); err != nil {
			return r, fmt.Errorf("ops: run archived task %s: %w", d.TaskID, err)
		}
		r.How = "run"
	case err == nil && info.State != asynq.TaskStateCompleted:
		r.How = "queued" // pending, active, scheduled, retry, aggregating
	case err == nil || errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		// Trimmed from the archive (or a completed copy still holding the
		// task id): a copy left behind would turn the enqueue into a no-op.
		if err == nil {
			if derr := q.Inspector.DeleteTask(d.Queue, d.TaskID); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
				return r, fmt.Errorf("ops: delete leftover task %s: %w", d.TaskID, derr)
			}
		}
		t := asynq.NewTask(d.TaskType, d.Payload, asynq.Queue(d.Queue), asynq.TaskID(d.TaskID),
			asynq.MaxRetry(tasks.DefaultMaxRetry), asynq.Timeout(tasks.PersistTimeout),
			asynq.Retention(tasks.PersistRetention))
		if err := tasks.Enqueue(ctx, q.Client, t); err != nil {
			return r, fmt.Errorf("ops: re-enqueue %s: %w", d.TaskID, err)
		}
		r.How = "enqueued"
	default:
		return r, fmt.Errorf("ops: look up task %s in asynq: %w", d.TaskID, err)
	}
	if err := q.Store.MarkDeadLetterReplayed(ctx, d.ID); err != nil {
		return r, err
	}
	return r, nil
}

// ReplayAll replays every dead letter not replayed since it was last
// archived. It stops at the first error.
func (q *DLQ) ReplayAll(ctx context.Context) ([]Replayed, error) {
	list, err := q.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Replayed
	for _, e := range list {
		if !e.Pending() {
			continue
		}
		r, err := q.Replay(ctx, e.ID)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}
