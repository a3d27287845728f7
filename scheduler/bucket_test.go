package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/tasks"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPrevBucketIsTheLatestFireAtOrBeforeNow(t *testing.T) {
	teh := mustZone(t, "Asia/Tehran")
	ny := mustZone(t, "America/New_York")
	at := func(loc *time.Location, y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, loc)
	}
	for _, tc := range []struct {
		spec string
		loc  *time.Location
		now  time.Time
		want time.Time
	}{
		{"* * * * *", teh, at(teh, 2026, 3, 21, 12, 0, 59), at(teh, 2026, 3, 21, 12, 0, 0)},
		{"* * * * *", teh, at(teh, 2026, 3, 21, 12, 1, 0), at(teh, 2026, 3, 21, 12, 1, 0)},
		{"*/5 * * * *", teh, at(teh, 2026, 3, 21, 12, 4, 59), at(teh, 2026, 3, 21, 12, 0, 0)},
		{"*/5 * * * *", teh, at(teh, 2026, 3, 22, 0, 2, 0), at(teh, 2026, 3, 22, 0, 0, 0)},
		{"*/10 * * * *", teh, at(teh, 2026, 3, 21, 12, 9, 0), at(teh, 2026, 3, 21, 12, 0, 0)},
		{"0 * * * *", teh, at(teh, 2026, 3, 21, 12, 0, 0), at(teh, 2026, 3, 21, 12, 0, 0)},
		{"0 * * * *", teh, at(teh, 2026, 3, 21, 11, 59, 59), at(teh, 2026, 3, 21, 11, 0, 0)},
		// The daily job: before 00:05 local the bucket is yesterday's.
		{"5 0 * * *", teh, at(teh, 2026, 3, 22, 0, 4, 59), at(teh, 2026, 3, 21, 0, 5, 0)},
		{"5 0 * * *", teh, at(teh, 2026, 3, 22, 0, 5, 0), at(teh, 2026, 3, 22, 0, 5, 0)},
		{"5 0 * * *", teh, at(teh, 2026, 3, 22, 23, 0, 0), at(teh, 2026, 3, 22, 0, 5, 0)},
		// Local midnight, not UTC's: 00:05 in Tehran is 20:35 UTC the day before.
		{"5 0 * * *", teh, time.Date(2026, 3, 21, 20, 36, 0, 0, time.UTC), at(teh, 2026, 3, 22, 0, 5, 0)},
		// Across a daylight-saving change (New York, 2026-03-08 02:00 → 03:00).
		{"5 0 * * *", ny, at(ny, 2026, 3, 9, 0, 4, 0), at(ny, 2026, 3, 8, 0, 5, 0)},
		// A spec that fires once a year is still found.
		{"0 0 1 1 *", time.UTC, at(time.UTC, 2026, 12, 31, 23, 59, 0), at(time.UTC, 2026, 1, 1, 0, 0, 0)},
	} {
		s, err := parseSpec(tc.spec, tc.loc)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		got, ok := prevBucket(s, tc.now)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("prevBucket(%q, %v) = %v, %v; want %v", tc.spec, tc.now, got, ok, tc.want)
		}
	}
	// Feb 29 only: none within the look-back a year after the last one.
	s, _ := parseSpec("0 0 29 2 *", time.UTC)
	if got, ok := prevBucket(s, time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)); ok {
		t.Errorf("leap-day spec found %v in 2029", got)
	}
}

func TestTaskIDIsTypeAndUTCBucket(t *testing.T) {
	teh := mustZone(t, "Asia/Tehran")
	b := time.Date(2026, 3, 22, 0, 5, 0, 0, teh)
	if got, want := TaskID(tasks.TypeStatsRollupDay, b), "stats:rollup-day@2026-03-21T20:35:00Z"; got != want {
		t.Fatalf("TaskID = %q, want %q", got, want)
	}
}

// TestJobsAreClockAlignedCronSpecs: the schedule parses, each job has its
// own task type, and its tasks are kept at least one interval (so that a
// catch-up of the latest bucket is refused as a duplicate).
func TestJobsAreClockAlignedCronSpecs(t *testing.T) {
	teh := mustZone(t, "Asia/Tehran")
	s, err := New(nil, nil, Jobs(), Options{Location: teh})
	if err != nil {
		t.Fatalf("the schedule: %v", err)
	}
	want := map[string]struct {
		spec     string
		interval time.Duration
	}{
		tasks.TypeTrimActions:       {"* * * * *", time.Minute},
		tasks.TypeStatsRecompute:    {"* * * * *", time.Minute},
		tasks.TypeStatsLeaderboards: {"*/5 * * * *", 5 * time.Minute},
		tasks.TypeStatsRollupDay:    {"5 0 * * *", 24 * time.Hour},
		tasks.TypeReconcile:         {"*/5 * * * *", 5 * time.Minute},
		tasks.TypeVerifyReplays:     {"0 * * * *", time.Hour},
		tasks.TypeCleanupTables:     {"*/10 * * * *", 10 * time.Minute},
		tasks.TypePruneAudit:        {"30 4 * * *", 24 * time.Hour},
		tasks.TypePruneCheckpoints:  {"20 * * * *", time.Hour},
		tasks.TypePartitions:        {"45 3 * * *", 24 * time.Hour},
		tasks.TypeTournamentAdvance: {"* * * * *", time.Minute},
	}
	if len(s.jobs) != len(want) {
		t.Fatalf("%d jobs, want %d", len(s.jobs), len(want))
	}
	for _, j := range s.jobs {
		w, ok := want[j.typ]
		if !ok || j.Spec != w.spec {
			t.Errorf("job %q: %s %q, want %q", j.Name, j.typ, j.Spec, w.spec)
		}
		if j.retention < w.interval {
			t.Errorf("job %q: retention %v shorter than its interval %v", j.Name, j.retention, w.interval)
		}
	}
	task := func() *asynq.Task { return asynq.NewTask("x", nil) }
	for _, bad := range []Job{
		{Name: "broken", Spec: "every now and then", Task: task},
		{Name: "broken", Spec: "@every 1m", Task: task},             // counts from the start, not the clock
		{Name: "broken", Spec: "0 */5 * * * *", Task: task},         // seconds field
		{Name: "broken", Spec: "CRON_TZ=UTC * * * * *", Task: task}, // the zone is the scheduler's
		{Name: "broken", Spec: "0 0 30 2 *", Task: task},            // never fires
		{Name: "broken", Spec: "* * * * *"},                         // no task
	} {
		if _, err := New(nil, nil, []Job{bad}, Options{}); err == nil || !strings.Contains(err.Error(), `"broken"`) {
			t.Errorf("spec %q: got %v, want an error naming the job", bad.Spec, err)
		}
	}
	two := []Job{{Name: "a", Spec: "* * * * *", Task: task}, {Name: "b", Spec: "0 * * * *", Task: task}}
	if _, err := New(nil, nil, two, Options{}); err == nil || !strings.Contains(err.Error(), "both enqueue x") {
		t.Errorf("two jobs of one task type: %v", err)
	}
	for _, opt := range []Options{
		{LeaseTTL: time.Second, Renew: 600 * time.Millisecond}, // renewed less than twice per TTL
		{LeaseTTL: time.Second, Renew: 100 * time.Millisecond, Tick: 200 * time.Millisecond},
	} {
		if _, err := New(nil, nil, Jobs(), opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		}
	}
}
