package pgreplica

import (
	"testing"
	"time"
)

// TestThin: past the bound, the samples between the oldest and the newest
// are halved; the oldest (what the lag is measured from) and the newest stay,
// in order.
func TestThin(t *testing.T) {
	t0 := time.Unix(0, 0)
	var s []sample
	for i := range 11 {
		s = append(s, sample{at: t0.Add(time.Duration(i) * time.Second), lsn: int64(i)})
	}
	if got := thin(s, 11); len(got) != 11 {
		t.Fatalf("at the bound: %d samples, want all 11", len(got))
	}
	got := thin(s, 10)
	if len(got) > 10 || got[0].lsn != 0 || got[len(got)-1].lsn != 10 {
		t.Fatalf("thinned to %v: want at most 10, first 0, last 10", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].lsn <= got[i-1].lsn {
			t.Fatalf("out of order: %v", got)
		}
	}
}
