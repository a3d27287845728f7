package config

import (
	"time"

	"github.com/hokm-project/hokm/internal/ratelimit"
)

// The defaults of the settings that a package also applies by itself (an
// Options field left zero). They are kept here only: Defaults and the
// packages read the same values, so a package and the configuration can
// never disagree (docs/configuration.md lists them).
const (
	DefaultReclaimIdle       = 5 * time.Second        // HOKM_RECLAIM_IDLE; worker.Options.ReclaimIdle
	DefaultClientRate        = 20                     // HOKM_CLIENT_RATE; gateway.Options.Rate
	DefaultClientBurst       = 40                     // HOKM_CLIENT_BURST; gateway.Options.Burst
	DefaultJournalInterval   = 100 * time.Millisecond // HOKM_JOURNAL_INTERVAL; worker.Journal.Interval
	DefaultReplicaMaxLag     = 5 * time.Second        // HOKM_DATABASE_REPLICA_MAX_LAG; pgreplica.Options.MaxLag
	DefaultSchedulerLease    = 10 * time.Second       // HOKM_SCHEDULER_LEASE; scheduler.Options.LeaseTTL
	DefaultQuickMatchWait    = 15 * time.Second       // HOKM_QUICKMATCH_WAIT; worker.MatchmakerOptions.Wait
	DefaultWSPerIP           = 100                    // HOKM_WS_PER_IP; gateway.Options.SocketsPerIP
	DefaultWSPerUser         = 10                     // HOKM_WS_PER_USER; gateway.Options.SocketsPerUser
	DefaultTablesPerUser     = 3                      // HOKM_TABLES_PER_USER; gateway.Options.TablesPerUser
	DefaultTableCreateLimit  = 10                     // HOKM_TABLE_CREATE_LIMIT, per minute; gateway.Options.TableLimit
	DefaultJoinCodeMisses    = 20                     // HOKM_JOINCODE_MISSES, per 10 minutes; gateway.Options.JoinCodeMisses
	DefaultActionMaxAttempts = 5                      // HOKM_ACTION_MAX_ATTEMPTS; worker.Options.MaxAttempts
	DefaultGCHeapMiB         = 256                    // HOKM_GC_HEAP_MIB; gctune.Start in every role and in hokm bench and bots

	// The windows of HOKM_TABLE_CREATE_LIMIT and HOKM_JOINCODE_MISSES.
	TableCreateWindow  = time.Minute
	JoinCodeMissWindow = 10 * time.Minute
)

// Default quotas (ratelimit.Limit values cannot be constants).
var (
	DefaultGuestLimit        = ratelimit.Limit{Max: 60, Window: time.Hour}        // HOKM_GUEST_LIMIT
	DefaultLoginAttemptsIP   = ratelimit.Limit{Max: 60, Window: 15 * time.Minute} // HOKM_LOGIN_ATTEMPTS_IP
	DefaultLoginAttemptsUser = ratelimit.Limit{Max: 20, Window: 15 * time.Minute} // HOKM_LOGIN_ATTEMPTS_USER
)
