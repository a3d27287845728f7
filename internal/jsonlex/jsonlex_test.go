package jsonlex

import (
	"encoding/json"
	"testing"
)

func TestInt(t *testing.T) {
	for _, c := range []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {" 42", 42, true}, {"-7", -7, true}, {"123456789012345678", 123456789012345678, true},
		{"1234567890123456789", 0, false}, // beyond 18 digits: encoding/json's business
		{"01", 0, false}, {"-", 0, false}, {"1.5", 0, false}, {"1e3", 0, false}, {"", 0, false}, {"x", 0, false},
	} {
		l := Lexer{B: []byte(c.in)}
		n, ok := l.Int()
		if ok != c.ok || ok && n != c.n {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", c.in, n, ok, c.n, c.ok)
		}
	}
}

// Value passes over exactly the values encoding/json accepts (of those it
// reads at all), and returns their bytes.
func TestValue(t *testing.T) {
	for _, in := range []string{`{}`, `[]`, `"s"`, `-0.5e+3`, `true`, `false`, `null`, `{"a":[1,{"b":null}],"c":"d"}`,
		` [ 1 , 2 ] `, `"ümlaut"`} {
		l := Lexer{B: []byte(in)}
		v, ok := l.Value(8)
		if !ok || !l.End() || !json.Valid(v) || json.Valid([]byte(in)) != true {
			t.Errorf("Value(%q) = %q, %v", in, v, ok)
		}
	}
	for _, in := range []string{`{`, `[1,]`, `{"a"}`, `{"a":}`, `"esc\"aped"`, "\"ctl\x01\"", `tru`, `01`, `1.`, `1e`,
		`{a:1}`, `[[[[1]]]]`} {
		l := Lexer{B: []byte(in)}
		if _, ok := l.Value(3); ok && l.End() {
			t.Errorf("Value(%q) read, want refused", in)
		}
	}
}

func TestLowerName(t *testing.T) {
	if !LowerName([]byte("first_hakem")) || LowerName([]byte("Type")) || LowerName([]byte("ſeat")) {
		t.Error("LowerName")
	}
}

func TestObject(t *testing.T) {
	read := func(in string) (map[string]int64, bool) {
		got := map[string]int64{}
		l := Lexer{B: []byte(in)}
		ok := l.Object(func(name []byte) bool {
			n, ok := l.Int()
			got[string(name)] = n
			return ok
		}) && l.End()
		return got, ok
	}
	if got, ok := read(` { "a" : 1 , "b":-2 } `); !ok || got["a"] != 1 || got["b"] != -2 || len(got) != 2 {
		t.Errorf("object read as %v, %v", got, ok)
	}
	if _, ok := read(`{}`); !ok {
		t.Error("empty object refused")
	}
	for _, in := range []string{`{"a":1,}`, `{"a" 1}`, `{"a":"x"}`, `{"a":1}}`, `{"a":1`, `["a"]`} {
		if _, ok := read(in); ok {
			t.Errorf("%s read, want refused", in)
		}
	}
}

func TestArrayStrSkip(t *testing.T) {
	var got []string
	l := Lexer{B: []byte(` [ "a" , "b" ] `)}
	if !l.Array(func() bool {
		var s string
		ok := l.StrTo(&s)
		got = append(got, s)
		return ok
	}) || !l.End() || len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("array read as %v", got)
	}
	for _, in := range []string{`["a",]`, `["a" "b"]`, `[1]`, `"a"`} {
		l := Lexer{B: []byte(in)}
		if l.Array(func() bool { var s string; return l.StrTo(&s) }) && l.End() {
			t.Errorf("%s read as an array of strings", in)
		}
	}
	l = Lexer{B: []byte(`{"x":1}`)}
	if !l.Skip([]byte("extra"), 1) || !l.End() {
		t.Error("a lower-case field's value not skipped")
	}
	l = Lexer{B: []byte(`1`)}
	if l.Skip([]byte("Type"), 1) {
		t.Error("a capitalized name skipped: encoding/json may match it")
	}
}
