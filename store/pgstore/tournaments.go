package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hokm-project/hokm/tournament"
)

// Tournaments in PostgreSQL. Every change to a tournament takes its row's
// lock first (SELECT … FOR UPDATE): registrations, check-ins, the start
// and every round are serialized per tournament, so a capacity check and
// the insert it allows cannot interleave with another's. Row locks rather
// than SERIALIZABLE: the conflicts are all on that one row, they wait
// instead of failing, and nothing has to be retried. A round is made once
// (its primary key) and a game decided once (UPDATE … WHERE winner IS
// NULL, which a concurrent UPDATE re-checks after waiting for the first).

// Tournament is a tournament's settings and status.
type Tournament struct {
	ID       string
	Name     string
	Format   string // "swiss" or "elimination"
	Target   int    // points to win a match
	Rounds   int    // an elimination's is set from its field when it starts
	MaxTeams int
	BotsFill bool
	Status   string // registration, checkin, running, finished, cancelled
	// CheckinAt closes registration and opens check-in; StartsAt closes
	// check-in, forms the teams and starts round 1. RoundBreak is the pause
	// after a round's last result before the next round starts.
	CheckinAt, StartsAt time.Time
	RoundBreak          time.Duration
	FinishedAt          time.Time // zero until finished
}

// TournamentInfo is a tournament as listed, with its teams: registered
// (until it starts), then those that play.
type TournamentInfo struct {
	Tournament
	Teams   int
	Created time.Time // when it was made: the list's order
}

// Tournament errors.
var (
	ErrTournamentNotFound = errors.New("pgstore: no such tournament")
	ErrTournamentClosed   = errors.New("pgstore: the tournament is not taking this now")
	ErrTournamentFull     = errors.New("pgstore: the tournament is full")
	ErrAlreadyRegistered  = errors.New("pgstore: a player is registered in this tournament already")
	ErrNotRegistered      = errors.New("pgstore: the player is not registered in this tournament")
	ErrNoSuchTeam         = errors.New("pgstore: no team waits for a partner with this code")
	ErrResultConflict     = errors.New("pgstore: the game was decided otherwise")
	ErrTournamentExists   = errors.New("pgstore: a tournament has this id already")
	ErrStartBeforeCheckin = errors.New("pgstore: a tournament cannot start before its check-in opens")
)

// Director is the audit log's "by" of the changes the tournament
// director makes on its own (check-in opening, the start, rounds, results).
const Director = "director"

// CreateTournament stores t in registration, and audits it as done by by
// (audit_log kind tournament_created). A zero CheckinAt is now, a zero
// StartsAt CheckinAt.
func (s *Store) CreateTournament(ctx context.Context, t Tournament, by string) error {
	if t.CheckinAt.IsZero() {
		t.CheckinAt = time.Now()
	}
	if t.StartsAt.IsZero() {
		t.StartsAt = t.CheckinAt
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tournaments (id, name, format, target, rounds, max_teams, bots_fill,
			checkin_at, starts_at, round_break) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.ID, t.Name, t.Format, t.Target, t.Rounds, t.MaxTeams, t.BotsFill, t.CheckinAt, t.StartsAt, int(t.RoundBreak/time.Second))
		if err != nil {
			return uniqueAs(err, ErrTournamentExists)
		}
		return auditTx(ctx, tx, "tournament_created", map[string]any{"tournament": t.ID, "by": by, "name": t.Name,
			"format": t.Format, "target": t.Target, "rounds": t.Rounds, "max_teams": t.MaxTeams, "bots_fill": t.BotsFill,
			"checkin_at": t.CheckinAt, "starts_at": t.StartsAt, "round_break_s": int(t.RoundBreak / time.Second)})
	})
	if err != nil {
		return fmt.Errorf("create tournament %s: %w", t.ID, err)
	}
	return nil
}

