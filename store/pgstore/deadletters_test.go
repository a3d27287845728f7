package pgstore_test

import (
	"errors"
	"testing"

	"github.com/hokm-project/hokm/store/pgstore"
)

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	s, pool, ctx := setup(t)
	id, err := s.RecordDeadLetter(ctx, pgstore.DeadLetter{TaskID: "persist:match:m-1", TaskType: "persist:match",
		Queue: "persist", Payload: []byte(`{"v":1}`), Error: "connection refused", Retried: 3})
	if err != nil || id == 0 {
		t.Fatalf("RecordDeadLetter: %d %v", id, err)
	}
	// The same task archived again keeps its row and id.
	again, err := s.RecordDeadLetter(ctx, pgstore.DeadLetter{TaskID: "persist:match:m-1", TaskType: "persist:match",
		Queue: "persist", Payload: []byte(`{"v":1}`), Error: "timeout", Retried: 4})
	if err != nil || again != id {
		t.Fatalf("second RecordDeadLetter: %d %v, want id %d", again, err, id)
	}
	if _, err := s.RecordDeadLetter(ctx, pgstore.DeadLetter{TaskID: "x", TaskType: "t", Queue: "q"}); err != nil {
		t.Fatalf("RecordDeadLetter without payload: %v", err)
	}
	list, err := s.DeadLetters(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("DeadLetters: %+v %v", list, err)
	}
	d := list[0]
	if d.ID != id || d.Error != "timeout" || d.Retried != 4 || string(d.Payload) != `{"v":1}` || d.ReplayedAt != nil ||
		d.ReplayCount != 0 || d.ArchivedAt.IsZero() {
		t.Fatalf("dead letter %+v", d)
	}
	if err := s.MarkDeadLetterReplayed(ctx, id); err != nil {
		t.Fatal(err)
	}
	d, err = s.DeadLetter(ctx, id)
	if err != nil || d.ReplayedAt == nil || d.ReplayCount != 1 {
		t.Fatalf("after replay: %+v %v", d, err)
	}
	var detail string
	if err := pool.QueryRow(ctx, `SELECT detail::text FROM audit_log WHERE kind = 'ops_dlq_replay' AND user_id IS NULL`).
		Scan(&detail); err != nil || detail != `{"id": 1, "task_id": "persist:match:m-1"}` {
		t.Fatalf("audit row: %q %v", detail, err)
	}
	if _, err := s.DeadLetter(ctx, 999); !errors.Is(err, pgstore.ErrDeadLetterNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := s.MarkDeadLetterReplayed(ctx, 999); !errors.Is(err, pgstore.ErrDeadLetterNotFound) {
		t.Fatalf("replay of unknown id: %v", err)
	}
}
