// Package account is players' accounts and sessions: guests, sign-up
// (also a guest claiming its id), login with argon2id passwords and rate
// limits, logout, password change, account deletion, display names and
// public profiles read cache-aside through Redis. Service holds the logic;
// Handler serves it as the JSON API documented in docs/http-api.md.
package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Options tune a Service. Zero values take the defaults.
type Options struct {
	Hash      HashParams    // default DefaultHashParams
	HashSlots int           // concurrent hashes; default GOMAXPROCS
	HashWait  time.Duration // wait for a hashing slot; default 2 s
	// Failed logins (and wrong current passwords) per username and per
	// client IP; defaults 10 and 30 per 15 minutes.
	LoginPerUser, LoginPerIP ratelimit.Limit
	// Login attempts, successful or not (and current-password checks), per
	// username and per client IP; defaults 20 and 60 per 15 minutes.
	AttemptsPerUser, AttemptsPerIP ratelimit.Limit
	// Sign-ups per client IP; default 20 per hour.
	RegisterPerIP ratelimit.Limit
	// Guest sessions made by POST /api/guest per client IP; default 60 per
	// hour (config.DefaultGuestLimit, shared with the gateway's guests).
	GuestPerIP ratelimit.Limit
	// How long a request waits for its client's (IP's, username's) previous
	// password hash to end before it is refused rate_limited; default 1 s.
	ClientWait time.Duration
	ProfileTTL time.Duration // default 15 minutes
	Log        *slog.Logger  // default slog.Default()
}

