package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/panics"
	"github.com/hokm-project/hokm/store/redisstore"
)

// hub is the process's Redis Pub/Sub connection. It subscribes to a
// table's channel while at least one local socket follows the table (and
// to a user's channel while a local socket of the user is open), and hands
// every message, decoded once, to each of those sockets' queues. Global
// channels (the lobby's, the kick channel) are subscribed for the hub's
// life and go to their handler.
//
// On a Redis Cluster a table's channel is subscribed on the node that holds
// the table (a Pub/Sub connection per node, nodes): its messages are
// published there, and a node hands them to its own subscribers at once,
// while the cluster bus that carries them to the other nodes delayed 1 % of
// them by 40 ms here (its links do not set TCP_NODELAY). A table whose
// slot moved is still heard through the bus (PUBLISH reaches every node)
// until reopen subscribes it on its new node.
type hub struct {
	rdb     redis.UniversalClient
	cluster *redis.ClusterClient     // rdb on a cluster, else nil
	ps      *redis.PubSub            // replaced by reopen (under subMu)
	nodes   map[string]*nodeSub      // on a cluster: by node address (under subMu)
	subOn   map[string]*redis.PubSub // the connection a table channel is subscribed on, when not ps (under subMu)
	keys    redisstore.Keys
	log     *slog.Logger
	done    chan struct{} // closed when ps's receive loop has ended
	hubHooks

	subMu sync.Mutex // orders SUBSCRIBE/UNSUBSCRIBE with the state below

	mu      sync.Mutex
	chans   map[string]*hubTable      // by channel name
	started map[string]bool           // global channels confirmed at least once
	want    map[string]int            // subscribe confirmations still to come, by channel
	byConn  map[*conn]map[string]bool // channels by socket
	// queued are the channels to subscribe with the next SUBSCRIBE (nil:
	// none). Subscriptions are sent in batches: whoever holds subMu sends
	// every channel queued meanwhile in one SUBSCRIBE, so a gateway that
	// thousands of sockets join at once (a restart, a burst of players)
	// makes a round trip per batch, not one per socket after another.
	queued  *subBatch
	batches atomic.Int64 // SUBSCRIBEs sent by sendQueued (read by tests)
}

// nodeSub is a Pub/Sub connection to one node of a cluster.
type nodeSub struct {
	ps   *redis.PubSub
	done chan struct{} // closed when its receive loop has ended
}

// subBatch is channels subscribed with one SUBSCRIBE.
type subBatch struct {
	names []string
	done  chan struct{} // closed once sent; err is then set
	err   error
}

// hubTable is one subscribed table or user channel.
type hubTable struct {
	id    string // the table id or user id
	user  bool   // a user channel
	conns map[*conn]struct{}
	ready chan struct{} // closed once Redis confirmed the subscription
	up    bool          // ready is closed
}

// hubMsg is a published message decoded once and shared, read-only, by
// every socket it goes to.
type hubMsg struct {
	table    string
	epoch    int64 // of the entries (0: none)
	entries  []entry
	result   *redisstore.Result
	chat     json.RawMessage      // a chat frame
	restored *redisstore.Restored // the table entered epoch: every socket resyncs
}

// entry is one event of a table's log; meta is set for "table" events.
type entry struct {
	redisstore.Entry
	meta *table.Meta
}

// hubHooks are the hub owner's handlers, fixed before the hub starts.
type hubHooks struct {
	globals map[string]func(payload string)   // the global channels, each with its handler
	onUser  func(t *hubTable, payload string) // a message on a user channel (under mu)
	// onResubscribe, when set, is told of a global channel subscribed again
	// after a reconnection (under mu: it must not block).
	onResubscribe func(ch string)
}

// catchUp tells a socket that Redis may have dropped messages of a table
// (the hub reconnected), so it reads the log for what it missed.
type catchUp struct{ table string }

