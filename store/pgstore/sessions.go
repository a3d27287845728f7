package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionRow is one row of the sessions mirror (migration 00010): the
// durable copy of a Redis session. Its fields match
// redisstore.MirroredSession one to one, so the two convert.
type SessionRow struct {
	TokenHash string // hex SHA-256 of the token
	User      string
	Name      string
	Guest     bool
	Indexed   bool // in the user's session index (made by NewUserSession)
	Created   time.Time
	Expires   time.Time
}

// UpsertSessions writes rows in one statement: an unknown token hash is
// inserted; a known one takes the row's name and keeps the later of the two
// expiries; a revoked one is left as it is, so a revocation is never undone
// by a write that was queued before it. The hashes must be distinct (the
// statement cannot change one row twice).
func (s *Store) UpsertSessions(ctx context.Context, rows []SessionRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	hashes, users, names := make([]string, n), make([]string, n), make([]string, n)
	guests, indexed := make([]bool, n), make([]bool, n)
	created, expires := make([]time.Time, n), make([]time.Time, n)
	for i, r := range rows {
		hashes[i], users[i], names[i] = r.TokenHash, r.User, r.Name
		guests[i], indexed[i] = r.Guest, r.Indexed
		created[i], expires[i] = r.Created, r.Expires
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO sessions (token_hash, user_id, name, guest, indexed, created_at, expires_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::bool[], $6::timestamptz[], $7::timestamptz[])
ON CONFLICT (token_hash) DO UPDATE
   SET name = excluded.name, expires_at = GREATEST(sessions.expires_at, excluded.expires_at)
 WHERE sessions.revoked_at IS NULL`,
		hashes, users, names, guests, indexed, created, expires)
	if err != nil {
		return fmt.Errorf("pgstore: upsert %d sessions: %w", n, err)
	}
	return nil
}

// LookupSession returns the session of a token hash if it is not revoked
// and expires after now; ok is false otherwise.
func (s *Store) LookupSession(ctx context.Context, tokenHash string, now time.Time) (SessionRow, bool, error) {
	r := SessionRow{TokenHash: tokenHash}
	err := s.pool.QueryRow(ctx, `
SELECT user_id, name, guest, indexed, created_at, expires_at FROM sessions
 WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`, tokenHash, now).
		Scan(&r.User, &r.Name, &r.Guest, &r.Indexed, &r.Created, &r.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return SessionRow{}, false, nil
	}
	if err != nil {
		return SessionRow{}, false, fmt.Errorf("pgstore: look up session: %w", err)
	}
	return r, true, nil
}

// RevokeSessions marks the sessions of these token hashes revoked at at
// and keeps each row, as a tombstone, until at least until (the latest
// expiry a write queued before the revocation can carry). A hash without
// a row gets a tombstone row of its own, so that its creation, if it
// arrives later, is refused.
func (s *Store) RevokeSessions(ctx context.Context, tokenHashes []string, at, until time.Time) error {
	if len(tokenHashes) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO sessions (token_hash, user_id, expires_at, revoked_at)
SELECT h, '', $2, $3 FROM unnest($1::text[]) AS h
ON CONFLICT (token_hash) DO UPDATE
   SET revoked_at = COALESCE(sessions.revoked_at, excluded.revoked_at),
       expires_at = GREATEST(sessions.expires_at, excluded.expires_at)`,
		tokenHashes, until, at)
	if err != nil {
		return fmt.Errorf("pgstore: revoke %d sessions: %w", len(tokenHashes), err)
	}
	return nil
}

// RevokeUserSessions revokes the indexed sessions of user created before
// before, except the one of token hash keep ("" for none), keeping them as
// tombstones until at least until (see RevokeSessions). It returns how many
// it revoked.
func (s *Store) RevokeUserSessions(ctx context.Context, user, keep string, before, until time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
UPDATE sessions SET revoked_at = $3, expires_at = GREATEST(expires_at, $4)
 WHERE user_id = $1 AND indexed AND token_hash <> $2 AND created_at < $3 AND revoked_at IS NULL`,
		user, keep, before, until)
	if err != nil {
		return 0, fmt.Errorf("pgstore: revoke sessions of %s: %w", user, err)
	}
	return tag.RowsAffected(), nil
}

// PurgeSessions deletes the rows, live or revoked, that expired before
// before, and returns how many.
func (s *Store) PurgeSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("pgstore: purge sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
