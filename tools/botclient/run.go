package botclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hokm-project/hokm/game"
)

// Options of a run.
type Options struct {
	URL string // ws://host:port/ws
	// URLs, when set, spreads each table's four clients over several
	// gateways: seat i dials URLs[i % len(URLs)] first, and a client that
	// loses its socket reconnects to the next URL of the list, round robin.
	// URL is then not used.
	URLs     []string
	Matches  int           // matches to play
	Parallel int           // matches at once
	Rules    game.Rules    // rules of every table
	Timeout  time.Duration // per match; default 5 minutes
	// CheckLeaks checks every frame each client receives for cards its
	// seat may not see (see leakCheck); a leak fails the match.
	CheckLeaks bool
	// NoReconnect makes a lost socket (a bye shutdown, a closed or broken
	// connection) fail the match. By default a client reconnects as the
	// web client does: jittered backoff, the next gateway, hello with its
	// session's token, sync from the last seq it has, then the command it
	// had not had answered again, with the same id.
	NoReconnect bool
	// OnMove, when set, is called after each trump or card a client sends,
	// from the clients' goroutines (concurrently).
	OnMove func()
	// OnPlayed, when set, is called once per card the server applied: by
	// the client whose seat played it, when its card_played event arrives
	// live, with the table id (concurrently, from the clients' goroutines).
	OnPlayed func(table string)
	// OnTimed, when set, is called with each timed card's latency (see
	// Latency) as the last of its four clients reads it (concurrently).
	OnTimed func(time.Duration)
	// OnFrame, when set, is called for every frame (WebSocket message) a client reads
	// (concurrently).
	OnFrame func()
	// Pace, when set, spaces each table's moves (trumps and cards): a move
	// is sent at its table's next slot, Pace after the previous one's, or
	// at once when the table is behind (a slow server is not sent a burst).
	// Zero is a closed loop: each move as soon as it is the seat's turn.
	Pace time.Duration
	// Ramp, when set, starts the Parallel tables evenly over that time
	// instead of all at once: players arriving, not thousands of sockets
	// seating at the same instant.
	Ramp time.Duration
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
	// LongestGap is the longest a table went between two cards reaching
	// all four of its clients, in milliseconds: the stall players saw,
	// including what untimed moves (resynced, reconnected) waited.
	LongestGap float64  `json:"longest_gap_ms"`
	Seconds    float64  `json:"seconds"`
	Errors     []string `json:"errors,omitempty"`
	// FramesChecked counts the frames the leak check read (CheckLeaks).
	FramesChecked int `json:"frames_checked,omitempty"`
	// Reconnects counts the sockets clients replaced after losing one;
	// ReconnectLatency is how long that took, from the loss (the bye or
	// the failed read) to the answer of the sync on the new socket, and
	// ReconnectTimes the same, each (for Go callers).
	Reconnects       int             `json:"reconnects"`
	ReconnectLatency Spread          `json:"reconnect_ms"`
	ReconnectTimes   []time.Duration `json:"-"`
	// Resyncs counts the resync frames clients adopted (the server rebuilt
	// a table, e.g. after losing Redis state).
	Resyncs int `json:"resyncs"`
	// Rejoins counts seats taken again because a resync took a table back
	// to before its match started (the server lost the start); the host
	// then started the match again.
	Rejoins int `json:"rejoins,omitempty"`
	// DroppedMoves counts moves refused by the rules after a resync, a
	// snapshot or a reconnect had replaced the state they were chosen from;
	// their bots decided again. They are not in Moves.
	DroppedMoves int `json:"dropped_moves,omitempty"`
	// Backs counts seats taken back from the server's bot: a move refused
	// seat_away (the client missed its turns) is followed by "back".
	Backs int `json:"backs,omitempty"`
	// RolledBack counts moves the clients saw made (their seats' cards and
	// trumps, by them or by the server for them) that a later snapshot or
	// resync took back: play the server lost, made again. LongestLoss is
	// the longest such loss in milliseconds, from the oldest move taken
	// back to the newest event its client had read before the snapshot.
	RolledBack  int     `json:"rolled_back_moves,omitempty"`
	LongestLoss float64 `json:"longest_loss_ms,omitempty"`
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
	// Moves the clients made and had answered (Report.Moves), and moves
	// of theirs or made for them that were taken back (Report.RolledBack):
	// every move in the first count but not the second is in the match's
	// record.
	Moves, RolledBack int
}

