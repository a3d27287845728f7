package redisnodes

import "testing"

func TestRunIDHas(t *testing.T) {
	for _, c := range []struct {
		runID, node string
		want        bool
	}{
		{"a1", "a1", true}, {"a1,b2,c3", "b2", true}, {"a1,b2,c3", "c3", true}, {"a1,b2,c3", "b", false},
		{"a1,b2,c3", "a1,b2", false}, {"a1,b2", "", false}, {"", "a1", false}, {"", "", false},
	} {
		if got := RunIDHas(c.runID, c.node); got != c.want {
			t.Errorf("RunIDHas(%q, %q) = %v", c.runID, c.node, got)
		}
	}
	// A worker asks it of every action on a cluster: no garbage.
	if n := testing.AllocsPerRun(100, func() { RunIDHas("a1,b2,c3", "c3") }); n != 0 {
		t.Errorf("%v allocations a call", n)
	}
}

func TestInfoFields(t *testing.T) {
	f := InfoFields("# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\n\r\n# Replication\r\nrole:slave\r\n")
	if f["run_id"] != "abc" || f["role"] != "slave" || f["redis_version"] != "7.0.15" || len(f) != 3 {
		t.Fatalf("%v", f)
	}
}
