package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/sealbox"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/zjson"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/tools/botclient"
)

// appRedis leases the test one of this package's Redis databases
// (testenv.DBsApp), flushed: asynq's keys carry no prefix, so a server
// needs a DB nobody else uses while it runs. The tests run in parallel
// (TestMain), as many servers at once as there are DBs.
func appRedis(t testing.TB) (rdb redis.UniversalClient, prefix string, db int) {
	t.Helper()
	return testenv.RedisOneOf(t, testenv.DBsApp, true)
}

// server is the all-in-one server (hokm serve) running in this process on
// its own Redis DB, key prefix and PostgreSQL database.
type server struct {
	cfg   config.Config
	rdb   redis.UniversalClient
	store *redisstore.Store // the server's keys, for inspecting tables
	pg    *pgstore.Store
}

func (s *server) wsURL() string { return "ws://" + s.cfg.HTTPAddr + "/ws" }

// freeAddr is a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func logLevel() string {
	if os.Getenv("HOKM_TEST_LOG") != "" {
		return "debug"
	}
	return "error"
}

// startServe starts `hokm serve` in-process and stops it when the test ends.
func startServe(t *testing.T) *server { t.Helper(); return startServeWith(t, nil) }

// startServeWith is startServe with the configuration changed by mod.
func startServeWith(t testing.TB, mod func(*config.Config)) *server {
	t.Helper()
	rdb, prefix, db := appRedis(t)
	base := config.Defaults()
	base.DatabaseURL = testenv.Database(t) // empty: serve migrates it
	base.RedisURL, base.RedisCluster = testenv.RedisDBURL(t, db), testenv.RedisCluster()
	base.RedisPrefix = prefix
	base.ClientRate, base.ClientBurst = 100000, 100000 // bots play far faster than people
	base.ReclaimIdle = time.Second
	base.ShutdownTimeout = 2 * time.Second
	base.LogLevel = logLevel()
	base.WorkerID = "e2e-worker"
	// A port free a moment ago may be taken by a test running beside this
	// one before serve binds it: then again on other ports.
	var cfg config.Config
	for try := 1; ; try++ {
		cfg = base
		cfg.HTTPAddr, cfg.OpsAddr = freeAddr(t), freeAddr(t)
		if mod != nil {
			mod(&cfg)
		}
		err := tryStartApp(t, "serve", cfg)
		if err == nil {
			break
		}
		if try == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("start serve: %v", err)
		}
		t.Logf("start serve: %v; again on other ports", err)
	}

	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	pg := pgstore.New(pool)
	// The key serve made to seal hands at rest (no HOKM_STATE_KEYS here),
	// so the test reads tables as the server does.
	key, err := pg.StateKey(context.Background(), make([]byte, sealbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := sealbox.NewKeyring(sealbox.Key{ID: pgstore.StateKeyID, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return &server{
		cfg: cfg, rdb: rdb, pg: pg,
		store: redisstore.New(rdb, redisstore.Options{Prefix: cfg.RedisPrefix, Partitions: cfg.Partitions, Seal: ring}),
	}
}

// startApp starts one role with fx, waits until its gateway (if it has one)
// is ready, and stops it when the test ends.
func startApp(t testing.TB, role string, cfg config.Config) {
	t.Helper()
	if err := tryStartApp(t, role, cfg); err != nil {
		t.Fatalf("start %s: %v", role, err)
	}
}

// tryStartApp is startApp returning the error of a start that failed.
func tryStartApp(t testing.TB, role string, cfg config.Config) error {
	t.Helper()
	a := fx.New(app.Role(role, cfg))
	if err := a.Err(); err != nil {
		t.Fatalf("%s: %v", role, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		return err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", role, err)
		}
		t.Logf("%s stopped in %v", role, time.Since(start).Round(time.Millisecond))
	})
	waitReady(t, cfg.HTTPAddr)
	return nil
}

func waitReady(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not ready: %v %v", addr, resp, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitStored polls until the match is in PostgreSQL.
func waitStored(t *testing.T, pg *pgstore.Store, matchID string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		ok, err := pg.MatchExists(ctx, matchID)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("match %s not in PostgreSQL after %v (last error %v)", matchID, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkStored exports the stored match, replays it, and requires the
// replay, the stored result and what the clients saw to be the same.
func checkStored(t *testing.T, pg *pgstore.Store, m botclient.MatchSummary) (actions int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := pg.ExportRecord(ctx, m.ID)
	if err != nil {
		t.Fatalf("export %s: %v", m.ID, err)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	res, status := game.ReplayJSON(bytes.NewReader(b))
	if status != 0 || !res.OK || !res.Over || res.Winner == nil {
		t.Fatalf("replay of %s: exit %d, %+v (error %+v)", m.ID, status, res, res.Error)
	}
	hands, score, winner, err := pg.MatchResult(ctx, m.ID)
	if err != nil {
		t.Fatalf("match result %s: %v", m.ID, err)
	}
	if winner == nil || *winner != *res.Winner || score != res.Score || !reflect.DeepEqual(hands, res.Hands) {
		t.Fatalf("match %s: stored score %v winner %v hands %+v; replay gives %v %d %+v",
			m.ID, score, winner, hands, res.Score, *res.Winner, res.Hands)
	}
	if m.Score != score || m.Winner != *winner || !reflect.DeepEqual(m.Hands, hands) {
		t.Fatalf("match %s: clients saw score %v winner %d hands %+v; stored %v %d %+v",
			m.ID, m.Score, m.Winner, m.Hands, score, *winner, hands)
	}
	if len(hands) == 0 || max(score[0], score[1]) < 3 {
		t.Fatalf("match %s: a target-3 match ended at %v after %d hands", m.ID, score, len(hands))
	}
	return len(rec.Actions)
}

// TestServeEndToEnd plays two matches with the bot clients against the
// whole server in this process: every frame is checked for hidden cards,
// both matches reach PostgreSQL, and the stored record replays to the
// result the worker stored and the clients saw.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	rep, err := botclient.Run(ctx, botclient.Options{
		URL: s.wsURL(), Matches: 2, Parallel: 2, Rules: game.Rules{Target: 3}, Timeout: 45 * time.Second,
		CheckLeaks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Completed != 2 || len(rep.Errors) > 0 || len(rep.Results) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Results[0].ID == rep.Results[1].ID {
		t.Fatalf("both matches are %s", rep.Results[0].ID)
	}
	// Every move reaches four clients, and each also gets its own acks.
	if rep.FramesChecked < 4*rep.Moves {
		t.Fatalf("leak check read %d frames for %d moves", rep.FramesChecked, rep.Moves)
	}
	t.Logf("2 matches, %d moves in %v; move latency p50 %.2f ms p99 %.2f ms; %d frames checked for leaks",
		rep.Moves, time.Since(start).Round(time.Millisecond), rep.Latency.P50, rep.Latency.P99, rep.FramesChecked)

	actions := 0
	for _, m := range rep.Results {
		waitStored(t, s.pg, m.ID, 10*time.Second)
		actions += checkStored(t, s.pg, m)
	}
	// Every move a client made (trumps and cards) is stored once.
	if actions != rep.Moves {
		t.Fatalf("%d actions stored, clients made %d moves", actions, rep.Moves)
	}
	for _, m := range rep.Results {
		checkRecordForms(t, s, m.ID, true) // HOKM_COMPRESS_RECORDS's default
	}
}

// TestServePlainRecords: with HOKM_COMPRESS_RECORDS=false (a rolling
// upgrade from a release that reads only plain JSON) a finished match's
// persist task and ledger record are plain JSON, and the match is stored.
func TestServePlainRecords(t *testing.T) {
	t.Parallel()
	s := startServeWith(t, func(c *config.Config) { c.CompressRecords = false })
	checkRecordForms(t, s, playStored(t, s).ID, false)
}

// playStored plays one match to 3 points with bots on s and waits until
// PostgreSQL has it.
func playStored(t *testing.T, s *server) botclient.MatchSummary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := botclient.Run(ctx, botclient.Options{URL: s.wsURL(), Matches: 1, Parallel: 1,
		Rules: game.Rules{Target: 3}, Timeout: 45 * time.Second})
	if err != nil || rep.Completed != 1 {
		t.Fatalf("bots: %v %+v", err, rep)
	}
	waitStored(t, s.pg, rep.Results[0].ID, 10*time.Second)
	return rep.Results[0]
}

// checkRecordForms requires the match's completed persist task and its
// reconcile ledger record to be compressed or plain JSON, as asked.
func checkRecordForms(t *testing.T, s *server, matchID string, compressed bool) {
	t.Helper()
	ctx := context.Background()
	insp := asynq.NewInspectorFromRedisClient(s.rdb)
	var task *asynq.TaskInfo
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		task, err = insp.GetTaskInfo(tasks.QueuePersist, tasks.PersistMatchTaskID(matchID))
		if err == nil && task.State == asynq.TaskStateCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("persist task of %s: %v %+v", matchID, err, task)
		}
	}
	rec, err := s.rdb.HGet(ctx, s.store.Keys().Reconciled(), matchID).Bytes()
	if err != nil {
		t.Fatalf("ledger record of %s: %v", matchID, err)
	}
	for what, b := range map[string][]byte{"persist task payload": task.Payload, "ledger record": rec} {
		if zjson.Compressed(b) != compressed || !compressed && !json.Valid(b) {
			t.Errorf("%s of %s: compressed %v, want %v", what, matchID, zjson.Compressed(b), compressed)
		}
		if plain, err := zjson.Plain(b); err != nil || !bytes.Contains(plain, []byte(`"match_id":"`+matchID+`"`)) {
			t.Errorf("%s of %s does not read as its record: %v", what, matchID, err)
		}
	}
}

// wsClient is a raw protocol client on one socket.
type wsClient struct {
	t      *testing.T
	name   string
	ws     *websocket.Conn
	frames chan wsFrame
	nextID int
}

type wsFrame struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Code  string          `json:"code"`
	Data  json.RawMessage `json:"data"`
	Seq   int64           `json:"seq"`
	Event json.RawMessage `json:"event"`
	raw   string
}

func dialWS(t *testing.T, name, addr string) *wsClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?v=1", nil)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	c := &wsClient{t: t, name: name, ws: ws, frames: make(chan wsFrame, 4096)}
	go func() {
		defer close(c.frames)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f wsFrame
			if err := json.Unmarshal(b, &f); err != nil {
				f.Type = "undecodable"
			}
			f.raw = string(b)
			c.frames <- f
		}
	}()
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *wsClient) write(frame []byte) {
	c.t.Helper()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

// await returns the frame answering id, and the frames received before it.
func (c *wsClient) await(id string) (wsFrame, []wsFrame) {
	c.t.Helper()
	var before []wsFrame
	timeout := time.After(15 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("%s: socket closed waiting for %q", c.name, id)
			}
			if f.ID == id && (f.Type == "ack" || f.Type == "error") {
				return f, before
			}
			before = append(before, f)
		case <-timeout:
			c.t.Fatalf("%s: no answer to %q", c.name, id)
		}
	}
}

