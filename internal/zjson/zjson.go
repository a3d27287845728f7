// Package zjson writes JSON gzip-compressed and reads it in either form.
//
// What Redis keeps of a finished match — the persist task's payload and the
// reconcile ledger's record, each the whole match with every move (≈ 17 KB
// of JSON) — compresses about 5× at gzip's fastest level in ≈ 40 µs. A gzip
// stream begins with the bytes 0x1f 0x8b, which no JSON text does (JSON may
// begin only with white space, a value or a byte order mark), so a reader
// needs no flag to tell the two forms apart: what a release writing plain
// JSON left in Redis is read as well as what this one writes compressed.
package zjson

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// MaxPlain bounds what a compressed blob may expand to (a match's record is
// 10–60 KB): a corrupt or hostile blob cannot make its reader allocate more.
const MaxPlain = 16 << 20

// Compressed tells whether b is gzip's form rather than plain JSON.
func Compressed(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// writers keeps gzip writers for reuse: each holds ≈ 1.2 MB of compressor
// state, allocated at its first write (measured with runtime.MemStats), so a
// new one for every record would cost more than compressing it.
var writers = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return w
}}

// Marshal is json.Marshal, compressed when compress is set.
func Marshal(v any, compress bool) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || !compress {
		return b, err
	}
	return Compress(b), nil
}

// Compress returns plain gzip-compressed at the fastest level.
func Compress(plain []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(plain)/4 + 64)
	w := writers.Get().(*gzip.Writer)
	w.Reset(&out)
	// A bytes.Buffer's writes do not fail.
	_, _ = w.Write(plain)
	_ = w.Close()
	writers.Put(w)
	return out.Bytes()
}

// Plain returns b's JSON: b itself when it is not compressed.
func Plain(b []byte) ([]byte, error) {
	if !Compressed(b) {
		return b, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("zjson: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxPlain+1))
	if err != nil {
		return nil, fmt.Errorf("zjson: %w", err)
	}
	if len(plain) > MaxPlain {
		return nil, errors.New("zjson: expands beyond 16 MiB")
	}
	return plain, nil
}

// Unmarshal is json.Unmarshal of b in either form.
func Unmarshal(b []byte, v any) error {
	plain, err := Plain(b)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}