// auditTx appends an audit_log row in tx.
func auditTx(ctx context.Context, tx pgx.Tx, kind string, detail map[string]any) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (kind, detail) VALUES ($1, $2)`, kind, detail)
	return err
}

// liveStatuses are the statuses of a tournament not over, in SQL.
const liveStatuses = `('registration', 'checkin', 'running')`

const tournamentColumns = `t.id, t.name, t.format, t.target, t.rounds, t.max_teams, t.bots_fill, t.status,
	t.checkin_at, t.starts_at, t.round_break, t.finished_at,
	(SELECT count(*) FROM tournament_teams tt WHERE tt.tournament_id = t.id AND tt.active), t.created_at`

func scanTournament(r pgx.Row) (TournamentInfo, error) {
	var t TournamentInfo
	var brk int
	var fin *time.Time
	err := r.Scan(&t.ID, &t.Name, &t.Format, &t.Target, &t.Rounds, &t.MaxTeams, &t.BotsFill, &t.Status,
		&t.CheckinAt, &t.StartsAt, &brk, &fin, &t.Teams, &t.Created)
	t.RoundBreak = time.Duration(brk) * time.Second
	if fin != nil {
		t.FinishedAt = *fin
	}
	return t, err
}

// Tournaments lists every tournament, newest first, with its team count.
func (s *Store) Tournaments(ctx context.Context) ([]TournamentInfo, error) {
	return s.tournaments(ctx, `SELECT `+tournamentColumns+` FROM tournaments t ORDER BY t.created_at DESC, t.id DESC`)
}

func (s *Store) tournaments(ctx context.Context, sql string, args ...any) ([]TournamentInfo, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("tournaments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TournamentInfo, error) { return scanTournament(r) })
	if err != nil {
		return nil, fmt.Errorf("tournaments: %w", err)
	}
	return out, nil
}

// ListTournaments is a page of the tournaments list, newest first. Without
// a cursor (before nil): every tournament not over (registration, check-in
// or running: few, and what players look for) and the newest limit of
// those over (finished or cancelled); with one, the limit over ones after
// it. next is the cursor of the page after, nil when there is none: the
// list's cost stays a page's however many tournaments there ever were.
func (s *Store) ListTournaments(ctx context.Context, before *Cursor, limit int) (ts []TournamentInfo, next *Cursor, err error) {
	if before == nil {
		ts, err = s.tournaments(ctx, `SELECT `+tournamentColumns+` FROM tournaments t
			WHERE t.status IN `+liveStatuses+` ORDER BY t.created_at DESC, t.id DESC`)
		if err != nil {
			return nil, nil, err
		}
		before = &Cursor{At: time.Now().AddDate(1000, 0, 0)} // later than any tournament
	}
	past, err := s.tournaments(ctx, `SELECT `+tournamentColumns+` FROM tournaments t
		WHERE t.status IN ('finished', 'cancelled') AND (t.created_at, t.id) < ($1, $2)
		ORDER BY t.created_at DESC, t.id DESC LIMIT $3`, before.At, before.ID, limit+1)
	if err != nil {
		return nil, nil, err
	}
	if len(past) > limit {
		past = past[:limit]
		next = &Cursor{At: past[limit-1].Created, ID: past[limit-1].ID}
	}
	return append(ts, past...), next, nil
}

// Place is a player's place in a tournament not over yet (its name and
// status): their team, whether they checked in, and the table and round of
// their team's undecided game ("" and 0 while there is none).
type Place struct {
	Tournament string `json:"tournament"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Team       string `json:"team"`
	CheckedIn  bool   `json:"checked_in"`
	Table      string `json:"table,omitempty"`
	Round      int    `json:"round,omitempty"`
}

// Places are player's places in the tournaments in registration, check-in
// or running, by tournament id; empty, never nil, when there is none.
func (s *Store) Places(ctx context.Context, player string) ([]Place, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.tournament_id, t.name, t.status, p.team_id, p.checked_in, coalesce(g.table_id, ''), coalesce(g.round, 0)
		FROM tournament_players p
		JOIN tournaments t ON t.id = p.tournament_id AND t.status IN `+liveStatuses+`
		LEFT JOIN LATERAL (SELECT table_id, round FROM tournament_games g
			WHERE g.tournament_id = p.tournament_id AND p.team_id IN (g.team_a, g.team_b) AND g.team_b IS NOT NULL
			  AND g.winner IS NULL AND g.table_id IS NOT NULL
			ORDER BY g.round DESC LIMIT 1) g ON true
		WHERE p.player_id = $1
		ORDER BY p.tournament_id`, player)
	if err != nil {
		return nil, fmt.Errorf("places of %s: %w", player, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Place, error) {
		var p Place
		err := r.Scan(&p.Tournament, &p.Name, &p.Status, &p.Team, &p.CheckedIn, &p.Table, &p.Round)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("places of %s: %w", player, err)
	}
	return out, nil
}

// LiveTournaments are the ids of the tournaments not yet over
// (registration, check-in or running), the director's to advance.
func (s *Store) LiveTournaments(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM tournaments WHERE status IN `+liveStatuses+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("live tournaments: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("live tournaments: %w", err)
	}
	return ids, nil
}

