package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/redisnodes"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tools/floor"
)

// The relay targets: the move path with no rules, for hokm to be judged
// against. Both have hokm's shape — a WebSocket gateway that XADDs each
// card to its table's partition stream, a reader per partition
// (XREADGROUP, one XACK per batch), table channels the gateway subscribes
// to and fans out to the table's four sockets — and differ in the step
// between:
//   - floor: one Lua call that reads the state, writes it and publishes
//     (tools/floor's script): the least Redis can do for a move;
//   - prototype: what a move must do for the server's guarantees, and no
//     more: the table's state kept in its reader's memory (loaded once),
//     the turn checked, the event encoded, and one commit script that
//     checks the version, writes the state, appends the event to a capped
//     log, keeps the action id's answer, sets the turn deadline, refreshes
//     the table's expiry and publishes.
const (
	KindFloor     = "floor"
	KindPrototype = "prototype"
)

// relayPartitions is the relays' stream count (hokm's default).
const relayPartitions = 8

// commitScript is the prototype's atomic step.
//
// KEYS[1] state hash, [2] log, [3] acts, [4] timers.
// ARGV[1] the seq the state was read at, [2] new state, [3] event frame,
// [4] action id, [5] deadline (ms), [6] table id, [7] channel, [8] TTL (ms).
// Returns the new seq, or -1 when the state moved on (stale copy).
var commitScript = redis.NewScript(`
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if seq ~= tonumber(ARGV[1]) then return -1 end
seq = seq + 1
redis.call('HSET', KEYS[1], 'seq', seq, 'state', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 512, seq .. '-1', 'e', ARGV[3])
-- answers kept for the last 512 events at most, as the server keeps
-- one to two logs' worth
if seq % 512 == 0 then redis.call('DEL', KEYS[3]) end
redis.call('HSET', KEYS[3], ARGV[4], seq)
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('PEXPIRE', KEYS[3], ARGV[8])
redis.call('PUBLISH', ARGV[7], ARGV[3])
return seq
`)

// relayFrame is every frame of the relay protocol. Client: sit {table,
// seat, id} (answered ok {id}), play {table, seat, n, id}: card n of the
// table, by the seat whose turn it is. Server: ok, and the event
// {"type":"event","event":{"type":"card_played","seat":S,"n":N}} to all
// four seats, after which it is seat S+1's turn to play card N+1.
type relayFrame struct {
	Type  string `json:"type"`
	ID    string `json:"id,omitempty"`
	Table string `json:"table,omitempty"`
	Seat  int    `json:"seat"`
	N     int    `json:"n,omitempty"`
}

type relayEvent struct {
	Type  string     `json:"type"`
	Event relayFrame `json:"event"`
}

// relay is one relay target process: gateway and readers.
type relay struct {
	kind string
	rdb  *redis.Client
	keys redisstore.Keys
	ps   *redis.PubSub

	mu     sync.Mutex
	tables map[string][]*relayConn // by the table's channel

	states map[string]*protoState // prototype; each table only ever touched by its partition's reader
	smu    sync.Mutex
}

// protoState is a prototype table's state as its reader keeps it.
type protoState struct {
	Seq  int64 `json:"-"`
	Turn int   `json:"turn"`
	N    int   `json:"n"`
}

type relayConn struct {
	ws   *websocket.Conn
	send chan []byte
}

