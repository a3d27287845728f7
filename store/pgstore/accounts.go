package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Errors of the account methods.
var (
	// ErrUsernameTaken: another account has that (canonical) username.
	ErrUsernameTaken = errors.New("pgstore: username taken")
	// ErrNoPlayer: no players row has that id (or, for account methods, it
	// is not a live account).
	ErrNoPlayer = errors.New("pgstore: no such player")
	// ErrNotGuest: the id to claim is already an account or deleted.
	ErrNotGuest = errors.New("pgstore: player is not a guest")
)

// DeletedName is the display name of a deleted account, in players and in
// the seats of its past matches.
const DeletedName = "deleted player"

// Player kinds (players.kind).
const (
	KindGuest   = "guest"
	KindUser    = "user"
	KindDeleted = "deleted"
)

// Player is a players row without its credentials.
type Player struct {
	ID        string
	Name      string
	Kind      string // KindGuest, KindUser, KindDeleted ("bot" is unused)
	Username  string // canonical; "" unless Kind is KindUser
	CreatedAt time.Time
	UpdatedAt time.Time // strictly increases with every change: a cache version
}

// Account is a live account's row with its password hash.
type Account struct {
	Player
	PasswordHash string
}

// NewAccount is what registering stores.
type NewAccount struct {
	ID           string
	Username     string // canonical
	Name         string
	PasswordHash string
}

// AuditEntry is one audit_log row. UserID may be "" (a failed login for
// an unknown username); Detail may be nil.
type AuditEntry struct {
	UserID string
	Kind   string // register, login_ok, login_failed, logout, password_changed, account_deleted, guest_claimed, name_changed
	IP     string
	Detail map[string]any
}

const playerCols = `id, name, kind, coalesce(username, ''), created_at, updated_at`

// bumpUpdated makes updated_at strictly increase even for two changes in
// one transaction's now().
const bumpUpdated = `updated_at = greatest(now(), players.updated_at + interval '1 microsecond')`

func scanPlayer(row pgx.Row, extra ...any) (Player, error) {
	var p Player
	dst := append([]any{&p.ID, &p.Name, &p.Kind, &p.Username, &p.CreatedAt, &p.UpdatedAt}, extra...)
	if err := row.Scan(dst...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Player{}, ErrNoPlayer
		}
		return Player{}, err
	}
	return p, nil
}

// usernameTaken reports a unique violation on players.username.
func usernameTaken(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "players_username_key"
}

// CreateAccount inserts a new account (kind "user"). ErrUsernameTaken when
// the username is in use.
func (s *Store) CreateAccount(ctx context.Context, a NewAccount) (Player, error) {
	row := s.pool.QueryRow(ctx, `
		INSERT INTO players (id, name, kind, username, password_hash)
		VALUES ($1, $2, 'user', $3, $4)
		RETURNING `+playerCols, a.ID, a.Name, a.Username, a.PasswordHash)
	p, err := scanPlayer(row)
	if usernameTaken(err) {
		return Player{}, ErrUsernameTaken
	}
	if err != nil {
		return Player{}, fmt.Errorf("pgstore: create account: %w", err)
	}
	return p, nil
}

// ClaimGuest turns guest a.ID into an account with a's credentials and
// name, creating its players row if the guest has none yet (no match of
// its was persisted). ErrNotGuest when the id is already an account or
// deleted; ErrUsernameTaken when the username is in use.
func (s *Store) ClaimGuest(ctx context.Context, a NewAccount) (Player, error) {
	row := s.pool.QueryRow(ctx, `
		INSERT INTO players (id, name, kind, username, password_hash)
		VALUES ($1, $2, 'user', $3, $4)
		ON CONFLICT (id) DO UPDATE
		   SET kind = 'user', name = excluded.name, username = excluded.username,
		       password_hash = excluded.password_hash, `+bumpUpdated+`
		 WHERE players.kind = 'guest'
		RETURNING `+playerCols, a.ID, a.Name, a.Username, a.PasswordHash)
	p, err := scanPlayer(row)
	switch {
	case usernameTaken(err):
		return Player{}, ErrUsernameTaken
	case errors.Is(err, ErrNoPlayer): // the conflict's WHERE refused: not a guest
		return Player{}, ErrNotGuest
	case err != nil:
		return Player{}, fmt.Errorf("pgstore: claim guest %s: %w", a.ID, err)
	}
	return p, nil
}

// AccountByUsername returns the live account with that canonical username,
// or ErrNoPlayer.
func (s *Store) AccountByUsername(ctx context.Context, username string) (Account, error) {
	return s.account(ctx, "username", username)
}

