package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/redisnodes"
)

// DefaultCleanupIdle is how long a finished table may go unchanged before
// the cleanup job removes it.
const DefaultCleanupIdle = 30 * time.Minute

// DefaultEmptyIdle is how long a waiting table with no person seated (its
// host left, or never sat) may go unchanged before the cleanup job
// removes it (a shorter idle given to the cleanup wins). Such a table is
// not in the lobby (worker.Listed) and no longer counts against its
// host's cap of waiting tables (HostedWaiting).
const DefaultEmptyIdle = 5 * time.Minute

// DefaultStaleWaiting is how long a public waiting table with people
// seated may go unchanged and stay in the lobby: its host most likely
// closed the page without leaving. The cleanup job unlists it (the table
// itself stays, its code still works, and any change lists it again).
const DefaultStaleWaiting = 15 * time.Minute

// cleanupBatch is the SCAN COUNT and the size of one read pipeline.
const cleanupBatch = 500

// Abandoned is a table the cleanup found abandoned, with the seq it saw.
type Abandoned struct {
	ID   string
	Seq  int64
	Code string // join code, "" if none
	Idle time.Duration
	// Stale: not abandoned but a public waiting table with people seated
	// and unchanged for DefaultStaleWaiting: only taken out of the lobby.
	Stale bool
}

// CleanupResult is what one cleanup run did.
type CleanupResult struct {
	Scanned int // table keys seen
	Found   int // of them abandoned
	Removed int // of them removed
	Changed int // abandoned when scanned, changed before the delete (kept)
	// Unlisted are the stale waiting tables taken out of the lobby.
	Unlisted int
	// RemovedIDs are the ids of the removed tables.
	RemovedIDs []string
}

// removeTableScript deletes every key of one abandoned table, but only if
// its seq is still the one the scan saw: a table that changed meanwhile
// (somebody sat down, a rematch started) is left alone.
//
// KEYS[1] table hash, KEYS[2] acts, KEYS[3] log, KEYS[4] chat, and on a
// single server: KEYS[5] lobby hash, KEYS[6] lobby-seen zset, KEYS[7]
// timers zset, KEYS[8] timer ids hash, KEYS[9] (optional) the join code key.
// ARGV[1] seq seen, ARGV[2] table id, ARGV[3] lobby channel.
// Returns 1 when removed, 0 when the table changed or is gone.
var removeTableScript = redis.NewScript(luaUnlist + `
if redis.call('HGET', KEYS[1], 'seq') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
if #KEYS < 8 then return 1 end
redis.call('ZREM', KEYS[7], ARGV[2])
redis.call('HDEL', KEYS[8], ARGV[2], ARGV[2] .. '@ep')
if #KEYS >= 9 and redis.call('GET', KEYS[9]) == ARGV[2] then redis.call('DEL', KEYS[9]) end
unlist(KEYS[5], KEYS[6], ARGV[2], ARGV[3])
return 1
`)

// dropCodeScript deletes a join code if it still names the table.
// KEYS[1] the code key; ARGV[1] table id.
var dropCodeScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// unlistOnlyScript is unlist on its own (a cluster's lobby bucket).
// KEYS[1] lobby hash, KEYS[2] lobby-seen zset; ARGV[1] table id, ARGV[2]
// lobby channel. Returns 1 when it was listed.
var unlistOnlyScript = redis.NewScript(luaUnlist + `
if unlist(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) then return 1 end
return 0
`)

// tableIdle is how long ago a table last changed: since at, the time its
// last commit wrote (the field "at", unix ms as text; nil when none did).
// Before its first commit, or when written by an older release that did not
// keep it, the table's TTL tells: CreateTable sets it (as such a commit did)
// to GameTTL, so the time since is GameTTL minus the TTL left. Unlike OBJECT
// IDLETIME neither is reset by reads (loads, syncs, the live-tables SCAN,
// this job); unlike the meta's times both count seat changes. A hash without
// either falls back to the newest of the meta's times.
func (s *Store) tableIdle(at any, pttl time.Duration, m *table.Meta, now time.Time) time.Duration {
	if v, ok := at.(string); ok {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return now.Sub(time.UnixMilli(ms))
		}
	}
	if pttl > 0 {
		return s.opts.GameTTL - pttl
	}
	last := max(m.Created, m.Started, m.Ended)
	return now.Sub(time.UnixMilli(last))
}