// Tournament is one tournament: ErrTournamentNotFound when there is none.
func (s *Store) Tournament(ctx context.Context, id string) (TournamentInfo, error) {
	t, err := scanTournament(s.pool.QueryRow(ctx, `SELECT `+tournamentColumns+` FROM tournaments t WHERE t.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrTournamentNotFound
	}
	if err != nil {
		return t, fmt.Errorf("tournament %s: %w", id, err)
	}
	return t, nil
}

// lockTournament takes the tournament's row lock and returns its status.
func lockTournament(ctx context.Context, tx pgx.Tx, id string) (status string, maxTeams int, err error) {
	err = tx.QueryRow(ctx, `SELECT status, max_teams FROM tournaments WHERE id = $1 FOR UPDATE`, id).Scan(&status, &maxTeams)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, ErrTournamentNotFound
	}
	return status, maxTeams, err
}

// teamRow is a registration to insert.
type teamRow struct {
	id, name string
	rating   int
	solo     bool
	code     *string
}

// insertTeam registers team with players while the tournament takes
// registrations and has room (tx holds its lock).
func insertTeam(ctx context.Context, tx pgx.Tx, tournamentID string, team teamRow, players ...string) error {
	status, maxTeams, err := lockTournament(ctx, tx, tournamentID)
	if err != nil {
		return err
	}
	if status != "registration" {
		return ErrTournamentClosed
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM tournament_teams WHERE tournament_id = $1`, tournamentID).Scan(&n); err != nil {
		return err
	}
	if n >= maxTeams {
		return ErrTournamentFull
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tournament_teams (tournament_id, team_id, name, rating, solo, code)
		VALUES ($1, $2, $3, $4, $5, $6)`, tournamentID, team.id, team.name, team.rating, team.solo, team.code); err != nil {
		return uniqueAs(err, ErrAlreadyRegistered)
	}
	for _, p := range players {
		if _, err := tx.Exec(ctx, `INSERT INTO tournament_players (tournament_id, player_id, team_id) VALUES ($1, $2, $3)`,
			tournamentID, p, team.id); err != nil {
			return uniqueAs(err, ErrAlreadyRegistered)
		}
	}
	return auditTx(ctx, tx, "tournament_registered", map[string]any{"tournament": tournamentID, "team": team.id,
		"players": players, "solo": team.solo})
}

// RegisterTeam registers a team of players (one or two, stored in players
// already) under its id as name, as an organiser does: ErrTournamentFull,
// ErrTournamentClosed, ErrAlreadyRegistered (a player in another team, or
// the team id taken).
func (s *Store) RegisterTeam(ctx context.Context, tournamentID string, team tournament.Team, players ...string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return insertTeam(ctx, tx, tournamentID, teamRow{id: team.ID, name: team.ID, rating: team.Rating}, players...)
	})
	if err != nil {
		return fmt.Errorf("register %s in %s: %w", team.ID, tournamentID, err)
	}
	return nil
}

// Registrant is a player registering: their user id and display name, and
// whether they are a guest (stored as one if PostgreSQL does not know them
// yet).
type Registrant struct {
	Player, Name string
	Guest        bool
}

// Registration is the team a player registered or joined.
type Registration struct {
	Team string `json:"team"`
	Name string `json:"name"`
	Solo bool   `json:"solo"`
	// Code is what the partner joins with, while the team has one player
	// (never for a solo registration).
	Code string `json:"code,omitempty"`
}

// Register registers p in a new team reg (its id, and its code unless
// reg.Solo: made by the caller, as the table ids and join codes are):
// alone (Solo: the organiser pairs them at the start), or as the first
// player of a team named reg.Name (p's name when empty) whose partner joins
// with reg.Code (JoinTeam). The team's rating is the player's
// (player_stats, else 1500). Errors as RegisterTeam.
func (s *Store) Register(ctx context.Context, tournamentID string, p Registrant, reg Registration) (Registration, error) {
	var code *string
	if reg.Solo {
		reg.Code = ""
	} else {
		code = &reg.Code
	}
	if reg.Solo || reg.Name == "" {
		reg.Name = p.Name
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rating, err := ensurePlayer(ctx, tx, p)
		if err != nil {
			return err
		}
		return insertTeam(ctx, tx, tournamentID, teamRow{id: reg.Team, name: reg.Name, rating: rating, solo: reg.Solo, code: code}, p.Player)
	})
	if err != nil {
		return Registration{}, fmt.Errorf("register %s in %s: %w", p.Player, tournamentID, err)
	}
	return reg, nil
}

// ensurePlayer makes p's players row if there is none (a guest who has not
// finished a match yet) and returns their rating.
func ensurePlayer(ctx context.Context, tx pgx.Tx, p Registrant) (int, error) {
	kind := "user"
	if p.Guest {
		kind = "guest"
	}
	if _, err := tx.Exec(ctx, `INSERT INTO players (id, name, kind) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		p.Player, p.Name, kind); err != nil {
		return 0, err
	}
	var rating int
	err := tx.QueryRow(ctx, `SELECT coalesce((SELECT round(rating)::int FROM player_stats WHERE player_id = $1), 1500)`,
		p.Player).Scan(&rating)
	return rating, err
}

// JoinTeam adds p to the team waiting for a partner with code, while the
// tournament takes registrations: ErrNoSuchTeam for a code no team of
// this tournament waits with, ErrAlreadyRegistered, ErrTournamentClosed.
// The team's rating becomes its players' mean; the code is spent.
func (s *Store) JoinTeam(ctx context.Context, tournamentID string, p Registrant, code string) (Registration, error) {
	var reg Registration
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		status, _, err := lockTournament(ctx, tx, tournamentID)
		if err != nil {
			return err
		}
		if status != "registration" {
			return ErrTournamentClosed
		}
		rating, err := ensurePlayer(ctx, tx, p)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `UPDATE tournament_teams SET code = NULL, rating = (rating + $3 + 1) / 2
			WHERE tournament_id = $1 AND code = $2 RETURNING team_id, name`, tournamentID, code, rating).Scan(&reg.Team, &reg.Name)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoSuchTeam
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tournament_players (tournament_id, player_id, team_id) VALUES ($1, $2, $3)`,
			tournamentID, p.Player, reg.Team); err != nil {
			return uniqueAs(err, ErrAlreadyRegistered)
		}
		return auditTx(ctx, tx, "tournament_registered", map[string]any{"tournament": tournamentID, "team": reg.Team,
			"players": []string{p.Player}, "joined": true})
	})
	if err != nil {
		return Registration{}, fmt.Errorf("join a team of %s: %w", tournamentID, err)
	}
	return reg, nil
}

// CheckIn marks p present, during check-in: ErrNotRegistered,
// ErrTournamentClosed. Checking in twice is one check-in.
func (s *Store) CheckIn(ctx context.Context, tournamentID, player string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		status, _, err := lockTournament(ctx, tx, tournamentID)
		if err != nil {
			return err
		}
		if status != "checkin" {
			return ErrTournamentClosed
		}
		tag, err := tx.Exec(ctx, `UPDATE tournament_players SET checked_in = true WHERE tournament_id = $1 AND player_id = $2`,
			tournamentID, player)
		if err == nil && tag.RowsAffected() == 0 {
			return ErrNotRegistered
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("check %s in to %s: %w", player, tournamentID, err)
	}
	return nil
}

// Withdraw takes p out before the start (registration or check-in): a team
// left without players is gone; one left with a partner waits for another
// with newCode. ErrNotRegistered, ErrTournamentClosed.
func (s *Store) Withdraw(ctx context.Context, tournamentID, player, newCode string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		status, _, err := lockTournament(ctx, tx, tournamentID)
		if err != nil {
			return err
		}
		if status != "registration" && status != "checkin" {
			return ErrTournamentClosed
		}
		var team string
		err = tx.QueryRow(ctx, `DELETE FROM tournament_players WHERE tournament_id = $1 AND player_id = $2 RETURNING team_id`,
			tournamentID, player).Scan(&team)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotRegistered
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tournament_teams t WHERE tournament_id = $1 AND team_id = $2
			AND NOT EXISTS (SELECT 1 FROM tournament_players p WHERE p.tournament_id = $1 AND p.team_id = $2)`,
			tournamentID, team); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tournament_teams SET code = $3 WHERE tournament_id = $1 AND team_id = $2 AND NOT solo`,
			tournamentID, team, newCode); err != nil {
			return err
		}
		return auditTx(ctx, tx, "tournament_withdrawn", map[string]any{"tournament": tournamentID, "team": team, "player": player})
	})
	if err != nil {
		return fmt.Errorf("withdraw %s from %s: %w", player, tournamentID, err)
	}
	return nil
}

// SetTournamentStatus moves a tournament to status (registration →
// checkin → running → finished, or cancelled from any but finished),
// audited as done by by (audit_log kind tournament_status).
func (s *Store) SetTournamentStatus(ctx context.Context, id, status, by string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, _, err := lockTournament(ctx, tx, id)
		if err != nil {
			return err
		}
		return setStatus(ctx, tx, id, cur, status, by)
	})
	if err != nil {
		return fmt.Errorf("tournament %s: %w", id, err)
	}
	return nil
}

// RescheduleTournament moves a tournament's check-in to checkinAt — only
// while it takes registrations; zero keeps it — and its start to startsAt
// — while registration or check-in is open; zero keeps the check-in's
// length — audited as done by by (audit_log kind tournament_rescheduled),
// and returns the times it now has. A time in the past is due at once. The
// director's tasks for the old times find nothing due and ask again for the
// new ones; the caller enqueues tasks for the new times, as create does.
func (s *Store) RescheduleTournament(ctx context.Context, id string, checkinAt, startsAt time.Time, by string) (checkin, start time.Time, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		var oldCheckin, oldStart time.Time
		err := tx.QueryRow(ctx, `SELECT status, checkin_at, starts_at FROM tournaments WHERE id = $1 FOR UPDATE`, id).
			Scan(&status, &oldCheckin, &oldStart)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return ErrTournamentNotFound
		case err != nil:
			return err
		case status == "checkin" && !checkinAt.IsZero():
			return fmt.Errorf("%w (check-in is open already: only the start can move)", ErrTournamentClosed)
		case status != "registration" && status != "checkin":
			return fmt.Errorf("%w (it is %s)", ErrTournamentClosed, status)
		}
		checkin, start = oldCheckin, startsAt
		if !checkinAt.IsZero() {
			checkin = checkinAt
		}
		if start.IsZero() {
			start = checkin.Add(oldStart.Sub(oldCheckin))
		}
		if start.Before(checkin) {
			return fmt.Errorf("%w (check-in %s, start %s)", ErrStartBeforeCheckin, checkin.Format(time.RFC3339), start.Format(time.RFC3339))
		}
		if _, err := tx.Exec(ctx, `UPDATE tournaments SET checkin_at = $2, starts_at = $3 WHERE id = $1`, id, checkin, start); err != nil {
			return err
		}
		return auditTx(ctx, tx, "tournament_rescheduled", map[string]any{"tournament": id, "by": by,
			"checkin_at": checkin, "starts_at": start, "old_checkin_at": oldCheckin, "old_starts_at": oldStart})
	})
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("reschedule tournament %s: %w", id, err)
	}
	return checkin, start, nil
}

// setStatus moves a locked tournament from cur to status, if it may.
func setStatus(ctx context.Context, tx pgx.Tx, id, cur, status, by string) error {
	next := map[string][]string{"registration": {"checkin", "cancelled"}, "checkin": {"running", "cancelled"},
		"running": {"finished", "cancelled"}}
	for _, ok := range next[cur] {
		if ok == status {
			if _, err := tx.Exec(ctx, `UPDATE tournaments SET status = $2,
				finished_at = CASE WHEN $2 IN ('finished', 'cancelled') THEN now() END WHERE id = $1`, id, status); err != nil {
				return err
			}
			return auditTx(ctx, tx, "tournament_status", map[string]any{"tournament": id, "by": by, "from": cur, "to": status})
		}
	}
	return fmt.Errorf("%w (from %s to %s)", ErrTournamentClosed, cur, status)
}

// TournamentTeams are the teams in play — every registered one until the
// tournament starts, then those that started it — in registration order.
func (s *Store) TournamentTeams(ctx context.Context, id string) ([]tournament.Team, error) {
	rows, err := s.pool.Query(ctx, `SELECT team_id, rating FROM tournament_teams WHERE tournament_id = $1 AND active
		ORDER BY registered_at, team_id`, id)
	if err != nil {
		return nil, fmt.Errorf("tournament %s teams: %w", id, err)
	}
	teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tournament.Team, error) {
		var t tournament.Team
		return t, r.Scan(&t.ID, &t.Rating)
	})
	if err != nil {
		return nil, fmt.Errorf("tournament %s teams: %w", id, err)
	}
	return teams, nil
}

// TeamRoster is a team with its players, as shown.
type TeamRoster struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Rating  int            `json:"rating"`
	Solo    bool           `json:"solo,omitempty"`
	Active  bool           `json:"active"`
	Waiting bool           `json:"waiting_for_partner,omitempty"` // a code is out
	Code    string         `json:"-"`                             // that code: for the team's own player only
	Players []RosterPlayer `json:"players"`
}

// RosterPlayer is a player of a team.
type RosterPlayer struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CheckedIn bool   `json:"checked_in"`
}

// Roster is every team registered (active or not) with its players, in
// registration order.
func (s *Store) Roster(ctx context.Context, id string) ([]TeamRoster, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.team_id, t.name, t.rating, t.solo, t.active, coalesce(t.code, ''),
		coalesce(array_agg(p.player_id ORDER BY p.joined_at, p.player_id) FILTER (WHERE p.player_id IS NOT NULL), '{}'),
		coalesce(array_agg(pl.name ORDER BY p.joined_at, p.player_id) FILTER (WHERE p.player_id IS NOT NULL), '{}'),
		coalesce(array_agg(p.checked_in ORDER BY p.joined_at, p.player_id) FILTER (WHERE p.player_id IS NOT NULL), '{}')
		FROM tournament_teams t
		LEFT JOIN tournament_players p ON p.tournament_id = t.tournament_id AND p.team_id = t.team_id
		LEFT JOIN players pl ON pl.id = p.player_id
		WHERE t.tournament_id = $1 GROUP BY t.tournament_id, t.team_id ORDER BY t.registered_at, t.team_id`, id)
	if err != nil {
		return nil, fmt.Errorf("tournament %s roster: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TeamRoster, error) {
		var t TeamRoster
		var ids, names []string
		var in []bool
		if err := r.Scan(&t.ID, &t.Name, &t.Rating, &t.Solo, &t.Active, &t.Code, &ids, &names, &in); err != nil {
			return t, err
		}
		t.Waiting = t.Code != ""
		t.Players = make([]RosterPlayer, len(ids))
		for i := range ids {
			t.Players[i] = RosterPlayer{ID: ids[i], Name: names[i], CheckedIn: in[i]}
		}
		return t, nil
	})
	if err != nil {
		return nil, fmt.Errorf("tournament %s roster: %w", id, err)
	}
	return out, nil
}