func newHub(rdb redis.UniversalClient, keys redisstore.Keys, log *slog.Logger, hooks hubHooks) *hub {
	h := &hub{
		rdb: rdb, ps: rdb.Subscribe(context.Background()), keys: keys, log: log, done: make(chan struct{}),
		hubHooks: hooks,
		chans:    map[string]*hubTable{}, want: map[string]int{}, byConn: map[*conn]map[string]bool{},
		started: map[string]bool{}, nodes: map[string]*nodeSub{}, subOn: map[string]*redis.PubSub{},
	}
	h.cluster, _ = rdb.(*redis.ClusterClient)
	go h.run(h.ps, h.done)
	if len(h.globals) > 0 {
		names := make([]string, 0, len(h.globals))
		for name := range h.globals {
			names = append(names, name)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// On failure go-redis subscribes again when it reconnects.
		if err := h.ps.Subscribe(ctx, names...); err != nil {
			log.Warn("subscribing to the global channels failed", "err", err)
		}
	}
	return h
}

// run receives ps's messages until ps is closed. It reads them itself
// rather than from go-redis's Channel, whose reader goroutine hands each
// message on through a Go channel and wakes a health-check goroutine for
// it: three goroutine wakes a message, here one. It checks the connection
// as that one did: after pubsubIdle without a message it pings (the pong
// comes back as a message); a ping or read that fails makes go-redis
// reconnect and subscribe again, and the next receive reads from there.
func (h *hub) run(ps *redis.PubSub, done chan struct{}) {
	defer close(done)
	ctx := context.Background()
	failed := 0
	for {
		m, err := ps.ReceiveTimeout(ctx, pubsubIdle)
		switch {
		case errors.Is(err, redis.ErrClosed):
			return
		case isTimeout(err):
			pctx, cancel := context.WithTimeout(ctx, pubsubPingWait)
			_ = ps.Ping(pctx) // (a failed ping reconnects)
			cancel()
			continue
		case err != nil:
			if failed++; failed > 1 {
				time.Sleep(100 * time.Millisecond) // Redis away: not a busy loop
			}
			continue
		}
		failed = 0
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				h.confirmed(m.Channel)
			}
		case *redis.Message:
			h.dispatch(m)
		}
	}
}

// The hub's check of its Pub/Sub connections (go-redis's Channel's).
const (
	pubsubIdle     = 3 * time.Second // a ping after this long without a message
	pubsubPingWait = 5 * time.Second
)

// isTimeout tells a read that timed out (nothing came) from a failure.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (h *hub) close() {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	_ = h.ps.Close()
	<-h.done
	h.closeNodes()
}

// closeNodes closes the per-node connections (under subMu).
func (h *hub) closeNodes() {
	for addr, n := range h.nodes {
		_ = n.ps.Close()
		<-n.done
		delete(h.nodes, addr)
	}
	clear(h.subOn)
}

// subscribe subscribes names (under subMu): table channels on a cluster
// on their table's node, the others on ps.
func (h *hub) subscribe(ctx context.Context, ps *redis.PubSub, names []string) error {
	var err error
	for on, chs := range h.byNode(ctx, ps, names) {
		err = errors.Join(err, on.Subscribe(ctx, chs...))
	}
	return err
}

// byNode groups names by the connection each is to be subscribed on
// (under subMu), opening a node's connection when it has none yet. A
// node that cannot be told (the slot map unknown for now) gets the
// channel on ps: the cluster bus brings its messages there too.
func (h *hub) byNode(ctx context.Context, ps *redis.PubSub, names []string) map[*redis.PubSub][]string {
	out := map[*redis.PubSub][]string{}
	for _, ch := range names {
		on := ps
		if h.cluster != nil && h.isTable(ch) {
			if node, err := h.cluster.MasterForKey(ctx, ch); err == nil {
				addr := node.Options().Addr
				n := h.nodes[addr]
				if n == nil {
					// No connection until its first SUBSCRIBE, which goes to
					// the node of its first channel.
					n = &nodeSub{ps: h.cluster.Subscribe(context.Background()), done: make(chan struct{})}
					go h.run(n.ps, n.done)
					h.nodes[addr] = n
				}
				on = n.ps
				h.subOn[ch] = on
			}
		}
		out[on] = append(out[on], ch)
	}
	return out
}

// isTable reports whether ch is a table's channel the hub follows.
func (h *hub) isTable(ch string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.chans[ch]
	return t != nil && !t.user
}