// abandoned reports whether a table is one the cleanup removes: waiting
// with no person seated (empty seats or bots) and unchanged for longer
// than min(limit, DefaultEmptyIdle), or finished and unchanged for longer
// than limit. A playing table is never abandoned.
func abandoned(m *table.Meta, idleFor, limit time.Duration) bool {
	switch m.Status {
	case table.Waiting:
		return idleFor > min(limit, DefaultEmptyIdle) && !hasPerson(m)
	case table.Finished:
		return idleFor > limit
	}
	return false
}

// staleWaiting reports a public waiting table with a person seated that
// has not changed for DefaultStaleWaiting (see Abandoned.Stale).
func staleWaiting(m *table.Meta, idleFor time.Duration) bool {
	return m.Status == table.Waiting && m.Options.Public && hasPerson(m) && idleFor > DefaultStaleWaiting
}

// hasPerson reports whether a person (not a bot) sits at the table.
func hasPerson(m *table.Meta) bool {
	for _, p := range m.Seats {
		if p != nil && !p.Bot {
			return true
		}
	}
	return false
}

// FindAbandoned walks the tables under the prefix with SCAN (batches of
// cleanupBatch keys, each read in one pipeline) and returns the abandoned
// ones with the seq each was seen at. idle <= 0 means DefaultCleanupIdle.
func (s *Store) FindAbandoned(ctx context.Context, idle time.Duration) (found []Abandoned, scanned int, err error) {
	if idle <= 0 {
		idle = DefaultCleanupIdle
	}
	err = redisnodes.Scan(ctx, s.rdb, s.keys.TablePattern(), cleanupBatch, func(keys []string) error {
		scanned += len(keys)
		got, err := s.readCandidates(ctx, keys, idle)
		found = append(found, got...)
		return err
	})
	return found, scanned, err
}

func (s *Store) readCandidates(ctx context.Context, keys []string, idle time.Duration) ([]Abandoned, error) {
	pipe := s.rdb.Pipeline()
	reads := make([]*redis.SliceCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		reads[i] = pipe.HMGet(ctx, k, "seq", "meta", "at")
		ttls[i] = pipe.PTTL(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	now := time.Now()
	var out []Abandoned
	for i, k := range keys {
		vals, err := reads[i].Result()
		if err != nil || len(vals) != 3 || vals[0] == nil {
			continue // gone since the scan
		}
		seqStr, _ := vals[0].(string)
		metaStr, _ := vals[1].(string)
		seq, err := strconv.ParseInt(seqStr, 10, 64)
		if err != nil {
			continue
		}
		var m table.Meta
		if err := json.Unmarshal([]byte(metaStr), &m); err != nil {
			continue // not ours to judge; the TTL removes it
		}
		idleFor := s.tableIdle(vals[2], ttls[i].Val(), &m, now)
		stale := staleWaiting(&m, idleFor)
		if !stale && !abandoned(&m, idleFor, idle) {
			continue
		}
		id := s.keys.TableIDOf(k)
		out = append(out, Abandoned{ID: id, Seq: seq, Code: m.Options.Code, Idle: idleFor, Stale: stale})
	}
	return out, nil
}

// RemoveTable deletes every key of an abandoned table — table hash, action
// ids, event log, chat, its join code (if it still names the table), its
// timer entries and its lobby entry (publishing {"removed":id} on the lobby
// channel) — in one script, only if the table's seq is still a.Seq.
// Returns false when the table changed or is gone (nothing is deleted).
//
// On a cluster the lobby, timer and code keys are in other hash slots than
// the table's: the script deletes the table's keys (still only at a.Seq),
// then the entries elsewhere go one by one. A failure in between leaves
// entries naming a table that is gone, which are harmless and go anyway:
// the lobby drops entries not updated within the table TTL, a timer of a
// missing table is dropped when it fires, a code expires.
func (s *Store) RemoveTable(ctx context.Context, a Abandoned) (bool, error) {
	k := s.keys
	keys := []string{k.Table(a.ID), k.Acts(a.ID), k.Log(a.ID), k.Chat(a.ID)}
	if !k.Cluster {
		keys = append(keys, k.Lobby(0), k.LobbySeen(0), k.Timers(0), k.TimerIDs(0))
		if a.Code != "" {
			keys = append(keys, k.Code(a.Code))
		}
	}
	n, err := removeTableScript.Run(ctx, s.rdb, keys, a.Seq, a.ID, k.LobbyEvents()).Int()
	if err != nil {
		return false, fmt.Errorf("remove table %s: %w", a.ID, err)
	}
	if n == 0 || !k.Cluster {
		return n == 1, nil
	}
	if err := s.forgetTable(ctx, a); err != nil {
		return true, fmt.Errorf("remove table %s: %w", a.ID, err)
	}
	return true, nil
}

// forgetTable removes what names a removed table outside its hash slot
// (on a cluster): its lobby entry, its timer, its join code.
func (s *Store) forgetTable(ctx context.Context, a Abandoned) error {
	k, b := s.keys, s.keys.BucketOf(a.ID)
	if err := unlistOnlyScript.Run(ctx, s.rdb, []string{k.Lobby(b), k.LobbySeen(b)}, a.ID, k.LobbyEvents()).Err(); err != nil {
		return err
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, k.Timers(b), a.ID)
		p.HDel(ctx, k.TimerIDs(b), a.ID, a.ID+"@ep")
		return nil
	})
	if err != nil || a.Code == "" {
		return err
	}
	return dropCodeScript.Run(ctx, s.rdb, []string{k.Code(a.Code)}, a.ID).Err()
}

