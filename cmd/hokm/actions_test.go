package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestOpsActionsDLQ runs `hokm ops actions dlq list|show|replay|drop`
// against real Redis: two poison actions are dead-lettered; one is
// replayed (a new entry of its partition, gone from the list), the other
// dropped.
func TestOpsActionsDLQ(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	t.Setenv("HOKM_REDIS_URL", testenv.RedisDBURL(t, 0))
	t.Setenv("HOKM_REDIS_PREFIX", prefix)
	t.Setenv("HOKM_PARTITIONS", "2")
	t.Setenv("HOKM_OPS_ADDR", "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2})
	if err := st.EnsureGroup(ctx, "workers"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, a := range []redisstore.Action{
		{Table: "tA", User: "u1", ID: "a1", Op: "play", Arg: "AS"},
		{Table: "tB", User: "u2", ID: "b1", Op: "trump", Arg: "H"},
	} {
		if err := st.Enqueue(ctx, a); err != nil {
			t.Fatal(err)
		}
		es, err := st.ReadActions(ctx, "workers", "w", st.Partition(a.Table), 10, time.Second)
		if err != nil || len(es) != 1 {
			t.Fatalf("read: %v %+v", err, es)
		}
		d, _, err := st.DeadLetterAction(ctx, "workers", "w", es[0], "panic: bug "+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}

	code, out, errOut := runHokm(t, "", "ops", "actions", "dlq", "list", "--json")
	var list []redisstore.DeadAction
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 {
		t.Fatalf("list --json: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runHokm(t, "", "ops", "actions", "dlq", "list")
	if code != 0 || !strings.Contains(out, ids[0]) || !strings.Contains(out, "panic: bug 1") || !strings.Contains(out, "tB") {
		t.Fatalf("list: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runHokm(t, "", "ops", "actions", "dlq", "show", ids[1])
	var shown redisstore.DeadAction
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Action.ID != "b1" || shown.Action.Arg != "H" || shown.Error != "panic: bug 1" {
		t.Fatalf("show: %d %q %q", code, out, errOut)
	}
	if code, _, errOut = runHokm(t, "", "ops", "actions", "dlq", "show", "0-1-1"); code != 1 || !strings.Contains(errOut, "no dead-lettered action") {
		t.Fatalf("show of an unknown id: %d %q", code, errOut)
	}

	code, out, errOut = runHokm(t, "", "ops", "actions", "dlq", "replay", ids[0])
	if code != 0 || !strings.Contains(out, "replayed "+ids[0]) {
		t.Fatalf("replay: %d %q %q", code, out, errOut)
	}
	es, err := st.ReadActions(ctx, "workers", "w", st.Partition("tA"), 10, time.Second)
	if err != nil || len(es) != 1 || es[0].Action.ID != "a1" || es[0].Action.User != "u1" || es[0].Action.Arg != "AS" {
		t.Fatalf("replayed entry: %v %+v", err, es)
	}

	if code, out, errOut = runHokm(t, "", "ops", "actions", "dlq", "drop", ids[1]); code != 0 || !strings.Contains(out, "dropped") {
		t.Fatalf("drop: %d %q %q", code, out, errOut)
	}
	if code, _, _ = runHokm(t, "", "ops", "actions", "dlq", "drop", ids[1]); code != 1 {
		t.Fatalf("second drop exited %d, want 1", code)
	}
	code, out, errOut = runHokm(t, "", "ops", "actions", "dlq", "list")
	if code != 0 || !strings.Contains(out, "no dead-lettered actions") {
		t.Fatalf("list after replay and drop: %d %q %q", code, out, errOut)
	}
	for _, args := range [][]string{{"ops", "actions"}, {"ops", "actions", "dlq", "show"}, {"ops", "actions", "dlq", "nuke", "x"}} {
		if code, _, _ := runHokm(t, "", args...); code != 2 {
			t.Fatalf("%v exited %d, want 2 (usage)", args, code)
		}
	}
}
