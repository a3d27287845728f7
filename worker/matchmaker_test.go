package worker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// countingStore records the sits and notices the matchmakers send.
type countingStore struct {
	*redisstore.Store
	mu      sync.Mutex
	sits    map[string][]string // user → tables
	seats   map[string]map[int]string
	notices map[string]int
}

func (c *countingStore) Enqueue(ctx context.Context, a redisstore.Action) error {
	if a.Op == table.OpSit {
		c.mu.Lock()
		c.sits[a.User] = append(c.sits[a.User], a.Table)
		if c.seats[a.Table] == nil {
			c.seats[a.Table] = map[int]string{}
		}
		if prev, taken := c.seats[a.Table][a.Seat]; taken && prev != a.User {
			c.mu.Unlock()
			return fmt.Errorf("seat %d of %s given to %s and %s", a.Seat, a.Table, prev, a.User)
		}
		c.seats[a.Table][a.Seat] = a.User
		c.mu.Unlock()
	}
	return c.Store.Enqueue(ctx, a)
}

func (c *countingStore) Notify(ctx context.Context, user string, n any) error {
	c.mu.Lock()
	c.notices[user]++
	c.mu.Unlock()
	return c.Store.Notify(ctx, user, n)
}

// TestTwoMatchmakersNeverSeatTwice: two matchmakers on one queue seat
// every player exactly once, in groups of four, the rest with bots.
func TestTwoMatchmakersNeverSeatTwice(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	st := &countingStore{Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2}),
		sits: map[string][]string{}, seats: map[string]map[int]string{}, notices: map[string]int{}}
	ctx := context.Background()
	const players, wait = 22, time.Second
	joined := time.Now()
	for i := range players {
		if err := st.JoinQueue(ctx, fmt.Sprintf("u%02d", i), "p", joined); err != nil {
			t.Fatal(err)
		}
	}
	// On the matchmakers' clock everyone has waited the full wait, so one
	// tick of each, at once, seats the whole queue: the last two with bots.
	now := func() time.Time { return joined.Add(wait) }
	var wg sync.WaitGroup
	for range 2 {
		m := NewMatchmaker(st, MatchmakerOptions{Wait: wait, Now: now})
		wg.Go(func() {
			if err := m.Tick(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, _ := rdb.ZCard(ctx, st.Keys().Matchmaking()).Result(); n != 0 {
		t.Fatalf("%d players left in the queue", n)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.sits) != players {
		t.Fatalf("%d players seated, want %d", len(st.sits), players)
	}
	for u, tables := range st.sits {
		if len(tables) != 1 || st.notices[u] != 1 {
			t.Fatalf("%s seated at %v, notified %d times", u, tables, st.notices[u])
		}
	}
	full := 0
	for _, seats := range st.seats {
		if len(seats) == 4 {
			full++
		}
	}
	if full != players/4 {
		t.Fatalf("%d full tables, want %d (seats %v)", full, players/4, st.seats)
	}
	if n, _ := rdb.HLen(ctx, st.Keys().MatchmakingNames()).Result(); n != 0 {
		t.Fatalf("%d names left behind", n)
	}
	if n, _ := rdb.HLen(ctx, st.Keys().MatchmakingClaims()).Result(); n != 0 {
		t.Fatalf("%d claims left unfinished", n)
	}
}

// TestUnseatedClaimIsFinished: a group claimed by a matchmaker that died
// before seating it is seated by another, at the table it was meant for,
// once; placing it twice seats nobody twice.
func TestUnseatedClaimIsFinished(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	st := &countingStore{Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2}),
		sits: map[string][]string{}, seats: map[string]map[int]string{}, notices: map[string]int{}}
	ctx := context.Background()
	for _, u := range []string{"a", "b"} {
		_ = st.JoinQueue(ctx, u, u, time.Now().Add(-time.Minute))
	}
	claimed := time.Now()
	g, err := st.ClaimGroup(ctx, claimed, time.Second, "deadmm01") // then "dies"
	if err != nil || len(g) != 2 {
		t.Fatal(g, err)
	}
	// The matchmaker's clock is past the stale limit: no sleeping.
	m := NewMatchmaker(st, MatchmakerOptions{Wait: time.Hour, StaleClaim: 50 * time.Millisecond,
		Now: func() time.Time { return claimed.Add(60 * time.Millisecond) }})
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.place(ctx, "deadmm01", g); err != nil { // a second placement is harmless
		t.Fatal(err)
	}
	l, err := st.LoadTable(ctx, "deadmm01")
	if err != nil || l.Table.Host != "a" || !l.Table.Options.Public {
		t.Fatalf("table %+v %v", l.Table.Meta, err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.sits["a"]) != 2 || st.sits["a"][0] != "deadmm01" || len(st.seats["deadmm01"]) != 2 {
		t.Fatalf("sits %v seats %v", st.sits, st.seats)
	}
	if n, _ := rdb.HLen(ctx, st.Keys().MatchmakingClaims()).Result(); n != 0 {
		t.Fatalf("%d claims left", n)
	}
}