// ServeRelay runs a relay target of kind on addr until ctx ends, with its
// keys under keys' prefix (deleted when it stops).
func ServeRelay(ctx context.Context, kind, addr string, rdb *redis.Client, keys redisstore.Keys) error {
	if kind != KindFloor && kind != KindPrototype {
		return fmt.Errorf("relay kind %q: want %s or %s", kind, KindFloor, KindPrototype)
	}
	r := &relay{kind: kind, rdb: rdb, keys: keys, ps: rdb.Subscribe(ctx), tables: map[string][]*relayConn{},
		states: map[string]*protoState{}}
	defer r.ps.Close()
	defer deleteKeys(context.Background(), rdb, keys.All())
	for p := range relayPartitions {
		err := rdb.XGroupCreateMkStream(ctx, keys.BenchActions(p), "bench", "$").Err()
		if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
			return fmt.Errorf("relay group: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serveWS)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { r.fanOut(ctx) })
	for p := range relayPartitions {
		wg.Go(func() { r.read(ctx, p) })
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err = srv.Serve(ln)
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

var relayUpgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}

func (r *relay) serveWS(w http.ResponseWriter, req *http.Request) {
	ws, err := relayUpgrader.Upgrade(w, req, nil)
	if err != nil {
		return
	}
	c := &relayConn{ws: ws, send: make(chan []byte, 64)}
	go c.write()
	var sat []string
	defer func() {
		r.leave(c, sat)
		close(c.send)
	}()
	for {
		var f relayFrame
		if err := ws.ReadJSON(&f); err != nil {
			return
		}
		switch f.Type {
		case "sit":
			if err := r.sit(req.Context(), c, f.Table); err != nil {
				return
			}
			sat = append(sat, f.Table)
			c.send <- fmt.Appendf(nil, `{"type":"ok","id":%q}`, f.ID)
		case "play":
			err := r.rdb.XAdd(req.Context(), &redis.XAddArgs{Stream: r.keys.BenchActions(partition(f.Table)),
				Values: []any{"t", f.Table, "s", f.Seat, "n", f.N, "id", f.ID}}).Err()
			if err != nil {
				return
			}
		}
	}
}

func (c *relayConn) write() {
	defer c.ws.Close()
	for b := range c.send {
		if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
			for range c.send { // drained until the reader closes it
			}
			return
		}
	}
}

// sit adds c to the table's sockets, subscribing to its channel first.
func (r *relay) sit(ctx context.Context, c *relayConn, table string) error {
	ch := r.keys.BenchChannel(table)
	r.mu.Lock()
	first := len(r.tables[ch]) == 0
	r.tables[ch] = append(r.tables[ch], c)
	r.mu.Unlock()
	if first {
		return r.ps.Subscribe(ctx, ch)
	}
	return nil
}

// leave takes c off the tables' sockets: no event is sent to it after.
func (r *relay) leave(c *relayConn, tables []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range tables {
		ch := r.keys.BenchChannel(t)
		r.tables[ch] = slices.DeleteFunc(r.tables[ch], func(o *relayConn) bool { return o == c })
		if len(r.tables[ch]) == 0 {
			delete(r.tables, ch)
		}
	}
}

// fanOut writes each table event to the table's sockets.
func (r *relay) fanOut(ctx context.Context) {
	msgs := r.ps.Channel(redis.WithChannelSize(4096))
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-msgs:
			b := []byte(m.Payload)
			r.mu.Lock()
			for _, c := range r.tables[m.Channel] {
				select {
				case c.send <- b:
				default: // a socket this far behind is the client's problem
				}
			}
			r.mu.Unlock()
		}
	}
}

func partition(table string) int {
	h := fnv.New32a()
	h.Write([]byte(table))
	return int(h.Sum32() % relayPartitions)
}

// read consumes partition p's stream: a batch at a time, each move in
// order, one XACK for the batch.
func (r *relay) read(ctx context.Context, p int) {
	stream := r.keys.BenchActions(p)
	consumer := "c" + strconv.Itoa(p)
	for ctx.Err() == nil {
		res, err := r.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "bench", Consumer: consumer,
			Streams: []string{stream, ">"}, Count: 64, Block: time.Second}).Result()
		if err != nil || len(res) == 0 {
			continue
		}
		ids := make([]string, 0, len(res[0].Messages))
		for _, m := range res[0].Messages {
			f := relayFrame{Type: "card_played", Table: str(m.Values["t"]), ID: str(m.Values["id"])}
			f.Seat, _ = strconv.Atoi(str(m.Values["s"]))
			f.N, _ = strconv.Atoi(str(m.Values["n"]))
			if err := r.move(ctx, f); err != nil && ctx.Err() == nil {
				fmt.Printf("relay: move %s/%d: %v\n", f.Table, f.N, err)
			}
			ids = append(ids, m.ID)
		}
		r.rdb.XAck(ctx, stream, "bench", ids...)
	}
}

