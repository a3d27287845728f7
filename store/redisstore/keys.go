// Package redisstore keeps the hot state in Redis: live tables, their
// event logs and action ids, the action streams, sessions. Every key is
// built in this file; all keys of one table share the hash tag {g:<id>} so
// the atomic step of a move works on Redis Cluster.
//
// On a cluster (Keys.Cluster) no script or transaction may span two hash
// slots, so the global structures are named for it: the lobby and the turn
// timers are split into Buckets buckets, each under a hash tag of its own
// ({lobby:<b>}, {timers:<b>}; a table belongs to the bucket BucketOf its
// id), read bucket by bucket by the jobs that list them; the quick-match
// queue ({mm}) and the finished-match ledger ({fin}) each keep their keys
// under one tag. On a single server the names stay those of earlier
// releases, so an upgrade keeps its data.
package redisstore

import (
	"hash/crc32"
	"strconv"
)

// Keys builds key and channel names under a prefix (default "hokm"); tests
// use their own prefix so they never touch a running server's keys.
type Keys struct {
	Prefix  string
	Cluster bool // names for Redis Cluster (set by New for a cluster client)
}

// ClusterBuckets is how many buckets the lobby and the timers are split
// into on a cluster: enough for their load to spread over the masters of a
// large cluster, few enough that a pass over all of them stays cheap.
const ClusterBuckets = 16

// Buckets is how many buckets the lobby and the timers have: 1 on a single
// server.
func (k Keys) Buckets() int {
	if k.Cluster {
		return ClusterBuckets
	}
	return 1
}

// BucketOf is the lobby and timer bucket of table id.
func (k Keys) BucketOf(id string) int {
	if !k.Cluster {
		return 0
	}
	return int(crc32.ChecksumIEEE([]byte(id)) % ClusterBuckets)
}

// global names a global structure: prefix:name on a single server,
// prefix:{tag}:rest on a cluster (rest "" for the structure's main key).
func (k Keys) global(name, tag, rest string) string {
	if !k.Cluster {
		return k.Prefix + ":" + name
	}
	if rest == "" {
		return k.Prefix + ":{" + tag + "}"
	}
	return k.Prefix + ":{" + tag + "}:" + rest
}

func (k Keys) game(id, what string) string { return k.Prefix + ":{g:" + id + "}:" + what }

// Table is the hash of a table: seq (also its CAS version), meta (JSON),
// game (binary game.State), moves (table.EncodeMoves).
func (k Keys) Table(id string) string { return k.game(id, "table") }

// Acts is the hash of action ids already answered at a table: "<user>|<id>" → result.
func (k Keys) Acts(id string) string { return k.game(id, "acts") }

// Log is the table's event log: a list of its last events, oldest first,
// trimmed to Options.LogMaxLen. (Releases before 2026-12-06 kept a stream
// under "log": left to expire.)
func (k Keys) Log(id string) string { return k.game(id, "evlog") }

// Channel is the table's pub/sub channel.
func (k Keys) Channel(id string) string { return k.game(id, "ev") }

// Actions is partition p of the action stream.
func (k Keys) Actions(p int) string { return k.Prefix + ":actions:{p" + strconv.Itoa(p) + "}" }

// DeadActions is the hash of dead-lettered actions: id ("<partition>-<entry
// id>") → DeadAction (JSON). See Store.DeadLetterAction.
func (k Keys) DeadActions() string { return k.Prefix + ":actions:dead" }

// Session is a session, by the hex SHA-256 of its token.
func (k Keys) Session(tokenHash string) string { return k.Prefix + ":sess:" + tokenHash }

// UserSessions is the sorted set of a user's session token hashes (score:
// creation, unix ms), so that every session of a user can be revoked.
func (k Keys) UserSessions(user string) string { return k.Prefix + ":usess:" + user }

// Profile is the cached public profile of a player (JSON, 15-minute TTL).
func (k Keys) Profile(id string) string { return k.Prefix + ":profile:" + id }

// RateLimit is a fixed-window counter: what is limited (e.g. "login:ip")
// and for whom.
func (k Keys) RateLimit(what, who string) string { return k.Prefix + ":rl:" + what + ":" + who }

