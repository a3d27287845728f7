package redisstore_test

import (
	"testing"
	"time"

	"github.com/hokm-project/hokm/stats"
	"github.com/hokm-project/hokm/store/redisstore"
)

// A snapshot is a sorted set <prefix>:lb:<period>:<bucket> with the
// 15-minute TTL, read back best first; an empty board is a hit.
func TestLeaderboardSnapshot(t *testing.T) {
	e := setup(t, redisstore.Options{})
	b := stats.Bucket{Period: stats.Daily, Name: "2026-03-21"}
	if _, ok, err := e.s.Leaderboard(e.ctx, b); ok || err != nil {
		t.Fatalf("before any snapshot: %v, %v", ok, err)
	}
	es := []stats.Entry{
		{Rank: 1, PlayerID: "a", Name: "A", Wins: 2, Played: 2, WinRate: 1, Rating: 1516},
		{Rank: 2, PlayerID: "b", Name: "B", Wins: 2, Played: 3, WinRate: 2.0 / 3, Rating: 1530},
		{Rank: 3, PlayerID: "c", Name: "C", Wins: 0, Played: 1, Rating: 1484},
	}
	if err := e.s.SnapshotLeaderboard(e.ctx, b, es, redisstore.LeaderboardTTL); err != nil {
		t.Fatal(err)
	}
	key := e.prefix + ":lb:daily:2026-03-21"
	if ttl := e.rdb.TTL(e.ctx, key).Val(); ttl <= 14*time.Minute || ttl > 15*time.Minute {
		t.Errorf("TTL %v", ttl)
	}
	got, ok, err := e.s.Leaderboard(e.ctx, b)
	if err != nil || !ok || len(got) != 3 || got[0] != es[0] || got[1] != es[1] || got[2] != es[2] {
		t.Fatalf("read back %+v, %v, %v", got, ok, err)
	}
	// The set itself orders by wins, then win rate.
	if m := e.rdb.ZRevRange(e.ctx, key, 0, 0).Val(); len(m) != 1 || m[0] != `{"rank":1,"player_id":"a","name":"A","wins":2,"played":2,"win_rate":1,"rating":1516}` {
		t.Errorf("top member %q", m)
	}
	// Replacing with an empty board: still a hit, with no entries.
	if err := e.s.SnapshotLeaderboard(e.ctx, b, nil, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := e.s.Leaderboard(e.ctx, b); err != nil || !ok || len(got) != 0 {
		t.Fatalf("empty: %+v, %v, %v", got, ok, err)
	}
}

// DropLeaderboards deletes every snapshot taken (and only those): each
// board is a miss afterwards.
func TestDropLeaderboards(t *testing.T) {
	e := setup(t, redisstore.Options{})
	day := stats.Bucket{Period: stats.Daily, Name: "2026-03-21"}
	all := stats.Bucket{Period: stats.AllTime, Name: "all"}
	for _, b := range []stats.Bucket{day, all} {
		if err := e.s.SnapshotLeaderboard(e.ctx, b, []stats.Entry{{Rank: 1, PlayerID: "u_gone", Name: "Gone"}}, redisstore.LeaderboardTTL); err != nil {
			t.Fatal(err)
		}
	}
	other := e.prefix + ":lbx"
	e.rdb.Set(e.ctx, other, "kept", time.Minute)
	if err := e.s.DropLeaderboards(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range []stats.Bucket{day, all} {
		if got, ok, err := e.s.Leaderboard(e.ctx, b); ok || err != nil {
			t.Errorf("%s after the drop: %+v, %v, %v", b.Period, got, ok, err)
		}
	}
	if e.rdb.Exists(e.ctx, e.prefix+":lb").Val() != 0 || e.rdb.Exists(e.ctx, other).Val() != 1 {
		t.Error("the index is left, or another key went with the snapshots")
	}
	if err := e.s.DropLeaderboards(e.ctx); err != nil { // nothing to drop
		t.Fatal(err)
	}
}
