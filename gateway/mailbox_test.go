package gateway

import "testing"

// A mailbox keeps order, refuses what is over its limit, keeps its token
// while items are left after a take, and holds no buffer once emptied (an
// idle socket's channel of 256 slots kept 4 KiB).
func TestMailbox(t *testing.T) {
	m := newMailbox(3)
	for i := range 3 {
		if !m.put(i, true) {
			t.Fatalf("put %d refused under the limit", i)
		}
	}
	if m.put(3, true) {
		t.Fatal("a fourth item was taken by a mailbox of 3")
	}
	<-m.ready
	got := m.take(nil, 2)
	if len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Fatalf("first take %v, want [0 1]", got)
	}
	select {
	case <-m.ready:
	default:
		t.Fatal("an item is left but the token is gone: the writer would never take it")
	}
	if got = m.take(got, 2); len(got) != 1 || got[0] != 2 {
		t.Fatalf("second take %v, want [2]", got)
	}
	if m.items != nil {
		t.Fatalf("an empty mailbox keeps a buffer of %d", cap(m.items))
	}
	select {
	case <-m.ready:
		t.Fatal("a token without items")
	default:
	}
	if !m.put(4, true) {
		t.Fatal("put after emptying refused")
	}

	// Put without waking: the item waits, in its turn, for the next wake.
	<-m.ready
	m.take(nil, 1)
	if !m.put(5, false) {
		t.Fatal("a quiet put refused under the limit")
	}
	select {
	case <-m.ready:
		t.Fatal("a quiet put woke the writer")
	default:
	}
	m.put(6, true)
	<-m.ready
	if got = m.take(nil, 10); len(got) != 2 || got[0] != 5 || got[1] != 6 {
		t.Fatalf("after a quiet put and a put: %v, want [5 6]", got)
	}
}
