package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunPrintsTheRates(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-matches", "20", "-target", "3"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"20 matches", "match win rate:", "95 % CI", "hand win rate:", "seats 0/2", "seats 1/3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-matches", "x"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if code := run([]string{"-matches", "2", "-target", "4"}, &out, &errOut); code != 1 {
		t.Fatalf("target 4: exit %d, want 1", code)
	}
}