// AccountByID returns the live account with that id, or ErrNoPlayer (also
// for a guest or a deleted account).
func (s *Store) AccountByID(ctx context.Context, id string) (Account, error) {
	return s.account(ctx, "id", id)
}

// account reads the live account whose column (a constant of the callers)
// equals value.
func (s *Store) account(ctx context.Context, column, value string) (Account, error) {
	var a Account
	p, err := scanPlayer(s.pool.QueryRow(ctx,
		`SELECT `+playerCols+`, password_hash FROM players WHERE `+column+` = $1 AND kind = 'user'`, value),
		&a.PasswordHash)
	if err != nil && !errors.Is(err, ErrNoPlayer) {
		return Account{}, fmt.Errorf("pgstore: account by %s %s: %w", column, value, err)
	}
	a.Player = p
	return a, err
}

// PlayerByID returns any players row (guest, account or deleted), or
// ErrNoPlayer.
func (s *Store) PlayerByID(ctx context.Context, id string) (Player, error) {
	p, err := scanPlayer(s.pool.QueryRow(ctx, `SELECT `+playerCols+` FROM players WHERE id = $1`, id))
	if err != nil && !errors.Is(err, ErrNoPlayer) {
		return Player{}, fmt.Errorf("pgstore: player %s: %w", id, err)
	}
	return p, err
}

// SetPassword replaces a live account's password hash; ErrNoPlayer if id
// is not one.
func (s *Store) SetPassword(ctx context.Context, id, hash string) (Player, error) {
	p, err := scanPlayer(s.pool.QueryRow(ctx, `
		UPDATE players SET password_hash = $2, `+bumpUpdated+`
		WHERE id = $1 AND kind = 'user'
		RETURNING `+playerCols, id, hash))
	if err != nil && !errors.Is(err, ErrNoPlayer) {
		return Player{}, fmt.Errorf("pgstore: set password %s: %w", id, err)
	}
	return p, err
}

// SetName changes the display name of a guest's or account's row
// (creating a guest's row if it has none); a deleted account's name does
// not change (ErrNoPlayer). Names already recorded in match seats stay.
func (s *Store) SetName(ctx context.Context, id, name string, guest bool) (Player, error) {
	q := `UPDATE players SET name = $2, ` + bumpUpdated + `
		WHERE id = $1 AND kind <> 'deleted'
		RETURNING ` + playerCols
	if guest {
		q = `INSERT INTO players (id, name, kind) VALUES ($1, $2, 'guest')
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, ` + bumpUpdated + `
		WHERE players.kind <> 'deleted'
		RETURNING ` + playerCols
	}
	p, err := scanPlayer(s.pool.QueryRow(ctx, q, id, name))
	if err != nil && !errors.Is(err, ErrNoPlayer) {
		return Player{}, fmt.Errorf("pgstore: set name %s: %w", id, err)
	}
	return p, err
}

// DeleteAccount removes a live account's personal data in one
// transaction: username, password hash and name go (the name becomes
// DeletedName, also in the seats of its past matches), kind becomes
// "deleted", and its audit rows lose their IP addresses and usernames. The
// row and its matches stay. ErrNoPlayer if id is not a live account.
func (s *Store) DeleteAccount(ctx context.Context, id string) (Player, error) {
	var p Player
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		p, err = scanPlayer(tx.QueryRow(ctx, `
			UPDATE players SET kind = 'deleted', name = $2, username = NULL, password_hash = NULL,
			       deleted_at = now(), `+bumpUpdated+`
			WHERE id = $1 AND kind = 'user'
			RETURNING `+playerCols, id, DeletedName))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE match_seats SET name = $2 WHERE player_id = $1`, id, DeletedName); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE audit_log SET ip = NULL, detail = detail - 'username' WHERE user_id = $1`, id)
		return err
	})
	if err != nil && !errors.Is(err, ErrNoPlayer) {
		return Player{}, fmt.Errorf("pgstore: delete account %s: %w", id, err)
	}
	return p, err
}

// Audit appends one row to audit_log.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	var detail []byte
	if e.Detail != nil {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("pgstore: audit detail: %w", err)
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (user_id, kind, ip, detail) VALUES ($1, $2, $3, $4)`,
		nullIfEmpty(e.UserID), e.Kind, nullIfEmpty(e.IP), detail)
	if err != nil {
		return fmt.Errorf("pgstore: audit %s: %w", e.Kind, err)
	}
	return nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
