package redisstore_test

import (
	"strings"
	"testing"

	"github.com/hokm-project/hokm/store/redisstore"
)

// slot is Redis Cluster's hash slot of key: CRC16 (XMODEM) of the hash tag
// (the part between the first "{" and the next "}", when not empty) or of
// the whole key, modulo 16384.
func slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

// The keys each script or transaction uses together share one hash slot
// when named for a cluster; the lobby and timer buckets spread over slots.
func TestClusterKeysShareTheirSlot(t *testing.T) {
	if slot("123456789") != 12739 { // the CRC16 check value, 0x31C3
		t.Fatalf("slot(123456789) = %d", slot("123456789"))
	}
	k := redisstore.Keys{Prefix: "hokm", Cluster: true}
	groups := map[string][]string{
		"table":       {k.Table("t1"), k.Acts("t1"), k.Log("t1"), k.Chat("t1")},
		"matchmaking": {k.Matchmaking(), k.MatchmakingNames(), k.MatchmakingClaims(), k.MatchmakingClaimed()},
		"ledger":      {k.Finished(), k.Reconciled()},
		"recovery":    {k.Boot(), k.RecoveryLease()},
		"scheduler":   {k.SchedulerLease(), k.SchedulerFence()},
	}
	slots := map[int]bool{}
	for b := range k.Buckets() {
		groups["lobby bucket"] = []string{k.Lobby(b), k.LobbySeen(b)}
		groups["timer bucket"] = []string{k.Timers(b), k.TimerIDs(b)}
		slots[slot(k.Lobby(b))], slots[slot(k.Timers(b))] = true, true
		for name, keys := range groups {
			for _, key := range keys[1:] {
				if slot(key) != slot(keys[0]) {
					t.Errorf("%s: %s in slot %d, %s in %d", name, keys[0], slot(keys[0]), key, slot(key))
				}
			}
		}
	}
	if len(slots) != 2*redisstore.ClusterBuckets {
		t.Errorf("the %d lobby and timer buckets use %d slots", 2*redisstore.ClusterBuckets, len(slots))
	}
	seen := map[int]int{}
	for i := range 1000 {
		seen[k.BucketOf("table-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26%26)))]++
	}
	if len(seen) != redisstore.ClusterBuckets {
		t.Errorf("1000 tables fell in %d buckets of %d", len(seen), redisstore.ClusterBuckets)
	}
}

// On a single server the names stay those of earlier releases (an upgrade
// keeps its lobby, timers and queue), with one bucket.
func TestSingleServerKeysUnchanged(t *testing.T) {
	k := redisstore.Keys{Prefix: "hokm"}
	for got, want := range map[string]string{
		k.Lobby(0): "hokm:lobby", k.LobbySeen(0): "hokm:lobby:seen", k.Timers(0): "hokm:{timers}",
		k.TimerIDs(0): "hokm:{timers}:id", k.Matchmaking(): "hokm:mm", k.MatchmakingNames(): "hokm:mm:names",
		k.MatchmakingClaims(): "hokm:mm:claims", k.MatchmakingClaimed(): "hokm:mm:claimed",
		k.Finished(): "hokm:finished", k.Reconciled(): "hokm:finished:rec",
	} {
		if got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
	if k.Buckets() != 1 || k.BucketOf("any") != 0 {
		t.Errorf("%d buckets, table in %d", k.Buckets(), k.BucketOf("any"))
	}
}
