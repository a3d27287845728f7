package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestWriteTableNamesTheCluster: a row measured on a Redis Cluster names it
// beside the target, with the replicas' part of Redis's CPU; a row on one
// server is printed as before.
func TestWriteTableNamesTheCluster(t *testing.T) {
	rows := []Row{
		{Target: "serve", Mode: "closed loop, 10", Tables: 10, Delivered: 1000, P50: 1, P99: 2, P999: 3, ServerUS: 100, RedisUS: 50, Commands: 4, RoundTrips: 3, Frames: 4.3},
		{Target: "serve", Mode: "closed loop, 10", Tables: 10, Delivered: 900, P50: 1, P99: 2, P999: 3, ServerUS: 100, RedisUS: 80, Commands: 4, RoundTrips: 3, Frames: 4.3,
			RedisMasters: 3, RedisReplicas: 3, ReplicaUS: 20},
	}
	var b strings.Builder
	WriteTable(&b, rows)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), b.String())
	}
	if want := "| closed loop, 10 | serve | 1000 | 1.00 / 2.0 / 3.0 | 100 + 50 + 0 (0) |"; !strings.HasPrefix(lines[2], want) {
		t.Errorf("one server's row %q, want it to begin %q", lines[2], want)
	}
	if want := "| closed loop, 10 | serve, cluster 3+3 | 900 | 1.00 / 2.0 / 3.0 | 100 + 80 [replicas 20] + 0 (0) |"; !strings.HasPrefix(lines[3], want) {
		t.Errorf("the cluster's row %q, want it to begin %q", lines[3], want)
	}
}

// TestRunRefusesRelaysOnCluster: the relay targets run on one Redis
// server; on a cluster Run says so before starting anything.
func TestRunRefusesRelaysOnCluster(t *testing.T) {
	for _, target := range []string{"floor", "prototype", "prototype@/tmp/hokm-before"} {
		_, err := Run(context.Background(), Config{RedisCluster: []string{"127.0.0.1:1"}, Targets: []string{"serve", target},
			Modes: []Mode{{Tables: 1}}, Reps: 1, Log: t.Logf})
		if err == nil || !strings.Contains(err.Error(), "single Redis server") {
			t.Errorf("%s on a cluster: %v, want it refused", target, err)
		}
	}
}

// TestClusterAddrs: every node of CLUSTER NODES that is in the cluster,
// replicas too, whatever their replication offset; not a failed node nor
// one still in the handshake.
func TestClusterAddrs(t *testing.T) {
	list := `07c3 127.0.0.1:30004@40004 slave e7d1 0 1426238317239 4 connected
67ed 127.0.0.1:30002@40002,node-2 master - 0 1426238316232 2 connected 5461-10922
292f 127.0.0.1:30003@40003 master - 0 1426238318243 3 connected 10923-16383
6ec2 127.0.0.1:30005@40005 slave,fail 67ed 0 1426238316232 5 connected
824f 127.0.0.1:30006@40006 handshake - 0 1426238317741 6 connected
e7d1 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460
`
	got := strings.Join(clusterAddrs(list), ",")
	if want := "127.0.0.1:30001,127.0.0.1:30002,127.0.0.1:30003,127.0.0.1:30004"; got != want {
		t.Errorf("clusterAddrs = %s, want %s", got, want)
	}
}

// Repetitions alternate the targets' order, so that neither side of a
// before/after pair always runs second; the caller's slice is left alone.
func TestRepOrderAlternates(t *testing.T) {
	targets := []string{"serve@/tmp/before", "serve", "split"}
	for rep, want := range [][]string{
		{"serve@/tmp/before", "serve", "split"},
		{"split", "serve", "serve@/tmp/before"},
		{"serve@/tmp/before", "serve", "split"},
	} {
		if got := repOrder(targets, rep); !slices.Equal(got, want) {
			t.Fatalf("rep %d: %v, want %v", rep, got, want)
		}
	}
	if targets[0] != "serve@/tmp/before" {
		t.Fatalf("the targets were reordered in place: %v", targets)
	}
}
