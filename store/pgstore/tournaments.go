package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hokm-project/hokm/tournament"
)

// Tournaments in PostgreSQL. Every change to a tournament's field takes its
// row's lock first (SELECT … FOR UPDATE): registrations, check-ins and the
// start of a round are serialized per tournament, so a capacity check and
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
	Rounds   int
	MaxTeams int
	BotsFill bool
	Status   string
}

// Tournament errors.
var (
	ErrTournamentNotFound = errors.New("pgstore: no such tournament")
	ErrTournamentClosed   = errors.New("pgstore: the tournament is not taking this now")
	ErrTournamentFull     = errors.New("pgstore: the tournament is full")
	ErrAlreadyRegistered  = errors.New("pgstore: a player is registered in this tournament already")
	ErrResultConflict     = errors.New("pgstore: the game was decided otherwise")
	ErrTournamentExists   = errors.New("pgstore: a tournament has this id already")
)

// CreateTournament stores t in registration, and audits it as done by by
// (audit_log kind tournament_created).
func (s *Store) CreateTournament(ctx context.Context, t Tournament, by string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tournaments (id, name, format, target, rounds, max_teams, bots_fill)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.ID, t.Name, t.Format, t.Target, t.Rounds, t.MaxTeams, t.BotsFill)
		if err != nil {
			return uniqueAs(err, ErrTournamentExists)
		}
		return auditTx(ctx, tx, "tournament_created", map[string]any{"tournament": t.ID, "by": by, "name": t.Name,
			"format": t.Format, "target": t.Target, "rounds": t.Rounds, "max_teams": t.MaxTeams, "bots_fill": t.BotsFill})
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

