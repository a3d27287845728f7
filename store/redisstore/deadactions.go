package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoDeadAction is returned for a dead-letter id that is not recorded.
var ErrNoDeadAction = errors.New("redisstore: no such dead-lettered action")

// DeadAction is an action taken out of its stream because it failed too
// many times (a poison action): kept until an operator replays or drops it.
type DeadAction struct {
	ID        string    `json:"id"` // "<partition>-<entry id>"
	Partition int       `json:"partition"`
	EntryID   string    `json:"entry_id"`
	Action    Action    `json:"action"`
	Error     string    `json:"error"`    // the last failure
	Attempts  int64     `json:"attempts"` // deliveries that failed
	Consumer  string    `json:"consumer"` // the worker that dead-lettered it
	At        time.Time `json:"at"`
}

// DeadActionID is the dead-letter id of a stream entry.
func DeadActionID(e StreamEntry) string { return strconv.Itoa(e.Partition) + "-" + e.ID }

// keepDeadAction stores a dead letter unless the hash holds max already
// (an existing id is always overwritten). 1 when stored.
var keepDeadAction = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// DeadLetterAction moves a stream entry out of its partition: it records
// it in the dead-letter hash, then acknowledges it, so the partition never
// sees it again. Recording first means a failure in between leaves the
// entry pending (it is dead-lettered again, under the same id). When the
// hash holds Options.DeadActionsMax entries already, the entry is
// acknowledged without a record (kept false): the caller logs it.
func (s *Store) DeadLetterAction(ctx context.Context, group, consumer string, e StreamEntry, reason string) (d DeadAction, kept bool, _ error) {
	d = DeadAction{ID: DeadActionID(e), Partition: e.Partition, EntryID: e.ID, Action: e.Action,
		Error: reason, Attempts: e.Deliveries, Consumer: consumer, At: time.Now().UTC().Truncate(time.Millisecond)}
	raw, err := json.Marshal(d)
	if err != nil {
		return d, false, err
	}
	n, err := keepDeadAction.Run(ctx, s.rdb, []string{s.keys.DeadActions()}, d.ID, raw, s.opts.DeadActionsMax).Int()
	if err != nil {
		return d, false, fmt.Errorf("dead-letter action: %w", err)
	}
	if err := s.rdb.XAck(ctx, s.keys.Actions(e.Partition), group, e.ID).Err(); err != nil {
		return d, false, fmt.Errorf("dead-letter action: ack: %w", err)
	}
	return d, n == 1, nil
}

// DeadActions lists the dead-lettered actions, oldest first.
func (s *Store) DeadActions(ctx context.Context) ([]DeadAction, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.DeadActions()).Result()
	if err != nil {
		return nil, fmt.Errorf("dead actions: %w", err)
	}
	out := make([]DeadAction, 0, len(all))
	for id, raw := range all {
		var d DeadAction
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			d = DeadAction{ID: id, Error: "unreadable record: " + err.Error()}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b DeadAction) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeadActionCount is how many dead-lettered actions are kept.
func (s *Store) DeadActionCount(ctx context.Context) (int64, error) {
	return s.rdb.HLen(ctx, s.keys.DeadActions()).Result()
}

// DeadAction returns one dead-lettered action (ErrNoDeadAction if none).
func (s *Store) DeadAction(ctx context.Context, id string) (DeadAction, error) {
	raw, err := s.rdb.HGet(ctx, s.keys.DeadActions(), id).Result()
	if errors.Is(err, redis.Nil) {
		return DeadAction{}, ErrNoDeadAction
	}
	if err != nil {
		return DeadAction{}, fmt.Errorf("dead action: %w", err)
	}
	var d DeadAction
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return DeadAction{}, fmt.Errorf("dead action %s: %w", id, err)
	}
	return d, nil
}

// ReplayDeadAction enqueues a dead-lettered action again (a new entry at
// the end of its partition) and then forgets the dead letter. The action
// keeps its id, so one that was applied after all is answered as a
// duplicate rather than applied twice.
func (s *Store) ReplayDeadAction(ctx context.Context, id string) (DeadAction, error) {
	d, err := s.DeadAction(ctx, id)
	if err != nil {
		return d, err
	}
	a := d.Action
	a.At = time.Now().UnixMicro()
	if err := s.Enqueue(ctx, a); err != nil {
		return d, err
	}
	if err := s.rdb.HDel(ctx, s.keys.DeadActions(), id).Err(); err != nil {
		return d, fmt.Errorf("replay dead action: forget it: %w", err)
	}
	return d, nil
}

// DropDeadAction forgets a dead-lettered action (ErrNoDeadAction if none).
func (s *Store) DropDeadAction(ctx context.Context, id string) error {
	n, err := s.rdb.HDel(ctx, s.keys.DeadActions(), id).Result()
	if err != nil {
		return fmt.Errorf("drop dead action: %w", err)
	}
	if n == 0 {
		return ErrNoDeadAction
	}
	return nil
}
