package botclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// HoldOptions are an idle-capacity run's: N sockets that each say hello
// as a new guest and then stay open, reading what the server sends;
// Seated, they sit four to a public table (the first creates it; each
// takes its seat 0-3), waiting for a start that does not come.
type HoldOptions struct {
	URL      string
	N        int
	Seated   bool
	From     []string // local source addresses, used in turn (loopback has 127.0.0.0/8: ~28k ports each)
	Dialing  int      // sockets dialled at once; default 50
	Deadline time.Duration
}

// HoldReport is what the sockets saw on the way in.
type HoldReport struct {
	Sockets  int     `json:"sockets"`      // open and greeted
	Hello    Spread  `json:"hello_ms"`     // from the dial to hello's answer (seated: to the seat's)
	HelloP99 float64 `json:"hello_p99_ms"` // (Spread has no p99)
}

// Hold opens o.N sockets, each saying hello as a guest, and keeps them
// open until ctx ends; ready is called once with the report when every
// socket has its answer. A socket refused or lost on the way in fails the
// run: the figures are for N sockets or none.
func Hold(ctx context.Context, o HoldOptions, ready func(HoldReport)) error {
	if o.N <= 0 || (o.Seated && o.N%4 != 0) {
		return fmt.Errorf("hold: N must be positive (a multiple of 4 when seated), not %d", o.N)
	}
	if o.Dialing <= 0 {
		o.Dialing = 50
	}
	if o.Deadline <= 0 {
		o.Deadline = 10 * time.Minute
	}
	u, err := versioned(o.URL)
	if err != nil {
		return err
	}
	// one dialer per source address (none given: the system's choice); the
	// client's buffers are small, its side is not what is measured
	nets := []*net.Dialer{{Timeout: 10 * time.Second}}
	if len(o.From) > 0 {
		nets = nets[:0]
		for _, from := range o.From {
			ip := net.ParseIP(from)
			if ip == nil {
				return fmt.Errorf("hold: %q is not an IP address", from)
			}
			nets = append(nets, &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second})
		}
	}
	dialers := make([]*websocket.Dialer, len(nets))
	for i, nd := range nets {
		dialers[i] = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: nd.DialContext,
			ReadBufferSize: 512, WriteBufferSize: 512}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		socks = make([]*websocket.Conn, 0, o.N)
		took  = make([]time.Duration, 0, o.N)
	)
	defer func() {
		for _, ws := range socks {
			ws.Close()
		}
	}()
	setup, stop := context.WithTimeout(ctx, o.Deadline)
	defer stop()
	slots := make(chan struct{}, o.Dialing)
	var wg sync.WaitGroup
	per := 1 // sockets one dialling goroutine opens in turn: a table's four when seated
	if o.Seated {
		per = 4
	}
	for g := 0; g < o.N; g += per {
		slots <- struct{}{}
		if setup.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			table := ""
			for i := g; i < g+per; i++ {
				start := time.Now()
				ws, err := greet(setup, dialers[i%len(dialers)], u.String(), fmt.Sprintf("idle%d", i))
				if err == nil && o.Seated {
					if table, err = seat(setup, ws, table, i-g); err != nil {
						ws.Close()
					}
				}
				if err != nil {
					cancel(fmt.Errorf("socket %d: %w", i, err))
					return
				}
				mu.Lock()
				socks, took = append(socks, ws), append(took, time.Since(start))
				mu.Unlock()
				go func() { // reads (and so answers pings) until the socket closes
					for {
						if _, _, err := ws.NextReader(); err != nil {
							return
						}
					}
				}()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if err := setup.Err(); err != nil {
		return fmt.Errorf("hold: %d of %d sockets greeted in %v", len(socks), o.N, o.Deadline)
	}
	sp := spread(took)
	ready(HoldReport{Sockets: len(socks), Hello: sp, HelloP99: quantiles(took)(0.99)})
	<-ctx.Done()
	return nil
}

// greet dials and says hello as a new guest; the socket is returned once
// hello's answer came.
func greet(ctx context.Context, d *websocket.Dialer, rawURL, name string) (*websocket.Conn, error) {
	ws, _, err := d.DialContext(ctx, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if _, err := ask(ctx, ws, map[string]any{"type": "hello", "name": name}); err != nil {
		ws.Close()
		return nil, err
	}
	return ws, nil
}

// seat sits at seat of table, creating a public table first for seat 0;
// returns the table's id.
func seat(ctx context.Context, ws *websocket.Conn, table string, seat int) (string, error) {
	if seat == 0 {
		data, err := ask(ctx, ws, map[string]any{"type": "create_table", "options": map[string]any{"public": true}})
		if err != nil {
			return "", err
		}
		var ack struct{ Table string }
		if err := json.Unmarshal(data, &ack); err != nil || ack.Table == "" {
			return "", fmt.Errorf("create_table answered %s", data)
		}
		table = ack.Table // the host sits like the others (as the web client does)
	}
	_, err := ask(ctx, ws, map[string]any{"type": "sit", "table": table, "seat": seat})
	return table, err
}

// ask sends msg as request "q" and returns its ack's data; other frames
// (events) are skipped, an error answer is an error.
func ask(ctx context.Context, ws *websocket.Conn, msg map[string]any) (json.RawMessage, error) {
	if dl, ok := ctx.Deadline(); ok {
		ws.SetReadDeadline(dl)
		defer ws.SetReadDeadline(time.Time{})
	}
	msg["id"] = "q"
	if err := ws.WriteJSON(msg); err != nil {
		return nil, err
	}
	for {
		_, raw, err := ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		var f frame
		if json.Unmarshal(raw, &f) != nil || f.ID != "q" {
			continue
		}
		if f.Type != "ack" {
			return nil, fmt.Errorf("%s refused: %s %s", msg["type"], f.Code, f.Message)
		}
		return f.Data, nil
	}
}
