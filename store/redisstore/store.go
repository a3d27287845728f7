package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
)

// Errors returned by Store.
var (
	ErrNotFound = errors.New("redisstore: table not found")
	ErrExists   = errors.New("redisstore: table id taken")
	ErrConflict = errors.New("redisstore: table changed since it was read")
	// ErrLogAhead means the table's event log is ahead of its seq: the
	// table's state was lost or replaced. Nothing was written.
	ErrLogAhead = errors.New("redisstore: event log ahead of the table")
)

// Options tune a Store. Zero values take the defaults.
type Options struct {
	Prefix     string        // key prefix, default "hokm"
	GameTTL    time.Duration // live table TTL, refreshed on activity; default 4h
	LogMaxLen  int64         // approximate cap of a table's event log; default DefaultLogMaxLen
	Partitions int           // action stream partitions; default 8
	// DeadActionsMax bounds the dead-lettered actions kept (a bug that many
	// clients can reach must not fill Redis); default 10,000.
	DeadActionsMax int64
	// Seal encrypts what a table holds that a player may not see (the
	// hands in its state, the private events of its log). Nil keeps them in
	// plain form: for tests only; every server role sets it (see
	// docs/operations.md, "Hands encrypted at rest").
	Seal Sealer
	// SessionMirror is the durable copy of the sessions (session.go); nil:
	// sessions live in Redis only.
	SessionMirror SessionMirror
}

// Sealer encrypts blobs bound to associated data (a *sealbox.Keyring).
type Sealer interface {
	Seal(dst, plaintext, ad []byte) []byte
	Open(dst, box, ad []byte) ([]byte, error)
}

// DefaultLogMaxLen is how many events a table's log keeps (exactly: it is a
// list trimmed with each commit). It is what a reconnect needs and no more:
// a socket further behind gets a snapshot, and a snapshot (1.1–2 KB
// measured mid-match) costs about what 9–16 events do (≈ 125 bytes each),
// so a longer log would save a reconnecting client little; PostgreSQL
// keeps the match. 8 events are two tricks — 20 s and more of play
// at a table of people (a card is one event: it carries the next turn's
// timer) — and ≈ 1.1 KB of Redis. It was 16 (≈ 2.2 KB), a stream trimmed by
// whole nodes of up to 4 KB before that (32 events kept 32–62, ≈ 14 KB), 512
// (≈ 66 KB a table) and 5,000 at first (≈ 640 KB).
//
// The answers to action ids (the acts hash, which makes a command sent
// again get its first answer) are kept for as long: at least one log's
// worth of events, at most two (≈ 64 bytes each in Redis: storedAnswer). A
// command sent again later than that — by a client that has seen the table
// move on by that many events since, or gets a snapshot — is judged again
// against the table as it is then (a stale play is refused: not its turn, or
// the card is gone); once, the answers of a whole table's life were kept
// (71–84 KB a match).
const DefaultLogMaxLen = 8

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "hokm"
	}
	if o.GameTTL == 0 {
		o.GameTTL = 4 * time.Hour
	}
	if o.LogMaxLen == 0 {
		o.LogMaxLen = DefaultLogMaxLen
	}
	if o.Partitions == 0 {
		o.Partitions = 8
	}
	if o.DeadActionsMax == 0 {
		o.DeadActionsMax = 10000
	}
	return o
}

// Store is the Redis side of the game state.
type Store struct {
	rdb  redis.UniversalClient
	keys Keys
	opts Options
	sess sessionCounters // session.go
	enq  enqueuer        // enqueue.go
}

// New returns a Store on rdb; on a cluster client its keys are named for
// Redis Cluster (Keys.Cluster).
func New(rdb redis.UniversalClient, opts Options) *Store {
	opts = opts.withDefaults()
	_, cluster := rdb.(*redis.ClusterClient)
	return &Store{rdb: rdb, keys: Keys{Prefix: opts.Prefix, Cluster: cluster}, opts: opts}
}

