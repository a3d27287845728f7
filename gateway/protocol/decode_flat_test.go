package protocol

import (
	"strings"
	"testing"
)

// The flat scan reads the frames of play (it is not decoration) and finds
// what the walk finds; anything else it leaves to the walk.
func TestFlatScan(t *testing.T) {
	read := []string{
		`{"type":"play","id":"m41","table":"k3x9q2ab","card":"TD"}`,
		` { "id" : "7" , "type" : "sync" , "table" : "t" , "after" : 17 , "epoch" : 2 } `,
		`{"type":"sit","id":"3","table":"ab12","seat":-1.5e3}`, `{"type":"ready","id":"r","table":"t","ready":false}`,
		`{}`, `{"type":"ping","id":""}`, `{"type":"nope","id":"1"}`, `{"id":"x"}`, `{"type":"play","id":"ümlaut"}`,
		`{"type":"create_table","id":"c","rules":5}`,
	}
	left := []string{
		`{"type":"play","id":"a","table":"t","Card":"AS"}`, `{"type":"play","id":"a","card":"AS","card":"AS"}`,
		`{"type":"play","id":"a","table":null}`, `{"type":"create_table","id":"c","rules":{"target":5}}`,
		`{"type":"chat","id":"c","table":"t","text":"say \\"hi\\""}`, `{"type":1,"id":"a"}`, `{"id":2}`,
		`{"type":"play","id":"a"} x`, `{"type":"play","id":"a",}`, `[]`, `null`, `{"type":"play","id":"a","x":1}`,
		`{"type":"play","id":"a","card":["AS"]}`, "{\"type\":\"play\",\"id\":\"a\x01\"}", `{"id":"1","id":"1"}`,
	}
	for _, s := range read {
		if !checkFlatScan(t, []byte(s)) {
			t.Errorf("%s: not read by the flat scan", s)
		}
	}
	for _, s := range left {
		if checkFlatScan(t, []byte(s)) {
			t.Errorf("%s: read by the flat scan, want it left to the walk", s)
		}
	}
	// Decode answers alike either way: the same error or request.
	for _, s := range append(read, left...) {
		_, err := Decode([]byte(s))
		var walked scan
		walked.walk([]byte(s))
		if strings.Contains(s, "ümlaut") || err == nil {
			continue
		}
		if walked.problem != "" && !strings.Contains(err.Error(), walked.problem) {
			t.Errorf("%s: Decode says %v, the walk %q", s, err, walked.problem)
		}
	}
}
