// Package scheduler enqueues the periodic jobs: each job is a cron spec
// evaluated on wall-clock buckets in one time zone, and each bucket (one
// fire time) becomes one asynq task whose TaskID names the job and the
// bucket. The work itself runs in the workers.
//
// Any number of schedulers may run; one leads. Leadership is a Redis lease
// (Lease) with a fencing token drawn at each acquisition; only the leader
// enqueues, and a leader that cannot renew before its lease ends stops at
// once. The lease only keeps the others quiet: the real fence is the
// per-bucket TaskID, which makes asynq refuse a second enqueue of a bucket
// from a second leader, a stale one, or a restart, for as long as asynq
// keeps the first task (its retention is two intervals of the job).
//
// A scheduler that becomes leader enqueues the latest bucket of every job
// at or before now (catch-up), so a bucket that fell while no scheduler
// ran is run once; only the latest missed bucket of a job is caught up,
// never the ones before it.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/tasks"
)

// Job is one periodic task.
type Job struct {
	Name string // for logs and docs
	Spec string // five-field cron spec ("*/5 * * * *"), in the scheduler's location
	Task func() *asynq.Task
}

// Jobs is the schedule. docs/tasks.md lists it for operators.
func Jobs() []Job {
	return []Job{
		{Name: "trim acknowledged actions", Spec: "* * * * *", Task: tasks.NewTrimActionsTask},
		{Name: "recompute player stats and ratings", Spec: "* * * * *", Task: tasks.NewStatsRecomputeTask},
		{Name: "snapshot leaderboards into Redis", Spec: "*/5 * * * *", Task: tasks.NewStatsLeaderboardsTask},
		{Name: "roll up yesterday's activity", Spec: "5 0 * * *", Task: tasks.NewStatsRollupYesterdayTask},
		{Name: "reconcile finished matches", Spec: "*/5 * * * *", Task: tasks.NewReconcileTask},
		{Name: "verify replays of stored matches", Spec: "0 * * * *", Task: tasks.NewVerifyReplaysTask},
		{Name: "clean up abandoned tables", Spec: "*/10 * * * *", Task: tasks.NewCleanupTablesTask},
		{Name: "prune the audit log", Spec: "30 4 * * *", Task: tasks.NewPruneAuditTask},
		{Name: "prune hand checkpoints", Spec: "20 * * * *", Task: tasks.NewPruneCheckpointsTask},
		{Name: "make next months' partitions, detach expired ones", Spec: "45 3 * * *", Task: tasks.NewPartitionsTask},
		{Name: "advance tournaments (check-in, start, rounds, finish)", Spec: "* * * * *", Task: tasks.NewTournamentAdvanceTask},
	}
}

// Defaults of Options.
const (
	DefaultLeaseTTL = config.DefaultSchedulerLease
	DefaultTick     = time.Second
)

// Options configure a Scheduler; a zero field takes its default.
type Options struct {
	// Location is the zone the cron specs are read in (HOKM_TIMEZONE);
	// default UTC.
	Location *time.Location
	// LeaseTTL is how long the lease lasts without renewal: a killed
	// leader is replaced within about this long. Default 10 s.
	LeaseTTL time.Duration
	// Renew is how often the leader renews the lease and a standby tries
	// to take it. Default LeaseTTL/3; at most LeaseTTL/2.
	Renew time.Duration
	// Tick is how often the leader looks for due buckets (a bucket is
	// enqueued at most this late). Default 1 s; at most Renew.
	Tick time.Duration
	// Now is the wall clock the buckets are read on (tests move it); the
	// lease is timed on the process's monotonic clock, as Redis times its
	// TTL. Default time.Now.
	Now func() time.Time
	// Log gets leadership changes, duplicates (info) and failures (warn).
	Log *slog.Logger
}

// leaser is the leadership lease (Lease).
type leaser interface {
	Acquire(ctx context.Context, ttl time.Duration) (token int64, ok bool, err error)
	Renew(ctx context.Context, ttl time.Duration) (bool, error)
	Release(ctx context.Context) error
	Holder() string
}

// enqueuer is the part of *asynq.Client the scheduler uses.
type enqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// job is a Job with its parsed schedule and its state in this tenure.
type job struct {
	Job
	typ       string
	sched     *cron.SpecSchedule
	retention time.Duration
	last      time.Time // latest bucket known to be in asynq (zero: none yet this tenure)
	next      time.Time // first fire time after last; due when the clock reaches it
}

