// Package sessionmirror keeps the durable copy of the Redis sessions in
// PostgreSQL (the sessions table, store/pgstore): it is the
// redisstore.SessionMirror that internal/app gives the Redis store.
//
// Writes of new and slid sessions are queued and written behind, batched
// (by default every 200 ms, or at once when 500 are queued, each batch one
// statement), so a request never waits for PostgreSQL. Revocations are
// written first and retried until they land; until then the sessions they
// revoke are refused by Lookup and their queued writes are dropped, and in
// PostgreSQL a revoked row stays a tombstone that no later write revives.
// The package imports both stores so that neither has to import the other.
package sessionmirror

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Store is the SQL side of the mirror; *pgstore.Store implements it.
type Store interface {
	UpsertSessions(ctx context.Context, rows []pgstore.SessionRow) error
	LookupSession(ctx context.Context, tokenHash string, now time.Time) (pgstore.SessionRow, bool, error)
	RevokeSessions(ctx context.Context, tokenHashes []string, at, until time.Time) error
	RevokeUserSessions(ctx context.Context, user, keep string, before, until time.Time) (int64, error)
	PurgeSessions(ctx context.Context, before time.Time) (int64, error)
}

// Options tune a Mirror. Zero values take the defaults.
type Options struct {
	FlushEvery time.Duration // default 200 ms
	BatchRows  int           // rows per statement, and the queue length that flushes at once; default 500
	MaxQueued  int           // queued session writes beyond which new ones are dropped; default 100,000
	RetryMax   time.Duration // longest wait between failed flushes; default 5 s
	// Tombstone is how long after its revocation a revoked row is kept at
	// least: the latest expiry a write queued before the revocation can
	// carry. Default redisstore.SessionTTL.
	Tombstone time.Duration
	// PurgeEvery and PurgeAfter: how often rows are deleted, and how long
	// after their expiry; defaults 10 minutes and 1 hour (room for clocks
	// that disagree).
	PurgeEvery, PurgeAfter time.Duration
	FlushTimeout           time.Duration // of one flush; default 5 s
	Log                    *slog.Logger  // default slog.Default()
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.FlushEvery, 200*time.Millisecond)
	def(&o.RetryMax, 5*time.Second)
	def(&o.Tombstone, redisstore.SessionTTL)
	def(&o.PurgeEvery, 10*time.Minute)
	def(&o.PurgeAfter, time.Hour)
	def(&o.FlushTimeout, 5*time.Second)
	if o.BatchRows <= 0 {
		o.BatchRows = 500
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 100_000
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// userRevocation is a queued RevokeUser.
type userRevocation struct {
	user, keep string
	before     time.Time
}

// covers reports whether r revokes row.
func (r userRevocation) covers(row pgstore.SessionRow) bool {
	return row.User == r.user && row.Indexed && row.TokenHash != r.keep && row.Created.Before(r.before)
}

// Mirror is the write-behind sessions mirror. Build it with New, Start it,
// Stop it. Safe for concurrent use.
type Mirror struct {
	store Store
	opts  Options
	log   *slog.Logger

	flushMu sync.Mutex // one flush at a time

	mu      sync.Mutex
	saves   map[string]pgstore.SessionRow // queued writes by token hash
	revokes map[string]time.Time          // queued revocations: token hash → when
	users   []userRevocation              // queued RevokeUser
	failing bool                          // the last flush failed: wait for the timer, not for wake

	wake    chan struct{} // a flush is due now
	stop    chan struct{}
	done    chan struct{}
	started atomic.Bool
	once    sync.Once

	written, revoked, flushErrors, dropped atomic.Uint64
}

// New returns a Mirror over store; it writes nothing until Start.
func New(store Store, opts Options) *Mirror {
	opts = opts.withDefaults()
	return &Mirror{
		store: store, opts: opts, log: opts.Log,
		saves: map[string]pgstore.SessionRow{}, revokes: map[string]time.Time{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// Start runs the flusher in the background until Stop.
func (m *Mirror) Start() {
	if m.started.CompareAndSwap(false, true) {
		go m.run()
	}
}

// Stop ends the flusher and writes what is still queued, within ctx. The
// error says what could not be written: queued sessions are then lost
// (they live on in Redis), queued revocations stay held by their Redis
// tombstones (redisstore.RevokedTTL).
func (m *Mirror) Stop(ctx context.Context) error {
	m.once.Do(func() { close(m.stop) })
	if m.started.Load() {
		<-m.done
	}
	return m.Flush(ctx)
}

// Flush writes what is queued now, as the background flusher does (for
// Stop, tests and tools). What fails stays queued.
func (m *Mirror) Flush(ctx context.Context) error {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	return m.flush(ctx)
}

// Save queues a session write (see redisstore.SessionMirror). Writes of one
// token merge: the newest name, the latest expiry. A session being revoked
// is dropped, and so is a new write once MaxQueued are queued (the next use
// of the session queues it again).
func (m *Mirror) Save(s redisstore.MirroredSession) {
	row := pgstore.SessionRow(s)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.revokedLocked(row) {
		return
	}
	if old, ok := m.saves[row.TokenHash]; ok {
		if old.Expires.After(row.Expires) {
			row.Expires = old.Expires
		}
	} else if len(m.saves) >= m.opts.MaxQueued {
		m.dropped.Add(1)
		return
	}
	m.saves[row.TokenHash] = row
	if len(m.saves) >= m.opts.BatchRows {
		m.wakeLocked()
	}
}

// Create writes a session now.
func (m *Mirror) Create(ctx context.Context, s redisstore.MirroredSession) error {
	if err := m.store.UpsertSessions(ctx, []pgstore.SessionRow{pgstore.SessionRow(s)}); err != nil {
		return err
	}
	m.written.Add(1)
	return nil
}

// Lookup returns the live session of a token hash from PostgreSQL; ok is
// false for one that is unknown, expired, revoked, or whose revocation is
// still queued here.
func (m *Mirror) Lookup(ctx context.Context, tokenHash string) (redisstore.MirroredSession, bool, error) {
	if m.revoking(pgstore.SessionRow{TokenHash: tokenHash}) {
		return redisstore.MirroredSession{}, false, nil
	}
	row, ok, err := m.store.LookupSession(ctx, tokenHash, time.Now())
	if err != nil || !ok || m.revoking(row) { // a revocation may have come during the query
		return redisstore.MirroredSession{}, false, err
	}
	return redisstore.MirroredSession(row), true, nil
}

// Revoke queues the revocation of these token hashes, drops their queued
// writes, and flushes at once.
func (m *Mirror) Revoke(tokenHashes []string) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range tokenHashes {
		delete(m.saves, h)
		m.revokes[h] = now
	}
	m.wakeLocked()
}

// RevokeUser queues the revocation of user's indexed sessions made before
// before except keep, drops their queued writes, and flushes at once.
func (m *Mirror) RevokeUser(user, keep string, before time.Time) {
	r := userRevocation{user: user, keep: keep, before: before}
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, row := range m.saves {
		if r.covers(row) {
			delete(m.saves, h)
		}
	}
	m.users = append(m.users, r)
	m.wakeLocked()
}

func (m *Mirror) revoking(row pgstore.SessionRow) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.revokedLocked(row)
}

func (m *Mirror) revokedLocked(row pgstore.SessionRow) bool {
	if _, ok := m.revokes[row.TokenHash]; ok {
		return true
	}
	for _, r := range m.users {
		if r.covers(row) {
			return true
		}
	}
	return false
}

func (m *Mirror) wakeLocked() {
	if m.failing {
		return // the retry timer paces a PostgreSQL that is down
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// run flushes every FlushEvery or when woken, backing off (up to
// RetryMax) while flushes fail, and purges old rows every PurgeEvery.
func (m *Mirror) run() {
	defer close(m.done)
	wait := m.opts.FlushEvery
	timer := time.NewTimer(wait)
	defer timer.Stop()
	nextPurge := time.Now().Add(m.opts.PurgeEvery)
	for {
		select {
		case <-m.stop:
			return
		case <-timer.C:
		case <-m.wake:
			timer.Stop()
		}
		ctx, cancel := context.WithTimeout(context.Background(), m.opts.FlushTimeout)
		err := m.Flush(ctx)
		if err == nil && time.Now().After(nextPurge) {
			nextPurge = time.Now().Add(m.opts.PurgeEvery)
			m.purge(ctx)
		}
		cancel()
		wait = m.pace(err, wait)
		timer.Reset(wait)
	}
}

// pace logs the start and the end of a run of failed flushes (not each
// one) and returns the wait until the next flush.
func (m *Mirror) pace(err error, wait time.Duration) time.Duration {
	m.mu.Lock()
	was := m.failing
	m.failing = err != nil
	m.mu.Unlock()
	switch {
	case err != nil && !was:
		m.log.Warn("session mirror: writing to PostgreSQL failed; retrying", "err", err)
		return m.opts.FlushEvery
	case err != nil:
		return min(2*wait, m.opts.RetryMax)
	case was:
		m.log.Info("session mirror: writing to PostgreSQL again")
	}
	return m.opts.FlushEvery
}

func (m *Mirror) purge(ctx context.Context) {
	n, err := m.store.PurgeSessions(ctx, time.Now().Add(-m.opts.PurgeAfter))
	if err != nil {
		m.log.Warn("session mirror: purge failed", "err", err)
		return
	}
	if n > 0 {
		m.log.Debug("session mirror: purged expired sessions", "rows", n)
	}
}

// flush writes the queued revocations, then the queued sessions, BatchRows
// per statement. What fails stays queued (a session queued again meanwhile
// merges with it) for the next flush.
func (m *Mirror) flush(ctx context.Context) error {
	m.mu.Lock()
	revokes := make(map[string]time.Time, len(m.revokes))
	for h, at := range m.revokes {
		revokes[h] = at
	}
	users := append([]userRevocation(nil), m.users...)
	saves := m.saves
	m.saves = map[string]pgstore.SessionRow{}
	m.mu.Unlock()

	err := m.writeRevocations(ctx, revokes, users)
	if err == nil {
		err = m.writeSaves(ctx, saves)
	} else {
		m.requeue(saves)
	}
	if err != nil {
		m.flushErrors.Add(1)
	}
	return err
}

// writeRevocations writes revocations and takes those written off the
// queue; until then Lookup refuses them and Save drops their writes.
func (m *Mirror) writeRevocations(ctx context.Context, revokes map[string]time.Time, users []userRevocation) error {
	if len(revokes) > 0 {
		hashes, last := make([]string, 0, len(revokes)), time.Time{}
		for h, at := range revokes {
			hashes = append(hashes, h)
			if at.After(last) {
				last = at
			}
		}
		for i := 0; i < len(hashes); i += m.opts.BatchRows {
			part := hashes[i:min(i+m.opts.BatchRows, len(hashes))]
			if err := m.store.RevokeSessions(ctx, part, last, last.Add(m.opts.Tombstone)); err != nil {
				return err
			}
			m.mu.Lock()
			for _, h := range part {
				if m.revokes[h].Equal(revokes[h]) {
					delete(m.revokes, h)
				}
			}
			m.mu.Unlock()
			m.revoked.Add(uint64(len(part)))
		}
	}
	for _, r := range users {
		if _, err := m.store.RevokeUserSessions(ctx, r.user, r.keep, r.before, r.before.Add(m.opts.Tombstone)); err != nil {
			return err
		}
		m.mu.Lock()
		for i, q := range m.users {
			if q == r {
				m.users = append(m.users[:i], m.users[i+1:]...)
				break
			}
		}
		m.mu.Unlock()
		m.revoked.Add(1)
	}
	return nil
}

// writeSaves writes queued sessions BatchRows per statement, requeueing
// what it could not write.
func (m *Mirror) writeSaves(ctx context.Context, saves map[string]pgstore.SessionRow) error {
	rows := make([]pgstore.SessionRow, 0, len(saves))
	for _, r := range saves {
		rows = append(rows, r)
	}
	for i := 0; i < len(rows); i += m.opts.BatchRows {
		part := rows[i:min(i+m.opts.BatchRows, len(rows))]
		if err := m.store.UpsertSessions(ctx, part); err != nil {
			m.requeueRows(rows[i:])
			return err
		}
		m.written.Add(uint64(len(part)))
	}
	return nil
}

func (m *Mirror) requeue(saves map[string]pgstore.SessionRow) {
	rows := make([]pgstore.SessionRow, 0, len(saves))
	for _, r := range saves {
		rows = append(rows, r)
	}
	m.requeueRows(rows)
}

// requeueRows puts unwritten sessions back, unless revoked meanwhile; a
// newer write of the same token keeps its name and the later expiry.
func (m *Mirror) requeueRows(rows []pgstore.SessionRow) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rows {
		if m.revokedLocked(r) {
			continue
		}
		if cur, ok := m.saves[r.TokenHash]; ok {
			if cur.Expires.Before(r.Expires) {
				cur.Expires = r.Expires
				m.saves[r.TokenHash] = cur
			}
			continue
		}
		m.saves[r.TokenHash] = r
	}
}

// Stats are the mirror's queue lengths and counts since New.
type Stats struct {
	QueuedSaves, QueuedRevocations int
	// Written counts sessions written, Revoked revocations written (a
	// RevokeUser counts one), FlushErrors failed flushes, Dropped writes
	// dropped because the queue was full.
	Written, Revoked, FlushErrors, Dropped uint64
}

// Stats returns the mirror's current Stats.
func (m *Mirror) Stats() Stats {
	m.mu.Lock()
	st := Stats{QueuedSaves: len(m.saves), QueuedRevocations: len(m.revokes) + len(m.users)}
	m.mu.Unlock()
	st.Written, st.Revoked = m.written.Load(), m.revoked.Load()
	st.FlushErrors, st.Dropped = m.flushErrors.Load(), m.dropped.Load()
	return st
}
