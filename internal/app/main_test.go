package app_test

import (
	"flag"
	"testing"
)

// TestMain lets every parallel test of this package start at once instead
// of -parallel's default (GOMAXPROCS, two here). They mostly wait — on
// servers starting and stopping, on one of the Redis databases of
// testenv.DBsApp, which bound how many servers run at once — and
// TestBrowser, the longest by far and busy on both cores, must not queue
// behind them for a slot. A -parallel given on the command line is kept.
//
// A test that reads process-wide metrics (internal/metrics keeps one
// registry, which every server in this process counts into) is not
// parallel: the serial tests run before the parallel ones start.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", "16")
	}
	m.Run()
}