func (o Options) withDefaults() Options {
	if o.Hash == (HashParams{}) {
		o.Hash = DefaultHashParams
	}
	if o.LoginPerUser == (ratelimit.Limit{}) {
		o.LoginPerUser = ratelimit.Limit{Max: 10, Window: 15 * time.Minute}
	}
	if o.LoginPerIP == (ratelimit.Limit{}) {
		o.LoginPerIP = ratelimit.Limit{Max: 30, Window: 15 * time.Minute}
	}
	if o.AttemptsPerUser == (ratelimit.Limit{}) {
		o.AttemptsPerUser = config.DefaultLoginAttemptsUser
	}
	if o.AttemptsPerIP == (ratelimit.Limit{}) {
		o.AttemptsPerIP = config.DefaultLoginAttemptsIP
	}
	if o.GuestPerIP == (ratelimit.Limit{}) {
		o.GuestPerIP = config.DefaultGuestLimit
	}
	if o.ClientWait <= 0 {
		o.ClientWait = time.Second
	}
	if o.RegisterPerIP == (ratelimit.Limit{}) {
		o.RegisterPerIP = ratelimit.Limit{Max: 20, Window: time.Hour}
	}
	if o.ProfileTTL == 0 {
		o.ProfileTTL = 15 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// Service is the account logic over PostgreSQL (accounts, audit log) and
// Redis (sessions, rate limits, profile cache, kicks). While Redis fails,
// guests, sign-ups and logins still work: sessions are made in the
// store's session mirror (redisstore.SessionMirror), rate limits count in
// this process and profiles are read from PostgreSQL; logout, password
// change, deletion and renames need Redis (they revoke or rewrite
// sessions) and answer unavailable. Safe for concurrent use.
type Service struct {
	pg       *pgstore.Store
	rs       *redisstore.Store
	hasher   *Hasher
	gate     *gate // one hash in flight per client IP and per username
	limits   *ratelimit.Limiter
	profiles profileCache
	opts     Options
	log      *slog.Logger
	decoy    string // verified against for unknown usernames, to take as long as a real check (Hasher.Decoy)
}

// New returns a Service.
func New(pg *pgstore.Store, rs *redisstore.Store, opts Options) (*Service, error) {
	opts = opts.withDefaults()
	s := &Service{
		pg: pg, rs: rs, opts: opts, log: opts.Log,
		hasher:   NewHasher(opts.Hash, opts.HashSlots, opts.HashWait),
		gate:     newGate(),
		limits:   ratelimit.New(rs.Client(), rs.Keys().RateLimit),
		profiles: profileCache{rdb: rs.Client(), key: rs.Keys().Profile, ttl: opts.ProfileTTL},
	}
	decoy, err := s.hasher.Decoy()
	if err != nil {
		return nil, err
	}
	s.decoy = decoy
	return s, nil
}

// Hasher is the service's password hasher (for its concurrency bound).
func (s *Service) Hasher() *Hasher { return s.hasher }

// Auth is what signing in returns: who, and the bearer token.
type Auth struct {
	User  string `json:"user"`
	Name  string `json:"name"`
	Token string `json:"token"`
}

// Me is a signed-in player's own profile.
type Me struct {
	Profile
	Username string `json:"username,omitempty"`
	Guest    bool   `json:"guest"`
}

// Kick reasons published on the kick channel.
const (
	KickLoggedOut       = "logged_out"
	KickPasswordChanged = "password_changed"
	KickAccountDeleted  = "account_deleted"
)

func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Guest starts a guest session (id "g_<hex>") with the display name (""
// gives "player") for a client at ip, at most GuestPerIP per IP (guest:ip).
// Nothing is written to PostgreSQL until the guest plays a match, renames
// itself or claims an account, and the session lives only
// redisstore.UnusedSessionTTL until its first use (the WebSocket hello or
// any authenticated request), which gives it the normal sliding TTL and
// its mirrored copy.
func (s *Service) Guest(ctx context.Context, name, ip string) (Auth, error) {
	n := "player"
	if name != "" {
		var ok bool
		if n, ok = displayName(name); !ok {
			return Auth{}, ErrBadName
		}
	}
	if _, err := s.limit(ctx, ratelimit.Count{What: LimitGuestIP, Who: ip, Limit: s.opts.GuestPerIP}); err != nil {
		return Auth{}, err
	}
	sess := redisstore.Session{User: newID("g_"), Name: n, Guest: true}
	tok, err := s.rs.NewUnusedSession(ctx, sess)
	if err != nil {
		return Auth{}, err
	}
	return Auth{User: sess.User, Name: n, Token: tok}, nil
}

// Register is a sign-up request.
type Register struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Name     string `json:"name,omitempty"` // display name; default the username as typed
}

// Register creates an account and signs it in. With guest (the session of
// the request's guest token, whose token is guestToken) the guest's id
// becomes the account's — its past matches stay its own — and the
// guest's sessions are revoked. Sign-ups are rate-limited per IP.
func (s *Service) Register(ctx context.Context, in Register, guest *redisstore.Session, guestToken, ip string) (Auth, error) {
	if guest != nil && !guest.Guest {
		return Auth{}, ErrAlreadyAccount
	}
	a, err := s.checkRegister(in)
	if err != nil {
		return Auth{}, err
	}
	if _, err := s.limit(ctx, ratelimit.Count{What: LimitRegisterIP, Who: ip, Limit: s.opts.RegisterPerIP}); err != nil {
		return Auth{}, err
	}
	pw, _ := normalPassword(in.Password)
	release, err := s.enterHash(ctx, ip, a.Username)
	if err != nil {
		return Auth{}, err
	}
	a.PasswordHash, err = s.hasher.Hash(ctx, pw)
	release()
	if err != nil {
		return Auth{}, err
	}
	kind := "register"
	var p pgstore.Player
	if guest != nil {
		kind, a.ID = "guest_claimed", guest.User
		p, err = s.pg.ClaimGuest(ctx, a)
	} else {
		a.ID = newID("u_")
		p, err = s.pg.CreateAccount(ctx, a)
	}
	switch {
	case errors.Is(err, pgstore.ErrUsernameTaken) || lookAlikeTaken(err):
		return Auth{}, ErrUsernameTaken
	case errors.Is(err, pgstore.ErrNotGuest):
		return Auth{}, ErrAlreadyAccount
	case err != nil:
		return Auth{}, err
	}
	auth, err := s.signIn(ctx, p)
	if err != nil {
		return Auth{}, err
	}
	if guest != nil {
		s.endGuest(ctx, guest.User, guestToken, auth.Token)
	}
	s.audit(ctx, pgstore.AuditEntry{UserID: p.ID, Kind: kind, IP: ip, Detail: map[string]any{"username": p.Username}})
	s.cacheProfile(ctx, p)
	return auth, nil
}

// lookAlikeTaken reports a unique violation of the usernames' skeletons:
// another account's username looks like this one (migration 00012).
func lookAlikeTaken(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "players_username_skeleton_key"
}

// checkRegister validates a sign-up and returns the account to store
// (without id and hash); in.Password is replaced by its normal form.
func (s *Service) checkRegister(in Register) (pgstore.NewAccount, error) {
	u, ok := CanonicalUsername(in.Username)
	if !ok {
		return pgstore.NewAccount{}, ErrBadUsername
	}
	pw, ok := normalPassword(in.Password)
	if !ok {
		return pgstore.NewAccount{}, ErrBadPassword
	}
	if e := checkPassword(pw, u); e != nil {
		return pgstore.NewAccount{}, e
	}
	name := in.Name
	if name == "" {
		name = in.Username
	}
	n, ok := displayName(name)
	if !ok {
		return pgstore.NewAccount{}, ErrBadName
	}
	return pgstore.NewAccount{Username: u, Name: n}, nil
}

// endGuest revokes a claimed guest's sessions (its token, and any other
// indexed one) but not the new account session keep.
func (s *Service) endGuest(ctx context.Context, user, token, keep string) {
	if err := s.rs.DeleteSession(ctx, token); err != nil {
		s.log.Warn("revoking a claimed guest's token failed", "user", user, "err", err)
	}
	if _, err := s.rs.RevokeUser(ctx, user, keep); err != nil {
		s.log.Warn("revoking a claimed guest's sessions failed", "user", user, "err", err)
	}
}

// signIn starts an account session.
func (s *Service) signIn(ctx context.Context, p pgstore.Player) (Auth, error) {
	tok, err := s.rs.NewUserSession(ctx, redisstore.Session{User: p.ID, Name: p.Name})
	if err != nil {
		return Auth{}, err
	}
	return Auth{User: p.ID, Name: p.Name, Token: tok}, nil
}

// Login checks a username and password. A wrong username and a wrong
// password get the same answer (ErrBadCredentials) after the same work.
// Every attempt counts against the attempt budgets per IP and per username
// (login_attempt:*), failures also against the failure budgets (login:*);
// a success takes back only its failure count. A client (IP, username)
// has at most one check in flight (see enterHash).
func (s *Service) Login(ctx context.Context, username, password, ip string) (Auth, error) {
	u, okUser := CanonicalUsername(username)
	who := ""
	if okUser {
		who = u
	}
	release, err := s.enterHash(ctx, ip, who)
	if err != nil {
		return Auth{}, err
	}
	defer release()
	attempts, failures, err := s.limitLogin(ctx, ip, who)
	if err != nil {
		return Auth{}, err
	}
	acct, ok, err := s.check(ctx, u, okUser, password)
	if err != nil {
		s.limits.Undo(ctx, append(attempts, failures...)...)
		return Auth{}, err
	}
	if !ok {
		e := pgstore.AuditEntry{UserID: acct.ID, Kind: "login_failed", IP: ip}
		if okUser {
			e.Detail = map[string]any{"username": u}
		}
		s.audit(ctx, e)
		return Auth{}, ErrBadCredentials
	}
	s.limits.Undo(ctx, failures...)
	auth, err := s.signIn(ctx, acct.Player)
	if err != nil {
		return Auth{}, err
	}
	s.audit(ctx, pgstore.AuditEntry{UserID: acct.ID, Kind: "login_ok", IP: ip})
	return auth, nil
}

// Limit names (the limit label of hokm_rate_limited_total).
const (
	LimitLoginIP        = "login:ip"           // failed logins per IP
	LimitLoginUser      = "login:user"         // failed logins per username
	LimitAttemptIP      = "login_attempt:ip"   // login attempts per IP
	LimitAttemptUser    = "login_attempt:user" // login attempts per username
	LimitRegisterIP     = "register:ip"
	LimitGuestIP        = "guest:ip"
	LimitHashingIP      = "hashing:ip"   // a password hash of this IP already in flight
	LimitHashingAccount = "hashing:user" // a password hash for this username already in flight
)

// limitLogin counts a login attempt (or current-password check) of ip for
// username who ("" for no valid username): the attempt budgets, then the
// failure budgets. On a refusal nothing stays counted.
func (s *Service) limitLogin(ctx context.Context, ip, who string) (attempts, failures []ratelimit.Mark, err error) {
	ac := []ratelimit.Count{{What: LimitAttemptIP, Who: ip, Limit: s.opts.AttemptsPerIP}}
	fc := []ratelimit.Count{{What: LimitLoginIP, Who: ip, Limit: s.opts.LoginPerIP}}
	if who != "" {
		ac = append(ac, ratelimit.Count{What: LimitAttemptUser, Who: who, Limit: s.opts.AttemptsPerUser})
		fc = append(fc, ratelimit.Count{What: LimitLoginUser, Who: who, Limit: s.opts.LoginPerUser})
	}
	if attempts, err = s.limit(ctx, ac...); err != nil {
		return nil, nil, err
	}
	if failures, err = s.limit(ctx, fc...); err != nil {
		s.limits.Undo(ctx, attempts...)
		return nil, nil, err
	}
	return attempts, failures, nil
}

// enterHash admits a request that will hash a password for client ip and
// username who ("" none) once neither has another hash in flight in this
// process, waiting at most ClientWait; after that it is refused
// rate_limited (hashing:ip or hashing:user), Retry-After 1 s. So one client
// holds at most one of the Hasher's slots, however many requests it sends,
// and the rest serve other clients. Unknown and known usernames are gated
// alike.
func (s *Service) enterHash(ctx context.Context, ip, who string) (func(), error) {
	keys := []string{"ip:" + ip}
	if who != "" {
		keys = append(keys, "user:"+who)
	}
	release, busy, err := s.gate.enter(ctx, s.opts.ClientWait, keys...)
	if err != nil {
		return nil, fmt.Errorf("account: waiting for the client's previous hash: %w", err)
	}
	if busy != "" {
		what := LimitHashingIP
		if busy != keys[0] {
			what = LimitHashingAccount
		}
		metrics.RateLimited.WithLabelValues(what).Inc()
		return nil, rateLimited(time.Second)
	}
	return release, nil
}

// check verifies the password of the account named u (canonical; valid
// tells whether it is a possible username). An unknown name is verified
// against the decoy hash so that it takes as long as a known one.
func (s *Service) check(ctx context.Context, u string, valid bool, password string) (pgstore.Account, bool, error) {
	acct, err := pgstore.Account{}, pgstore.ErrNoPlayer
	if valid {
		acct, err = s.pg.AccountByUsername(ctx, u)
	}
	if err != nil && !errors.Is(err, pgstore.ErrNoPlayer) {
		return pgstore.Account{}, false, err
	}
	hash := acct.PasswordHash
	if err != nil {
		hash = s.decoy
	}
	pw, okLen := normalPassword(password)
	match, verr := s.hasher.Verify(ctx, hash, pw)
	if verr != nil {
		return pgstore.Account{}, false, verr
	}
	return acct, match && okLen && err == nil, nil
}

// Logout revokes token and closes the user's sockets.
func (s *Service) Logout(ctx context.Context, sess redisstore.Session, token, ip string) error {
	if err := s.rs.DeleteSession(ctx, token); err != nil {
		return err
	}
	s.kick(ctx, sess.User, KickLoggedOut)
	s.audit(ctx, pgstore.AuditEntry{UserID: sess.User, Kind: "logout", IP: ip})
	return nil
}

// ChangePassword replaces an account's password after checking the
// current one (wrong ones count as failed logins), then revokes every
// other session of the user and closes its sockets (this token stays
// valid; its sockets reconnect with it).
func (s *Service) ChangePassword(ctx context.Context, sess redisstore.Session, token, old, new, ip string) error {
	if sess.Guest {
		return ErrNotRegistered
	}
	pw, ok := normalPassword(new)
	if !ok {
		return ErrBadPassword
	}
	if e := checkPassword(pw, ""); e != nil {
		return e
	}
	acct, err := s.reauth(ctx, sess.User, old, ip)
	if err != nil {
		return err
	}
	if e := checkPassword(pw, acct.Username); e != nil {
		return e
	}
	release, err := s.enterHash(ctx, ip, acct.Username)
	if err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	release()
	if err != nil {
		return err
	}
	// Revoke before the change too: while Redis fails (a revocation needs
	// it) the request fails before anything changed. The revocation after
	// the change catches sessions made meanwhile with the old password.
	if _, err := s.rs.RevokeUser(ctx, sess.User, token); err != nil {
		return err
	}
	if _, err := s.pg.SetPassword(ctx, sess.User, hash); err != nil {
		return s.accountGone(err)
	}
	if _, err := s.rs.RevokeUser(ctx, sess.User, token); err != nil {
		return err
	}
	s.kick(ctx, sess.User, KickPasswordChanged)
	s.audit(ctx, pgstore.AuditEntry{UserID: sess.User, Kind: "password_changed", IP: ip})
	return nil
}

// reauth checks a signed-in account's password, rate-limited and gated
// like logins.
func (s *Service) reauth(ctx context.Context, user, password, ip string) (pgstore.Account, error) {
	acct, err := s.pg.AccountByID(ctx, user)
	if err != nil {
		return pgstore.Account{}, s.accountGone(err)
	}
	release, err := s.enterHash(ctx, ip, acct.Username)
	if err != nil {
		return pgstore.Account{}, err
	}
	defer release()
	attempts, failures, err := s.limitLogin(ctx, ip, acct.Username)
	if err != nil {
		return pgstore.Account{}, err
	}
	pw, _ := normalPassword(password)
	ok, err := s.hasher.Verify(ctx, acct.PasswordHash, pw)
	if err != nil {
		s.limits.Undo(ctx, append(attempts, failures...)...)
		return pgstore.Account{}, err
	}
	if !ok {
		s.audit(ctx, pgstore.AuditEntry{UserID: user, Kind: "login_failed", IP: ip, Detail: map[string]any{"reauth": true}})
		return pgstore.Account{}, ErrWrongPassword
	}
	s.limits.Undo(ctx, failures...)
	return acct, nil
}

// accountGone maps "not a live account" (deleted meanwhile, or a guest)
// to ErrNotRegistered.
func (s *Service) accountGone(err error) error {
	if errors.Is(err, pgstore.ErrNoPlayer) {
		return ErrNotRegistered
	}
	return err
}

// Delete deletes the account after checking its password: its personal
// data goes (pgstore.DeleteAccount), its past matches stay anonymised,
// every session is revoked, its sockets are closed and it leaves the
// leaderboards.
func (s *Service) Delete(ctx context.Context, sess redisstore.Session, password, ip string) error {
	if sess.Guest {
		return ErrNotRegistered
	}
	if _, err := s.reauth(ctx, sess.User, password, ip); err != nil {
		return err
	}
	// As in ChangePassword: fail before the deletion while Redis fails.
	if _, err := s.rs.RevokeUser(ctx, sess.User, ""); err != nil {
		return err
	}
	p, err := s.pg.DeleteAccount(ctx, sess.User)
	if err != nil {
		return s.accountGone(err)
	}
	if _, err := s.rs.RevokeUser(ctx, sess.User, ""); err != nil {
		return err
	}
	s.kick(ctx, sess.User, KickAccountDeleted)
	// the boards are recomputed without the account (they exclude deleted
	// players); if this fails they drop it when their snapshots expire
	if err := s.rs.DropLeaderboards(ctx); err != nil {
		s.log.Warn("leaderboard snapshots kept after an account's deletion", "err", err)
	}
	// No IP: the account's audit rows just lost theirs.
	s.audit(ctx, pgstore.AuditEntry{UserID: sess.User, Kind: "account_deleted"})
	s.cacheProfile(ctx, p)
	return nil
}

// Me returns the signed-in player's profile. A guest that has no row yet
// is described from its session.
func (s *Service) Me(ctx context.Context, sess redisstore.Session) (Me, error) {
	p, err := s.pg.PlayerByID(ctx, sess.User)
	if errors.Is(err, pgstore.ErrNoPlayer) && sess.Guest {
		return Me{Profile: Profile{ID: sess.User, Name: sess.Name, Kind: pgstore.KindGuest}, Guest: true}, nil
	}
	if errors.Is(err, pgstore.ErrNoPlayer) || err == nil && p.Kind == pgstore.KindDeleted {
		return Me{}, ErrBadToken
	}
	if err != nil {
		return Me{}, err
	}
	return Me{Profile: profileOf(p), Username: p.Username, Guest: p.Kind == pgstore.KindGuest}, nil
}

// Rename changes the display name (in PostgreSQL, the user's sessions and
// the profile cache); names already recorded in past matches stay.
func (s *Service) Rename(ctx context.Context, sess redisstore.Session, token, name, ip string) (Me, error) {
	n, ok := displayName(name)
	if !ok {
		return Me{}, ErrBadName
	}
	p, err := s.pg.SetName(ctx, sess.User, n, sess.Guest)
	if errors.Is(err, pgstore.ErrNoPlayer) {
		return Me{}, ErrBadToken
	}
	if err != nil {
		return Me{}, err
	}
	s.cacheProfile(ctx, p)
	if err := s.rs.RenameSessions(ctx, sess.User, n); err != nil {
		return Me{}, err
	}
	if err := s.rs.SetSessionName(ctx, token, n); err != nil { // a gateway guest's token is not indexed
		return Me{}, err
	}
	s.audit(ctx, pgstore.AuditEntry{UserID: sess.User, Kind: "name_changed", IP: ip})
	return Me{Profile: profileOf(p), Username: p.Username, Guest: p.Kind == pgstore.KindGuest}, nil
}

// PublicProfile returns a player's public profile, from the Redis cache
// when it is there, else from PostgreSQL (then cached for ProfileTTL;
// while Redis fails, PostgreSQL answers every read and nothing is cached).
// ErrNotFound for an unknown id (bots and guests that never played a
// persisted match have none).
func (s *Service) PublicProfile(ctx context.Context, id string) (Profile, error) {
	if id == "" || len(id) > 64 {
		return Profile{}, ErrNotFound
	}
	p, ok, cacheErr := s.profiles.get(ctx, id)
	if ok {
		return p, nil
	}
	if cacheErr != nil { // Redis failing: PostgreSQL answers; an outage is seen in the Redis metrics
		s.log.Debug("profile cache read failed", "err", cacheErr)
	}
	row, err := s.pg.PlayerByID(ctx, id)
	if errors.Is(err, pgstore.ErrNoPlayer) {
		return Profile{}, ErrNotFound
	}
	if err != nil {
		return Profile{}, err
	}
	if cacheErr == nil { // no point writing to a Redis that just failed
		s.cacheProfile(ctx, row)
	}
	return profileOf(row), nil
}

// cacheProfile writes p's new profile to the cache (a reader's fill, or a
// change's invalidation); if that fails it drops the cached one.
func (s *Service) cacheProfile(ctx context.Context, p pgstore.Player) {
	if err := s.profiles.put(ctx, profileOf(p)); err != nil {
		s.log.Warn("profile cache write failed", "id", p.ID, "err", err)
		if err := s.profiles.drop(ctx, p.ID); err != nil {
			s.log.Error("stale profile may stay cached", "id", p.ID, "err", err)
		}
	}
}

// kick asks every gateway to close user's sockets.
func (s *Service) kick(ctx context.Context, user, reason string) {
	if err := s.rs.KickUser(ctx, user, reason); err != nil {
		s.log.Warn("kick publish failed; sockets close at their next session check", "user", user, "err", err)
	}
}

// audit appends to the audit log; a failure is logged (the change it
// records has happened).
func (s *Service) audit(ctx context.Context, e pgstore.AuditEntry) {
	if err := s.pg.Audit(ctx, e); err != nil {
		s.log.Warn("audit log write failed", "kind", e.Kind, "user", e.UserID, "err", err)
	}
}

// limit counts one event on each of cs; rate_limited when any is over its
// limit (then none is counted). While Redis fails the counters are this
// process's.
func (s *Service) limit(ctx context.Context, cs ...ratelimit.Count) ([]ratelimit.Mark, error) {
	marks, err := s.limits.HitAll(ctx, cs...)
	var refused *ratelimit.Refused
	if errors.As(err, &refused) {
		return nil, rateLimited(refused.Retry)
	}
	return marks, err
}