func str(v any) string { s, _ := v.(string); return s }

// move applies one card.
func (r *relay) move(ctx context.Context, f relayFrame) error {
	ev, _ := json.Marshal(relayEvent{Type: "event", Event: relayFrame{Type: "card_played", Seat: f.Seat, N: f.N}})
	table := f.Table
	if r.kind == KindFloor {
		err := floor.MoveScript.Run(ctx, r.rdb, []string{r.keys.BenchTable(table)}, r.keys.BenchChannel(table), ev).Err()
		if errors.Is(err, redis.Nil) {
			return nil // the table's first move: no state before
		}
		return err
	}
	st, err := r.state(ctx, table)
	if err != nil {
		return err
	}
	if f.Seat != st.Turn || f.N != st.N+1 {
		return fmt.Errorf("out of turn: seat %d card %d, want seat %d card %d", f.Seat, f.N, st.Turn, st.N+1)
	}
	next := protoState{Seq: st.Seq, Turn: (st.Turn + 1) % 4, N: f.N}
	enc, _ := json.Marshal(next)
	deadline := time.Now().Add(30 * time.Second).UnixMilli()
	seq, err := commitScript.Run(ctx, r.rdb,
		[]string{r.keys.BenchTable(table), r.keys.BenchLog(table), r.keys.BenchActs(table), r.keys.BenchTimers()},
		st.Seq, enc, ev, f.ID, deadline, table, r.keys.BenchChannel(table), time.Hour.Milliseconds()).Int64()
	if err != nil {
		return err
	}
	if seq < 0 {
		r.forget(table) // reloaded at the next move
		return fmt.Errorf("stale state")
	}
	next.Seq = seq
	*st = next
	return nil
}

// state is the table's state from the reader's memory, loaded from Redis
// the first time (a new table starts at seat 0, card 1).
func (r *relay) state(ctx context.Context, table string) (*protoState, error) {
	r.smu.Lock()
	st := r.states[table]
	r.smu.Unlock()
	if st != nil {
		return st, nil
	}
	vals, err := r.rdb.HMGet(ctx, r.keys.BenchTable(table), "seq", "state").Result()
	if err != nil {
		return nil, err
	}
	st = &protoState{}
	if s, ok := vals[1].(string); ok {
		if err := json.Unmarshal([]byte(s), st); err != nil {
			return nil, err
		}
		st.Seq, _ = strconv.ParseInt(str(vals[0]), 10, 64)
	}
	r.smu.Lock()
	r.states[table] = st
	r.smu.Unlock()
	return st, nil
}

func (r *relay) forget(table string) {
	r.smu.Lock()
	delete(r.states, table)
	r.smu.Unlock()
}

// deleteKeys unlinks every key matching pattern (on every master of a
// cluster: a key at a time there, as a table's keys and the others lie in
// different slots).
func deleteKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) {
	keys, _ := scanKeys(ctx, rdb, pattern)
	_, cluster := rdb.(*redis.ClusterClient)
	for batch := range slices.Chunk(keys, 500) {
		if !cluster {
			rdb.Unlink(ctx, batch...)
			continue
		}
		rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.Unlink(ctx, k)
			}
			return nil
		})
	}
}

// scanKeys is every key matching pattern (SCAN on every master of a
// cluster).
func scanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var keys []string
	err := redisnodes.Scan(ctx, rdb, pattern, 1000, func(batch []string) error {
		keys = append(keys, batch...)
		return nil
	})
	return keys, err
}
