package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// specParser reads the standard five cron fields and nothing else: no
// seconds, and no descriptors such as "@every 1m", whose fire times count
// from the process's start instead of the clock, so two schedulers (or one
// restarted) would disagree on the buckets and the TaskID fence would not
// hold.
var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// parseSpec parses a five-field cron spec evaluated in loc.
func parseSpec(spec string, loc *time.Location) (*cron.SpecSchedule, error) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, errors.New("a time zone in the spec is not allowed: the scheduler's location applies")
	}
	s, err := specParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok { // the parser above only builds SpecSchedules
		return nil, fmt.Errorf("unsupported schedule %T", s)
	}
	ss.Location = loc
	return ss, nil
}

// maxLookback bounds the search for the previous fire time: a spec that has
// not fired within it (say "0 0 29 2 *" long after a leap day) has no
// bucket to catch up.
const maxLookback = 400 * 24 * time.Hour

// prevBucket is the latest fire time of s at or before now (the bucket now
// falls in), and false when there is none within maxLookback. cron only
// computes forward, so it looks back twice as far each round until a fire
// time falls between there and now, then walks forward to the last one.
func prevBucket(s cron.Schedule, now time.Time) (time.Time, bool) {
	for back := time.Minute; ; back = min(2*back, maxLookback) {
		t := s.Next(now.Add(-back)) // strictly after now-back
		if t.IsZero() || t.After(now) {
			if back == maxLookback {
				return time.Time{}, false
			}
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t, true
			}
			t = n
		}
	}
}

// longestGap is the longest time between consecutive fire times of s over
// the next few fires from now (a daily spec is 23 to 25 h apart across a
// daylight-saving change), or 0 if s does not fire.
func longestGap(s cron.Schedule, now time.Time) time.Duration {
	var gap time.Duration
	t := s.Next(now)
	for range 4 {
		n := s.Next(t)
		if t.IsZero() || n.IsZero() {
			return gap
		}
		gap = max(gap, n.Sub(t))
		t = n
	}
	return gap
}

// TaskID is the asynq TaskID of the bucket of a job whose task has type
// taskType: "<type>@<bucket in UTC, RFC 3339>", the same in every
// scheduler whatever its zone, so asynq refuses a second enqueue of a
// bucket.
func TaskID(taskType string, bucket time.Time) string {
	return taskType + "@" + bucket.UTC().Format(time.RFC3339)
}