// CommitRecordsTimer reports whether a commit records its table's turn
// timer in the same script. Not on a cluster, where the timers' bucket is
// in another hash slot than the table: worker.TimerHook records it after
// the commit, one round trip more.
func (s *Store) CommitRecordsTimer() bool { return !s.keys.Cluster }

// Keys returns the key builder.
func (s *Store) Keys() Keys { return s.keys }

// Client returns the underlying client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Options returns the effective options.
func (s *Store) Options() Options { return s.opts }

func (s *Store) ttlSeconds() int64 { return int64(s.opts.GameTTL / time.Second) }

// ttlRefresh is how often a commit refreshes its table's TTL (see
// commitScript): a minute, or a sixteenth of a shorter TTL.
func (s *Store) ttlRefresh() time.Duration { return min(time.Minute, s.opts.GameTTL/16) }

// Loaded is a table as read, with the seq and epoch to compare-and-set
// against.
type Loaded struct {
	Table table.Table
	Seq   int64
	// Epoch numbers the table's histories: it starts at 1 and goes up each
	// time the table is rebuilt or its Redis state may have gone back (see
	// RestoreTable). Events of one epoch with the same seq are the same.
	Epoch int64
	// RunID is the Redis run id under which the table was created or last
	// rebuilt. A table whose run id is not the server's now may be behind
	// what its players saw (Redis restarted from an AOF, or failed over): it
	// is rebuilt before it is used (worker.Recovery.Rebuild).
	RunID string
	// EpochFrom is the seq at which Epoch began (the seq the table was
	// rebuilt at); -1 when not known (the first epoch, or a table rebuilt
	// by an older release). Set by LoadTable.
	EpochFrom int64
	// legacy: read from the plain fields of an older release; the next
	// commit rewrites the table in the current layout.
	legacy bool
	meta   *metaMemo // the meta as the commit that made this copy stored it (nil: not known)
}

// CreateTable stores a new table at seq 0; ErrExists if the id is taken.
func (s *Store) CreateTable(ctx context.Context, t *table.Table) error {
	meta, err := json.Marshal(t.Meta)
	if err != nil {
		return fmt.Errorf("encode table meta: %w", err)
	}
	keys := []string{s.keys.Table(t.ID), s.keys.Acts(t.ID), s.keys.Log(t.ID)}
	n, err := createScript.Run(ctx, s.rdb, keys, meta, s.ttlSeconds()).Int()
	if err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	if n == 0 {
		return ErrExists
	}
	return nil
}

// LoadTable reads a table, its seq and epoch in one command; ErrNotFound
// if none.
func (s *Store) LoadTable(ctx context.Context, id string) (Loaded, error) {
	vals, err := s.rdb.HMGet(ctx, s.keys.Table(id), tableFields...).Result()
	if err != nil {
		return Loaded{}, fmt.Errorf("load table: %w", err)
	}
	if vals[0] == nil {
		return Loaded{}, ErrNotFound
	}
	return s.decodeTable(id, vals)
}

// tableFields are the fields of a table hash LoadTable reads: "game" and
// "moves" are the plain state of tables written by an older release.
var tableFields = []string{"seq", "ep", "meta", "st", "game", "moves", "rid", "eps"}

func (s *Store) decodeTable(id string, vals []any) (Loaded, error) {
	str := func(i int) string { v, _ := vals[i].(string); return v }
	l := Loaded{Epoch: 1, RunID: str(6), EpochFrom: -1}
	var err error
	if eps := str(7); eps != "" {
		if l.EpochFrom, err = strconv.ParseInt(eps, 10, 64); err != nil {
			return Loaded{}, fmt.Errorf("table epoch start: %w", err)
		}
	}
	if l.Seq, err = strconv.ParseInt(str(0), 10, 64); err != nil {
		return Loaded{}, fmt.Errorf("table seq: %w", err)
	}
	if ep := str(1); ep != "" {
		if l.Epoch, err = strconv.ParseInt(ep, 10, 64); err != nil {
			return Loaded{}, fmt.Errorf("table epoch: %w", err)
		}
	}
	if err := json.Unmarshal([]byte(str(2)), &l.Table.Meta); err != nil {
		return Loaded{}, fmt.Errorf("table meta: %w", err)
	}
	if l.Table.Match == 0 {
		return l, nil
	}
	if vals[3] == nil && vals[4] != nil { // an older release's plain fields
		l.legacy = true
		return l, decodeGame(&l.Table, []byte(str(4)), []byte(str(5)))
	}
	st, err := s.openState(id, l.Seq, []byte(str(3)))
	if err != nil {
		return Loaded{}, err
	}
	return l, decodeState(&l.Table, st)
}

