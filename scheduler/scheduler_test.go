package scheduler

import (
	"strings"
	"testing"

	"github.com/hibiken/asynq"
)

type recorder struct{ specs, types []string }

func (r *recorder) Register(spec string, t *asynq.Task, _ ...asynq.Option) (string, error) {
	r.specs, r.types = append(r.specs, spec), append(r.types, t.Type())
	return "id", nil
}

func TestJobsRegisterWithValidSpecs(t *testing.T) {
	// A real scheduler parses the specs; it never connects until Start.
	s := asynq.NewScheduler(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}, nil)
	if err := Register(s, Jobs()); err != nil {
		t.Fatalf("registering the jobs: %v", err)
	}
	r := &recorder{}
	if err := Register(r, Jobs()); err != nil {
		t.Fatal(err)
	}
	if len(r.types) != len(Jobs()) || r.types[0] != "maintenance:trim-actions" {
		t.Fatalf("registered %v", r.types)
	}
	bad := []Job{{Name: "broken", Spec: "every now and then", Task: Jobs()[0].Task}}
	if err := Register(s, bad); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("a bad spec: got %v, want an error naming the job", err)
	}
}