// Scheduler enqueues the jobs' buckets while it holds the lease.
type Scheduler struct {
	lease  leaser
	client enqueuer
	opt    Options
	log    *slog.Logger
	jobs   []*job

	// Touched only by the loop goroutine.
	leading      bool
	leaseEnd     time.Time // monotonic: the lease is surely ours until then
	renewed      time.Time // last successful acquire or renew
	tried        time.Time // last acquisition attempt
	renewFailing bool      // a renew failed and none succeeded since (log the first only)

	// Read by tests.
	isLeader atomic.Bool
	token    atomic.Int64
	ticks    atomic.Int64
	runs     [3]atomic.Int64 // by outcome: enqueued, duplicate, error

	cancel context.CancelFunc
	done   chan struct{}
}

// New builds a scheduler of jobs over lease and client. It returns an
// error naming the job when a spec is not a five-field cron spec that
// fires, a job has no task, or two jobs share a task type (their TaskIDs
// would collide), and an error when the options are inconsistent.
func New(lease leaser, client enqueuer, jobs []Job, opt Options) (*Scheduler, error) {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.LeaseTTL == 0 {
		opt.LeaseTTL = DefaultLeaseTTL
	}
	if opt.Renew == 0 {
		opt.Renew = opt.LeaseTTL / 3
	}
	if opt.Tick == 0 {
		opt.Tick = min(DefaultTick, opt.Renew)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.LeaseTTL < 0 || opt.Renew <= 0 || 2*opt.Renew > opt.LeaseTTL || opt.Tick <= 0 || opt.Tick > opt.Renew {
		return nil, fmt.Errorf("scheduler: want 0 < Tick (%v) <= Renew (%v) <= LeaseTTL/2 (%v)", opt.Tick, opt.Renew, opt.LeaseTTL)
	}
	s := &Scheduler{lease: lease, client: client, opt: opt, log: opt.Log}
	types := map[string]string{}
	for _, j := range jobs {
		pj, err := prepare(j, opt.Location, opt.Now())
		if err != nil {
			return nil, fmt.Errorf("scheduler: job %q (%s): %w", j.Name, j.Spec, err)
		}
		if other, ok := types[pj.typ]; ok {
			return nil, fmt.Errorf("scheduler: jobs %q and %q both enqueue %s", other, j.Name, pj.typ)
		}
		types[pj.typ] = j.Name
		s.jobs = append(s.jobs, pj)
	}
	return s, nil
}

// prepare parses j's spec in loc and works out its task type and the
// retention of its tasks: two of its longest intervals, so the task of the
// latest bucket (and its TaskID) is still known to asynq whenever a new
// leader catches that bucket up.
func prepare(j Job, loc *time.Location, now time.Time) (*job, error) {
	if j.Task == nil {
		return nil, errors.New("no task")
	}
	sched, err := parseSpec(j.Spec, loc)
	if err != nil {
		return nil, err
	}
	gap := longestGap(sched, now)
	if gap <= 0 {
		return nil, errors.New("the spec never fires")
	}
	return &job{Job: j, typ: j.Task().Type(), sched: sched, retention: 2 * gap}, nil
}

// Start runs the scheduler in the background until Stop. It does not
// block and returns nil: leadership is sought in the background, since a
// standby (or a scheduler started while Redis is away) is a normal state.
func (s *Scheduler) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx)
	return nil
}

// Stop ends the loop and, when leading, releases the lease so that a
// standby takes over at its next attempt instead of after the TTL. It
// returns ctx's error if the loop did not end in time, or the release's
// error (the lease then lapses by itself).
func (s *Scheduler) Stop(ctx context.Context) error {
	if err := s.halt(ctx); err != nil {
		return err
	}
	if !s.leading {
		return nil
	}
	s.leading = false
	s.isLeader.Store(false)
	metrics.SchedulerLeading(false, 0)
	if err := s.lease.Release(ctx); err != nil {
		return err
	}
	s.log.Info("scheduler released the lease", "holder", s.lease.Holder(), "token", s.token.Load())
	return nil
}

// halt ends the loop without releasing the lease (what a crash does).
func (s *Scheduler) halt(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("scheduler: stop: %w", ctx.Err())
	}
}

