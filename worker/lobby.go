package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
)

// TableIndex is what the lobby hook needs of the Redis store.
type TableIndex interface {
	IndexTable(ctx context.Context, id string, summary []byte, code string) error
}

// Listed reports whether a table belongs in the public lobby: public, and
// playing or waiting with a person seated. A waiting table nobody sits at
// (just created, or its people left) is not listed: nobody waits there to
// play, and the cleanup removes it (redisstore.DefaultEmptyIdle).
func Listed(m *table.Meta) bool {
	if !m.Options.Public {
		return false
	}
	switch m.Status {
	case table.Playing:
		return true
	case table.Waiting:
		for _, p := range m.Seats {
			if p != nil && !p.Bot {
				return true
			}
		}
	}
	return false
}

// IndexTable lists or unlists m in the lobby and keeps its join code alive.
func IndexTable(ctx context.Context, idx TableIndex, m *table.Meta) error {
	var summary []byte
	if Listed(m) {
		var err error
		if summary, err = json.Marshal(protocol.NewLobbyTable(m)); err != nil {
			return fmt.Errorf("encode lobby entry: %w", err)
		}
	}
	return idx.IndexTable(ctx, m.ID, summary, m.Options.Code)
}

// lobbyRefresh: a change that leaves the lobby entry as it was still
// writes it when its seq crosses a multiple of this — about once a minute
// of play — so the entry's "seen" time and the join code's expiry, which
// follow the table's, keep up with a long match (Lobby drops entries not
// seen within the table TTL).
const lobbyRefresh = 64

// LobbyHook is an AfterChange hook that keeps the lobby listing (and the
// table's join code) in step with every change of a table. Idempotent: an
// unchanged summary publishes nothing. A change during play that leaves the
// entry as it was (a card played, a trump chosen: the lobby shows seats,
// status and rules) costs no round trip: the change before it wrote that
// entry, or its action is still pending and writes it when retried (a
// duplicate re-runs every hook with Before nil). Only during play: the
// cleanup job takes a waiting table out of the lobby when nobody has
// touched it for a while (redisstore.DefaultStaleWaiting), and its next
// change, whatever it is, must list it again.
func LobbyHook(idx TableIndex) Hook {
	return func(ctx context.Context, c Change) error {
		if c.Before != nil && c.Before.Status == table.Playing && c.Seq/lobbyRefresh == c.From/lobbyRefresh &&
			sameLobbyEntry(&c.Before.Meta, &c.Table.Meta) {
			return nil
		}
		return IndexTable(ctx, idx, &c.Table.Meta)
	}
}

// sameLobbyEntry reports whether a and b give the same lobby entry and join
// code.
func sameLobbyEntry(a, b *table.Meta) bool {
	if Listed(a) != Listed(b) || a.Options.Code != b.Options.Code {
		return false
	}
	return !Listed(a) || reflect.DeepEqual(protocol.NewLobbyTable(a), protocol.NewLobbyTable(b))
}
