package botclient

import (
	"encoding/json"
	"testing"
)

// TestUnfold: a version-2 events frame reaches the client as the frames
// version 1 sends — each event at its seq, then the ack at the last one's
// — counted as one message, each with the JSON the leak check reads.
func TestUnfold(t *testing.T) {
	raw := []byte(`{"type":"events","table":"t1","seq":7,"events":[{"type":"card_played","seat":1,"card":"AS"},{"type":"trick_won","winner":1}],"ack":"m3"}`)
	var f frame
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	got := unfold(f, raw)
	if len(got) != 3 || !got[0].first || got[1].first || got[2].first {
		t.Fatalf("unfolded into %d frames (first flags %v %v %v)", len(got), got[0].first, got[1].first, got[2].first)
	}
	want := []string{
		`{"type":"event","table":"t1","seq":7,"event":{"type":"card_played","seat":1,"card":"AS"}}`,
		`{"type":"event","table":"t1","seq":8,"event":{"type":"trick_won","winner":1}}`,
		`{"type":"ack","id":"m3","data":{"seq":8}}`,
	}
	for i, fe := range got {
		if string(fe.bytes()) != want[i] {
			t.Errorf("frame %d: %s, want %s", i, fe.bytes(), want[i])
		}
	}
	if got[2].f.Type != "ack" || got[2].f.ID != "m3" || got[1].f.Seq != 8 || got[0].f.Type != "event" {
		t.Fatalf("frames %+v", got)
	}
	// Any other frame is itself, with the bytes received.
	plain := []byte(`{"type":"ack","id":"m4","data":{"seq":9}}`)
	var a frame
	_ = json.Unmarshal(plain, &a)
	if u := unfold(a, plain); len(u) != 1 || !u[0].first || string(u[0].bytes()) != string(plain) {
		t.Fatalf("an ack unfolded to %+v", u)
	}
}
