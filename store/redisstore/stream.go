package redisstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
)

// Action is a player's (or a bot's) command on its way from a gateway to a
// worker through the action stream.
type Action struct {
	Table string   `json:"table"`          // table id
	User  string   `json:"user"`           // who sends it; the worker maps it to a seat
	Name  string   `json:"name,omitempty"` // display name (for sit)
	ID    string   `json:"id"`             // client-chosen action id, unique per user
	Op    table.Op `json:"op"`             // the table command
	Seat  int      `json:"seat"`           // sit only
	Arg   string   `json:"arg,omitempty"`  // card for play, suit for trump
	At    int64    `json:"at,omitempty"`   // unix µs when the gateway enqueued it (latency metric)
}

// values are a's stream fields: one, "p", holding every field of the
// action packed (appendPacked). With eight fields, as earlier releases
// wrote, an action's way through the stream cost Redis 5.3–5.4 µs against
// 3.6–4.0 (a read names and frames every field) and the worker 47
// allocations against 23 (BenchmarkActionTrip). Workers read both forms
// (ActionOf), so a split deployment upgrades its workers before its
// gateways.
func (a *Action) values() []any {
	return []any{"p", a.appendPacked(make([]byte, 0, 32+len(a.Table)+len(a.User)+len(a.Name)+len(a.ID)+len(a.Arg)))}
}

// appendPacked appends a's packed form: its six strings — table, user,
// name, id, op, arg —, each as its length in decimal, a colon and its
// bytes (so that any byte may appear in them), then the seat, a colon, the
// enqueue time in decimal and a semicolon (so that no shorter prefix reads
// as an action).
func (a *Action) appendPacked(b []byte) []byte {
	for _, s := range [...]string{a.Table, a.User, a.Name, a.ID, string(a.Op), a.Arg} {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	b = strconv.AppendInt(b, int64(a.Seat), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, a.At, 10)
	return append(b, ';')
}

// unpack reads appendPacked's form; false when s is not one.
func unpack(s string) (Action, bool) {
	var f [6]string
	for i := range f {
		colon := strings.IndexByte(s, ':')
		if colon < 1 {
			return Action{}, false
		}
		n, err := strconv.Atoi(s[:colon])
		if err != nil || n < 0 || n > len(s)-colon-1 {
			return Action{}, false
		}
		f[i], s = s[colon+1:colon+1+n], s[colon+1+n:]
	}
	s, ok := strings.CutSuffix(s, ";")
	seat, at, cut := strings.Cut(s, ":")
	if !ok || !cut {
		return Action{}, false
	}
	st, err1 := strconv.Atoi(seat)
	ts, err2 := strconv.ParseInt(at, 10, 64)
	if err1 != nil || err2 != nil {
		return Action{}, false
	}
	return Action{Table: f[0], User: f[1], Name: f[2], ID: f[3], Op: table.Op(f[4]), Seat: st, Arg: f[5], At: ts}, true
}

// ActionOf is the action of an action-stream entry with fields v (as
// XRANGE or XREADGROUP give them): the packed form, or the eight fields
// that releases before it wrote (entries may still be pending from them,
// and their gateways may still be running while workers upgrade). What is
// neither gives an action of no table, which a worker answers as such.
func ActionOf(v map[string]any) Action {
	str := func(k string) string { s, _ := v[k].(string); return s }
	if p, ok := v["p"].(string); ok {
		a, _ := unpack(p)
		return a
	}
	seat, _ := strconv.Atoi(str("s"))
	at, _ := strconv.ParseInt(str("at"), 10, 64)
	return Action{Table: str("t"), User: str("u"), Name: str("n"), ID: str("i"), Op: table.Op(str("o")), Seat: seat, Arg: str("a"), At: at}
}

// StreamEntry is an action read from a partition, with what is needed to ack it.
type StreamEntry struct {
	Partition int
	ID        string // stream entry id
	Action    Action
	// Deliveries is how many times the entry has been handed to a consumer,
	// this time included (the stream's delivery count): 1 when first read.
	Deliveries int64
}

// Partition is the partition of a table's actions: all actions of one table
// go to one partition, so one reader sees them in order.
func (s *Store) Partition(tableID string) int {
	h := fnv.New32a()
	h.Write([]byte(tableID))
	return int(h.Sum32() % uint32(s.opts.Partitions))
}

// Enqueue appends an action to its table's partition; actions enqueued
// at the same time share a pipeline (enqueuer).
func (s *Store) Enqueue(ctx context.Context, a Action) error {
	err := s.enq.add(ctx, s.rdb, redis.XAddArgs{
		// No MAXLEN: entries nobody has read yet must never be dropped; the
		// trim job removes acknowledged ones (TrimActions).
		Stream: s.keys.Actions(s.Partition(a.Table)), Values: a.values(),
	})
	if err != nil {
		return fmt.Errorf("enqueue action: %w", err)
	}
	return nil
}

// EnsureGroup creates the consumer group on every partition (from the
// start of each stream, so nothing enqueued before the first worker is lost).
func (s *Store) EnsureGroup(ctx context.Context, group string) error {
	for p := 0; p < s.opts.Partitions; p++ {
		err := s.rdb.XGroupCreateMkStream(ctx, s.keys.Actions(p), group, "0").Err()
		if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
			return fmt.Errorf("create consumer group: %w", err)
		}
	}
	return nil
}