func decodeGame(t *table.Table, game, moves []byte) error {
	if err := t.Game.UnmarshalBinary(game); err != nil {
		return fmt.Errorf("table game: %w", err)
	}
	var err error
	t.Moves, err = table.DecodeMoves(moves)
	return err
}

// Entry is one event of a table's log, as stored and as published.
type Entry struct {
	Seq int64           `json:"seq"`
	To  int             `json:"to"` // game.Everyone or the only seat that may see it
	E   json.RawMessage `json:"e"`
	// P is the redacted form of a private event, for everyone else (so each
	// client receives every seq); empty for public events.
	P json.RawMessage `json:"p,omitempty"`
	// U is the user who held seat To when a private event was written: only
	// they may see it, so a later occupant of the seat reading the log back
	// gets the redacted form. Empty in entries of older servers (then the
	// seat alone decides).
	U string `json:"u,omitempty"`
	// Meta marks a "table" event (table.MetaEvent: the table's public state
	// after a seat or status change): readers take seats from it without
	// decoding every event to find out.
	Meta bool `json:"m,omitempty"`
}

// For returns the form of the entry that user, at seat (a spectator is
// -1), may see.
func (e *Entry) For(seat int, user string) json.RawMessage {
	if e.To == -1 || (e.To == seat && (e.U == "" || e.U == user)) {
		return e.E
	}
	return e.P
}

// Result is the answer to one action id. Hash fingerprints the request so
// that a reused id with another payload is told apart from a retry.
type Result struct {
	User string `json:"user"`
	ID   string `json:"id"`
	Hash string `json:"h"`
	Code string `json:"code,omitempty"` // "" when accepted
	Seq  int64  `json:"seq"`            // table seq after the action
}

// Message is what is published on a table's channel for one command.
type Message struct {
	// Epoch is the table's epoch the events belong to (see Loaded.Epoch);
	// 0 in messages that carry no events.
	Epoch  int64    `json:"ep,omitempty"`
	Events []Entry  `json:"events,omitempty"`
	Result *Result  `json:"result,omitempty"`
	Kick   []string `json:"kick,omitempty"` // reserved: users whose sockets must close
	// Restored says the table was rebuilt or its history may have gone
	// back (RestoreTable): every socket following it starts over from a
	// snapshot of epoch Epoch.
	Restored *Restored `json:"restored,omitempty"`
}

// Restored describes a table's new epoch.
type Restored struct {
	Seq    int64  `json:"seq"`    // the table's seq when the epoch began
	Reason string `json:"reason"` // RestoreReason*
}

// Commit is an accepted command to write atomically.
type Commit struct {
	Table     *table.Table
	FromSeq   int64 // the seq the table was read at
	FromEpoch int64 // the epoch it was read at
	Result    Result
	Events    []Entry // seqs FromSeq+1 ... in order
	legacy    bool    // the table was read in an older release's layout
	prevMeta  *metaMemo
	durable   *Durable
	meta      *metaMemo
}

// CommitOf is the commit of next, read as l, with res and events.
func CommitOf(l *Loaded, next *table.Table, res Result, events []Entry) Commit {
	return Commit{Table: next, FromSeq: l.Seq, FromEpoch: l.Epoch, Result: res, Events: events, legacy: l.legacy, prevMeta: l.meta}
}

// CommitOutcome says what Commit did.
type CommitOutcome struct {
	Dup    *Result // set when the action id had been answered already
	Wrote  bool
	NewSeq int64
	// Durable is the table's journal form as the commit wrote it (its meta
	// and sealed state, exactly as Redis now holds them), when Wrote: the
	// table journal takes it from here instead of reading it back.
	Durable *Durable
	meta    *metaMemo
}

