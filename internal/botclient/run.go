package botclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
)

// Options of a run.
type Options struct {
	URL      string        // ws://host:port/ws
	Matches  int           // matches to play
	Parallel int           // matches at once
	Rules    game.Rules    // rules of every table
	Timeout  time.Duration // per match; default 5 minutes
}

// Report is the outcome of a run; its JSON is `hokm bots`' last line.
type Report struct {
	Matches   int      `json:"matches"`
	Completed int      `json:"completed"`
	MatchIDs  []string `json:"match_ids"`
	Moves     int      `json:"moves"`
	Latency   Latency  `json:"move_latency_ms"`
	Seconds   float64  `json:"seconds"`
	Errors    []string `json:"errors,omitempty"`
}

// Latency summarises move latencies in milliseconds: from a client's write
// of its card to the moment the last of the table's four clients has the
// resulting card_played event.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Run plays opts.Matches matches and reports. It returns an error only for
// bad options; failed matches are counted and described in Report.Errors.
func Run(ctx context.Context, opts Options) (Report, error) {
	if opts.Matches < 1 || opts.Parallel < 1 {
		return Report{}, fmt.Errorf("matches and parallel must be at least 1")
	}
	if _, err := url.Parse(opts.URL); err != nil {
		return Report{}, fmt.Errorf("url: %w", err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	start := time.Now()
	var (
		mu   sync.Mutex
		rep  = Report{Matches: opts.Matches, MatchIDs: []string{}}
		lats []time.Duration
		wg   sync.WaitGroup
		jobs = make(chan int)
	)
	for w := 0; w < min(opts.Parallel, opts.Matches); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				res := playMatch(ctx, opts)
				mu.Lock()
				rep.Moves += res.moves
				lats = append(lats, res.latencies...)
				if res.err != nil {
					rep.Errors = append(rep.Errors, res.err.Error())
				} else {
					rep.Completed++
					rep.MatchIDs = append(rep.MatchIDs, res.matchID)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < opts.Matches; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	rep.Latency = summarize(lats)
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func summarize(lats []time.Duration) Latency {
	if len(lats) == 0 {
		return Latency{}
	}
	slices.Sort(lats)
	q := func(p float64) float64 {
		i := min(int(p*float64(len(lats))), len(lats)-1)
		return float64(lats[i].Microseconds()) / 1000
	}
	return Latency{P50: q(0.50), P99: q(0.99), P999: q(0.999), Max: q(1)}
}

type matchResult struct {
	matchID   string
	moves     int
	latencies []time.Duration
	err       error
}

// stopwatch times each card from its write until all four clients saw it.
type stopwatch struct {
	mu    sync.Mutex
	sent  map[string]time.Time
	seen  map[string]int
	moves []time.Duration
}

func moveKey(hand, seat int, c game.Card) string {
	return strconv.Itoa(hand) + "/" + strconv.Itoa(seat) + "/" + c.String()
}

func (w *stopwatch) start(key string) {
	w.mu.Lock()
	w.sent[key] = time.Now()
	w.mu.Unlock()
}

func (w *stopwatch) saw(key string) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen[key]++
	if t0, ok := w.sent[key]; ok && w.seen[key] == 4 {
		w.moves = append(w.moves, now.Sub(t0))
	}
}

func playMatch(ctx context.Context, opts Options) (res matchResult) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	sw := &stopwatch{sent: map[string]time.Time{}, seen: map[string]int{}}
	var clients [4]*client
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.close()
			}
		}
	}()
	for i := range clients {
		c, err := dial(ctx, opts.URL, i, sw)
		if err != nil {
			return matchResult{err: err}
		}
		clients[i] = c
		if _, err := c.request(map[string]any{"type": "hello", "name": "bot" + strconv.Itoa(i)}); err != nil {
			return matchResult{err: err}
		}
	}
	data, err := clients[0].request(map[string]any{"type": "create_table", "rules": opts.Rules})
	if err != nil {
		return matchResult{err: err}
	}
	var created struct {
		Table string `json:"table"`
	}
	if err := json.Unmarshal(data, &created); err != nil || created.Table == "" {
		return matchResult{err: fmt.Errorf("create_table answer %s: %v", data, err)}
	}
	for i, c := range clients {
		c.table = created.Table
		if _, err := c.request(map[string]any{"type": "sit", "table": c.table, "seat": i}); err != nil {
			return matchResult{err: err}
		}
	}
	if _, err := clients[0].request(map[string]any{"type": "start", "table": created.Table}); err != nil {
		return matchResult{err: err}
	}
	errs := make(chan error, 4)
	for _, c := range clients {
		go func(c *client) { errs <- c.play(ctx) }(c)
	}
	for range clients {
		if e := <-errs; e != nil && err == nil {
			err = e
			cancel() // stop the other three
		}
	}
	moves := 0
	for _, c := range clients {
		moves += c.moves
	}
	id := created.Table + "-" + strconv.Itoa(clients[0].state.match)
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return matchResult{matchID: id, moves: moves, latencies: sw.moves, err: err}
}

