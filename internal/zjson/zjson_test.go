package zjson_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/internal/zjson"
)

type record struct {
	ID    string   `json:"id"`
	Moves []string `json:"moves"`
}

func sample() record {
	r := record{ID: "t1-3"}
	for i := 0; i < 400; i++ {
		r.Moves = append(r.Moves, []string{"AS", "KH", "QD", "JC", "10S"}[i%5])
	}
	return r
}

func TestBothFormsRead(t *testing.T) {
	want := sample()
	plain, err := zjson.Marshal(want, false)
	if err != nil {
		t.Fatal(err)
	}
	packed, err := zjson.Marshal(want, true)
	if err != nil {
		t.Fatal(err)
	}
	std, _ := json.Marshal(want)
	if !bytes.Equal(plain, std) || zjson.Compressed(plain) {
		t.Fatalf("plain form %q is not encoding/json's", plain)
	}
	if !zjson.Compressed(packed) || len(packed)*3 > len(plain) {
		t.Fatalf("compressed form: %d bytes from %d (compressed: %v)", len(packed), len(plain), zjson.Compressed(packed))
	}
	for name, b := range map[string][]byte{"plain": plain, "compressed": packed} {
		var got record
		if err := zjson.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.ID != want.ID || strings.Join(got.Moves, ",") != strings.Join(want.Moves, ",") {
			t.Fatalf("%s: read back %+v", name, got)
		}
		if p, err := zjson.Plain(b); err != nil || !bytes.Equal(p, std) {
			t.Fatalf("%s: Plain = %q, %v", name, p, err)
		}
	}
	// Writers are reused: a second record is not mixed with the first.
	other := record{ID: "t2-1", Moves: []string{"2C"}}
	again, _ := zjson.Marshal(other, true)
	var got record
	if err := zjson.Unmarshal(again, &got); err != nil || got.ID != "t2-1" || len(got.Moves) != 1 {
		t.Fatalf("second record: %+v, %v", got, err)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	packed, _ := zjson.Marshal(sample(), true)
	var r record
	for name, b := range map[string][]byte{
		"cut":      packed[:len(packed)/2],
		"corrupt":  append(append([]byte{}, packed[:10]...), bytes.Repeat([]byte{0xff}, 40)...),
		"not json": zjson.Compress([]byte("not json")),
		"empty":    nil,
	} {
		if err := zjson.Unmarshal(b, &r); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A blob expanding beyond MaxPlain is refused, not read whole.
	var bomb bytes.Buffer
	w, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i <= zjson.MaxPlain>>20; i++ {
		w.Write(zeros)
	}
	w.Close()
	if _, err := zjson.Plain(bomb.Bytes()); err == nil || !strings.Contains(err.Error(), "beyond") {
		t.Fatalf("a %d-byte blob expanding past MaxPlain: %v", bomb.Len(), err)
	}
}

func BenchmarkCompress(b *testing.B) {
	plain, _ := json.Marshal(sample())
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		zjson.Compress(plain)
	}
}
