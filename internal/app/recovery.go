package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/sealbox"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/worker"
)

// StateSealer seals the hidden hands at rest (redisstore.Options.Seal).
// Its keys are loaded when the process starts (StateKeys), after the
// migrations, since the default key is kept in PostgreSQL.
type StateSealer struct {
	ring atomic.Pointer[sealbox.Keyring]
}

// Seal seals with the current key; the keys must be loaded.
func (s *StateSealer) Seal(dst, plaintext, ad []byte) []byte {
	ring := s.ring.Load()
	if ring == nil {
		panic("app: a table was written before the state keys were loaded")
	}
	return ring.Seal(dst, plaintext, ad)
}

// Open opens a box sealed with any of the keys.
func (s *StateSealer) Open(dst, box, ad []byte) ([]byte, error) {
	ring := s.ring.Load()
	if ring == nil {
		return nil, errors.New("app: state keys not loaded yet")
	}
	return ring.Open(dst, box, ad)
}

// Load sets the keys: HOKM_STATE_KEYS, or else the key kept in PostgreSQL
// (made by the first process that needs one).
func (s *StateSealer) Load(ctx context.Context, cfg config.Config, pg *pgstore.Store, log *slog.Logger) error {
	keys := cfg.StateKeys
	if len(keys) == 0 {
		fresh := make([]byte, sealbox.KeySize)
		if _, err := rand.Read(fresh); err != nil {
			return err
		}
		key, err := pg.StateKey(ctx, fresh)
		if err != nil {
			return fmt.Errorf("HOKM_STATE_KEYS is not set and the key kept in PostgreSQL could not be read: %w", err)
		}
		keys = []sealbox.Key{{ID: pgstore.StateKeyID, Key: key}}
		log.Info("hands sealed at rest with the key kept in PostgreSQL (set HOKM_STATE_KEYS in production)")
	}
	ring, err := sealbox.NewKeyring(keys...)
	if err != nil {
		return err
	}
	s.ring.Store(ring)
	return nil
}

// loadStateKeys loads the sealer's keys at start, after the migrations and
// before anything reads or writes a table.
func loadStateKeys(lc fx.Lifecycle, s *StateSealer, cfg config.Config, pg *pgstore.Store, log *slog.Logger) {
	lc.Append(fx.StartHook(func(ctx context.Context) error { return s.Load(ctx, cfg, pg, log) }))
}

// StateKeys loads the keys that seal hidden hands at rest. It is a module
// so that its start hook runs right after the migrations (fx runs modules'
// invokes in order, before the root's); every role that touches tables
// includes it after Migrate and before the modules that use the store.
var StateKeys = fx.Module("statekeys", fx.Provide(func() *StateSealer { return &StateSealer{} }), fx.Invoke(loadStateKeys))

// newJournal writes the tables behind the move path to PostgreSQL's table
// journal (a worker AfterChange hook, with its own background writer).
func newJournal(lc fx.Lifecycle, store *redisstore.Store, pg *pgstore.Store, cfg config.Config, log *slog.Logger) *worker.Journal {
	j := &worker.Journal{Redis: store, PG: pg, Interval: cfg.JournalInterval, Log: log.With("component", "journal")}
	lc.Append(fx.Hook{OnStart: j.Start, OnStop: j.Stop})
	return j
}

func journalHook(j *worker.Journal) AfterChange { return j.AfterChange }

// newRecovery rebuilds tables after Redis lost state (see worker.Recovery);
// it also rebuilds, before an action, a table that is missing or stale, and
// re-creates the consumer group on a new Redis server. Every new Redis
// connection tells it the server's run id.
func newRecovery(store *redisstore.Store, pg *pgstore.Store, proc *worker.Processor, ids *RedisRunIDs, log *slog.Logger) *worker.Recovery {
	r := worker.NewRecovery(store, pg, proc, worker.RecoveryOptions{
		MaxAge: store.Options().GameTTL,
		OnNewRedis: []func(context.Context) error{
			func(ctx context.Context) error { return store.EnsureGroup(ctx, actionGroup) },
		},
		Log: log.With("component", "recovery"),
	})
	proc.RebuildWith(r.Rebuild, r.ServerRunID)
	ids.OnRunID(r.NoteRunID)
	return r
}

// runRecovery checks Redis before the consumer starts reading (so a worker
// started on an emptied Redis rebuilds the tables first) and every second
// after.
func runRecovery(lc fx.Lifecycle, r *worker.Recovery) {
	lc.Append(fx.Hook{OnStart: r.Start, OnStop: r.Stop})
}

// recoveryReadyCheck: a worker is not ready while the tables of the Redis
// server in use still need their recovery (moves at tables not rebuilt yet
// would wait).
func recoveryReadyCheck(r *worker.Recovery) ReadyCheck {
	return ReadyCheck{Name: "recovery", Required: true, Check: r.Ready}
}

// recoveryModule is the part of the Worker module that survives Redis
// losing state: the table journal and the recovery.
var recoveryModule = fx.Options(
	fx.Provide(newJournal, newRecovery, fx.Annotate(journalHook, fx.ResultTags(`group:"after_change"`))),
	readyGroup(recoveryReadyCheck),
	fx.Invoke(runRecovery),
)
