package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hokm-project/hokm/game"
)

// FuzzDecode checks that Decode never panics and that every outcome is
// either a well-formed request or a *Error with a protocol code.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","id":"1","name":"Ali"}`,
		`{"type":"hello","id":"1","token":"abc"}`,
		`{"type":"create_table","id":"2","rules":{"target":5,"play_all_tricks":true}}`,
		`{"type":"sit","id":"3","table":"ab12","seat":2}`,
		`{"type":"play","id":"6","table":"ab12","card":"TD"}`,
		`{"type":"trump","id":"5","table":"ab12","suit":"H"}`,
		`{"type":"sync","id":"7","table":"ab12","after":17}`,
		`{"type":"ping","id":"8"}`,
		`{"type":"play","id":"a","table":"t","Card":"AS"}`,
		`{"type":"play","id":"a","table":"t","card":"AS","card":"AS"}`,
		`[[[[[[]]]]]]`, `null`, `{"a":{"b":{"c":{"d":{}}}}}`, "{\"id\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFlatScan(t, data)
		req, err := Decode(data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Decode returned %T %v, want *Error", err, err)
			}
			switch pe.Code {
			case CodeBadMessage, CodeUnknownType, game.CodeInvalidCard, game.CodeInvalidSuit:
			default:
				t.Fatalf("unexpected code %q", pe.Code)
			}
			if pe.ID != "" && !ValidID(pe.ID) {
				t.Fatalf("error carries an invalid id %q", pe.ID)
			}
			return
		}
		checkRequest(t, req)
		// Flat frames are read with Unmarshal: the strict decoder must read
		// an accepted frame the same way (nothing it would have refused).
		strict := new(Request)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(strict); err != nil {
			t.Fatalf("accepted %q, which the strict decoder refuses: %v", data, err)
		}
		strict.Code = strings.ToUpper(strict.Code)
		if !reflect.DeepEqual(strict, req) {
			t.Fatalf("%q read as %+v, the strict decoder reads %+v", data, req, strict)
		}
	})
}

func checkRequest(t *testing.T, r *Request) {
	t.Helper()
	sp, ok := specs[r.Type]
	if !ok || !ValidID(r.ID) {
		t.Fatalf("accepted a frame with type %q id %q", r.Type, r.ID)
	}
	if sp.required&fTable != 0 && !ValidTableID(r.Table) {
		t.Fatalf("accepted table %q", r.Table)
	}
	if (r.Seat != nil) != (r.Type == TypeSit) {
		t.Fatalf("seat in a %s frame", r.Type)
	}
	if r.Type == TypePlay {
		if _, ok := game.ParseCard(r.Card); !ok {
			t.Fatalf("accepted card %q", r.Card)
		}
	}
	if r.Type == TypeTrump {
		if _, ok := game.ParseSuit(r.Suit); !ok {
			t.Fatalf("accepted suit %q", r.Suit)
		}
	}
	// What was accepted must survive a round trip unchanged.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Decode(b)
	if err != nil {
		t.Fatalf("re-encoded %s does not decode: %v", b, err)
	}
	b2, _ := json.Marshal(again)
	if string(b) != string(b2) {
		t.Fatalf("round trip changed %s into %s", b, b2)
	}
}

// checkFlatScan: where the flat scan reads a frame, it finds what the walk
// finds.
func checkFlatScan(t *testing.T, data []byte) bool {
	t.Helper()
	var fast, walked scan
	if !utf8.Valid(data) || !fast.flat(data) { // (Decode refuses invalid UTF-8 before either)
		return false
	}
	walked.walk(data)
	if fast != walked {
		t.Fatalf("%q: flat scan %+v, walk %+v", data, fast, walked)
	}
	return true
}