// Loaded is table next as this commit (Wrote) stored it over from, the
// copy it was read as: what a worker keeps for the table's next action.
func (o *CommitOutcome) Loaded(from *Loaded, next *table.Table) Loaded {
	return Loaded{Table: *next, Seq: o.NewSeq, Epoch: from.Epoch, RunID: from.RunID, meta: o.meta}
}

func actField(user, id string) string { return user + "|" + id }

// Commit writes the table, records the action's result, appends the events
// to the log and publishes them, all in one atomic step guarded by the seq
// and the epoch. It returns ErrConflict when the table changed since it was
// read (or was rebuilt), ErrNotFound when it is gone, or Dup when the action
// id was answered before.
func (s *Store) Commit(ctx context.Context, c Commit) (CommitOutcome, error) {
	keys, args, err := s.commitCall(&c)
	if err != nil {
		return CommitOutcome{}, err
	}
	out, err := commitScript.Run(ctx, s.rdb, keys, args...).StringSlice()
	return commitOutcome(&c, out, err)
}

// CommitResult is what became of one commit of a batch.
type CommitResult struct {
	Out CommitOutcome
	Err error
}

// CommitBatch sends commits in one round trip (a pipeline, run in order):
// each is the atomic step Commit makes, decided on its own, and its result
// is what Commit would have returned.
func (s *Store) CommitBatch(ctx context.Context, cs []Commit) []CommitResult {
	pipe := s.rdb.Pipeline()
	cmds, res := s.queueCommits(ctx, pipe, cs)
	_, _ = pipe.Exec(ctx) // (each command's error is its own, read below)
	return s.commitResults(ctx, cs, cmds, res)
}

// CommitAndRead is CommitBatch followed, in the same round trip, by what
// AckAndRead sends for partition p: the acknowledgement of acks (none:
// none) and a read of up to count new actions that waits up to
// CommitReadBlock for them. The replies all come back when the read does,
// so the commits' results wait for the next action (or the block's end):
// the worker sends a batch's last commits this way only when nothing that
// follows them is urgent (worker.Consumer). The read's error is returned
// apart; no entries and no error when nothing arrived.
func (s *Store) CommitAndRead(ctx context.Context, cs []Commit, group, consumer string, p int, acks []string, count int64) ([]CommitResult, []StreamEntry, error) {
	pipe := s.rdb.Pipeline()
	cmds, res := s.queueCommits(ctx, pipe, cs)
	read := s.queueAckRead(ctx, pipe, group, consumer, p, acks, count, CommitReadBlock)
	_, _ = pipe.Exec(ctx)
	res = s.commitResults(ctx, cs, cmds, res)
	es, err := read.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return res, nil, fmt.Errorf("commit and read actions: %w", err)
	}
	return res, entriesOf(p, es), nil
}

// CommitReadBlock is how long CommitAndRead's read waits for new actions:
// the longest a batch's follow-up may wait for it. Short, since that
// follow-up includes the table journal's copy of the change (the bound on
// what a Redis loss costs, docs/operations.md); the next read after an
// empty one is AckAndRead's.
const CommitReadBlock = 50 * time.Millisecond

// queueCommits adds the commit script's call for each of cs to pipe; a
// commit that could not be encoded has its error in res and no command.
func (s *Store) queueCommits(ctx context.Context, pipe redis.Pipeliner, cs []Commit) ([]*redis.Cmd, []CommitResult) {
	res := make([]CommitResult, len(cs))
	cmds := make([]*redis.Cmd, len(cs))
	for i := range cs {
		keys, args, err := s.commitCall(&cs[i])
		if err != nil {
			res[i].Err = err
			continue
		}
		cmds[i] = commitScript.EvalSha(ctx, pipe, keys, args...)
	}
	return cmds, res
}