// Tournaments lists every tournament, newest first, with its team count.
func (s *Store) Tournaments(ctx context.Context) ([]TournamentInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.name, t.format, t.target, t.rounds, t.max_teams, t.bots_fill, t.status,
		(SELECT count(*) FROM tournament_teams tt WHERE tt.tournament_id = t.id)
		FROM tournaments t ORDER BY t.created_at DESC, t.id`)
	if err != nil {
		return nil, fmt.Errorf("tournaments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TournamentInfo, error) {
		var t TournamentInfo
		return t, r.Scan(&t.ID, &t.Name, &t.Format, &t.Target, &t.Rounds, &t.MaxTeams, &t.BotsFill, &t.Status, &t.Teams)
	})
	if err != nil {
		return nil, fmt.Errorf("tournaments: %w", err)
	}
	return out, nil
}

// TournamentInfo is a tournament as listed.
type TournamentInfo struct {
	Tournament
	Teams int
}

// lockTournament takes the tournament's row lock and returns its status.
func lockTournament(ctx context.Context, tx pgx.Tx, id string) (status string, maxTeams int, err error) {
	err = tx.QueryRow(ctx, `SELECT status, max_teams FROM tournaments WHERE id = $1 FOR UPDATE`, id).Scan(&status, &maxTeams)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, ErrTournamentNotFound
	}
	return status, maxTeams, err
}

// RegisterTeam registers team (players, one or two) while the tournament
// takes registrations and has room: ErrTournamentFull, ErrTournamentClosed,
// ErrAlreadyRegistered (a player in another team, or the team id taken).
func (s *Store) RegisterTeam(ctx context.Context, tournamentID string, team tournament.Team, players ...string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
		if _, err := tx.Exec(ctx, `INSERT INTO tournament_teams (tournament_id, team_id, rating) VALUES ($1, $2, $3)`,
			tournamentID, team.ID, team.Rating); err != nil {
			return uniqueAs(err, ErrAlreadyRegistered)
		}
		for _, p := range players {
			if _, err := tx.Exec(ctx, `INSERT INTO tournament_players (tournament_id, player_id, team_id) VALUES ($1, $2, $3)`,
				tournamentID, p, team.ID); err != nil {
				return uniqueAs(err, ErrAlreadyRegistered)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("register %s in %s: %w", team.ID, tournamentID, err)
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

// SetTournamentStatus moves a tournament to status (registration →
// checkin → running → finished, or cancelled from any but finished),
// audited as done by by (audit_log kind tournament_status).
func (s *Store) SetTournamentStatus(ctx context.Context, id, status, by string) error {
	next := map[string][]string{"registration": {"checkin", "cancelled"}, "checkin": {"running", "cancelled"},
		"running": {"finished", "cancelled"}}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, _, err := lockTournament(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, ok := range next[cur] {
			if ok == status {
				if _, err := tx.Exec(ctx, `UPDATE tournaments SET status = $2 WHERE id = $1`, id, status); err != nil {
					return err
				}
				return auditTx(ctx, tx, "tournament_status", map[string]any{"tournament": id, "by": by, "from": cur, "to": status})
			}
		}
		return fmt.Errorf("%w (from %s to %s)", ErrTournamentClosed, cur, status)
	})
	if err != nil {
		return fmt.Errorf("tournament %s: %w", id, err)
	}
	return nil
}

// TournamentTeams are the teams registered, in registration order.
func (s *Store) TournamentTeams(ctx context.Context, id string) ([]tournament.Team, error) {
	rows, err := s.pool.Query(ctx, `SELECT team_id, rating FROM tournament_teams WHERE tournament_id = $1
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
		tag, err := tx.Exec(ctx, `INSERT INTO tournament_rounds (tournament_id, round) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, id, round)
		if err != nil || tag.RowsAffected() == 0 {
			return err // (started elsewhere: nothing more to do)
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
		started = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("tournament %s round %d: %w", id, round, err)
	}
	return started, nil
}

// RecordResult decides a game once: match matchID, won by winner, scores
// as reached. true when this call recorded it; false when the same result
// was recorded before (a persist task run twice); ErrResultConflict when
// another one was.
func (s *Store) RecordResult(ctx context.Context, id string, round, line int, matchID, winner string, scoreA, scoreB int) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE tournament_games SET match_id = $4, winner = $5, score_a = $6, score_b = $7,
		decided_at = now() WHERE tournament_id = $1 AND round = $2 AND line = $3 AND winner IS NULL
		AND $5 IN (team_a, team_b)`, id, round, line, matchID, winner, scoreA, scoreB)
	if err != nil {
		return false, fmt.Errorf("tournament %s round %d game %d: %w", id, round, line, err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var gotMatch, gotWinner *string
	err = s.pool.QueryRow(ctx, `SELECT match_id, winner FROM tournament_games
		WHERE tournament_id = $1 AND round = $2 AND line = $3`, id, round, line).Scan(&gotMatch, &gotWinner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, fmt.Errorf("tournament %s round %d game %d: %w", id, round, line, ErrTournamentNotFound)
	case err != nil:
		return false, fmt.Errorf("tournament %s round %d game %d: %w", id, round, line, err)
	case gotWinner != nil && *gotWinner == winner && gotMatch != nil && *gotMatch == matchID:
		return false, nil
	}
	return false, fmt.Errorf("tournament %s round %d game %d: %w", id, round, line, ErrResultConflict)
}

// TournamentGames are every game stored, by round and line.
func (s *Store) TournamentGames(ctx context.Context, id string) ([]tournament.Game, error) {
	rows, err := s.pool.Query(ctx, `SELECT round, team_a, coalesce(team_b, ''), coalesce(winner, ''),
		coalesce(score_a, 0), coalesce(score_b, 0) FROM tournament_games WHERE tournament_id = $1 ORDER BY round, line`, id)
	if err != nil {
		return nil, fmt.Errorf("tournament %s games: %w", id, err)
	}
	games, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tournament.Game, error) {
		var g tournament.Game
		return g, r.Scan(&g.Round, &g.A, &g.B, &g.Winner, &g.ScoreA, &g.ScoreB)
	})
	if err != nil {
		return nil, fmt.Errorf("tournament %s games: %w", id, err)
	}
	return games, nil
}
