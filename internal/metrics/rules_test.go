package metrics_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/metrics"
)

const (
	rulesFile     = "../../deploy/prometheus/alerts.yml"
	rulesTestFile = "../../deploy/prometheus/alerts_test.yml"
	dashboardFile = "../../deploy/grafana/hokm.json"
)

// promtool finds promtool on PATH (scripts/test puts one there, unpacked
// from Debian's prometheus package without installing it): missing, the
// test fails under HOKM_TEST_REQUIRE_SERVICES=1 and is skipped otherwise.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("HOKM_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("promtool is required (HOKM_TEST_REQUIRE_SERVICES=1): %v", err)
		}
		t.Skipf("promtool not on PATH (scripts/test provides it): %v", err)
	}
	return p
}

func TestPromtoolCheckRules(t *testing.T) {
	out, err := exec.Command(promtool(t), "check", "rules", rulesFile).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// TestPromtoolTestRules runs alerts_test.yml: each alert fires above its
// threshold and not at or below it.
func TestPromtoolTestRules(t *testing.T) {
	cmd := exec.Command(promtool(t), "test", "rules", filepath.Base(rulesTestFile))
	cmd.Dir = filepath.Dir(rulesTestFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// ruleExprs are the expr values of a rules file: one-line ones and block
// scalars (expr: |).
func ruleExprs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	var exprs []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "expr:") {
			continue
		}
		v := strings.TrimSpace(strings.TrimPrefix(l, "expr:"))
		if v == "|" || v == ">" || v == "|-" || v == ">-" {
			base := indent(lines[i])
			var block []string
			for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || indent(lines[i+1]) > base) {
				i++
				block = append(block, lines[i])
			}
			v = strings.Join(block, "\n")
		}
		exprs = append(exprs, v)
	}
	if n := strings.Count(string(b), "- alert:"); n != len(exprs) || n == 0 {
		t.Fatalf("%s: %d alerts but %d exprs", path, n, len(exprs))
	}
	return exprs
}

func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	return exprs
}

var (
	strLit     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
	ranges     = regexp.MustCompile(`\[[^\]]*\]`)
	offsets    = regexp.MustCompile(`\boffset\s+\S+`)
	grouping   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	identifier = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	keywords   = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
)

// metricNames are the metric names a PromQL expression selects (a
// histogram's _bucket/_sum/_count as its family's name).
func metricNames(expr string) []string {
	e := strLit.ReplaceAllString(expr, `""`)
	e = matchers.ReplaceAllString(e, " ")
	e = ranges.ReplaceAllString(e, " ")
	e = offsets.ReplaceAllString(e, " ")
	e = grouping.ReplaceAllString(e, " ")
	var names []string
	for _, m := range identifier.FindAllStringSubmatch(e, -1) {
		if m[1] != "" || keywords[strings.ToLower(m[0])] { // a function call or a keyword
			continue
		}
		names = append(names, m[0])
	}
	return names
}

// touchAll sets every metric family once, so that each has a series.
func touchAll() {
	metrics.RedisDuration.WithLabelValues("get").Observe(0.001)
	metrics.RedisErrors.WithLabelValues("get").Add(0)
	metrics.PostgresDuration.WithLabelValues("select").Observe(0.001)
	metrics.PostgresErrors.WithLabelValues("select").Add(0)
	metrics.MoveApplied("play", time.Now().Add(-time.Millisecond).UnixMicro(), time.Now())
	metrics.Request(metrics.ComponentGateway)
	metrics.Error(metrics.ComponentGateway, "unavailable")
	metrics.Error(metrics.ComponentGateway, "bad_message")
	metrics.ConnectedPlayers.Add(0)
	metrics.FramesIn.Add(0)
	metrics.FramesOut.Add(0)
	metrics.MatchPersisted(time.Now().Add(-time.Second).UnixMilli(), true, time.Now())
	metrics.CacheHit("profile")
	metrics.CacheMiss("profile")
	metrics.SchedulerLeading(false, 0)
	metrics.SchedulerRun("maintenance:trim-actions", metrics.SchedulerDuplicate, time.Now())
	metrics.TrackBreaker("redis", func() int { return 0 })
	metrics.BreakerTransition("redis", "open")
	metrics.BreakerRejection("redis")
	metrics.RecoveryPending.Set(0)
	metrics.JournalPending.Set(0)
	metrics.JournalWritten.Add(0)
	metrics.SetRedisConfig("maxmemory_policy", "noeviction", 1)
	metrics.Panics.WithLabelValues(metrics.ComponentWorker).Add(0)
	metrics.ActionsDeadLettered.Add(0)
	metrics.RegisterReplica(func() bool { return true }, func() time.Duration { return 0 })
	metrics.PostgresReads.WithLabelValues("replica").Add(0)
}

// TestRulesAndDashboardNameExportedMetrics: every metric the alerting
// rules and the dashboard use is in the registry's output (the scrape-time
// collectors with a real Redis).
func TestRulesAndDashboardNameExportedMetrics(t *testing.T) {
	registerCollectors(t)
	touchAll()
	fams, err := metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range fams {
		exported[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exported[f.GetName()+s] = true
			}
		}
	}
	for _, src := range []struct {
		file  string
		exprs []string
	}{{rulesFile, ruleExprs(t, rulesFile)}, {dashboardFile, dashboardExprs(t, dashboardFile)}} {
		seen := map[string]bool{}
		for _, e := range src.exprs {
			names := metricNames(e)
			if len(names) == 0 {
				t.Errorf("%s: no metric found in %q", src.file, e)
			}
			for _, n := range names {
				seen[n] = true
			}
		}
		var missing, all []string
		for n := range seen {
			all = append(all, n)
			if !exported[n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		sort.Strings(all)
		t.Logf("%s names %v", src.file, all)
		if len(missing) > 0 {
			t.Errorf("%s names metrics that are not exported: %v", src.file, missing)
		}
	}
}

func TestMetricNamesOfPromQL(t *testing.T) {
	got := metricNames(`sum by (component) (rate(hokm_server_errors_total{code!="x", a=~"b|c"}[5m]))
	  / on (component) group_left sum by (component) (rate(hokm_requests_total[5m])) > 0.01 and bool up offset 5m`)
	want := []string{"hokm_server_errors_total", "hokm_requests_total", "up"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("metricNames = %v, want %v", got, want)
	}
}
