package faults

import (
	"os"
	"testing"
)

func TestDebugRedisFaults(t *testing.T) {
	if os.Getenv("HOKM_FAULTS") != "debug" {
		t.Skip()
	}
	c := newCluster(t, standalone)
	var fs []fault
	for range 6 {
		fs = append(fs, redisRestartEmpty, redisRestartAOF, redisPause)
	}
	rows, s, lost := campaign(t, c, fs, 8, 0)
	t.Logf("%s", table(rows, s, lost))
}
