package worker

import (
	"context"
	"encoding/json"
	"fmt"

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

// LobbyHook is an AfterChange hook that keeps the lobby listing (and the
// table's join code) in step with every change of a table. Idempotent: an
// unchanged summary publishes nothing.
func LobbyHook(idx TableIndex) func(ctx context.Context, t *table.Table, seq int64) error {
	return func(ctx context.Context, t *table.Table, _ int64) error {
		return IndexTable(ctx, idx, &t.Meta)
	}
}