// Hosted is the set of the tables a user created (ids), for the cap on
// the waiting tables one user hosts; it expires with the newest of them.
func (k Keys) Hosted(user string) string { return k.Prefix + ":hosted:" + user }

// Finished is the sorted set of matches finished in Redis (member match id,
// score unix ms) that the reconciler compares with PostgreSQL.
func (k Keys) Finished() string { return k.global("finished", "fin", "") }

// Kick is the channel on which {"user","reason"} closes a user's sockets.
func (k Keys) Kick() string { return k.Prefix + ":kick" }

// User is a user's channel: notices for that user's sockets.
func (k Keys) User(id string) string { return k.Prefix + ":user:" + id }

// Lobby is the hash of the public tables: id → lobby summary (JSON).
func (k Keys) Lobby(bucket int) string { return k.bucketed("lobby", bucket, "") }

// bucketed names bucket b of a bucketed structure (see Buckets).
func (k Keys) bucketed(name string, b int, rest string) string {
	if !k.Cluster {
		if rest == "" {
			return k.Prefix + ":" + name
		}
		return k.Prefix + ":" + name + ":" + rest
	}
	return k.global("", name+":"+strconv.Itoa(b), rest)
}

// LobbySeen is the sorted set of lobby entries by last update (unix ms), to
// drop those whose table expired without a last change.
func (k Keys) LobbySeen(bucket int) string { return k.bucketed("lobby", bucket, "seen") }

// LobbyEvents is the channel of changes to the lobby.
func (k Keys) LobbyEvents() string { return k.Prefix + ":lobby:ev" }

// Code maps a private table's join code to the table id.
func (k Keys) Code(code string) string { return k.Prefix + ":code:" + code }

// Chat is a table's recent chat (a capped list of chat frames).
func (k Keys) Chat(id string) string { return k.game(id, "chat") }

// Matchmaking is the quick-match queue: user → enqueue time (unix ms).
func (k Keys) Matchmaking() string { return k.global("mm", "mm", "") }

// UserRevoked marks that a user's sessions made before a time were
// revoked ("<unix ms> <kept token hash>"), for RevokedTTL: a lookup does
// not restore such a session from the mirror.
func (k Keys) UserRevoked(user string) string { return k.Prefix + ":usrv:" + user }

// Timers is the sorted set of armed turn deadlines of a bucket: table id →
// unix ms. It and TimerIDs share a hash tag ({timers} on a single server,
// {timers:<b>} on a cluster): one script uses both.
func (k Keys) Timers(bucket int) string {
	if !k.Cluster {
		return k.Prefix + ":{timers}"
	}
	return k.global("", "timers:"+strconv.Itoa(bucket), "")
}

// TimerIDs is the hash of the timer number each armed deadline belongs to.
func (k Keys) TimerIDs(bucket int) string { return k.Timers(bucket) + ":id" }

// Leaderboard is the sorted set snapshot of one leaderboard bucket
// (bucket "2026-03-21" for a day or the week starting then, "all" for all
// time).
func (k Keys) Leaderboard(period, bucket string) string {
	return k.Prefix + ":lb:" + period + ":" + bucket
}

// Leaderboards is the set of the snapshot keys taken (Leaderboard), so
// that DropLeaderboards finds them without scanning the key space.
func (k Keys) Leaderboards() string { return k.Prefix + ":lb" }

// Reconciled is the hash of the records of matches finished in Redis that
// the reconciler may need (match id → table.MatchRecord JSON), beside
// Finished.
func (k Keys) Reconciled() string { return k.Finished() + ":rec" }

// Online is the hash of players online: gateway process id →
// "<count>:<expiry unix ms>".
func (k Keys) Online() string { return k.Prefix + ":online" }

// DashboardCache is the cached public dashboard (JSON, a few seconds).
func (k Keys) DashboardCache() string { return k.Prefix + ":dashboard" }

// ConfigChannel is the channel on which a changed system configuration key
// is announced (sysconfig).
func (k Keys) ConfigChannel() string { return k.Prefix + ":config" }