// BeginTournament closes check-in, once: forms the teams that start
// (tournament.Form: no-shows out, players without a partner paired, bots
// where the tournament allows), sets an elimination's rounds from its
// field, and stores round 1 — all in one transaction under the
// tournament's lock. With fewer than two teams the tournament is
// cancelled instead. It returns the status this call moved it to:
// "running", "cancelled", or "" when it was not in check-in (begun
// elsewhere, or cancelled).
func (s *Store) BeginTournament(ctx context.Context, id string) (moved string, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		moved = ""
		status, _, err := lockTournament(ctx, tx, id)
		if err != nil || status != "checkin" {
			return err
		}
		var format string
		var botsFill bool
		if err := tx.QueryRow(ctx, `SELECT format, bots_fill FROM tournaments WHERE id = $1`, id).Scan(&format, &botsFill); err != nil {
			return err
		}
		entries, names, err := entriesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		lineups, out := tournament.Form(entries, botsFill)
		if len(lineups) < 2 {
			moved = "cancelled"
			return setStatus(ctx, tx, id, status, "cancelled", Director)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tournament_players WHERE tournament_id = $1 AND player_id = ANY($2)`, id, out); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tournament_teams SET active = false, code = NULL WHERE tournament_id = $1`, id); err != nil {
			return err
		}
		for _, l := range lineups {
			name := ""
			if l.Paired {
				name = names[l.Players[0]] + " & " + names[l.Players[1]]
			}
			if _, err := tx.Exec(ctx, `UPDATE tournament_teams SET active = true, rating = $3,
				name = CASE WHEN $4 = '' THEN name ELSE left($4, 40) END WHERE tournament_id = $1 AND team_id = $2`,
				id, l.Team, l.Rating, name); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE tournament_players SET team_id = $2 WHERE tournament_id = $1 AND player_id = ANY($3)`,
				id, l.Team, l.Players); err != nil {
				return err
			}
		}
		teams := tournament.Teams(lineups)
		var round1 []tournament.Game
		if format == "elimination" {
			round1, err = tournament.Bracket(teams)
			if _, uerr := tx.Exec(ctx, `UPDATE tournaments SET rounds = $2 WHERE id = $1`, id, tournament.EliminationRounds(len(teams))); uerr != nil {
				return uerr
			}
		} else {
			round1, err = tournament.SwissRound(teams, nil, 1)
		}
		if err != nil {
			return err
		}
		if err := setStatus(ctx, tx, id, status, "running", Director); err != nil {
			return err
		}
		moved = "running"
		return insertRound(ctx, tx, id, 1, round1)
	})
	if err != nil {
		return "", fmt.Errorf("tournament %s: begin: %w", id, err)
	}
	return moved, nil
}

// entriesTx reads the registrations for tournament.Form, in registration
// order, and the players' names.
func entriesTx(ctx context.Context, tx pgx.Tx, id string) ([]tournament.Entry, map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT t.team_id, t.solo, p.player_id, pl.name, p.checked_in,
		coalesce((SELECT round(rating)::int FROM player_stats s WHERE s.player_id = p.player_id), 1500)
		FROM tournament_teams t JOIN tournament_players p ON p.tournament_id = t.tournament_id AND p.team_id = t.team_id
		JOIN players pl ON pl.id = p.player_id
		WHERE t.tournament_id = $1 ORDER BY t.registered_at, t.team_id, p.joined_at, p.player_id`, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var entries []tournament.Entry
	names := map[string]string{}
	for rows.Next() {
		var team, player, name string
		var solo, in bool
		var rating int
		if err := rows.Scan(&team, &solo, &player, &name, &in, &rating); err != nil {
			return nil, nil, err
		}
		if len(entries) == 0 || entries[len(entries)-1].Team != team {
			entries = append(entries, tournament.Entry{Team: team, Solo: solo})
		}
		e := &entries[len(entries)-1]
		e.Players = append(e.Players, tournament.Player{ID: player, Rating: rating})
		e.CheckedIn = append(e.CheckedIn, in)
		names[player] = name
	}
	return entries, names, rows.Err()
}

// StartRound stores round's games (from tournament.SwissRound or the
// bracket), once: false when the round had been started already (by
// another scheduler), and tournament.ErrRoundOpen while a game of an
// earlier round is undecided. The tournament must be running.
func (s *Store) StartRound(ctx context.Context, id string, round int, games []tournament.Game) (bool, error) {
	started := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		status, _, err := lockTournament(ctx, tx, id)
		if err != nil {
			return err
		}
		if status != "running" {
			return ErrTournamentClosed
		}
		var open bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tournament_games WHERE tournament_id = $1
			AND round < $2 AND team_b IS NOT NULL AND winner IS NULL)`, id, round).Scan(&open); err != nil {
			return err
		}
		if open {
			return tournament.ErrRoundOpen
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tournament_rounds WHERE tournament_id = $1 AND round = $2)`,
			id, round).Scan(&exists); err != nil || exists {
			return err // (started elsewhere: nothing more to do)
		}
		started = true
		return insertRound(ctx, tx, id, round, games)
	})
	if err != nil {
		return false, fmt.Errorf("tournament %s round %d: %w", id, round, err)
	}
	return started, nil
}