// reopen replaces the Pub/Sub connection with a new one subscribed to every
// channel the hub follows. After a failover go-redis moves its command
// connections to the new primary, but not a Pub/Sub connection whose old
// primary is still alive (a planned switch), which would then hear nothing
// until that server is demoted. The new subscriptions' confirmations come
// unexpected, so sockets catch up from the log (and waiting players rejoin
// the queue) as after any reconnection.
func (h *hub) reopen() {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	h.mu.Lock()
	names := make([]string, 0, len(h.globals)+len(h.chans))
	for ch := range h.globals {
		names = append(names, ch)
	}
	for ch := range h.chans {
		names = append(names, ch)
	}
	h.mu.Unlock()
	ps, done := h.rdb.Subscribe(context.Background()), make(chan struct{})
	go h.run(ps, done)
	h.closeNodes()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.subscribe(ctx, ps, names); err != nil { // go-redis subscribes again when it reconnects
		h.log.Warn("subscribing again after a Redis switch failed", "err", err)
	}
	old, oldDone := h.ps, h.done
	h.ps, h.done = ps, done
	_ = old.Close()
	<-oldDone
}

// acquire makes c follow table id and returns once the hub is subscribed
// to its channel, so that nothing published afterwards can be missed.
func (h *hub) acquire(ctx context.Context, id string, c *conn) error {
	return h.acquireChan(ctx, h.keys.Channel(id), id, false, c)
}

// acquireUser subscribes c to the channel of its user.
func (h *hub) acquireUser(ctx context.Context, user string, c *conn) error {
	return h.acquireChan(ctx, h.keys.User(user), user, true, c)
}