// unlistScript takes a stale waiting table out of the lobby (publishing
// {"removed":id}) if its seq is still the one the scan saw.
//
// KEYS[1] table hash, KEYS[2] lobby hash, KEYS[3] lobby-seen zset.
// ARGV[1] seq seen, ARGV[2] table id, ARGV[3] lobby channel.
// Returns 1 when it was listed and is no longer, else 0.
var unlistScript = redis.NewScript(luaUnlist + `
if redis.call('HGET', KEYS[1], 'seq') ~= ARGV[1] then return 0 end
if unlist(KEYS[2], KEYS[3], ARGV[2], ARGV[3]) then return 1 end
return 0
`)

// UnlistTable takes a stale waiting table out of the lobby, only if its
// seq is still a.Seq; the next change of the table lists it again
// (worker.LobbyHook). On a cluster the seq is read first and the entry
// removed after: a change in between (rare for a table idle that long) is
// unlisted until its next change.
func (s *Store) UnlistTable(ctx context.Context, a Abandoned) (bool, error) {
	k, b := s.keys, s.keys.BucketOf(a.ID)
	var n int
	var err error
	if !k.Cluster {
		n, err = unlistScript.Run(ctx, s.rdb, []string{k.Table(a.ID), k.Lobby(b), k.LobbySeen(b)}, a.Seq, a.ID, k.LobbyEvents()).Int()
	} else if seq, rerr := s.rdb.HGet(ctx, k.Table(a.ID), "seq").Result(); rerr == nil && seq == strconv.FormatInt(a.Seq, 10) {
		n, err = unlistOnlyScript.Run(ctx, s.rdb, []string{k.Lobby(b), k.LobbySeen(b)}, a.ID, k.LobbyEvents()).Int()
	} else if !errors.Is(rerr, redis.Nil) {
		err = rerr
	}
	if err != nil {
		return false, fmt.Errorf("unlist table %s: %w", a.ID, err)
	}
	return n == 1, nil
}

// CleanupTables finds the abandoned tables (FindAbandoned) and removes each
// one that has not changed since it was seen (RemoveTable). Idempotent: a
// second run finds nothing more to remove.
func (s *Store) CleanupTables(ctx context.Context, idle time.Duration) (CleanupResult, error) {
	found, scanned, err := s.FindAbandoned(ctx, idle)
	res := CleanupResult{Scanned: scanned, Found: len(found)}
	if err != nil {
		return res, err
	}
	for _, a := range found {
		if a.Stale {
			ok, err := s.UnlistTable(ctx, a)
			if err != nil {
				return res, err
			}
			if ok {
				res.Unlisted++
			}
			continue
		}
		ok, err := s.RemoveTable(ctx, a)
		if err != nil {
			return res, err
		}
		if ok {
			res.Removed++
			res.RemovedIDs = append(res.RemovedIDs, a.ID)
		} else {
			res.Changed++
		}
	}
	return res, nil
}
