// Package director runs tournaments: it opens check-in at its time, starts
// a tournament when check-in closes (the teams formed in PostgreSQL, round
// 1 paired), makes each game's table in Redis and seats its players there
// (they are pulled in: a "matched" notice on their sockets), records each
// finished match's result once, starts the next round after the break, and
// finishes the tournament after its last round. The pairing arithmetic is
// package tournament's; every decision is a PostgreSQL transaction under
// the tournament's row lock (pgstore), so any number of directors — one
// per worker, the scheduler's minute job and the tasks a result schedules
// — can run the same step at once and it happens once.
//
// It also serves the tournaments API (http.go).
package director

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/tournament"
	"github.com/hokm-project/hokm/worker"
)

// Store is the tournaments' PostgreSQL side (*pgstore.Store).
type Store interface {
	Tournament(ctx context.Context, id string) (pgstore.TournamentInfo, error)
	LiveTournaments(ctx context.Context) ([]string, error)
	SetTournamentStatus(ctx context.Context, id, status, by string) error
	BeginTournament(ctx context.Context, id string) (string, error)
	GameRows(ctx context.Context, id string) ([]pgstore.GameRow, error)
	TournamentTeams(ctx context.Context, id string) ([]tournament.Team, error)
	Roster(ctx context.Context, id string) ([]pgstore.TeamRoster, error)
	StartRound(ctx context.Context, id string, round int, games []tournament.Game) (bool, error)
	FinishTournament(ctx context.Context, id string) (bool, error)
	AssignTable(ctx context.Context, id string, round, line int, tableID string) (string, error)
	MarkSeated(ctx context.Context, id string, round, line int, at time.Time) (first bool, err error)
	ClaimCall(ctx context.Context, id string, round, line int, at, before time.Time) (bool, error)
	MarkCalled(ctx context.Context, id string, round, line int) error
	RecordTableResult(ctx context.Context, r pgstore.TableResult) (pgstore.Decided, bool, error)
}

// Tables is the Redis side: tables made, actions enqueued, users notified
// (*redisstore.Store).
type Tables interface {
	CreateTable(ctx context.Context, t *table.Table) error
	LoadTable(ctx context.Context, id string) (redisstore.Loaded, error)
	Enqueue(ctx context.Context, a redisstore.Action) error
	Notify(ctx context.Context, user string, notice any) error
}

// Scheduler asks for the tournament to be advanced: at a time, or (at
// zero) now, after the result of game (round, line) was recorded — an
// asynq task (tasks.NewTournamentAdvanceAt, NewTournamentAdvanceAfter).
type Scheduler func(ctx context.Context, id string, at time.Time, round, line int) error

// Director advances tournaments. Build it with New.
type Director struct {
	store    Store
	tables   Tables
	schedule Scheduler
	now      func() time.Time
	log      *slog.Logger
}

// New returns a director; now nil is time.Now.
func New(store Store, tables Tables, schedule Scheduler, now func() time.Time, log *slog.Logger) *Director {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Director{store: store, tables: tables, schedule: schedule, now: now, log: log}
}

// Notice is what players are told on their sockets (the gateway turns
// {"type":X,…} into {"type":"notice","notice":X,…}). A round's table is a
// "matched" notice with Tournament and Round set, which also pulls the
// sockets in (as a quick match's does); a "tournament" notice says the
// tournament moved to Status: checkin (check-in opened), running,
// cancelled (fewer than two teams checked in), finished.
type Notice struct {
	Type       string `json:"type"`
	Tournament string `json:"tournament"`
	Table      string `json:"table,omitempty"`
	Round      int    `json:"round,omitempty"`
	Status     string `json:"status,omitempty"` // checkin, running, cancelled, finished
}

// TableID is the table of a tournament's game: deterministic, so two
// directors seating the same game make one table.
func TableID(tournamentID string, round, line int) string {
	return tournamentID + "-" + strconv.Itoa(round) + "-" + strconv.Itoa(line)
}

// AdvanceAll advances every live tournament; the first error is returned
// after all were tried.
func (d *Director) AdvanceAll(ctx context.Context) error {
	ids, err := d.store.LiveTournaments(ctx)
	if err != nil {
		return err
	}
	var first error
	for _, id := range ids {
		if err := d.Advance(ctx, id); err != nil {
			d.log.Warn("tournament not advanced", "tournament", id, "err", err)
			first = cmp.Or(first, err)
		}
	}
	return first
}

