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

// Surviving Redis. A table's state is journaled to PostgreSQL behind the
// move path (worker.Journal); when Redis restarts (empty, or from an AOF
// that lost its last second) or fails over to a replica that was behind,
// the tables are rebuilt from that journal, each entering a new epoch so
// that clients start over from a snapshot instead of trusting seqs that may
// now name other events. A Redis server is told apart by its run id (INFO
// server), which changes with every start; Keys.Boot records the run id
// whose data was last checked, so a process starting later still sees that
// the check is due.

// RestoreReason is Restored.Reason: the table was rebuilt after Redis lost
// or may have lost part of its history.
const RestoreReason = "restored"

// Durable is a table as the journal keeps it: its hash fields as stored
// (the state blob sealed as in Redis).
type Durable struct {
	ID    string
	Epoch int64
	Seq   int64
	Meta  []byte // table.Meta JSON
	State []byte // the stored state blob ("st")
}

// Restore outcomes (RestoreResult.Outcome).
const (
	OutcomeRestored = "restored" // rebuilt from the journal (which was newer)
	OutcomeKept     = "kept"     // Redis's state was newer: only the epoch changed
	OutcomeDone     = "done"     // this Redis run id was handled already
	OutcomeNone     = "none"     // nothing to do (no table and no journal; or present and not asked to rebuild)
)

// RestoreResult is what RestoreTable did.
type RestoreResult struct {
	Outcome  string
	Seq      int64 // the table's seq now
	Epoch    int64 // its epoch now
	RedisSeq int64 // the seq Redis had before, -1 when the table was missing
}

// RestoreTable rebuilds table id for the Redis run runID from its journal
// copy j (nil: none). With rebuild it handles a table still in Redis too
// (after a restart: its history may have gone back), else only a missing
// one (an on-demand restore). The newer of Redis and j by (epoch, seq)
// wins and the table enters a new epoch; done once per run id.
func (s *Store) RestoreTable(ctx context.Context, id, runID string, j *Durable, rebuild bool) (RestoreResult, error) {
	jseq, jep, meta, st := int64(-1), int64(0), []byte(nil), []byte(nil)
	if j != nil {
		jseq, jep, meta, st = j.Seq, j.Epoch, j.Meta, j.State
	}
	flag := "0"
	if rebuild {
		flag = "1"
	}
	keys := []string{s.keys.Table(id), s.keys.Acts(id), s.keys.Log(id)}
	out, err := restoreScript.Run(ctx, s.rdb, keys, runID, s.ttlSeconds(), jseq, jep, meta, st, flag).StringSlice()
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore table %s: %w", id, err)
	}
	r := RestoreResult{Outcome: out[0]}
	r.Seq, _ = strconv.ParseInt(out[1], 10, 64)
	r.Epoch, _ = strconv.ParseInt(out[2], 10, 64)
	r.RedisSeq, _ = strconv.ParseInt(out[3], 10, 64)
	return r, nil
}

// ReadDurable reads the journal form of the tables ids in one pipeline;
// tables that are gone are left out.
func (s *Store) ReadDurable(ctx context.Context, ids []string) ([]Durable, error) {
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.keys.Table(id), "seq", "ep", "meta", "st")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	out := make([]Durable, 0, len(ids))
	for i, c := range cmds {
		v := c.Val()
		if len(v) < 4 || v[0] == nil {
			continue
		}
		str := func(k int) string { x, _ := v[k].(string); return x }
		d := Durable{ID: ids[i], Epoch: 1, Meta: []byte(str(2)), State: []byte(str(3))}
		if d.Seq, err = strconv.ParseInt(str(0), 10, 64); err != nil {
			return nil, fmt.Errorf("table %s seq: %w", ids[i], err)
		}
		if ep := str(1); ep != "" {
			if d.Epoch, err = strconv.ParseInt(ep, 10, 64); err != nil {
				return nil, fmt.Errorf("table %s epoch: %w", ids[i], err)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// RunID is the run id of the Redis server the client is talking to now
// (on a cluster, its masters': redisnodes.RunID).
func (s *Store) RunID(ctx context.Context) (string, error) { return redisnodes.RunID(ctx, s.rdb) }

// RecoveryNeeded reports the run id of the Redis server now and whether
// its data has not been checked against the journal yet (Keys.Boot holds
// another run id, or none: a restart, a failover or a first start).
func (s *Store) RecoveryNeeded(ctx context.Context) (runID string, needed bool, err error) {
	if runID, err = s.RunID(ctx); err != nil {
		return "", false, err
	}
	boot, err := s.rdb.Get(ctx, s.keys.Boot()).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return runID, false, fmt.Errorf("read boot marker: %w", err)
	}
	return runID, boot != runID, nil
}

// MarkRecovered records that the data of Redis run runID has been checked.
func (s *Store) MarkRecovered(ctx context.Context, runID string) error {
	if err := s.rdb.Set(ctx, s.keys.Boot(), runID, 0).Err(); err != nil {
		return fmt.Errorf("write boot marker: %w", err)
	}
	return nil
}

// TryLease takes (or, held by holder, extends) a lease on key for ttl;
// false when another holder has it.
func (s *Store) TryLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{key}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", key, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up a lease holder holds (no-op otherwise).
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	if err := leaseScript.Run(ctx, s.rdb, []string{key}, holder, 0).Err(); err != nil {
		return fmt.Errorf("release %s: %w", key, err)
	}
	return nil
}

// leaseScript takes, extends or (ARGV[2] = 0) releases a lease.
//
// KEYS[1] lease key
// ARGV[1] holder, ARGV[2] TTL ms (0: release)
// Returns 1 when holder has the lease (or released it), 0 when another does.
var leaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[2] == '0' then
  if cur == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return 1
end
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// EachTable calls fn with the ids of every table under the prefix, in
// batches (SCAN, on every master of a cluster); it stops at fn's first
// error.
func (s *Store) EachTable(ctx context.Context, fn func(ids []string) error) error {
	return redisnodes.Scan(ctx, s.rdb, s.keys.TablePattern(), 500, func(keys []string) error {
		ids := make([]string, 0, len(keys))
		for _, k := range keys {
			if id := s.keys.TableIDOf(k); id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return fn(ids)
	})
}

// DecodeDurable decodes a journaled table (opening its sealed state).
func (s *Store) DecodeDurable(d Durable) (table.Table, error) {
	var t table.Table
	if err := json.Unmarshal(d.Meta, &t.Meta); err != nil {
		return t, fmt.Errorf("table %s meta: %w", d.ID, err)
	}
	if t.Match == 0 {
		return t, nil
	}
	st, err := s.openState(d.ID, d.Seq, d.State)
	if err != nil {
		return t, err
	}
	return t, decodeState(&t, st)
}