// insertRound stores a round and its games (tx holds the tournament's lock).
func insertRound(ctx context.Context, tx pgx.Tx, id string, round int, games []tournament.Game) error {
	if _, err := tx.Exec(ctx, `INSERT INTO tournament_rounds (tournament_id, round) VALUES ($1, $2)`, id, round); err != nil {
		return err
	}
	for line, g := range games {
		var b *string
		if !g.Bye() {
			b = &g.B
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tournament_games (tournament_id, round, line, team_a, team_b)
			VALUES ($1, $2, $3, $4, $5)`, id, round, line, g.A, b); err != nil {
			return err
		}
	}
	return auditTx(ctx, tx, "tournament_round", map[string]any{"tournament": id, "round": round, "games": len(games)})
}

// FinishTournament ends a running tournament whose last round is decided,
// once: false when it was not running (finished elsewhere, cancelled), or
// a game is still undecided.
func (s *Store) FinishTournament(ctx context.Context, id string) (bool, error) {
	done := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		status, _, err := lockTournament(ctx, tx, id)
		if err != nil || status != "running" {
			return err
		}
		var open bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tournament_games WHERE tournament_id = $1
			AND team_b IS NOT NULL AND winner IS NULL)`, id).Scan(&open); err != nil || open {
			return err
		}
		done = true
		return setStatus(ctx, tx, id, status, "finished", Director)
	})
	if err != nil {
		return false, fmt.Errorf("tournament %s: finish: %w", id, err)
	}
	return done, nil
}

