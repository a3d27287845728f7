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
	URL string // ws://host:port/ws
	// URLs, when set, spreads each table's four clients over several
	// gateways: seat i dials URLs[i % len(URLs)]. URL is then not used.
	URLs     []string
	Matches  int           // matches to play
	Parallel int           // matches at once
	Rules    game.Rules    // rules of every table
	Timeout  time.Duration // per match; default 5 minutes
	// CheckLeaks checks every frame each client receives for cards its
	// seat may not see (see leakCheck); a leak fails the match.
	CheckLeaks bool
	// OnMove, when set, is called after each trump or card a client sends,
	// from the clients' goroutines (concurrently).
	OnMove func()
}

// urls is the list of gateways seats dial, by seat modulo its length.
func (o *Options) urls() []string {
	if len(o.URLs) > 0 {
		return o.URLs
	}
	return []string{o.URL}
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
	// FramesChecked counts the frames the leak check read (CheckLeaks).
	FramesChecked int `json:"frames_checked,omitempty"`
	// Results are the completed matches, in the order of MatchIDs, as
	// their clients saw them; for Go callers (not in the JSON report).
	Results []MatchSummary `json:"-"`
}

// MatchSummary is the outcome of a completed match as its four clients saw
// it in hand_ended and match_ended (all four must agree).
type MatchSummary struct {
	ID     string
	Score  [2]int
	Winner int // team
	Hands  []game.HandResult
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
	for _, u := range opts.urls() {
		if u == "" {
			return Report{}, fmt.Errorf("url: empty")
		}
		if _, err := url.Parse(u); err != nil {
			return Report{}, fmt.Errorf("url: %w", err)
		}
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
				rep.FramesChecked += res.frames
				lats = append(lats, res.latencies...)
				if res.err != nil {
					rep.Errors = append(rep.Errors, res.err.Error())
				} else {
					rep.Completed++
					rep.MatchIDs = append(rep.MatchIDs, res.summary.ID)
					rep.Results = append(rep.Results, res.summary)
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
	summary   MatchSummary
	moves     int
	frames    int // checked for leaks
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
	urls := opts.urls()
	for i := range clients {
		c, err := dial(ctx, urls[i%len(urls)], i, sw, &opts)
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
	moves, frames := 0, 0
	for _, c := range clients {
		moves += c.moves
		if c.leaks != nil {
			frames += c.leaks.frames
		}
	}
	summary := MatchSummary{ID: created.Table + "-" + strconv.Itoa(clients[0].state.match)}
	if err == nil {
		summary, err = agree(summary.ID, clients)
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return matchResult{summary: summary, moves: moves, frames: frames, latencies: sw.moves, err: err}
}

// agree is the outcome of the match if all four clients saw the same.
func agree(id string, clients [4]*client) (MatchSummary, error) {
	var first MatchSummary
	for i, c := range clients {
		s := &c.state
		if s.winner == nil {
			return first, fmt.Errorf("match %s: seat %d saw no match_ended", id, i)
		}
		m := MatchSummary{ID: id, Score: s.view.Score, Winner: *s.winner, Hands: s.hands}
		if i == 0 {
			first = m
			continue
		}
		if m.Score != first.Score || m.Winner != first.Winner || !slices.Equal(m.Hands, first.Hands) {
			return first, fmt.Errorf("match %s: seats disagree on the result: seat 0 %+v, seat %d %+v", id, first, i, m)
		}
	}
	return first, nil
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
	leaks  *leakCheck // nil unless Options.CheckLeaks
	onMove func()
}

type frameOrErr struct {
	f   frame
	raw []byte
	err error
}

func dial(ctx context.Context, rawURL string, seat int, sw *stopwatch, opts *Options) (*client, error) {
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
	c := &client{ws: ws, state: seatState{seat: seat}, sw: sw, bot: bot.NewHeuristic(), frames: make(chan frameOrErr, 64),
		onMove: opts.OnMove}
	if opts.CheckLeaks {
		c.leaks = &leakCheck{seat: seat}
	}
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
		c.frames <- frameOrErr{f, b, err}
		if err != nil {
			return
		}
	}
}

func (c *client) close() { c.ws.Close() }

// send sends msg with a new id, or with its own when it has one (a retry).
func (c *client) send(msg map[string]any) (string, error) {
	id, ok := msg["id"].(string)
	if !ok {
		c.nextID++
		id = "m" + strconv.Itoa(c.nextID)
		msg["id"] = id
	}
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
		if c.leaks != nil {
			if err := c.leaks.check(fe.raw); err != nil {
				return frame{}, err
			}
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

// maxRetries bounds how often one command is resent after unavailable.
const maxRetries = 5

// retry waits before resending a command that got unavailable (attempt
// from 1); false when it should not be resent.
func retry(ctx context.Context, msg map[string]any, f *frame, attempt int) bool {
	if f.Type != "error" || f.Code != "unavailable" || attempt > maxRetries || msg["type"] == "create_table" {
		return false // a retried create_table may create a second table
	}
	t := time.NewTimer(time.Duration(attempt) * 100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// request sends a command and waits for its answer, applying whatever
// frames arrive meanwhile. An unavailable answer is retried with the same
// id, as the protocol says.
func (c *client) request(msg map[string]any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	id, err := c.send(msg)
	if err != nil {
		return nil, fmt.Errorf("send %v: %w", msg["type"], err)
	}
	for attempt := 1; ; {
		f, err := c.next(ctx)
		if err != nil {
			return nil, err
		}
		if f.ID != id {
			continue
		}
		if retry(ctx, msg, &f, attempt) {
			attempt++
			if _, err := c.send(msg); err != nil {
				return nil, fmt.Errorf("send %v: %w", msg["type"], err)
			}
			continue
		}
		if f.Type == "error" {
			return nil, fmt.Errorf("seat %d: %v refused: %s %s", c.state.seat, msg["type"], f.Code, f.Message)
		}
		return f.Data, nil
	}
}

// play acts whenever it is this seat's turn until the match ends. A move
// answered unavailable is sent again with the same id.
func (c *client) play(ctx context.Context) error {
	pending, attempt := "", 0
	var msg map[string]any
	for !c.state.over {
		if pending == "" && c.state.myTurn() {
			m, id, err := c.act()
			if err != nil {
				return err
			}
			msg, pending, attempt = m, id, 1
		}
		f, err := c.next(ctx)
		if err != nil {
			return err
		}
		if f.ID != "" && f.ID == pending {
			if retry(ctx, msg, &f, attempt) {
				attempt++
				if _, err := c.send(msg); err != nil {
					return fmt.Errorf("seat %d: resend: %w", c.state.seat, err)
				}
				continue
			}
			if f.Type == "error" {
				return fmt.Errorf("seat %d: move refused: %s %s", c.state.seat, f.Code, f.Message)
			}
			pending = ""
		}
	}
	return nil
}

func (c *client) act() (map[string]any, string, error) {
	a := c.state.choose(c.bot)
	msg := map[string]any{"table": c.table}
	if a.Kind == game.KindChooseTrump {
		msg["type"], msg["suit"] = "trump", a.Suit.String()
	} else {
		msg["type"], msg["card"] = "play", a.Card.String()
		c.sw.start(moveKey(c.state.view.Hand, c.state.seat, a.Card))
	}
	c.moves++
	id, err := c.send(msg)
	if err == nil && c.onMove != nil {
		c.onMove()
	}
	return msg, id, err
}