// Latency summarises move latencies in milliseconds: from a client's write
// of its card to the moment the last of the table's four clients has the
// resulting card_played event. Moves that crossed a reconnect are left out
// (see stopwatch).
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Spread summarises a few durations in milliseconds.
type Spread struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
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
	workers := min(opts.Parallel, opts.Matches)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if opts.Ramp > 0 {
				select {
				case <-time.After(opts.Ramp * time.Duration(w) / time.Duration(workers)):
				case <-ctx.Done():
				}
			}
			// The four sessions of this worker's tables, kept from match to
			// match: a run starts 4×Parallel guests, not 4×Matches (the
			// server limits new guests per IP, limit guest:ip). They take
			// turns at seat 0, which creates the table (create_table is
			// limited per user, limit table:user).
			var tokens [4]string
			for range jobs {
				res := playMatch(ctx, opts, &tokens)
				tokens = [4]string{tokens[1], tokens[2], tokens[3], tokens[0]}
				mu.Lock()
				rep.Moves += res.moves
				rep.DroppedMoves += res.dropped
				rep.FramesChecked += res.frames
				rep.Resyncs += res.resyncs
				rep.Rejoins += res.rejoins
				rep.Backs += res.backs
				rep.RolledBack += res.rolledBack
				rep.LongestLoss = max(rep.LongestLoss, float64(res.lossSpan)/float64(time.Millisecond))
				rep.ReconnectTimes = append(rep.ReconnectTimes, res.reconnects...)
				lats = append(lats, res.latencies...)
				rep.LongestGap = max(rep.LongestGap, float64(res.gap)/float64(time.Millisecond))
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
feed:
	for i := 0; i < opts.Matches; i++ {
		select {
		case jobs <- i:
		case <-ctx.Done(): // no more matches: those started end with the context
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	rep.Latency = summarize(lats)
	rep.Reconnects = len(rep.ReconnectTimes)
	rep.ReconnectLatency = spread(rep.ReconnectTimes)
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func summarize(lats []time.Duration) Latency {
	q := quantiles(lats)
	return Latency{P50: q(0.50), P99: q(0.99), P999: q(0.999), Max: q(1)}
}

func spread(ds []time.Duration) Spread {
	q := quantiles(ds)
	return Spread{P50: q(0.50), P95: q(0.95), Max: q(1)}
}

// quantiles sorts a copy of ds and returns its quantile function, in
// milliseconds (0 for no durations).
func quantiles(ds []time.Duration) func(p float64) float64 {
	ds = slices.Sorted(slices.Values(ds))
	return func(p float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		i := min(int(p*float64(len(ds))), len(ds)-1)
		return float64(ds[i].Microseconds()) / 1000
	}
}

type matchResult struct {
	summary    MatchSummary
	moves      int
	dropped    int
	frames     int // checked for leaks
	latencies  []time.Duration
	gap        time.Duration // the stopwatch's longestGap
	reconnects []time.Duration
	resyncs    int
	rejoins    int
	backs      int
	rolledBack int
	lossSpan   time.Duration
	err        error
}

// playMatch plays one match with four clients, resuming the sessions of
// tokens (and keeping theirs there for the next match).
func playMatch(ctx context.Context, opts Options, tokens *[4]string) matchResult {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	sw := newStopwatch(opts.OnTimed)
	pace := &Pacer{Every: opts.Pace}
	var clients [4]*client
	for i := range clients {
		clients[i] = newClient(i, &opts, sw)
		clients[i].pace = pace
		clients[i].token = tokens[i]
	}
	defer func() {
		for i, c := range clients {
			tokens[i] = c.token
			c.close()
		}
	}()
	tableID, err := setUp(ctx, clients, opts.Rules)
	if err == nil {
		err = playAll(ctx, cancel, clients)
	}
	if err != nil && tableID != "" {
		err = fmt.Errorf("table %s: %w", tableID, err)
	}
	res := matchResult{latencies: sw.latencies(), gap: sw.longestGap(), err: err}
	for _, c := range clients {
		res.moves += c.moves
		res.dropped += c.dropped
		res.resyncs += c.resyncs
		res.rejoins += c.rejoins
		res.backs += c.backs
		res.rolledBack += c.rolledBack
		res.lossSpan = max(res.lossSpan, c.lossSpan)
		res.reconnects = append(res.reconnects, c.reconnects...)
		if c.leaks != nil {
			res.frames += c.leaks.frames
		}
	}
	res.summary = MatchSummary{ID: tableID + "-" + strconv.Itoa(clients[0].state.match)}
	if err == nil {
		res.summary, res.err = agree(res.summary.ID, clients)
		res.summary.Moves, res.summary.RolledBack = res.moves, res.rolledBack
	}
	return res
}

// setUp connects the four clients, creates a table, seats them (the
// creator, seat 0, first: it is the host), has the three others say they
// are ready and the host start the match; it returns the table's id.
func setUp(ctx context.Context, clients [4]*client, rules game.Rules) (string, error) {
	for _, c := range clients {
		if err := c.connect(ctx); err != nil {
			return "", err
		}
	}
	data, err := clients[0].request(ctx, map[string]any{"type": "create_table", "rules": rules})
	if err != nil {
		return "", err
	}
	var created struct {
		Table string `json:"table"`
	}
	if err := json.Unmarshal(data, &created); err != nil || created.Table == "" {
		return "", fmt.Errorf("create_table answer %s: %v", data, err)
	}
	for i, c := range clients {
		c.table = created.Table
		if _, err := c.request(ctx, map[string]any{"type": "sit", "table": c.table, "seat": i}); err != nil {
			return created.Table, err
		}
		c.seated = true
	}
	for _, c := range clients[1:] {
		if _, err := c.request(ctx, map[string]any{"type": "ready", "table": c.table}); err != nil {
			if !tookBack(err) {
				return created.Table, err
			}
			c.wentBack = true
		}
	}
	_, err = clients[0].request(ctx, map[string]any{"type": "start", "table": created.Table})
	switch {
	case tookBack(err):
		clients[0].wentBack, err = true, nil
	case startedBefore(err):
		err = nil
	}
	return created.Table, err
}

// playAll plays the match with the four clients at once; the first error
// stops the others.
func playAll(ctx context.Context, cancel func(), clients [4]*client) error {
	errs := make(chan error, len(clients))
	for _, c := range clients {
		go func() { errs <- c.play(ctx) }()
	}
	var err error
	for range clients {
		if e := <-errs; e != nil && err == nil {
			err = e
			cancel()
		}
	}
	return err
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