func (h *hub) acquireChan(ctx context.Context, ch, id string, user bool, c *conn) error {
	h.mu.Lock()
	t := h.chans[ch]
	if t != nil && t.up && h.byConn[c][ch] {
		h.mu.Unlock()
		return nil
	}
	var batch *subBatch
	if t == nil {
		t = &hubTable{id: id, user: user, conns: map[*conn]struct{}{}, ready: make(chan struct{})}
		h.chans[ch] = t
		h.want[ch]++
		if h.queued == nil {
			h.queued = &subBatch{done: make(chan struct{})}
		}
		h.queued.names = append(h.queued.names, ch)
		batch = h.queued
	}
	t.conns[c] = struct{}{}
	if h.byConn[c] == nil {
		h.byConn[c] = map[string]bool{}
	}
	h.byConn[c][ch] = true
	ready := t.ready
	h.mu.Unlock()
	if batch != nil {
		h.sendQueued()
		<-batch.done // sent by this call or by the one before it
		if batch.err != nil {
			return batch.err
		}
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendQueued subscribes the queued channels, if another call has not:
// while one SUBSCRIBE is on its way, the channels queued meanwhile wait
// for subMu and go together in the next.
func (h *hub) sendQueued() {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	h.mu.Lock()
	b := h.queued
	h.queued = nil
	h.mu.Unlock()
	if b == nil {
		return
	}
	defer close(b.done)
	if len(b.names) == 0 {
		return // every socket that wanted them left meanwhile
	}
	h.batches.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// On failure go-redis keeps the channels and subscribes again when it
	// reconnects (confirmed then marks them ready); the sockets waiting
	// are told unavailable meanwhile.
	if b.err = h.subscribe(ctx, h.ps, b.names); b.err != nil {
		h.mu.Lock()
		for _, ch := range b.names {
			if h.want[ch]--; h.want[ch] <= 0 {
				delete(h.want, ch)
			}
		}
		h.mu.Unlock()
	}
}

// releaseAll stops c following any table (and its user channel); a
// channel no local socket follows any more is unsubscribed.
func (h *hub) releaseAll(c *conn) { h.release(c, nil) }

// releaseTables stops c following the tables ids.
func (h *hub) releaseTables(c *conn, ids []string) {
	chs := make([]string, len(ids))
	for i, id := range ids {
		chs[i] = h.keys.Channel(id)
	}
	h.release(c, chs)
}

// release stops c following the channels chs (nil: all of its channels);
// a channel no local socket follows any more is unsubscribed.
func (h *hub) release(c *conn, chs []string) {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	h.mu.Lock()
	mine := h.byConn[c]
	if chs == nil {
		chs = slices.Collect(maps.Keys(mine))
	}
	var drop []string
	for _, ch := range chs {
		if !mine[ch] {
			continue
		}
		delete(mine, ch)
		if t := h.chans[ch]; t != nil {
			delete(t.conns, c)
			if len(t.conns) == 0 {
				delete(h.chans, ch)
				if !h.unqueue(ch) {
					drop = append(drop, ch)
				}
			}
		}
	}
	if len(mine) == 0 {
		delete(h.byConn, c)
	}
	h.mu.Unlock()
	if len(drop) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		on := map[*redis.PubSub][]string{}
		for _, ch := range drop {
			ps := h.subOn[ch]
			if ps == nil {
				ps = h.ps
			}
			delete(h.subOn, ch)
			on[ps] = append(on[ps], ch)
		}
		for ps, chs := range on {
			if err := ps.Unsubscribe(ctx, chs...); err != nil {
				h.log.Debug("unsubscribe failed", "err", err)
			}
		}
	}
}

// unqueue takes ch out of the channels waiting to be subscribed (under mu
// and subMu); false when it is not among them (it was sent already).
func (h *hub) unqueue(ch string) bool {
	if h.queued == nil {
		return false
	}
	n := len(h.queued.names)
	h.queued.names = slices.DeleteFunc(h.queued.names, func(q string) bool { return q == ch })
	if len(h.queued.names) == n {
		return false
	}
	if h.want[ch]--; h.want[ch] <= 0 {
		delete(h.want, ch)
	}
	return true
}

// confirmed counts a subscribe confirmation. Confirmations come in the
// order the SUBSCRIBEs went out, so a table is ready when the last one
// sent for its channel is confirmed. One that nobody waited for means
// go-redis subscribed again after a reconnect: messages may have been lost
// meanwhile, so the sockets catch up from the log.
func (h *hub) confirmed(ch string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	expected := h.want[ch] > 0
	if expected {
		if h.want[ch]--; h.want[ch] > 0 {
			return
		}
		delete(h.want, ch)
	}
	t := h.chans[ch]
	if t == nil { // a global channel, or one whose sockets left before its confirmation
		if h.globals[ch] != nil {
			if h.onResubscribe != nil && h.started[ch] {
				h.onResubscribe(ch)
			}
			h.started[ch] = true
		}
		return
	}
	if !t.up {
		t.up = true
		close(t.ready)
	}
	if !expected && !t.user {
		for c := range t.conns {
			c.push(catchUp{table: t.id})
		}
	}
}

// dispatch hands one published message to its sockets. A bug a message
// runs into costs that message, not every socket of the gateway: the panic
// is recovered here (its locks are all deferred), without a closure per
// message on the fan-out path.
func (h *hub) dispatch(m *redis.Message) {
	defer panics.Catch("gateway_hub", h.log, nil)
	if f := h.globals[m.Channel]; f != nil {
		f(m.Payload)
		return
	}
	t := func() *hubTable {
		h.mu.Lock()
		defer h.mu.Unlock()
		t := h.chans[m.Channel]
		if t != nil && t.user {
			h.onUser(t, m.Payload)
		}
		return t
	}()
	if t == nil || t.user {
		return
	}
	hm, err := decodeMessage(t.id, []byte(m.Payload))
	if err != nil {
		h.log.Warn("undecodable table message", "table", t.id, "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range t.conns {
		c.push(hm)
	}
}

// decodeMessage decodes a published redisstore.TableMessage.
func decodeMessage(tableID string, payload []byte) (*hubMsg, error) {
	m, err := redisstore.DecodeTableMessage(payload) // payload is ours: its bytes are kept
	if err != nil {
		return nil, err
	}
	hm := &hubMsg{table: tableID, epoch: m.Epoch, result: m.Result, chat: m.Chat, restored: m.Restored,
		entries: make([]entry, len(m.Events))}
	for i, e := range m.Events {
		if hm.entries[i], err = parseEntry(e); err != nil {
			return nil, err
		}
	}
	return hm, nil
}

// parseEntry reads the meta out of a "table" event (the worker marks
// them: redisstore.Entry.Meta).
func parseEntry(e redisstore.Entry) (entry, error) {
	out := entry{Entry: e}
	if !e.Meta {
		return out, nil
	}
	var ev table.MetaEvent
	if err := json.Unmarshal(e.E, &ev); err != nil {
		return entry{}, err
	}
	out.meta = &ev.Table
	return out, nil
}