// Floor* are the keys of the Redis-only floor measurement (tools/floor):
// an action stream, a state hash and a channel of their own.
func (k Keys) FloorActions() string { return k.Prefix + ":floor:actions" }

// FloorState is the floor measurement's state hash.
func (k Keys) FloorState() string { return k.Prefix + ":floor:state" }

// FloorChannel is the floor measurement's channel.
func (k Keys) FloorChannel() string { return k.Prefix + ":floor:ev" }

// Bench* are the keys of hokm bench's relay targets (tools/bench): an
// action stream per partition, a timer set, and per table a state hash, an
// event log, an answers hash and a channel (sharing the table's hash tag).
func (k Keys) BenchActions(p int) string { return k.Prefix + ":bench:actions:" + strconv.Itoa(p) }

// BenchTimers is the bench prototype's deadline set (table → ms).
func (k Keys) BenchTimers() string { return k.Prefix + ":bench:timers" }

func (k Keys) bench(table, what string) string { return k.Prefix + ":bench:{" + table + "}:" + what }

// BenchTable is a bench table's state (floor: a string; prototype: a hash).
func (k Keys) BenchTable(table string) string { return k.bench(table, "state") }

// BenchLog is the bench prototype's event log of a table.
func (k Keys) BenchLog(table string) string { return k.bench(table, "log") }

// BenchActs is the bench prototype's answers by action id of a table.
func (k Keys) BenchActs(table string) string { return k.bench(table, "acts") }

// BenchTablesPattern is the SCAN pattern of every bench table's keys.
func (k Keys) BenchTablesPattern() string { return k.Prefix + ":bench:{*}:*" }

// BenchChannel is a bench table's event channel.
func (k Keys) BenchChannel(table string) string { return k.bench(table, "ev") }

// MatchmakingNames holds the display names of the queued users.
func (k Keys) MatchmakingNames() string { return k.global("mm:names", "mm", "names") }

// MatchmakingClaims holds the groups taken off the queue and not yet
// seated: table id → the group (JSON), so a matchmaker that dies midway
// is finished by another.
func (k Keys) MatchmakingClaims() string { return k.global("mm:claims", "mm", "claims") }

// MatchmakingClaimed orders those claims by when they were (re)taken (unix ms).
func (k Keys) MatchmakingClaimed() string { return k.global("mm:claimed", "mm", "claimed") }

// All is the SCAN pattern of every key under the prefix (a benchmark's
// keys, deleted when it ends).
func (k Keys) All() string { return k.Prefix + ":*" }

// TableKeysPattern is the SCAN pattern of every key of every table (its
// hash, answers, log, chat: all under its hash tag).
func (k Keys) TableKeysPattern() string { return k.Prefix + ":{g:*}:*" }

// TablePattern is the SCAN pattern of every table hash under the prefix.
func (k Keys) TablePattern() string { return k.Prefix + ":{g:*}:table" }

// TableIDOf is the table id of a key TablePattern matched ("" if none).
func (k Keys) TableIDOf(key string) string {
	head, tail := k.Prefix+":{g:", "}:table"
	if len(key) <= len(head)+len(tail) || key[:len(head)] != head || key[len(key)-len(tail):] != tail {
		return ""
	}
	return key[len(head) : len(key)-len(tail)]
}

// Boot holds the run id of the Redis server whose data was last checked
// against PostgreSQL's table journal (see RecoveryNeeded).
func (k Keys) Boot() string { return k.Prefix + ":{sys}:boot" }

// RecoveryLease is the lease of the worker rebuilding the tables after a
// Redis restart or failover.
func (k Keys) RecoveryLease() string { return k.Prefix + ":{sys}:recovery" }

// SchedulerLease is the schedulers' leadership lease: the leader's holder
// id, with a TTL (scheduler.Lease). It shares the hash tag {sched} with
// SchedulerFence, so one script takes the lease and draws the token.
func (k Keys) SchedulerLease() string { return k.Prefix + ":{sched}:lease" }

// SchedulerFence is the counter whose value at each acquisition of the
// lease is the new leader's fencing token.
func (k Keys) SchedulerFence() string { return k.Prefix + ":{sched}:fence" }
