package tasks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// TypeTournamentAdvance moves tournaments on: opens check-in, starts them,
// seats each round's tables, starts the next round after the break,
// finishes them. Payload {"v":1,"tournament":id}; without a tournament
// (the scheduler's minute job) every live one. A run twice does no harm:
// every step is a PostgreSQL transaction that happens once.
const TypeTournamentAdvance = "tournament:advance"

// TournamentAdvance is the payload of a tournament:advance task.
type TournamentAdvance struct {
	V          int    `json:"v"`
	Tournament string `json:"tournament,omitempty"`
}

// NewTournamentAdvanceTask is the scheduler's: advance every live
// tournament.
func NewTournamentAdvanceTask() *asynq.Task {
	return asynq.NewTask(TypeTournamentAdvance, nil, asynq.Queue(QueueDefault), asynq.MaxRetry(2),
		asynq.Timeout(time.Minute))
}

// NewTournamentAdvanceAt advances one tournament at at, the time of its
// next step (check-in, the start, the end of a round's break), rounded up
// to a whole second: asynq keeps a scheduled task's time in whole seconds
// (its time truncated), so it would run up to a second early — find the
// step not due yet, and ask again under the same TaskID, refused as a
// duplicate: the step then waited for the scheduler's minute job. Its
// TaskID names the tournament and that second, so the same step asked for
// by several directors is enqueued once.
func NewTournamentAdvanceAt(id string, at time.Time) *asynq.Task {
	if sec := at.Truncate(time.Second); sec.Before(at) {
		at = sec.Add(time.Second)
	}
	return advanceTask(id, strconv.FormatInt(at.Unix(), 10), asynq.ProcessAt(at))
}

// NewTournamentAdvanceAfter advances one tournament now, after the result
// of its game (round, line) was recorded: one task per result (a TaskID per
// second would refuse the one after the round's last result when an
// earlier result of the same second had its task run already).
func NewTournamentAdvanceAfter(id string, round, line int) *asynq.Task {
	return advanceTask(id, "r"+strconv.Itoa(round)+"-"+strconv.Itoa(line))
}

func advanceTask(id, key string, opts ...asynq.Option) *asynq.Task {
	payload, _ := json.Marshal(TournamentAdvance{V: 1, Tournament: id})
	return asynq.NewTask(TypeTournamentAdvance, payload, append([]asynq.Option{asynq.Queue(QueueDefault), asynq.MaxRetry(5),
		asynq.Timeout(time.Minute), asynq.TaskID(TypeTournamentAdvance + ":" + id + ":" + key),
		asynq.Retention(time.Minute)}, opts...)...)
}

// ParseTournamentAdvance reads a tournament:advance payload: "" for every
// live tournament. A payload that does not decode is not retried.
func ParseTournamentAdvance(t *asynq.Task) (string, error) {
	if len(t.Payload()) == 0 {
		return "", nil
	}
	var p TournamentAdvance
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.V != 1 {
		return "", fmt.Errorf("tasks: %s payload %q: %w", TypeTournamentAdvance, t.Payload(), asynq.SkipRetry)
	}
	return p.Tournament, nil
}
