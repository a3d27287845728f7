package bench

import (
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
)

// WriteTable prints rows as a Markdown table, each row with its ratios to
// the floor's row of the same mode when the run measured the floor:
// moves/s, the target's CPU per card and Redis's CPU per card. A row
// measured on a Redis Cluster names it beside the target ("serve, cluster
// 3+3": masters + replicas) and gives the replicas' part of Redis's CPU
// ("[replicas N]").
func WriteTable(w io.Writer, rows []Row) {
	floors := map[string]Row{}
	for _, r := range rows {
		if r.Target == TargetFloor {
			floors[r.Mode] = r
		}
	}
	fmt.Fprintln(w, "| mode | target | moves/s (offered) | p50 / p99 / p999 ms | CPU µs/card: target [by process] + Redis + PostgreSQL (client) | Redis round trips / cmds per card | frames/card | Redis KiB/table | target RSS MiB | ×floor: moves/s, target CPU, Redis CPU |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		moves := fmt.Sprintf("%.0f", r.Delivered)
		if r.Offered > 0 {
			moves += fmt.Sprintf(" (%.0f)", r.Offered)
		}
		if r.Errors > 0 {
			moves += fmt.Sprintf(", %d errors", r.Errors)
		}
		ratio := "—"
		if f, ok := floors[r.Mode]; ok && r.Target != TargetFloor {
			ratio = fmt.Sprintf("%s, %s, %s", times(r.Delivered, f.Delivered), times(r.ServerUS, f.ServerUS), times(r.RedisUS, f.RedisUS))
		}
		target := fmt.Sprintf("%.0f", r.ServerUS)
		if len(r.RoleUS) > 0 {
			var parts []string
			for _, role := range slices.Sorted(maps.Keys(r.RoleUS)) {
				parts = append(parts, fmt.Sprintf("%s %.0f", role, r.RoleUS[role]))
			}
			target += " [" + strings.Join(parts, ", ") + "]"
		}
		name, redisCPU := r.Target, fmt.Sprintf("%.0f", r.RedisUS)
		if r.RedisMasters > 0 {
			name += fmt.Sprintf(", cluster %d+%d", r.RedisMasters, r.RedisReplicas)
			redisCPU += fmt.Sprintf(" [replicas %.0f]", r.ReplicaUS)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.2f / %.1f / %.1f | %s + %s + %.0f (%.0f) | %.1f / %.1f | %.1f | %.1f | %.0f | %s |\n",
			r.Mode, name, moves, r.P50, r.P99, r.P999, target, redisCPU, r.PostgreUS, r.ClientUS, r.RoundTrips, r.Commands, r.Frames,
			r.TableBytes/1024, r.RSS/(1<<20), ratio)
	}
}

func times(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// Machine describes this machine for the report: CPU model and count,
// memory, Go version.
func Machine() string {
	model, mem := "unknown CPU", ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d × %s%s, %s", runtime.NumCPU(), model, mem, runtime.Version())
}