// commitResults reads the replies of queueCommits' commands into res.
func (s *Store) commitResults(ctx context.Context, cs []Commit, cmds []*redis.Cmd, res []CommitResult) []CommitResult {
	for i, cmd := range cmds {
		if cmd == nil {
			continue
		}
		out, err := cmd.StringSlice()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			// Redis lost its scripts (a restart): Commit loads it again.
			res[i].Out, res[i].Err = s.Commit(ctx, cs[i])
			continue
		}
		res[i].Out, res[i].Err = commitOutcome(&cs[i], out, err)
	}
	return res
}

// commitCall is the commit script's keys and arguments for c.
func (s *Store) commitCall(c *Commit) (keys []string, args []any, err error) {
	t := c.Table
	newSeq := c.FromSeq + int64(len(c.Events))
	for i, e := range c.Events {
		if e.Seq != c.FromSeq+int64(i)+1 {
			return nil, nil, fmt.Errorf("commit: event %d has seq %d, want %d", i, e.Seq, c.FromSeq+int64(i)+1)
		}
	}
	if c.FromEpoch == 0 {
		c.FromEpoch = 1
	}
	memo, err := encodeMeta(&t.Meta, c.prevMeta)
	if err != nil {
		return nil, nil, fmt.Errorf("encode meta: %w", err)
	}
	meta := memo.json
	c.meta = memo
	st, err := encodeState(t)
	if err != nil {
		return nil, nil, err
	}
	c.Result.Seq = newSeq
	res := storedAnswer(c.Result)
	msg := appendCommitMessage(make([]byte, 0, 256), c.FromEpoch, c.Events, &c.Result)
	legacy := "0"
	if c.legacy {
		legacy = "1"
	}
	timerOf := "" // a timer never armed is neither recorded nor removed (as SetTimer)
	if t.Timer != 0 && s.CommitRecordsTimer() {
		timerOf = t.ID
	}
	sealed := s.sealState(t.ID, newSeq, st)
	if sealed == nil {
		sealed = []byte{} // no match yet: Redis holds "", and so must the journal (its state is NOT NULL)
	}
	c.durable = &Durable{ID: t.ID, Epoch: c.FromEpoch, Seq: newSeq, Meta: meta, State: sealed}
	args = make([]any, 0, 17+len(c.Events))
	args = append(args, c.FromSeq, c.FromEpoch, newSeq, meta, sealed,
		actField(c.Result.User, c.Result.ID), res, s.ttlSeconds(), s.opts.LogMaxLen, s.keys.Channel(t.ID), msg, legacy,
		timerOf, t.Timer, t.Deadline, time.Now().UnixMilli(), s.ttlRefresh().Milliseconds())
	for i := range c.Events {
		args = append(args, s.encodeLogEntry(t.ID, &c.Events[i]))
	}
	keys = []string{s.keys.Table(t.ID), s.keys.Acts(t.ID), s.keys.Log(t.ID)}
	if timerOf != "" {
		keys = append(keys, s.keys.Timers(0), s.keys.TimerIDs(0))
	}
	return keys, args, nil
}

// commitOutcome reads the commit script's reply to c.
func commitOutcome(c *Commit, out []string, err error) (CommitOutcome, error) {
	if err != nil {
		return CommitOutcome{}, fmt.Errorf("commit: %w", err)
	}
	switch out[0] {
	case "ok":
		return CommitOutcome{Wrote: true, NewSeq: c.FromSeq + int64(len(c.Events)), Durable: c.durable, meta: c.meta}, nil
	case "dup":
		return dupOutcome(out[1], c.Result.User, c.Result.ID)
	case "gone":
		return CommitOutcome{}, ErrNotFound
	case "logahead":
		return CommitOutcome{}, fmt.Errorf("commit at seq %d: %w (log already at %s)", c.FromSeq, ErrLogAhead, out[1])
	}
	return CommitOutcome{}, ErrConflict
}

// storedAnswer is r as the acts hash keeps it: without its user and id,
// which its field already names (a third of an answer's bytes), and with
// the seq last (the commit script's trim reads it there).
func storedAnswer(r Result) []byte {
	return appendStoredAnswer(make([]byte, 0, 64), &r)
}