// RecordResult decides a game once: match matchID, won by winner, scores
// as reached. true when this call recorded it; false when the same result
// was recorded before (a persist task run twice); ErrResultConflict when
// another one was.
func (s *Store) RecordResult(ctx context.Context, id string, round, line int, matchID, winner string, scoreA, scoreB int) (bool, error) {
	var recorded bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		recorded, err = recordTx(ctx, tx, id, round, line, matchID, winner, scoreA, scoreB)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("tournament %s round %d game %d: %w", id, round, line, err)
	}
	return recorded, nil
}

func recordTx(ctx context.Context, tx pgx.Tx, id string, round, line int, matchID, winner string, scoreA, scoreB int) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE tournament_games SET match_id = $4, winner = $5, score_a = $6, score_b = $7,
		decided_at = now() WHERE tournament_id = $1 AND round = $2 AND line = $3 AND winner IS NULL
		AND $5 IN (team_a, team_b)`, id, round, line, matchID, winner, scoreA, scoreB)
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 1 {
		return true, auditTx(ctx, tx, "tournament_result", map[string]any{"tournament": id, "round": round, "line": line,
			"match": matchID, "winner": winner, "score": []int{scoreA, scoreB}})
	}
	var gotMatch, gotWinner *string
	err = tx.QueryRow(ctx, `SELECT match_id, winner FROM tournament_games
		WHERE tournament_id = $1 AND round = $2 AND line = $3`, id, round, line).Scan(&gotMatch, &gotWinner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, ErrTournamentNotFound
	case err != nil:
		return false, err
	case gotWinner != nil && *gotWinner == winner && gotMatch != nil && *gotMatch == matchID:
		return false, nil
	}
	return false, ErrResultConflict
}

// TableResult is a finished match at a table, as the persist task has it.
type TableResult struct {
	Table, Match string
	Winner       int    // team: 0 for seats 0 and 2, the game's team A
	Score        [2]int // by team
}

// Decided is the game a TableResult decided.
type Decided struct {
	Tournament  string
	Round, Line int
	Recorded    bool // by this call (false: recorded before)
}

// RecordTableResult records r as the result of the tournament game played
// at its table, once (see RecordResult): ok is false for a table that
// plays no tournament's game, or whose tournament is no longer running.
func (s *Store) RecordTableResult(ctx context.Context, r TableResult) (d Decided, ok bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var a, b, status string
		err := tx.QueryRow(ctx, `SELECT g.tournament_id, g.round, g.line, g.team_a, coalesce(g.team_b, ''), t.status
			FROM tournament_games g JOIN tournaments t ON t.id = g.tournament_id WHERE g.table_id = $1`, r.Table).
			Scan(&d.Tournament, &d.Round, &d.Line, &a, &b, &status)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && status != "running" {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		winner := a
		if r.Winner == 1 {
			winner = b
		}
		d.Recorded, err = recordTx(ctx, tx, d.Tournament, d.Round, d.Line, r.Match, winner, r.Score[0], r.Score[1])
		return err
	})
	if err != nil {
		return d, false, fmt.Errorf("tournament result at table %s: %w", r.Table, err)
	}
	return d, ok, nil
}

// GameRow is a stored game, as shown.
type GameRow struct {
	Round  int    `json:"round"`
	Line   int    `json:"line"`
	A      string `json:"a"`
	B      string `json:"b,omitempty"` // "": a bye
	Winner string `json:"winner,omitempty"`
	ScoreA int    `json:"score_a"`
	ScoreB int    `json:"score_b"`
	Table  string `json:"table,omitempty"`
	Match  string `json:"match,omitempty"`
	Seated bool   `json:"-"`
	// SeatedAt is when it was marked seated (zero before); Called says its
	// players were sent the notice that pulls them in (MarkCalled).
	SeatedAt time.Time `json:"-"`
	Called   bool      `json:"-"`
	Decided  time.Time `json:"-"` // zero while undecided
}

// Game is r for the pairing arithmetic.
func (r GameRow) Game() tournament.Game {
	return tournament.Game{Round: r.Round, A: r.A, B: r.B, Winner: r.Winner, ScoreA: r.ScoreA, ScoreB: r.ScoreB}
}

// GameRows are every game stored, by round and line.
func (s *Store) GameRows(ctx context.Context, id string) ([]GameRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT round, line, team_a, coalesce(team_b, ''), coalesce(winner, ''),
		coalesce(score_a, 0), coalesce(score_b, 0), coalesce(table_id, ''), coalesce(match_id, ''), seated_at,
		called_at IS NOT NULL, decided_at FROM tournament_games WHERE tournament_id = $1 ORDER BY round, line`, id)
	if err != nil {
		return nil, fmt.Errorf("tournament %s games: %w", id, err)
	}
	games, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (GameRow, error) {
		var g GameRow
		var seated, decided *time.Time
		err := r.Scan(&g.Round, &g.Line, &g.A, &g.B, &g.Winner, &g.ScoreA, &g.ScoreB, &g.Table, &g.Match, &seated, &g.Called, &decided)
		if seated != nil {
			g.Seated, g.SeatedAt = true, *seated
		}
		if decided != nil {
			g.Decided = *decided
		}
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("tournament %s games: %w", id, err)
	}
	return games, nil
}

