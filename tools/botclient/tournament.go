package botclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// TournamentOptions describe a field of bot players for a tournament:
// Teams teams of two registered through the tournaments API (the first of
// each registers the team, the second joins it with its code), each player
// on a socket of its own, checking in when check-in opens and then playing
// every table the server pulls them in to until the tournament ends.
type TournamentOptions struct {
	URLs       []string // gateways' WebSocket URLs; player i dials URLs[i % len] first
	Tournament string
	Teams      int
	// Timeout bounds the whole tournament; default 10 minutes.
	Timeout time.Duration
	Pace    time.Duration // between a player's moves; 0: at once
}

// TournamentReport is what the players saw.
type TournamentReport struct {
	Players int `json:"players"`
	// Matches are the completed matches by table, as their players saw
	// them (every player of a table must agree).
	Matches    map[string]MatchSummary `json:"-"`
	Moves      int                     `json:"moves"`
	Reconnects int                     `json:"reconnects"`
	Dropped    int                     `json:"dropped_moves,omitempty"`
	Backs      int                     `json:"backs,omitempty"` // seats taken back from the server's bot
	Seconds    float64                 `json:"seconds"`
}

// PlayTournament registers the field, checks it in and plays the
// tournament to its end ("finished" notice); the first player's error
// stops the others.
func PlayTournament(ctx context.Context, o TournamentOptions) (TournamentReport, error) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	start := time.Now()
	rep := TournamentReport{Players: 2 * o.Teams, Matches: map[string]MatchSummary{}}
	codes := make([]chan string, o.Teams)
	for i := range codes {
		codes[i] = make(chan string, 1)
	}
	sw := newStopwatch(nil)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for i := range 2 * o.Teams {
		wg.Go(func() {
			p := &player{o: &o, i: i, c: newClient(i, &Options{URLs: o.URLs}, sw)}
			p.c.name = fmt.Sprintf("tbot%d", i)
			p.c.at = i % len(o.URLs)
			p.c.pace = &Pacer{Every: o.Pace}
			p.c.state.seat = -1
			err := p.run(ctx, codes[i/2])
			mu.Lock()
			defer mu.Unlock()
			rep.Moves += p.c.moves
			rep.Dropped += p.c.dropped
			rep.Backs += p.c.backs
			rep.Reconnects += len(p.c.reconnects)
			for _, m := range p.played {
				if seen, ok := rep.Matches[m.ID]; ok && (seen.Score != m.Score || seen.Winner != m.Winner) && err == nil {
					err = fmt.Errorf("match %s: players disagree: %+v and %+v", m.ID, seen, m)
				}
				rep.Matches[m.ID] = m
			}
			if err != nil && first == nil {
				first = fmt.Errorf("player %d (%s): %w", i, p.c.user, err)
				cancel()
			}
		})
	}
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	return rep, first
}

// player is one bot of the field.
type player struct {
	o      *TournamentOptions
	i      int
	c      *client
	played []MatchSummary
}

func (p *player) run(ctx context.Context, code chan string) error {
	c := p.c
	if err := c.connect(ctx); err != nil {
		return err
	}
	defer c.close()
	c.state.user = c.user
	if p.i%2 == 0 {
		var reg struct{ Code string }
		if err := p.call(ctx, "register", map[string]any{"team_name": fmt.Sprintf("bots %d", p.i/2)}, &reg); err != nil {
			return err
		}
		code <- reg.Code
	} else {
		select {
		case k := <-code:
			if err := p.call(ctx, "join", map[string]any{"code": k}, nil); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	checkedIn := make(chan error, 1)
	go func() { checkedIn <- p.checkIn(ctx) }()
	for {
		f, err := c.next(ctx)
		if err != nil {
			return err
		}
		if f.Type != "notice" || f.Tournament != p.o.Tournament {
			continue
		}
		switch {
		case f.Notice == "matched" && f.Table != c.table:
			if err := p.playTable(ctx, f.Table); err != nil {
				return fmt.Errorf("table %s: %w", f.Table, err)
			}
		case f.Notice == "tournament" && (f.Status == "finished" || f.Status == "cancelled"):
			if f.Status == "cancelled" {
				return fmt.Errorf("tournament %s cancelled", p.o.Tournament)
			}
			return <-checkedIn
		}
	}
}

// playTable plays the match at a table the server seated the player at:
// the gateway sends its snapshot after the notice, and the seat is where
// the table has the player.
func (p *player) playTable(ctx context.Context, id string) error {
	c := p.c
	c.table, c.seated, c.epoch, c.own = id, true, nil, nil
	c.state = seatState{seat: -1, user: c.user}
	if err := c.play(ctx); err != nil {
		return err
	}
	if c.state.winner == nil {
		return fmt.Errorf("no match_ended")
	}
	p.played = append(p.played, MatchSummary{ID: id + "-" + fmt.Sprint(c.state.match), Score: c.state.view.Score,
		Winner: *c.state.winner, Hands: c.state.hands})
	return nil
}

// checkIn checks in once check-in opens (polling the tournament: the
// notice may come before the socket listens).
func (p *player) checkIn(ctx context.Context) error {
	for {
		var d struct {
			Tournament struct{ Status string }
		}
		if err := p.get(ctx, &d); err != nil {
			return err
		}
		switch d.Tournament.Status {
		case "checkin":
			return p.call(ctx, "checkin", map[string]any{}, nil)
		case "running", "finished", "cancelled":
			return fmt.Errorf("check-in closed before player %d checked in", p.i)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// base is the HTTP origin of the player's gateway.
func (p *player) base() string {
	u, _ := url.Parse(p.c.urls[p.c.at])
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	return scheme + "://" + u.Host
}

// call POSTs to /api/tournaments/{id}/{action}, retrying an unavailable
// answer or a lost connection.
func (p *player) call(ctx context.Context, action string, body, out any) error {
	b, _ := json.Marshal(body)
	return p.do(ctx, "POST", "/api/tournaments/"+p.o.Tournament+"/"+action, b, out)
}

func (p *player) get(ctx context.Context, out any) error {
	return p.do(ctx, "GET", "/api/tournaments/"+p.o.Tournament, nil, out)
}

func (p *player) do(ctx context.Context, method, path string, body []byte, out any) error {
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, p.base()+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+p.c.token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch {
			case res.StatusCode < 300:
				if out == nil {
					return nil
				}
				return json.Unmarshal(b, out)
			case res.StatusCode != http.StatusServiceUnavailable:
				return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, strings.TrimSpace(string(b)))
			}
			err = fmt.Errorf("%s %s: unavailable", method, path)
		}
		if attempt == 20 || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff(attempt)):
		}
	}
}
