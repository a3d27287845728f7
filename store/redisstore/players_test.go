package redisstore_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/store/redisstore"
)

// TestIndexTable: listing, no publish for an unchanged summary, removal,
// expiry of stale entries, and the join code's expiry following the table.
func TestIndexTable(t *testing.T) {
	e := setup(t, redisstore.Options{GameTTL: time.Hour})
	k := e.s.Keys()
	ps := e.rdb.Subscribe(e.ctx, k.LobbyEvents())
	defer ps.Close()
	if _, err := ps.Receive(e.ctx); err != nil {
		t.Fatal(err)
	}
	ch := ps.Channel()
	next := func() string {
		select {
		case m := <-ch:
			return m.Payload
		case <-time.After(2 * time.Second):
			return ""
		}
	}
	sum := []byte(`{"id":"t1","status":"waiting"}`)
	if err := e.s.IndexTable(e.ctx, "t1", sum, ""); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != `{"table":`+string(sum)+`}` {
		t.Fatalf("published %q", got)
	}
	_ = e.s.IndexTable(e.ctx, "t1", sum, "") // unchanged: silent
	_ = e.s.IndexTable(e.ctx, "t1", nil, "")
	if got := next(); got != `{"removed":"t1"}` {
		t.Fatalf("published %q, want the removal only", got)
	}
	_ = e.s.IndexTable(e.ctx, "t1", nil, "") // already gone: silent
	_ = e.s.IndexTable(e.ctx, "t2", []byte(`{"id":"t2"}`), "")
	next()
	vals, err := e.s.Lobby(e.ctx)
	if err != nil || len(vals) != 1 || vals[0] != `{"id":"t2"}` {
		t.Fatalf("lobby %v %v", vals, err)
	}
	// An entry not updated within the table TTL is dropped on reading.
	e.rdb.ZAdd(e.ctx, k.LobbySeen(k.BucketOf("t2")), redisZ(time.Now().Add(-2*time.Hour).UnixMilli(), "t2"))
	if vals, _ := e.s.Lobby(e.ctx); len(vals) != 0 {
		t.Fatalf("stale entry listed: %v", vals)
	}
	if got := next(); got != `{"removed":"t2"}` {
		t.Fatalf("published %q", got)
	}

	ok, err := e.s.ReserveCode(e.ctx, "ABCDEF", "t3")
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := e.s.ReserveCode(e.ctx, "ABCDEF", "t4"); ok {
		t.Fatal("a code reserved twice")
	}
	if id, err := e.s.ResolveCode(e.ctx, "ABCDEF"); id != "t3" || err != nil {
		t.Fatal(id, err)
	}
	e.rdb.Expire(e.ctx, k.Code("ABCDEF"), time.Minute)
	_ = e.s.IndexTable(e.ctx, "t3", nil, "ABCDEF")
	if ttl := e.ttl(k.Code("ABCDEF")); ttl < 59*time.Minute {
		t.Fatalf("code TTL %v after a table change, want the table TTL", ttl)
	}
	if _, err := e.s.ResolveCode(e.ctx, "ZZZZZZ"); err != redisstore.ErrNoCode {
		t.Fatal(err)
	}
}

// TestClaimGroup: four are taken at once; fewer only after the wait.
func TestClaimGroup(t *testing.T) {
	e := setup(t, redisstore.Options{})
	now := time.Now()
	for i := range 5 {
		if err := e.s.JoinQueue(e.ctx, fmt.Sprintf("u%d", i), fmt.Sprintf("n%d", i), now.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	_ = e.s.JoinQueue(e.ctx, "u0", "n0", now.Add(time.Hour)) // already queued: keeps its place
	g, err := e.s.ClaimGroup(e.ctx, now, time.Minute, "ta")
	if err != nil || len(g) != 4 || g[0] != (redisstore.Queued{User: "u0", Name: "n0"}) || g[3].User != "u3" {
		t.Fatalf("group %v %v", g, err)
	}
	if g, _ := e.s.ClaimGroup(e.ctx, now.Add(59*time.Second), time.Minute, "tb"); len(g) != 0 {
		t.Fatalf("claimed %v before the wait", g)
	}
	if g, _ := e.s.ClaimGroup(e.ctx, now.Add(61*time.Second), time.Minute, "tc"); len(g) != 1 || g[0].User != "u4" {
		t.Fatalf("claimed %v after the wait", g)
	}

	// Claims stay until finished; a stale one is taken over once.
	if id, _, _ := e.s.RetakeClaim(e.ctx, now.Add(30*time.Second), time.Minute); id != "" {
		t.Fatalf("retook %s before it was stale", id)
	}
	if err := e.s.FinishClaim(e.ctx, "tc"); err != nil {
		t.Fatal(err)
	}
	id, g, err := e.s.RetakeClaim(e.ctx, now.Add(2*time.Minute), time.Minute)
	if err != nil || id != "ta" || len(g) != 4 || g[1] != (redisstore.Queued{User: "u1", Name: "n1"}) {
		t.Fatalf("retake: %q %v %v", id, g, err)
	}
	if id, _, _ := e.s.RetakeClaim(e.ctx, now.Add(2*time.Minute), time.Minute); id != "" {
		t.Fatalf("retook %s twice", id)
	}
	_ = e.s.JoinQueue(e.ctx, "u9", "n9", now)
	_ = e.s.LeaveQueue(e.ctx, "u9")
	if g, _ := e.s.ClaimGroup(e.ctx, now.Add(time.Hour), time.Minute, "td"); len(g) != 0 {
		t.Fatalf("claimed %v after leaving", g)
	}
}

// TestChatHistoryCapped keeps the last 50 messages for an hour.
func TestChatHistoryCapped(t *testing.T) {
	e := setup(t, redisstore.Options{})
	for i := range 60 {
		if err := e.s.PostChat(e.ctx, "t1", json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	h, err := e.s.ChatHistory(e.ctx, "t1")
	if err != nil || len(h) != redisstore.ChatKeep || string(h[0]) != `{"n":10}` || string(h[49]) != `{"n":59}` {
		t.Fatalf("history %d %v", len(h), err)
	}
	if ttl := e.ttl(e.s.Keys().Chat("t1")); ttl <= 0 || ttl > redisstore.ChatTTL {
		t.Fatalf("chat TTL %v", ttl)
	}
}

func redisZ(score int64, member string) redis.Z {
	return redis.Z{Score: float64(score), Member: member}
}