// request sends msg with a new id and returns the ack's data.
func (c *wsClient) request(msg map[string]any) json.RawMessage {
	c.t.Helper()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	msg["id"] = id
	b, _ := json.Marshal(msg)
	c.write(b)
	f, _ := c.await(id)
	if f.Type != "ack" {
		c.t.Fatalf("%s: %v refused: %s", c.name, msg["type"], f.raw)
	}
	return f.Data
}

// drain returns the frames that arrive within d.
func (c *wsClient) drain(d time.Duration) []wsFrame {
	var out []wsFrame
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return out
			}
			out = append(out, f)
		case <-timeout:
			return out
		}
	}
}

// humanTurn waits until seat 0 must act (trump as Hakem, or a card) in the
// table's match and returns the table as it is then.
func humanTurn(t *testing.T, st *redisstore.Store, tableID string) redisstore.Loaded {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		l, err := st.LoadTable(ctx, tableID)
		cancel()
		if err == nil && l.Table.Match > 0 && l.Table.Status == "playing" {
			v := game.ViewFor(&l.Table.Game, 0)
			if v.Turn == 0 && (v.Phase == "trump" && v.Hakem == 0 || v.Phase == "play") {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("seat 0 never had to act at %s (last %v)", tableID, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamDone waits until the table's partition of the action stream holds
// want entries with the action id (the same command through both
// gateways) and the workers have read and acknowledged everything in it.
func streamDone(t *testing.T, s *server, tableID, user, actionID string, want int) {
	t.Helper()
	key := s.store.Keys().Actions(s.store.Partition(tableID))
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		entries, err := s.rdb.XRange(ctx, key, "-", "+").Result()
		groups, gerr := s.rdb.XInfoGroups(ctx, key).Result()
		cancel()
		n := 0
		for _, e := range entries {
			if a := redisstore.ActionOf(e.Values); a.ID == actionID && a.User == user {
				n++
			}
		}
		if n > want {
			t.Fatalf("%d entries of action %s in the stream, want %d", n, actionID, want)
		}
		if err == nil && gerr == nil && n == want && len(groups) == 1 && len(entries) > 0 &&
			groups[0].Pending == 0 && groups[0].LastDeliveredID == entries[len(entries)-1].ID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s: %d entries of %s, groups %+v (%v %v)", key, n, actionID, groups, err, gerr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSameActionThroughTwoGateways: one user is connected to two gateways
// and sends the same command with the same id on both sockets at once.
// Both sockets get the same answer, exactly once each, and the table
// applies the command once. Repeated over several turns so that either
// gateway's copy gets to the worker first.
func TestSameActionThroughTwoGateways(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	cfgB := s.cfg
	cfgB.HTTPAddr, cfgB.OpsAddr, cfgB.WorkerID = freeAddr(t), "off", ""
	startApp(t, "gateway", cfgB)

	a := dialWS(t, "gateway A", s.cfg.HTTPAddr)
	var hello struct{ User, Token string }
	if err := json.Unmarshal(a.request(map[string]any{"type": "hello", "name": "human"}), &hello); err != nil || hello.Token == "" {
		t.Fatalf("hello: %v %+v", err, hello)
	}
	var created struct{ Table string }
	_ = json.Unmarshal(a.request(map[string]any{"type": "create_table", "rules": map[string]any{"target": 3}}), &created)
	a.request(map[string]any{"type": "sit", "table": created.Table, "seat": 0})
	a.request(map[string]any{"type": "add_bots", "table": created.Table})

	b := dialWS(t, "gateway B", cfgB.HTTPAddr)
	var helloB struct{ User string }
	if err := json.Unmarshal(b.request(map[string]any{"type": "hello", "token": hello.Token}), &helloB); err != nil || helloB.User != hello.User {
		t.Fatalf("hello on B with the token: %v, user %q want %q", err, helloB.User, hello.User)
	}
	a.request(map[string]any{"type": "start", "table": created.Table})

	kinds := map[string]int{}
	for round := range 4 {
		before := humanTurn(t, s.store, created.Table)
		v := game.ViewFor(&before.Table.Game, 0)
		id := fmt.Sprintf("same-%d", round)
		frame := map[string]any{"type": "play", "id": id, "table": created.Table}
		var want game.Action
		if v.Phase == "trump" {
			want = game.ChooseTrump(v.Cards[0].Suit())
			frame["type"], frame["suit"] = "trump", want.Suit.String()
		} else {
			want = game.PlayCard(v.Legal[0])
			frame["card"] = want.Card.String()
		}
		kinds[frame["type"].(string)]++
		raw, _ := json.Marshal(frame)

		// The same bytes on both sockets at once.
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for _, c := range []*wsClient{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-ready
				c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := c.ws.WriteMessage(websocket.TextMessage, raw); err != nil {
					t.Errorf("%s: write: %v", c.name, err)
				}
			}()
		}
		close(ready)
		wg.Wait()
		ansA, _ := a.await(id)
		ansB, _ := b.await(id)
		var seqA, seqB struct{ Seq int64 }
		_ = json.Unmarshal(ansA.Data, &seqA)
		_ = json.Unmarshal(ansB.Data, &seqB)
		if ansA.Type != "ack" || ansB.Type != "ack" || seqA.Seq != seqB.Seq || seqA.Seq <= before.Seq {
			t.Fatalf("round %d (%s): answers differ or refused:\n A %s\n B %s", round, raw, ansA.raw, ansB.raw)
		}

		// Both copies were enqueued and processed; the bots have played
		// on to the human's next turn.
		streamDone(t, s, created.Table, hello.User, id, 2)
		after := humanTurn(t, s.store, created.Table)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		stored, err := s.store.LookupAnswer(ctx, created.Table, hello.User, id)
		logged, lerr := s.store.ReadLog(ctx, created.Table, before.Seq, 1000)
		cancel()
		if err != nil || lerr != nil || stored == nil || stored.Code != "" || stored.Seq != seqA.Seq {
			t.Fatalf("round %d: stored answer %+v (%v %v), acked seq %d", round, stored, err, lerr, seqA.Seq)
		}

		// Applied exactly once: one move of seat 0 since, the one sent …
		var mine []game.Action
		for _, m := range after.Table.Moves[len(before.Table.Moves):] {
			if m.Seat == 0 {
				mine = append(mine, m.Action)
			}
		}
		if len(mine) != 1 || mine[0] != want {
			t.Fatalf("round %d: seat 0's moves since %v, want exactly [%v]", round, mine, want)
		}
		// … and one event for it in the log, at or before the acked seq.
		n := 0
		for _, e := range logged {
			var ev struct {
				Type string `json:"type"`
				Seat *int   `json:"seat"`
			}
			_ = json.Unmarshal(e.E, &ev)
			if (ev.Type == "card_played" || ev.Type == "trump_chosen") && ev.Seat != nil && *ev.Seat == 0 {
				n++
				if e.Seq <= before.Seq || e.Seq > seqA.Seq {
					t.Fatalf("round %d: seat 0's %s at seq %d, acked seq %d", round, ev.Type, e.Seq, seqA.Seq)
				}
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d events of seat 0 in the log after seq %d", round, n, before.Seq)
		}
		// No socket is answered twice.
		for _, c := range []*wsClient{a, b} {
			ping := "ping-" + strconv.Itoa(round)
			c.write([]byte(`{"type":"ping","id":"` + ping + `"}`))
			_, seen := c.await(ping)
			for _, f := range append(seen, c.drain(100*time.Millisecond)...) {
				if f.ID == id {
					t.Fatalf("round %d: %s answered %s twice: %s", round, c.name, id, f.raw)
				}
			}
		}
	}
	t.Logf("commands sent through both gateways at once: %v", kinds)
}
