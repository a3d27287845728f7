package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hokm-project/hokm/tools/botclient"
)

// relayTable plays one table of a relay target with four sockets until
// ctx ends: seat 0 plays card 1, and each card_played event tells the next
// seat to play the next card, paced as hokm's bot clients are
// (botclient.Pacer). A card is timed, as botclient times hokm's, from its
// write until the last of the four sockets has read its event.
func relayTable(ctx context.Context, url, table string, pace time.Duration, h *collector) error {
	var socks [4]*websocket.Conn
	defer func() {
		for _, ws := range socks {
			if ws != nil {
				ws.Close()
			}
		}
	}()
	for i := range socks {
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			return err
		}
		socks[i] = ws
		if err := ws.WriteJSON(relayFrame{Type: "sit", ID: "sit", Table: table, Seat: i}); err != nil {
			return err
		}
		var ok relayFrame
		if err := ws.ReadJSON(&ok); err != nil || ok.Type != "ok" {
			return fmt.Errorf("sit: %v %+v", err, ok)
		}
	}
	t := &relayTiming{sent: map[int]time.Time{}, seen: map[int]int{}}
	pacer := &botclient.Pacer{Every: pace}
	play := func(seat, n int) error {
		if err := pacer.Wait(ctx); err != nil {
			return err
		}
		t.start(n)
		return socks[seat].WriteJSON(relayFrame{Type: "play", ID: "m" + strconv.Itoa(n), Table: table, Seat: seat, N: n})
	}
	if err := play(0, 1); err != nil {
		return err
	}
	errs := make(chan error, len(socks))
	for i, ws := range socks {
		go func() {
			for {
				_, b, err := ws.ReadMessage()
				if err != nil {
					errs <- err
					return
				}
				h.frame()
				var ev relayEvent
				if err := json.Unmarshal(b, &ev); err != nil || ev.Event.Type != "card_played" {
					continue
				}
				e := ev.Event
				if d, all := t.saw(e.N); all {
					h.timed(d)
				}
				if e.Seat == i {
					h.played(table)
				}
				if (e.Seat+1)%4 == i {
					if err := play(i, e.N+1); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errs:
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
}

// relayTiming is a relay table's stopwatch.
type relayTiming struct {
	mu   sync.Mutex
	sent map[int]time.Time
	seen map[int]int
}

func (t *relayTiming) start(n int) {
	t.mu.Lock()
	t.sent[n] = time.Now()
	t.mu.Unlock()
}

// saw counts a socket's read of card n's event; with the fourth it
// returns the card's latency and true.
func (t *relayTiming) saw(n int) (time.Duration, bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen[n]++
	if t.seen[n] < 4 {
		return 0, false
	}
	d := now.Sub(t.sent[n])
	delete(t.seen, n)
	delete(t.sent, n)
	return d, true
}