// client is one bot's connection.
type client struct {
	ws     *websocket.Conn
	table  string
	state  seatState
	nextID int
	moves  int
	sw     *stopwatch
	bot    bot.Bot
	frames chan frameOrErr
}

type frameOrErr struct {
	f   frame
	err error
}

func dial(ctx context.Context, rawURL string, seat int, sw *stopwatch) (*client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("v", "1")
	u.RawQuery = q.Encode()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.DialContext(ctx, u.String(), http.Header{})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", u, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	c := &client{ws: ws, state: seatState{seat: seat}, sw: sw, bot: bot.NewHeuristic(), frames: make(chan frameOrErr, 64)}
	go c.readLoop()
	return c, nil
}

func (c *client) readLoop() {
	defer close(c.frames)
	for {
		var f frame
		_, b, err := c.ws.ReadMessage()
		if err == nil {
			err = json.Unmarshal(b, &f)
		}
		c.frames <- frameOrErr{f, err}
		if err != nil {
			return
		}
	}
}

func (c *client) close() { c.ws.Close() }

func (c *client) send(msg map[string]any) (string, error) {
	c.nextID++
	id := "m" + strconv.Itoa(c.nextID)
	msg["id"] = id
	b, _ := json.Marshal(msg)
	c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return id, c.ws.WriteMessage(websocket.TextMessage, b)
}

// next returns the next frame, already applied to the seat's state.
func (c *client) next(ctx context.Context) (frame, error) {
	select {
	case <-ctx.Done():
		return frame{}, fmt.Errorf("seat %d: %w", c.state.seat, ctx.Err())
	case fe, ok := <-c.frames:
		if !ok {
			return frame{}, fmt.Errorf("seat %d: connection closed", c.state.seat)
		}
		if fe.err != nil {
			return frame{}, fmt.Errorf("seat %d: read: %w", c.state.seat, fe.err)
		}
		return fe.f, c.handle(&fe.f)
	}
}

func (c *client) handle(f *frame) error {
	switch f.Type {
	case "snapshot":
		return c.state.snapshot(f)
	case "event":
		e, err := c.state.apply(f.Seq, f.Event)
		if err == nil && e.Type == "card_played" {
			c.sw.saw(moveKey(c.state.view.Hand, e.Seat, e.Card))
		}
		return err
	case "bye":
		return fmt.Errorf("seat %d: server said bye", c.state.seat)
	}
	return nil
}

// request sends a command and waits for its answer, applying whatever
// frames arrive meanwhile.
func (c *client) request(msg map[string]any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	id, err := c.send(msg)
	if err != nil {
		return nil, fmt.Errorf("send %v: %w", msg["type"], err)
	}
	for {
		f, err := c.next(ctx)
		if err != nil {
			return nil, err
		}
		if f.ID != id {
			continue
		}
		if f.Type == "error" {
			return nil, fmt.Errorf("seat %d: %v refused: %s %s", c.state.seat, msg["type"], f.Code, f.Message)
		}
		return f.Data, nil
	}
}

// play acts whenever it is this seat's turn until the match ends.
func (c *client) play(ctx context.Context) error {
	pending := ""
	for !c.state.over {
		if pending == "" && c.state.myTurn() {
			id, err := c.act()
			if err != nil {
				return err
			}
			pending = id
		}
		f, err := c.next(ctx)
		if err != nil {
			return err
		}
		if f.ID != "" && f.ID == pending {
			if f.Type == "error" {
				return fmt.Errorf("seat %d: move refused: %s %s", c.state.seat, f.Code, f.Message)
			}
			pending = ""
		}
	}
	return nil
}

func (c *client) act() (string, error) {
	a := c.state.choose(c.bot)
	msg := map[string]any{"table": c.table}
	if a.Kind == game.KindChooseTrump {
		msg["type"], msg["suit"] = "trump", a.Suit.String()
	} else {
		msg["type"], msg["card"] = "play", a.Card.String()
		c.sw.start(moveKey(c.state.view.Hand, c.state.seat, a.Card))
	}
	c.moves++
	return c.send(msg)
}