// ReadActions blocks up to block for new actions of partition p.
// It returns no entries and no error when nothing arrived.
func (s *Store) ReadActions(ctx context.Context, group, consumer string, p int, count int64, block time.Duration) ([]StreamEntry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{s.keys.Actions(p), ">"}, Count: count, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read actions: %w", err)
	}
	return entriesOf(p, res), nil
}

// entriesOf are the first deliveries XREADGROUP gave of partition p.
func entriesOf(p int, res []redis.XStream) []StreamEntry {
	var out []StreamEntry
	for _, st := range res {
		for _, m := range st.Messages {
			out = append(out, StreamEntry{Partition: p, ID: m.ID, Action: ActionOf(m.Values), Deliveries: 1})
		}
	}
	return out
}

// Reclaim takes over entries of partition p left pending longer than
// minIdle by any consumer (a worker that died mid-action).
func (s *Store) Reclaim(ctx context.Context, group, consumer string, p int, minIdle time.Duration, count int64) ([]StreamEntry, error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: s.keys.Actions(p), Group: group, Consumer: consumer, MinIdle: minIdle, Start: "0-0", Count: count,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("reclaim actions: %w", err)
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	// XAUTOCLAIM counted this delivery but does not say how many there were:
	// XPENDING over the claimed range does (1 per entry, still held by us).
	counts := make(map[string]int64, len(msgs))
	pend, err := s.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: s.keys.Actions(p), Group: group,
		Start: msgs[0].ID, End: msgs[len(msgs)-1].ID, Count: int64(len(msgs)), Consumer: consumer}).Result()
	if err != nil {
		return nil, fmt.Errorf("reclaim actions: delivery counts: %w", err)
	}
	for _, pe := range pend {
		counts[pe.ID] = pe.RetryCount
	}
	out := make([]StreamEntry, 0, len(msgs))
	for _, m := range msgs {
		n := counts[m.ID]
		if n < 1 {
			n = 1
		}
		out = append(out, StreamEntry{Partition: p, ID: m.ID, Action: ActionOf(m.Values), Deliveries: n})
	}
	return out, nil
}

// Uncount takes back the delivery of e from its delivery count (XCLAIM
// ... RETRYCOUNT n-1 JUSTID, which leaves it pending with this consumer):
// an attempt that failed with an ordinary error (Redis or PostgreSQL
// unreachable) does not make the action poison. Only attempts that
// panicked or never came back (the worker died) count toward the limit.
func (s *Store) Uncount(ctx context.Context, group, consumer string, e StreamEntry) error {
	err := s.rdb.Do(ctx, "XCLAIM", s.keys.Actions(e.Partition), group, consumer, 0, e.ID,
		"RETRYCOUNT", max(e.Deliveries-1, 0), "JUSTID").Err()
	if err != nil {
		return fmt.Errorf("uncount action: %w", err)
	}
	return nil
}

// AckAndRead acknowledges ids of partition p and, in the same round trip,
// reads up to count new actions, waiting up to AckReadBlock for them
// (none: nil, nil). A worker that has just handled a batch acknowledges it
// this way: under load the next batch is already there, and at a table's
// pace (the next card within milliseconds) the short wait catches it, so
// the XACK costs no round trip of its own; when nothing came, the caller's
// next read blocks longer (ReadActions).
func (s *Store) AckAndRead(ctx context.Context, group, consumer string, p int, ids []string, count int64) ([]StreamEntry, error) {
	pipe := s.rdb.Pipeline()
	read := s.queueAckRead(ctx, pipe, group, consumer, p, ids, count, AckReadBlock)
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("ack and read actions: %w", err)
	}
	return entriesOf(p, read.Val()), nil
}

// queueAckRead adds to pipe the XACK of ids of partition p (none: no XACK)
// and a read of up to count new actions waiting up to block. A pipeline's
// reply waits only for the client's read timeout (1 s, internal/redisconn),
// not for a block inside it: block stays well within that.
func (s *Store) queueAckRead(ctx context.Context, pipe redis.Pipeliner, group, consumer string, p int, ids []string, count int64, block time.Duration) *redis.XStreamSliceCmd {
	stream := s.keys.Actions(p)
	if len(ids) > 0 {
		pipe.XAck(ctx, stream, group, ids...)
	}
	return pipe.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer, Streams: []string{stream, ">"}, Count: count, Block: block})
}

// AckReadBlock is how long AckAndRead waits for new actions (see
// queueAckRead).
const AckReadBlock = 200 * time.Millisecond

// AckIDs marks the entries ids of partition p done.
func (s *Store) AckIDs(ctx context.Context, group string, p int, ids []string) error {
	if err := s.rdb.XAck(ctx, s.keys.Actions(p), group, ids...).Err(); err != nil {
		return fmt.Errorf("ack actions: %w", err)
	}
	return nil
}