// Advance takes one tournament as far as its time allows, and schedules
// its next timed step.
func (d *Director) Advance(ctx context.Context, id string) error {
	t, err := d.store.Tournament(ctx, id)
	if err != nil {
		return err
	}
	now := d.now()
	if t.Status == "registration" && !now.Before(t.CheckinAt) {
		if err := d.store.SetTournamentStatus(ctx, id, "checkin", pgstore.Director); err != nil && !errors.Is(err, pgstore.ErrTournamentClosed) {
			return err
		} else if err == nil {
			d.announce(ctx, id, "checkin")
		}
		t.Status = "checkin"
	}
	if t.Status == "checkin" && !now.Before(t.StartsAt) {
		moved, err := d.store.BeginTournament(ctx, id)
		if err != nil {
			return err
		}
		if t, err = d.store.Tournament(ctx, id); err != nil {
			return err
		}
		switch moved {
		case "running":
			metrics.TournamentRounds.Inc()
			d.log.Info("tournament started", "tournament", id, "teams", t.Teams)
			d.announce(ctx, id, moved)
		case "cancelled":
			d.log.Info("tournament cancelled: fewer than two teams checked in", "tournament", id)
			d.announce(ctx, id, moved)
		}
	}
	switch t.Status {
	case "registration":
		return d.later(ctx, id, t.CheckinAt)
	case "checkin":
		return d.later(ctx, id, t.StartsAt)
	case "running":
		return d.run(ctx, &t)
	}
	return nil
}

// later schedules the tournament's next step at at.
func (d *Director) later(ctx context.Context, id string, at time.Time) error {
	if d.schedule == nil {
		return nil
	}
	return d.schedule(ctx, id, at, 0, 0)
}

// run seats the current round's tables and, once it is decided and the
// break is over, starts the next round or finishes the tournament.
func (d *Director) run(ctx context.Context, t *pgstore.TournamentInfo) error {
	rows, err := d.store.GameRows(ctx, t.ID)
	if err != nil {
		return err
	}
	if err := d.seatAll(ctx, t, rows); err != nil {
		return err
	}
	round, open, last := current(rows)
	if open {
		return nil // its results advance it
	}
	if due := last.Add(t.RoundBreak); d.now().Before(due) {
		return d.later(ctx, t.ID, due)
	}
	next, err := d.pair(ctx, t, rows, round)
	if err != nil {
		return err
	}
	if next == nil {
		done, err := d.store.FinishTournament(ctx, t.ID)
		if err != nil || !done {
			return err
		}
		d.log.Info("tournament finished", "tournament", t.ID, "rounds", round)
		d.announce(ctx, t.ID, "finished")
		return nil
	}
	started, err := d.store.StartRound(ctx, t.ID, round+1, next)
	if err != nil {
		return err
	}
	if started {
		metrics.TournamentRounds.Inc()
		d.log.Info("tournament round started", "tournament", t.ID, "round", round+1, "games", len(next))
	}
	if rows, err = d.store.GameRows(ctx, t.ID); err != nil {
		return err
	}
	return d.seatAll(ctx, t, rows)
}

// current is the latest round, whether a game of it is undecided, and when
// its last result came.
func current(rows []pgstore.GameRow) (round int, open bool, last time.Time) {
	for _, r := range rows {
		round = max(round, r.Round)
	}
	for _, r := range rows {
		if r.Round != round {
			continue
		}
		if r.B != "" && r.Winner == "" {
			open = true
		}
		if r.Decided.After(last) {
			last = r.Decided
		}
	}
	return round, open, last
}

