package stats

import (
	"math"
	"testing"
	"time"
)

func TestTeamElo(t *testing.T) {
	r := NewRatings()
	r.Apply([4]Seat{{"A"}, {"B"}, {"C"}, {"D"}}, 0) // equal teams: ±K/2
	for id, want := range map[string]float64{"A": 1516, "C": 1516, "B": 1484, "D": 1484} {
		if r.Get(id) != want {
			t.Errorf("%s %v, want %v", id, r.Get(id), want)
		}
	}
	// A+bot (1508) beat B+bot (1492): E = 1/(1+10^(-16/400)) = 0.523009…, d = 32·0.476991 = 15.263693.
	r.Apply([4]Seat{{"A"}, {"B"}, {}, {}}, 0)
	if math.Abs(r.Get("A")-1531.263693) > 1e-6 || math.Abs(r.Get("B")-1468.736307) > 1e-6 {
		t.Errorf("A %v B %v", r.Get("A"), r.Get("B"))
	}
	if r.Games["A"] != 2 || r.Games["C"] != 1 || len(r.Rating) != 4 {
		t.Errorf("games %v ratings %v", r.Games, r.Rating)
	}
	before := r.Get("A")
	r.Apply([4]Seat{{"A"}, {"B"}, {}, {}}, -1) // no winner: not rated
	if r.Get("A") != before || r.Games["A"] != 2 {
		t.Error("a match without a winner was rated")
	}
	if e := Expected(1900, 1500); math.Abs(e-1/(1+math.Pow(10, -1))) > 1e-12 {
		t.Errorf("Expected(1900, 1500) = %v", e)
	}
}

func TestTehranBuckets(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	before := time.Date(2026, 3, 20, 20, 29, 0, 0, time.UTC) // Fri 23:59 in Tehran (UTC+3:30)
	after := time.Date(2026, 3, 20, 20, 31, 0, 0, time.UTC)  // Sat 00:01
	for _, c := range []struct {
		p     Period
		at    time.Time
		start time.Weekday
		name  string
	}{
		{Daily, before, time.Saturday, "2026-03-20"},
		{Daily, after, time.Saturday, "2026-03-21"},
		{Weekly, before, time.Saturday, "2026-03-14"},
		{Weekly, after, time.Saturday, "2026-03-21"},
		{Weekly, after, time.Monday, "2026-03-16"},
		{Weekly, before, time.Monday, "2026-03-16"},
		{AllTime, after, time.Saturday, "all"},
	} {
		b := BucketOf(c.p, c.at, loc, c.start)
		if b.Name != c.name {
			t.Errorf("%s %v (week from %v): %s, want %s", c.p, c.at, c.start, b.Name, c.name)
		}
		if c.p != AllTime && (c.at.Before(b.Start) || !c.at.Before(b.End)) {
			t.Errorf("%s %v not in [%v, %v)", c.p, c.at, b.Start, b.End)
		}
		back, err := ParseBucket(c.p, b.Name, loc, c.start)
		if err != nil || back != b {
			t.Errorf("ParseBucket(%s) = %+v, %v; want %+v", b.Name, back, err, b)
		}
	}
	b := BucketOf(Daily, after, loc, time.Saturday)
	if want := time.Date(2026, 3, 20, 20, 30, 0, 0, time.UTC); !b.Start.Equal(want) || !b.End.Equal(want.Add(24*time.Hour)) {
		t.Errorf("Tehran day 2026-03-21 is [%v, %v)", b.Start.UTC(), b.End.UTC())
	}
	if _, err := ParsePeriod("monthly"); err == nil {
		t.Error("monthly accepted")
	}
}
