package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hokm-project/hokm/store/redisstore"
)

// maxTables bounds how many tables one socket may follow: each costs a
// subscription while the socket follows it.
const maxTables = 16

// errTooManyTables: the socket follows maxTables tables it still has a
// part in.
var errTooManyTables = errors.New("too many tables on one connection")

// follows is the set of tables one socket follows (is subscribed to):
// those its user sits at, those it watches, and those it sent a command or
// sync for. A user leaves tables without the socket saying so (a leave, a
// seat taken back, a table that expired or was cleaned up), so a socket at maxTables first
// lets go of the tables it no longer has a part in (prune) and refuses a
// new one only when none is left to let go of.
type follows struct {
	// mu is held through a whole follow or prune (the subscription
	// included), so that a table let go of is never followed again
	// meanwhile: the reader and a quick match's goroutine both follow.
	mu     sync.Mutex
	tables map[string]*followed
}

type followed struct {
	used  time.Time // the last command, sync or watch for the table
	watch bool      // watched as a spectator
}

// follow makes the socket follow tableID (as a spectator when watch); it
// returns once the hub is subscribed to the table's channel.
func (c *conn) follow(ctx context.Context, tableID string, watch bool) error {
	f := &c.follows
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	t := f.tables[tableID]
	if t == nil {
		if len(f.tables) >= maxTables && c.prune(ctx, now) == 0 {
			return errTooManyTables
		}
		if f.tables == nil {
			f.tables = map[string]*followed{}
		}
		t = &followed{}
		f.tables[tableID] = t
	}
	t.used = now
	t.watch = t.watch || watch
	return c.srv.hub.acquire(ctx, tableID, c)
}

// unwatch records that the socket stopped watching tableID: prune may let
// it go once its user does not sit there.
func (c *conn) unwatch(tableID string) {
	c.follows.mu.Lock()
	defer c.follows.mu.Unlock()
	if t := c.follows.tables[tableID]; t != nil {
		t.watch = false
	}
}

// watches reports whether the socket watches tableID as a spectator.
func (c *conn) watches(tableID string) bool {
	c.follows.mu.Lock()
	defer c.follows.mu.Unlock()
	t := c.follows.tables[tableID]
	return t != nil && t.watch
}

// prune lets go of the followed tables the user no longer sits at nor
// watches, and of those that are gone (a table missing while Redis is
// being recovered is not gone), among those the socket used no later than
// an answer timeout ago (a sit may still be on its way to its worker). It
// returns how many it let go of; a table that cannot be read is kept.
// Under follows.mu.
func (c *conn) prune(ctx context.Context, now time.Time) int {
	var gone []string
	recovering := sync.OnceValue(func() bool { return c.srv.missingTable(ctx, "") != "" })
	for id, t := range c.follows.tables {
		if now.Sub(t.used) < c.srv.opts.AnswerTimeout {
			continue
		}
		l, err := c.srv.store.LoadTable(ctx, id)
		if errors.Is(err, redisstore.ErrNotFound) && !recovering() || err == nil && !t.watch && l.Table.SeatOf(c.sess.User) < 0 {
			gone = append(gone, id)
		}
	}
	for _, id := range gone {
		delete(c.follows.tables, id)
		c.push(unfollowItem{table: id})
	}
	if len(gone) > 0 {
		c.srv.hub.releaseTables(c, gone)
	}
	return len(gone)
}
