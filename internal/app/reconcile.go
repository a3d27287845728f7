package app

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/ops"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/worker"
)

// reconcileHooks adds the worker hooks of reconciliation and hand
// checkpoints to the "after_change" group (part of the Worker module).
var reconcileHooks = fx.Provide(
	fx.Annotate(newLedgerHook, fx.ResultTags(`group:"after_change"`)),
	fx.Annotate(newCheckpointHook, fx.ResultTags(`group:"after_change"`)),
)

// newLedgerHook records every finished match in the Redis ledger the
// reconciler compares with PostgreSQL.
func newLedgerHook(store *redisstore.Store, cfg config.Config) AfterChange {
	l := &worker.Ledger{RDB: store.Client(), Keys: store.Keys(), Compress: cfg.CompressRecords}
	return l.AfterChange
}

// newCheckpointHook writes each finished hand's checkpoint (sealed) to
// PostgreSQL behind the move path, falling back to the persist queue.
func newCheckpointHook(lc fx.Lifecycle, pg *pgstore.Store, client *asynq.Client, seal *StateSealer, log *slog.Logger) AfterChange {
	h := &worker.CheckpointHook{Store: pg, Log: log,
		Seal:    func(p, ad []byte) []byte { return seal.Seal(nil, p, ad) },
		Enqueue: func(ctx context.Context, t *asynq.Task) error { return tasks.Enqueue(ctx, client, t) }}
	lc.Append(fx.Hook{OnStart: h.Start, OnStop: h.Stop})
	return h.AfterChange
}

// NewReconciler builds the reconciler on the server's Redis and PostgreSQL
// (used by the worker's reconcile task and by `hokm ops reconcile`).
func NewReconciler(store *redisstore.Store, pg *pgstore.Store, cfg config.Config, log *slog.Logger) *worker.Reconciler {
	rdb := store.Client()
	return &worker.Reconciler{
		Ledger: &worker.Ledger{RDB: rdb, Keys: store.Keys(), Compress: cfg.CompressRecords}, Store: pg,
		Client: asynq.NewClientFromRedisClient(rdb), Inspector: asynq.NewInspectorFromRedisClient(rdb),
		MaxRetry: cfg.PersistRetries, Log: log, Journal: pg,
		Decode: func(row pgstore.LiveTable) (table.Table, error) {
			return store.DecodeDurable(redisstore.Durable{ID: row.ID, Epoch: row.Epoch, Seq: row.Seq, Meta: row.Meta, State: row.State})
		},
		DeadLetters: func(ctx context.Context, ti *asynq.TaskInfo) error { return ops.RecordArchived(ctx, pg, ti) },
	}
}

// registerReconcileHandlers adds the reconcile, replay verification and
// checkpoint handlers to the task server's mux.
func registerReconcileHandlers(mux *asynq.ServeMux, store *redisstore.Store, pg *pgstore.Store, cfg config.Config, log *slog.Logger) {
	mux.Handle(tasks.TypeReconcile, &worker.ReconcileHandler{Reconciler: NewReconciler(store, pg, cfg, log)})
	mux.Handle(tasks.TypeVerifyReplays, &worker.VerifyHandler{Verifier: &worker.Verifier{Store: pg, Log: log}})
	mux.Handle(tasks.TypePersistCheckpoint, &worker.CheckpointHandler{Store: pg})
}
