package tasks_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/zjson"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/tasks"
)

func TestPersistMatchRoundTrip(t *testing.T) {
	m := pgstoretest.Play(pgstoretest.Game{Seed: 7})
	sizes := map[bool]int{}
	for _, compress := range []bool{false, true} {
		task, err := tasks.NewPersistMatchTask(m, tasks.DefaultMaxRetry, compress)
		if err != nil {
			t.Fatalf("NewPersistMatchTask: %v", err)
		}
		if task.Type() != tasks.TypePersistMatch {
			t.Errorf("type %q, want %q", task.Type(), tasks.TypePersistMatch)
		}
		// Plain JSON is what releases before compression read: it must stay so.
		if zjson.Compressed(task.Payload()) != compress || !compress && !json.Valid(task.Payload()) {
			t.Fatalf("compress %v: payload begins %q", compress, task.Payload()[:8])
		}
		sizes[compress] = len(task.Payload())
		got, err := tasks.ParsePersistMatch(task)
		if err != nil {
			t.Fatalf("ParsePersistMatch (compress %v): %v", compress, err)
		}
		if got.V != tasks.PersistMatchVersion {
			t.Errorf("version %d, want %d", got.V, tasks.PersistMatchVersion)
		}
		if !reflect.DeepEqual(got.Match, m) {
			t.Errorf("round trip (compress %v) changed the match:\n got %+v\nwant %+v", compress, got.Match, m)
		}
	}
	if sizes[true]*3 > sizes[false] {
		t.Errorf("compressed payload %d bytes, plain %d: less than 3× smaller", sizes[true], sizes[false])
	}
}

func TestNewPersistMatchTaskRejectsEmptyID(t *testing.T) {
	m := pgstoretest.Play(pgstoretest.Game{Seed: 1, MaxMoves: 3})
	m.MatchID = ""
	if _, err := tasks.NewPersistMatchTask(m, 1, true); err == nil {
		t.Fatal("no error for an empty match id")
	}
}

func TestParsePersistMatchSkipsRetry(t *testing.T) {
	whole, err := tasks.NewPersistMatchTask(pgstoretest.Play(pgstoretest.Game{Seed: 2}), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	compressed := whole.Payload()
	for name, task := range map[string]*asynq.Task{
		"garbage":         asynq.NewTask(tasks.TypePersistMatch, []byte("\x00not json")),
		"null":            asynq.NewTask(tasks.TypePersistMatch, []byte("null")),
		"wrong types":     asynq.NewTask(tasks.TypePersistMatch, []byte(`{"v":"1","match":[]}`)),
		"unknown version": asynq.NewTask(tasks.TypePersistMatch, []byte(`{"v":2,"match":{"match_id":"x-1"}}`)),
		"no version":      asynq.NewTask(tasks.TypePersistMatch, []byte(`{"match":{"match_id":"x-1"}}`)),
		"no match id":     asynq.NewTask(tasks.TypePersistMatch, []byte(`{"v":1,"match":{}}`)),
		"other type":      asynq.NewTask("persist:hand", []byte(`{"v":1,"match":{"match_id":"x-1"}}`)),
		"cut gzip":        asynq.NewTask(tasks.TypePersistMatch, compressed[:len(compressed)/2]),
		"gzip of garbage": asynq.NewTask(tasks.TypePersistMatch, zjson.Compress([]byte("\x00not json"))),
	} {
		_, err := tasks.ParsePersistMatch(task)
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: error %v does not wrap asynq.SkipRetry", name, err)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	const runs = 200
	prevMean := time.Duration(0)
	for n := 0; n <= 30; n++ {
		lo, hi, sum := time.Duration(1<<62), time.Duration(0), time.Duration(0)
		for range runs {
			d := tasks.RetryDelay(n, errors.New("down"), nil)
			lo, hi, sum = min(lo, d), max(hi, d), sum+d
		}
		mean := sum / runs
		if lo < 0 || hi > 24*time.Second {
			t.Errorf("n=%d: delays in [%v, %v], want within [0, 24s]", n, lo, hi)
		}
		if lo == hi {
			t.Errorf("n=%d: %d delays all equal %v: no jitter", n, runs, lo)
		}
		if n <= 5 && mean <= prevMean {
			t.Errorf("n=%d: mean delay %v did not grow from %v", n, mean, prevMean)
		}
		if n >= 6 && (mean < 18*time.Second || mean > 22*time.Second) {
			t.Errorf("n=%d: mean delay %v, want about the 20s cap", n, mean)
		}
		prevMean = mean
	}
	if d := tasks.RetryDelay(-1, nil, nil); d < 0 || d > 2*time.Second {
		t.Errorf("n=-1: %v, want about 1s", d)
	}
	if d := tasks.RetryDelay(1<<30, nil, nil); d < 0 || d > 24*time.Second {
		t.Errorf("huge n: %v, want ≤ 24s", d)
	}
}

// TestRetryBudget checks the reasoning in RetryDelay's comment: with the
// default retries the delays add up to a few minutes, well past a 60 s
// outage.
func TestRetryBudget(t *testing.T) {
	for range 100 {
		var total time.Duration
		for n := range tasks.DefaultMaxRetry {
			total += tasks.RetryDelay(n, nil, nil)
		}
		if total < 2*time.Minute || total > 4*time.Minute {
			t.Fatalf("retry budget %v, want between 2 and 4 minutes", total)
		}
	}
}