// pair is the round after round, or nil when round was the last.
func (d *Director) pair(ctx context.Context, t *pgstore.TournamentInfo, rows []pgstore.GameRow, round int) ([]tournament.Game, error) {
	if round >= t.Rounds {
		return nil, nil
	}
	var games, last []tournament.Game
	for _, r := range rows {
		games = append(games, r.Game())
		if r.Round == round {
			last = append(last, r.Game())
		}
	}
	if t.Format == "elimination" {
		return tournament.NextBracketRound(last)
	}
	teams, err := d.store.TournamentTeams(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return tournament.SwissRound(teams, games, round+1)
}

// CallAgainAfter is how long after a game was marked seated its players,
// not yet called, are called by another director: the one that marked it
// died before it called them, or Redis refused its notices. (Within that
// time the marking director is taken to be calling them still; one
// director takes the call over, ClaimCall, and as long again is given to
// it.) Whoever marks a game seated or claims its call first asks for an
// advance that much later, which makes that check on time — not at the
// next result or the scheduler's minute job, a minute on when the game was
// the round's last.
const CallAgainAfter = 10 * time.Second

// seatAll seats every game of rows not seated yet, and calls the players of
// a seated game that were not called.
func (d *Director) seatAll(ctx context.Context, t *pgstore.TournamentInfo, rows []pgstore.GameRow) error {
	var roster map[string][]pgstore.RosterPlayer
	for _, r := range rows {
		if r.B == "" || r.Winner != "" || r.Seated && r.Called {
			continue
		}
		if r.Seated && d.now().Sub(r.SeatedAt) < CallAgainAfter {
			// Its director may be calling them still; if not, the advance
			// asked for then calls them. Asked again here, a second
			// later (another task: the first may find the game too young
			// on a clock a little behind the seating director's).
			if err := d.later(ctx, t.ID, r.SeatedAt.Add(CallAgainAfter+time.Second)); err != nil {
				return fmt.Errorf("tournament %s round %d game %d: %w", t.ID, r.Round, r.Line, err)
			}
			continue
		}
		if roster == nil {
			teams, err := d.store.Roster(ctx, t.ID)
			if err != nil {
				return err
			}
			roster = map[string][]pgstore.RosterPlayer{}
			for _, team := range teams {
				roster[team.ID] = team.Players
			}
		}
		reserved, names := seatsOf(roster[r.A], roster[r.B])
		var err error
		if r.Seated {
			// The next check asked for before the claim, which moves the
			// seating time: a claimant that dies before calling leaves it
			// to that advance.
			now := d.now()
			var mine bool
			if err = d.later(ctx, t.ID, now.Add(CallAgainAfter)); err == nil {
				mine, err = d.store.ClaimCall(ctx, t.ID, r.Round, r.Line, now, now.Add(-CallAgainAfter))
			}
			if mine {
				d.log.Info("tournament table's players not called: calling them", "tournament", t.ID, "round", r.Round, "table", r.Table)
				err = d.call(ctx, t, r, reserved)
			}
		} else {
			err = d.seat(ctx, t, r, reserved, names)
		}
		if err != nil {
			return fmt.Errorf("tournament %s round %d game %d: %w", t.ID, r.Round, r.Line, err)
		}
	}
	return nil
}

// seatsOf are the players of a game's teams in their reserved seats — team
// A at seats 0 and 2, team B at 1 and 3, "" for a bot's — and their names.
func seatsOf(a, b []pgstore.RosterPlayer) (reserved [4]string, names map[string]string) {
	names = map[string]string{}
	for i, team := range [2][]pgstore.RosterPlayer{a, b} {
		for j, p := range team {
			if j < 2 {
				reserved[i+2*j] = p.ID
				names[p.ID] = p.Name
			}
		}
	}
	return reserved, names
}

// seat makes a game's table — team A at seats 0 and 2, team B at 1 and 3,
// a bot in a seat without a player — and, through the action stream,
// seats its players ready (the match starts with the last of them); then
// pulls the players in. Every step is idempotent (the table's id, the actions'
// ids), so a director that died half-way is finished by the next. The
// players are pulled in once, by the director that marks the game seated:
// a second notice would pull back a player who had gone from the table to
// the tournament's page (which offers the table while the game is undecided)
// — unless that director never called them (seatAll).
func (d *Director) seat(ctx context.Context, t *pgstore.TournamentInfo, r pgstore.GameRow, reserved [4]string, names map[string]string) error {
	id, err := d.store.AssignTable(ctx, t.ID, r.Round, r.Line, TableID(t.ID, r.Round, r.Line))
	if err != nil {
		return err
	}
	tb, err := table.NewTournament(id, game.Rules{Target: t.Target}, t.ID, reserved, d.now().UnixMilli())
	if err != nil {
		return err
	}
	fresh := true
	if err := d.tables.CreateTable(ctx, &tb); errors.Is(err, redisstore.ErrExists) {
		l, err := d.tables.LoadTable(ctx, id)
		if err != nil {
			return err
		}
		if l.Table.Options.Tournament != t.ID {
			return fmt.Errorf("table %s is not this tournament's", id)
		}
		fresh = l.Table.Status == table.Waiting && l.Table.Match == 0
	} else if err != nil {
		return err
	}
	if fresh {
		if err := d.enqueueSits(ctx, id, reserved, names); err != nil {
			return err
		}
	}
	now := d.now()
	// Asked before the game is marked seated: a director that dies between
	// the two leaves a game another calls on time (CallAgainAfter).
	if err := d.later(ctx, t.ID, now.Add(CallAgainAfter)); err != nil {
		return err
	}
	first, err := d.store.MarkSeated(ctx, t.ID, r.Round, r.Line, now)
	if err != nil || !first {
		return err // (another director seated it at the same time, and pulls the players in)
	}
	metrics.TournamentTables.Inc()
	d.log.Info("tournament table seated", "tournament", t.ID, "round", r.Round, "table", id)
	r.Table = id
	return d.call(ctx, t, r, reserved)
}

// call pulls a seated game's players in to its table (a "matched" notice
// on each of their sockets) and notes it when every notice went out;
// otherwise a later director calls them (seatAll).
func (d *Director) call(ctx context.Context, t *pgstore.TournamentInfo, r pgstore.GameRow, reserved [4]string) error {
	sent := true
	for _, u := range reserved {
		if u != "" {
			sent = d.notify(ctx, u, Notice{Type: "matched", Tournament: t.ID, Table: r.Table, Round: r.Round}) && sent
		}
	}
	if !sent {
		return nil
	}
	return d.store.MarkCalled(ctx, t.ID, r.Round, r.Line)
}

// enqueueSits sends the players' sits, which seat them ready; the table
// starts its match once all are seated (table.NewTournament), in whatever
// order the workers apply them.
func (d *Director) enqueueSits(ctx context.Context, id string, reserved [4]string, names map[string]string) error {
	for s, u := range reserved {
		if u == "" {
			continue
		}
		if err := d.tables.Enqueue(ctx, worker.ServerSit(id, u, names[u], s)); err != nil {
			return err
		}
	}
	return nil
}

// announce counts the tournament's move to status (this director made it)
// and tells its players.
func (d *Director) announce(ctx context.Context, id, status string) {
	metrics.TournamentTransitions.WithLabelValues(status).Inc()
	d.tell(ctx, id, Notice{Type: "tournament", Tournament: id, Status: status})
}

// tell notifies every player of the tournament.
func (d *Director) tell(ctx context.Context, id string, n Notice) {
	teams, err := d.store.Roster(ctx, id)
	if err != nil {
		d.log.Warn("tournament notice not sent", "tournament", id, "err", err)
		return
	}
	for _, t := range teams {
		for _, p := range t.Players {
			d.notify(ctx, p.ID, n)
		}
	}
}

// notify sends n to user, and says whether it went out.
func (d *Director) notify(ctx context.Context, user string, n Notice) bool {
	if err := d.tables.Notify(ctx, user, n); err != nil {
		d.log.Warn("tournament notice not sent", "user", user, "tournament", n.Tournament, "err", err)
		return false
	}
	return true
}

// MatchStored records a stored match's result when its table plays a
// tournament's game (once, however often it is called: the persist task
// retried, the reconcile job), and has the tournament advanced at once. An
// error is PostgreSQL's: the persist task is retried.
func (d *Director) MatchStored(ctx context.Context, m *table.MatchRecord) error {
	if m.Tournament == "" || m.Winner < 0 {
		return nil // (every other match: nothing to ask PostgreSQL)
	}
	dec, ok, err := d.store.RecordTableResult(ctx, pgstore.TableResult{Table: m.TableID, Match: m.MatchID, Winner: m.Winner, Score: m.Score})
	switch {
	case errors.Is(err, pgstore.ErrResultConflict):
		metrics.TournamentResults.WithLabelValues("conflict").Inc()
		d.log.Error("tournament result refused: the game was decided by another match", "table", m.TableID, "match", m.MatchID)
		return nil // nothing a retry would change
	case err != nil:
		return err
	case !ok:
		return nil
	case !dec.Recorded:
		metrics.TournamentResults.WithLabelValues("duplicate").Inc()
		return nil
	}
	metrics.TournamentResults.WithLabelValues("recorded").Inc()
	d.log.Info("tournament result recorded", "tournament", dec.Tournament, "round", dec.Round, "line", dec.Line, "match", m.MatchID)
	if d.schedule == nil {
		return nil
	}
	if err := d.schedule(ctx, dec.Tournament, time.Time{}, dec.Round, dec.Line); err != nil {
		d.log.Warn("tournament advance not scheduled (the minute job will)", "tournament", dec.Tournament, "err", err)
	}
	return nil
}

// ProcessTask runs tasks.TypeTournamentAdvance: one tournament, or every
// live one. An unknown tournament is not retried.
func (d *Director) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, err := tasks.ParseTournamentAdvance(t)
	switch {
	case err != nil:
		return err
	case id == "":
		return d.AdvanceAll(ctx)
	}
	err = d.Advance(ctx, id)
	if errors.Is(err, pgstore.ErrTournamentNotFound) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}
