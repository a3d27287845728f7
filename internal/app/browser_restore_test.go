package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestBrowserRestore drives the web client through a table the server
// rebuilds from an older state (tests/browser/restore.mjs): a guest plays
// with bots; the table's journal row is remembered; after a few more moves
// Redis loses the table and the journal goes back to that row, as after a
// Redis restart from a state that lost its last moves; the worker's recovery
// rebuilds the table in a new epoch. The page must say how many moves went
// back, show the restored hand, drop the move it had in flight without an
// error, and play the match to its end — once on its live socket and once
// after a reconnect (sync with the old epoch).
func TestBrowserRestore(t *testing.T) {
	t.Parallel()
	node, chromium, dir := browserTools(t)
	shots := screenshotDir(t)
	s := startServe(t)
	ctl := newRestoreControl(t, s)
	runBrowserScript(t, node, []string{"HOKM_CHROMIUM=" + chromium}, dir, "restore.mjs", "http://"+s.cfg.HTTPAddr, shots, ctl.URL)
}

// restoreControl is the endpoint restore.mjs calls to act on the server's
// stores (POST, query parameter table; answers JSON):
//
//	/remember  waits until the table's journal row has caught up with Redis
//	           and keeps it: {"seq","epoch","moves"}
//	/restore   makes Redis lose the table and puts the kept row back in the
//	           journal: {"back"} (the moves lost), "seq_before", "seq_after"
//	/state     the table as Redis has it, with seat's cards: {"epoch","seq","moves","cards"}
type restoreControl struct {
	*httptest.Server
	s    *server
	pool *pgxpool.Pool

	mu   sync.Mutex
	kept map[string]pgstore.LiveTable
}

func newRestoreControl(t *testing.T, s *server) *restoreControl {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c := &restoreControl{s: s, pool: pool, kept: map[string]pgstore.LiveTable{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /remember", c.handle(c.remember))
	mux.HandleFunc("POST /restore", c.handle(c.restore))
	mux.HandleFunc("POST /state", c.handle(c.state))
	c.Server = httptest.NewServer(mux)
	t.Cleanup(c.Close)
	return c
}

// handle answers with fn's result as JSON, or its error as a 500.
func (c *restoreControl) handle(fn func(ctx context.Context, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		out, err := fn(ctx, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}
}

// remember keeps the journal row of the table once it holds what Redis
// holds.
func (c *restoreControl) remember(ctx context.Context, r *http.Request) (any, error) {
	id := r.URL.Query().Get("table")
	l, row, err := c.caughtUp(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.kept[id] = row
	c.mu.Unlock()
	return map[string]any{"seq": row.Seq, "epoch": row.Epoch, "moves": movesOf(&l.Table)}, nil
}

// caughtUp waits until table id's journal row holds what Redis holds (the
// journal is written about every 100 ms behind the moves) and returns both.
func (c *restoreControl) caughtUp(ctx context.Context, id string) (redisstore.Loaded, pgstore.LiveTable, error) {
	for {
		l, err := c.s.store.LoadTable(ctx, id)
		if err != nil {
			return l, pgstore.LiveTable{}, err
		}
		row, err := c.s.pg.LiveTable(ctx, id, time.Time{})
		if err != nil {
			return l, pgstore.LiveTable{}, err
		}
		if row != nil && row.Epoch == l.Epoch && row.Seq == l.Seq {
			return l, *row, nil
		}
		select {
		case <-ctx.Done():
			return l, pgstore.LiveTable{}, fmt.Errorf("the journal did not catch up with Redis (seq %d epoch %d): %w", l.Seq, l.Epoch, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// restore makes Redis lose table id and the journal go back to the kept
// row, then marks Redis's data unchecked, so the workers' recovery (every
// second) rebuilds the table from that row in a new epoch.
func (c *restoreControl) restore(ctx context.Context, r *http.Request) (any, error) {
	id := r.URL.Query().Get("table")
	c.mu.Lock()
	row, ok := c.kept[id]
	c.mu.Unlock()
	if !ok {
		return nil, errors.New("no row kept for table " + id + ": call /remember first")
	}
	// The journal first holds what Redis holds: a row of the last moves
	// still waiting for the journal's next pass would be written over the
	// old row put back below (the restore would then lose nothing).
	now, _, err := c.caughtUp(ctx, id)
	if err != nil {
		return nil, err
	}
	then, err := c.s.store.DecodeDurable(redisstore.Durable{ID: row.ID, Epoch: row.Epoch, Seq: row.Seq, Meta: row.Meta, State: row.State})
	if err != nil {
		return nil, err
	}
	k := c.s.store.Keys()
	// Redis first: with the table gone there, the journal writer has nothing
	// newer to write over the old row.
	if err := c.s.rdb.Del(ctx, k.Table(id), k.Acts(id), k.Log(id)).Err(); err != nil {
		return nil, err
	}
	// The journal's upsert never goes back, so the old row is put back directly.
	tag, err := c.pool.Exec(ctx, `UPDATE live_tables SET epoch = $2, seq = $3, meta = $4, state = $5, status = $6,
		updated_at = now() WHERE table_id = $1`, id, row.Epoch, row.Seq, string(row.Meta), row.State, row.Status)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() != 1 {
		return nil, errors.New("no journal row for table " + id)
	}
	if err := c.s.rdb.Del(ctx, k.Boot()).Err(); err != nil { // as after a Redis restart
		return nil, err
	}
	return map[string]any{"back": movesOf(&now.Table) - movesOf(&then), "seq_before": now.Seq, "seq_after": row.Seq}, nil
}

// state is the table as Redis has it now, with the cards of seat.
func (c *restoreControl) state(ctx context.Context, r *http.Request) (any, error) {
	id := r.URL.Query().Get("table")
	seat, err := strconv.Atoi(r.URL.Query().Get("seat"))
	if err != nil {
		return nil, err
	}
	l, err := c.s.store.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	cards := []game.Card{}
	if l.Table.Match > 0 {
		cards = append(cards, game.ViewFor(&l.Table.Game, game.Seat(seat)).Cards...)
	}
	return map[string]any{"epoch": l.Epoch, "seq": l.Seq, "moves": movesOf(&l.Table), "cards": cards}, nil
}

// movesOf counts the moves of the table's match so far: each trump choice
// and each card played, in the finished hands (four cards a trick) and in
// the hand being played.
func movesOf(t *table.Table) int {
	if t.Match == 0 {
		return 0
	}
	g := &t.Game
	n := 0
	for _, r := range g.Results {
		n += 1 + 4*(r.Tricks[0]+r.Tricks[1])
	}
	if len(g.Results) <= g.Hand { // the hand being played
		if g.Phase != game.PhaseTrump {
			n++
		}
		n += 4*g.DoneN + g.Trick.N
	}
	return n
}