// dupOutcome decodes the stored answer to user's action id (answers stored
// by earlier releases name them themselves).
func dupOutcome(stored, user, id string) (CommitOutcome, error) {
	r := Result{User: user, ID: id}
	if err := json.Unmarshal([]byte(stored), &r); err != nil {
		return CommitOutcome{}, fmt.Errorf("stored result: %w", err)
	}
	return CommitOutcome{Dup: &r}, nil
}

// Answer records and publishes the answer to an action that changed
// nothing at table tableID, read in epoch (so that a gateway whose sockets
// follow an older epoch resyncs them before passing the answer on). When
// the id was answered before it returns that answer as Dup.
func (s *Store) Answer(ctx context.Context, tableID string, epoch int64, r Result) (CommitOutcome, error) {
	msg, _ := json.Marshal(Message{Epoch: epoch, Result: &r})
	out, err := answerScript.Run(ctx, s.rdb, []string{s.keys.Acts(tableID)},
		actField(r.User, r.ID), storedAnswer(r), s.ttlSeconds(), s.keys.Channel(tableID), msg).StringSlice()
	if err != nil {
		return CommitOutcome{}, fmt.Errorf("answer: %w", err)
	}
	if out[0] == "dup" {
		return dupOutcome(out[1], r.User, r.ID)
	}
	return CommitOutcome{NewSeq: r.Seq}, nil
}

// LookupAnswer returns the stored answer to an action id, if any.
func (s *Store) LookupAnswer(ctx context.Context, tableID, user, id string) (*Result, error) {
	v, err := s.rdb.HGet(ctx, s.keys.Acts(tableID), actField(user, id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lookup answer: %w", err)
	}
	out, err := dupOutcome(v, user, id)
	return out.Dup, err
}

// Publish sends a message on a table's channel without writing anything
// (used to repeat a stored answer). On a cluster it is published by the
// table's node, as the commit script's messages are: a PUBLISH sent to
// another node reaches the subscribers by another path, and could overtake
// them or be overtaken.
func (s *Store) Publish(ctx context.Context, tableID string, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	if s.keys.Cluster {
		return publishScript.Run(ctx, s.rdb, []string{s.keys.Table(tableID)}, s.keys.Channel(tableID), b).Err()
	}
	return s.rdb.Publish(ctx, s.keys.Channel(tableID), b).Err()
}

// publishScript publishes ARGV[2] on channel ARGV[1] from the node of
// KEYS[1] (named only to route the script there; not read).
var publishScript = redis.NewScript(`return redis.call('PUBLISH', ARGV[1], ARGV[2])`)

// ReadLog returns the logged events with seq > after, oldest first, at most
// max. The first entry's seq tells whether the log still reaches back that
// far (it is capped): if it is not after+1, the caller needs a snapshot.
func (s *Store) ReadLog(ctx context.Context, tableID string, after int64, max int64) ([]Entry, error) {
	raws, err := s.rdb.LRange(ctx, s.keys.Log(tableID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	// The entries after `after`: the newest run of rising seqs above it
	// (only those are decoded).
	first, later := len(raws), int64(math.MaxInt64)
	for first > 0 {
		seq, ok := loggedSeq(raws[first-1])
		if !ok || seq <= after || seq >= later {
			break
		}
		first, later = first-1, seq
	}
	raws = raws[first:min(len(raws), first+int(max))]
	out := make([]Entry, 0, len(raws))
	for _, raw := range raws {
		e, err := s.decodeLogEntry(tableID, []byte(raw))
		if err != nil {
			return nil, fmt.Errorf("log entry of %s: %w", tableID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// loggedSeq reads the seq a log entry begins with ({"seq":N,...).
func loggedSeq(raw string) (int64, bool) {
	const head = `{"seq":`
	if !strings.HasPrefix(raw, head) {
		return 0, false
	}
	end := len(head)
	for end < len(raw) && raw[end] >= '0' && raw[end] <= '9' {
		end++
	}
	seq, err := strconv.ParseInt(raw[len(head):end], 10, 64)
	return seq, err == nil
}