func (s *Scheduler) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opt.Tick)
	defer t.Stop()
	for {
		s.keepLease(ctx)
		if s.leading {
			s.fire(ctx)
		}
		s.ticks.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// keepLease renews the lease when leading (stepping down when it is lost
// or ran out) and tries to take it when not.
func (s *Scheduler) keepLease(ctx context.Context) {
	now := time.Now()
	if s.leading {
		if !now.Before(s.leaseEnd) {
			s.stepDown("the lease ran out before it could be renewed")
			return
		}
		if now.Sub(s.renewed) < s.opt.Renew {
			return
		}
		lctx, cancel := context.WithDeadline(ctx, s.leaseEnd)
		ok, err := s.lease.Renew(lctx, s.opt.LeaseTTL)
		cancel()
		switch {
		case err != nil: // keep leading until leaseEnd; retried at the next tick
			if !s.renewFailing && ctx.Err() == nil {
				s.log.Warn("scheduler could not renew its lease", "holder", s.lease.Holder(), "until", s.leaseEnd.Sub(now), "err", err)
			}
			s.renewFailing = true
		case !ok:
			s.stepDown("another scheduler holds the lease, or it expired")
		default:
			s.leaseEnd, s.renewed, s.renewFailing = now.Add(s.opt.LeaseTTL), now, false
		}
		return
	}
	if !s.tried.IsZero() && now.Sub(s.tried) < s.opt.Renew {
		return
	}
	s.tried = now
	lctx, cancel := context.WithTimeout(ctx, s.opt.Renew)
	token, ok, err := s.lease.Acquire(lctx, s.opt.LeaseTTL)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Debug("scheduler could not try the lease", "err", err)
		}
		return
	}
	if !ok {
		return
	}
	s.leading, s.leaseEnd, s.renewed, s.renewFailing = true, now.Add(s.opt.LeaseTTL), now, false
	for _, j := range s.jobs { // catch-up: every job's latest bucket is due
		j.last, j.next = time.Time{}, time.Time{}
	}
	s.token.Store(token)
	s.isLeader.Store(true)
	metrics.SchedulerLeading(true, token)
	s.log.Info("scheduler is the leader", "holder", s.lease.Holder(), "token", token)
}

func (s *Scheduler) stepDown(why string) {
	s.leading, s.tried = false, time.Time{}
	s.isLeader.Store(false)
	metrics.SchedulerLeading(false, 0)
	s.log.Warn("scheduler stopped leading", "holder", s.lease.Holder(), "token", s.token.Load(), "reason", why)
}

// fire enqueues the latest bucket of every job whose next fire time has
// come, as long as the lease is surely held.
func (s *Scheduler) fire(ctx context.Context) {
	now := s.opt.Now()
	for _, j := range s.jobs {
		if !j.next.IsZero() && now.Before(j.next) {
			continue
		}
		b, ok := prevBucket(j.sched, now)
		if !ok || !b.After(j.last) { // none yet, or the clock went back
			j.next = j.sched.Next(now)
			continue
		}
		if !time.Now().Before(s.leaseEnd) {
			s.stepDown("the lease ran out before it could be renewed")
			return
		}
		if s.enqueue(ctx, j, b) != metrics.SchedulerError {
			j.last, j.next = b, j.sched.Next(b)
		}
	}
}

// enqueue puts the task of j's bucket b into asynq and reports the outcome.
// The context ends with the lease, so no enqueue starts after it.
func (s *Scheduler) enqueue(ctx context.Context, j *job, b time.Time) string {
	id := TaskID(j.typ, b)
	ectx, cancel := context.WithDeadline(ctx, s.leaseEnd)
	defer cancel()
	_, err := s.client.EnqueueContext(ectx, j.Task(), asynq.TaskID(id), asynq.Retention(j.retention))
	var outcome string
	switch {
	case err == nil:
		outcome = metrics.SchedulerEnqueued
		s.runs[0].Add(1)
		s.log.Debug("scheduled job enqueued", "job", j.Name, "task_id", id)
	case errors.Is(err, asynq.ErrTaskIDConflict):
		outcome = metrics.SchedulerDuplicate
		s.runs[1].Add(1)
		s.log.Info("scheduled job already enqueued (duplicate refused)", "job", j.Name, "task_id", id, "token", s.token.Load())
	default:
		outcome = metrics.SchedulerError
		s.runs[2].Add(1)
		if ctx.Err() == nil {
			s.log.Warn("scheduled job not enqueued; retried at the next tick", "job", j.Name, "task_id", id, "err", err)
		}
	}
	metrics.SchedulerRun(j.typ, outcome, b)
	return outcome
}