// TournamentGames are every game stored, by round and line.
func (s *Store) TournamentGames(ctx context.Context, id string) ([]tournament.Game, error) {
	rows, err := s.GameRows(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]tournament.Game, len(rows))
	for i, r := range rows {
		out[i] = r.Game()
	}
	return out, nil
}

// AssignTable gives a game its table (the first id asked for wins: a
// second director asking with the same deterministic id changes nothing)
// and returns the table id the game has.
func (s *Store) AssignTable(ctx context.Context, id string, round, line int, tableID string) (string, error) {
	var got string
	err := s.pool.QueryRow(ctx, `UPDATE tournament_games SET table_id = coalesce(table_id, $4)
		WHERE tournament_id = $1 AND round = $2 AND line = $3 RETURNING table_id`, id, round, line, tableID).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrTournamentNotFound
	}
	if err != nil {
		return "", fmt.Errorf("tournament %s round %d game %d: table: %w", id, round, line, err)
	}
	return got, nil
}

// MarkSeated notes that a game's players were seated at its table at at
// (the director's clock, which also judges how long ago that was); first
// says this call noted it (two directors seating the same game at once
// both get here, and only the first pulls the players in).
func (s *Store) MarkSeated(ctx context.Context, id string, round, line int, at time.Time) (first bool, err error) {
	tag, err := s.pool.Exec(ctx, `UPDATE tournament_games SET seated_at = $4
		WHERE tournament_id = $1 AND round = $2 AND line = $3 AND seated_at IS NULL`, id, round, line, at)
	if err != nil {
		return false, fmt.Errorf("tournament %s round %d game %d: seated: %w", id, round, line, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ClaimCall takes over calling a seated game's players whom nobody called
// and nobody took over calling since before, at the director's time at: a
// director whose claim this is (the seating moved to at, so another waits
// as long again) calls them and then MarkCalled.
func (s *Store) ClaimCall(ctx context.Context, id string, round, line int, at, before time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE tournament_games SET seated_at = $4
		WHERE tournament_id = $1 AND round = $2 AND line = $3 AND called_at IS NULL AND seated_at <= $5`, id, round, line, at, before)
	if err != nil {
		return false, fmt.Errorf("tournament %s round %d game %d: claim the call: %w", id, round, line, err)
	}
	return tag.RowsAffected() == 1, nil
}

// MarkCalled records that a seated game's players were sent the notice
// that pulls them in to its table.
func (s *Store) MarkCalled(ctx context.Context, id string, round, line int) error {
	_, err := s.pool.Exec(ctx, `UPDATE tournament_games SET called_at = now()
		WHERE tournament_id = $1 AND round = $2 AND line = $3 AND called_at IS NULL`, id, round, line)
	if err != nil {
		return fmt.Errorf("tournament %s round %d game %d: called: %w", id, round, line, err)
	}
	return nil
}

// uniqueAs is as for a unique violation, else err.
func uniqueAs(err, as error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return as
	}
	return err
}
