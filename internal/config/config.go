// Package config reads the server's configuration from the environment.
// Every variable has a documented default (docs/configuration.md); an
// invalid value fails at start with a message naming the variable.
package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/internal/sealbox"
)

// Config is the whole configuration of every role.
type Config struct {
	HTTPAddr    string // HOKM_HTTP_ADDR: WebSocket /ws, /healthz, /readyz, the web client
	OpsAddr     string // HOKM_OPS_ADDR: operator endpoints
	OpsToken    string // HOKM_OPS_TOKEN: bearer token every ops endpoint requires ("" none: loopback only)
	OpsReadOnly bool   // HOKM_OPS_READONLY: asynqmon and the ops API only read
	RedisURL    string // HOKM_REDIS_URL
	DatabaseURL string // HOKM_DATABASE_URL
	// DatabaseReplicaURL is a streaming read replica of DatabaseURL for the
	// reads that may lag a little (HOKM_DATABASE_REPLICA_URL; "": none).
	DatabaseReplicaURL string
	// ReplicaMaxLag: past it the replica's reads go to the primary
	// (HOKM_DATABASE_REPLICA_MAX_LAG).
	ReplicaMaxLag  time.Duration
	RedisPrefix    string   // HOKM_REDIS_PREFIX: prefix of every key the server writes
	Partitions     int      // HOKM_PARTITIONS: action stream partitions
	AllowedOrigins []string // HOKM_ALLOWED_ORIGINS: extra browser origins allowed on /ws
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (HOKM_TRUSTED_PROXIES: addresses and CIDR prefixes).
	TrustedProxies []netip.Prefix
	LogLevel       string // HOKM_LOG_LEVEL: debug, info, warn, error
	LogFormat      string // HOKM_LOG_FORMAT: text or json
	PersistRetries int    // HOKM_PERSIST_MAX_RETRY: retries before a persist task is archived
	// CompressRecords (HOKM_COMPRESS_RECORDS, default true): a finished
	// match's persist task and ledger record are written gzip-compressed.
	// Every release since 2026-12-08 reads both forms; earlier ones only
	// the plain one, so it is false while they run (a rolling upgrade).
	CompressRecords bool
	AuditRetention  int           // HOKM_AUDIT_RETENTION_DAYS: days the audit log keeps a row; 0 keeps everything
	ReclaimIdle     time.Duration // HOKM_RECLAIM_IDLE: pending actions older than this are taken over
	ShutdownTimeout time.Duration // HOKM_SHUTDOWN_TIMEOUT: how long a draining process waits
	WorkerID        string        // HOKM_WORKER_ID: consumer name in the action stream group (default host-pid)
	ClientRate      int           // HOKM_CLIENT_RATE: frames per second one socket may send
	ClientBurst     int           // HOKM_CLIENT_BURST: burst above that rate
	QuickMatchWait  time.Duration // HOKM_QUICKMATCH_WAIT: quick match fills with bots after this wait (0: 15s)
	// HOKM_SHED_AFTER: while a gateway's commands wait longer than this for
	// their answers, it refuses new tables and quick-match entries (0: 1s;
	// "off", -1: never)
	ShedAfter time.Duration
	TimeZone  string // HOKM_TIMEZONE: IANA zone of the stats days and weeks (leaderboards, rollups)
	WeekStart string // HOKM_WEEK_START: first day of a leaderboard week (saturday … friday)
	// StateKeys seal the hidden hands at rest (HOKM_STATE_KEYS:
	// "id:base64,…", the first is current); none: a key kept in PostgreSQL.
	StateKeys       []sealbox.Key
	JournalInterval time.Duration // HOKM_JOURNAL_INTERVAL: between writes of the table journal to PostgreSQL
	// MatchRetentionMonths: stored matches' months older than this many are
	// detached from the match tables (HOKM_MATCH_RETENTION_MONTHS; 0: never).
	MatchRetentionMonths int
	CheckpointRetention  int           // HOKM_CHECKPOINT_RETENTION_HOURS: hours a hand checkpoint is kept; 0 keeps everything
	SchedulerLease       time.Duration // HOKM_SCHEDULER_LEASE: the scheduler leader's lease; renewed every third of it
	GCHeapMiB            int           // HOKM_GC_HEAP_MIB: heap below which garbage collection is rarer (gctune); 0: Go's default

	// Redis under Sentinel: both set or neither. The DB number, user name,
	// password and TLS (rediss) still come from HOKM_REDIS_URL, whose host
	// is then not used.
	RedisSentinels        []string // HOKM_REDIS_SENTINELS: host:port of each Sentinel, comma-separated
	RedisMaster           string   // HOKM_REDIS_MASTER: the name the Sentinels know the primary by
	RedisPassword         string   // HOKM_REDIS_PASSWORD: the Redis servers' password (over the URL's)
	RedisSentinelPassword string   // HOKM_REDIS_SENTINEL_PASSWORD: the Sentinels' own password

	// RedisCluster is Redis Cluster's seed nodes (HOKM_REDIS_CLUSTER_ADDRS,
	// host:port, comma-separated): when set, every role uses a cluster
	// client and HOKM_REDIS_URL gives only the user name, password and TLS.
	// Not with Sentinel.
	RedisCluster []string

	// Abuse limits: gateway (0 turns a limit off)
	WSPerIP          int // HOKM_WS_PER_IP: open sockets per client IP on one gateway process
	WSPerUser        int // HOKM_WS_PER_USER: open sockets per user on one gateway process
	TablesPerUser    int // HOKM_TABLES_PER_USER: waiting tables one user hosts at once
	TableCreateLimit int // HOKM_TABLE_CREATE_LIMIT: create_table per user per minute
	JoinCodeMisses   int // HOKM_JOINCODE_MISSES: join_code misses per client IP, and per user, per 10 minutes
	// Abuse limits: crash safety
	ActionMaxAttempts int // HOKM_ACTION_MAX_ATTEMPTS: failed attempts (panics, dead workers) before an action is dead-lettered
	// Abuse limits: HTTP edge (timeouts and body size of both listeners,
	// the leaderboards' window).
	HTTPReadHeaderTimeout time.Duration // HOKM_HTTP_READ_HEADER_TIMEOUT: to read a request's headers
	HTTPReadTimeout       time.Duration // HOKM_HTTP_READ_TIMEOUT: to read a whole request, body included (not /ws once upgraded)
	HTTPWriteTimeout      time.Duration // HOKM_HTTP_WRITE_TIMEOUT: to write an answer (not /ws once upgraded)
	HTTPIdleTimeout       time.Duration // HOKM_HTTP_IDLE_TIMEOUT: an idle keep-alive connection is closed after this
	HTTPMaxBody           int           // HOKM_HTTP_MAX_BODY: bytes of a request body (larger: 413)
	LeaderboardDays       int           // HOKM_LEADERBOARD_DAYS: how many days back a leaderboard bucket may be asked for
	// Abuse limits: accounts ("<max>/<window>", e.g. "60/1h")
	GuestLimit        ratelimit.Limit // HOKM_GUEST_LIMIT: new guest sessions per client IP (guest:ip), POST /api/guest and the gateway's
	LoginAttemptsIP   ratelimit.Limit // HOKM_LOGIN_ATTEMPTS_IP: login attempts, successful or not, per client IP (login_attempt:ip)
	LoginAttemptsUser ratelimit.Limit // HOKM_LOGIN_ATTEMPTS_USER: login attempts, successful or not, per username (login_attempt:user)
}

// secret are the variables whose values an error message must not show.
var secret = map[string]bool{"HOKM_OPS_TOKEN": true, "HOKM_STATE_KEYS": true,
	"HOKM_REDIS_PASSWORD": true, "HOKM_REDIS_SENTINEL_PASSWORD": true}

func isSecretURL(name string) bool {
	for _, n := range secretURLs {
		if n == name {
			return true
		}
	}
	return false
}

// Defaults is the configuration when no variable is set.
func Defaults() Config {
	return Config{
		HTTPAddr:        "127.0.0.1:8080",
		OpsAddr:         "127.0.0.1:8081",
		RedisURL:        "redis://127.0.0.1:6379/0",
		DatabaseURL:     "postgres://postgres@127.0.0.1:5432/hokm?sslmode=disable",
		RedisPrefix:     "hokm",
		Partitions:      8,
		LogLevel:        "info",
		LogFormat:       "text",
		PersistRetries:  12,
		CompressRecords: true,
		AuditRetention:  365,
		ReclaimIdle:     DefaultReclaimIdle,
		ShutdownTimeout: 10 * time.Second,
		ClientRate:      DefaultClientRate,
		ClientBurst:     DefaultClientBurst,
		TimeZone:        "Asia/Tehran",
		WeekStart:       "saturday",
		JournalInterval: DefaultJournalInterval,
		ReplicaMaxLag:   DefaultReplicaMaxLag,
		SchedulerLease:  DefaultSchedulerLease,
		GCHeapMiB:       DefaultGCHeapMiB,

		CheckpointRetention: 48, // hours

		// Abuse limits: gateway
		WSPerIP:          DefaultWSPerIP,
		WSPerUser:        DefaultWSPerUser,
		TablesPerUser:    DefaultTablesPerUser,
		TableCreateLimit: DefaultTableCreateLimit,
		JoinCodeMisses:   DefaultJoinCodeMisses,
		// Abuse limits: crash safety
		ActionMaxAttempts: DefaultActionMaxAttempts,
		// Abuse limits: HTTP edge
		HTTPReadHeaderTimeout: 5 * time.Second,
		HTTPReadTimeout:       15 * time.Second,
		HTTPWriteTimeout:      30 * time.Second,
		HTTPIdleTimeout:       60 * time.Second,
		HTTPMaxBody:           64 << 10,
		LeaderboardDays:       400,
		// Abuse limits: accounts
		GuestLimit:        DefaultGuestLimit,
		LoginAttemptsIP:   DefaultLoginAttemptsIP,
		LoginAttemptsUser: DefaultLoginAttemptsUser,
	}
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	var errs []string
	str := func(name string, dst *string, check func(string) error) {
		v := getenv(name)
		if v == "" {
			return
		}
		if check != nil {
			if err := check(v); err != nil {
				shown := fmt.Sprintf("%q", v)
				if secret[name] {
					shown = fmt.Sprintf("(%d characters, not shown)", len(v))
				} else if isSecretURL(name) {
					shown = fmt.Sprintf("%q", RedactURL(v))
				}
				errs = append(errs, fmt.Sprintf("%s=%s: %v", name, shown, err))
				return
			}
		}
		*dst = v
	}
	num := func(name string, dst *int, lo, hi int) {
		var s string
		str(name, &s, func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("want a whole number from %d to %d", lo, hi)
			}
			*dst = n
			return nil
		})
	}
	dur := func(name string, dst *time.Duration) {
		var s string
		str(name, &s, func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("want a positive duration such as 5s")
			}
			*dst = d
			return nil
		})
	}
	str("HOKM_HTTP_ADDR", &c.HTTPAddr, checkAddr)
	str("HOKM_OPS_ADDR", &c.OpsAddr, checkAddrOrOff)
	str("HOKM_REDIS_URL", &c.RedisURL, checkURL("redis", "rediss"))
	str("HOKM_DATABASE_URL", &c.DatabaseURL, checkURL("postgres", "postgresql"))
	str("HOKM_DATABASE_REPLICA_URL", &c.DatabaseReplicaURL, checkURL("postgres", "postgresql"))
	dur("HOKM_DATABASE_REPLICA_MAX_LAG", &c.ReplicaMaxLag)
	str("HOKM_REDIS_PREFIX", &c.RedisPrefix, checkPrefix)
	num("HOKM_PARTITIONS", &c.Partitions, 1, 1024)
	str("HOKM_LOG_LEVEL", &c.LogLevel, oneOf("debug", "info", "warn", "error"))
	str("HOKM_LOG_FORMAT", &c.LogFormat, oneOf("text", "json"))
	num("HOKM_PERSIST_MAX_RETRY", &c.PersistRetries, 0, 100)
	num("HOKM_AUDIT_RETENTION_DAYS", &c.AuditRetention, 0, 36500)
	num("HOKM_CHECKPOINT_RETENTION_HOURS", &c.CheckpointRetention, 0, 876000)
	num("HOKM_MATCH_RETENTION_MONTHS", &c.MatchRetentionMonths, 0, 1200)
	dur("HOKM_RECLAIM_IDLE", &c.ReclaimIdle)
	dur("HOKM_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	str("HOKM_WORKER_ID", &c.WorkerID, nil)
	num("HOKM_CLIENT_RATE", &c.ClientRate, 1, 1000000)
	num("HOKM_CLIENT_BURST", &c.ClientBurst, 1, 1000000)
	dur("HOKM_QUICKMATCH_WAIT", &c.QuickMatchWait)
	if getenv("HOKM_SHED_AFTER") == "off" {
		c.ShedAfter = -1
	} else {
		dur("HOKM_SHED_AFTER", &c.ShedAfter)
	}
	str("HOKM_TIMEZONE", &c.TimeZone, checkZone)
	str("HOKM_WEEK_START", &c.WeekStart, checkWeekday)
	var lease string
	str("HOKM_SCHEDULER_LEASE", &lease, func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 3*time.Second { // renewed every third of it, checked every second
			return fmt.Errorf("want a duration of at least 3s")
		}
		c.SchedulerLease = d
		return nil
	})
	str("HOKM_OPS_TOKEN", &c.OpsToken, checkToken)
	dur("HOKM_JOURNAL_INTERVAL", &c.JournalInterval)
	num("HOKM_GC_HEAP_MIB", &c.GCHeapMiB, 0, 1<<20)
	var keys string
	str("HOKM_STATE_KEYS", &keys, func(v string) error {
		k, err := sealbox.ParseKeys(v)
		if err != nil {
			return fmt.Errorf("want id:base64-of-32-bytes[,id:…]: %v", err)
		}
		if _, err := sealbox.NewKeyring(k...); err != nil {
			return err
		}
		c.StateKeys = k
		return nil
	})
	boolean := func(name string, dst *bool) {
		var s string
		str(name, &s, func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false")
			}
			*dst = b
			return nil
		})
	}
	boolean("HOKM_OPS_READONLY", &c.OpsReadOnly)
	boolean("HOKM_COMPRESS_RECORDS", &c.CompressRecords)
	// Abuse limits: gateway
	num("HOKM_WS_PER_IP", &c.WSPerIP, 0, 1000000)
	num("HOKM_WS_PER_USER", &c.WSPerUser, 0, 1000000)
	num("HOKM_TABLES_PER_USER", &c.TablesPerUser, 0, 1000000)
	num("HOKM_TABLE_CREATE_LIMIT", &c.TableCreateLimit, 0, 1000000)
	num("HOKM_JOINCODE_MISSES", &c.JoinCodeMisses, 0, 1000000)

	var proxies string
	str("HOKM_TRUSTED_PROXIES", &proxies, func(v string) error {
		p, err := clientip.ParsePrefixes(v)
		c.TrustedProxies = p
		return err
	})
	if v := getenv("HOKM_ALLOWED_ORIGINS"); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.AllowedOrigins = append(c.AllowedOrigins, o)
			}
		}
	}
	// Abuse limits: crash safety
	num("HOKM_ACTION_MAX_ATTEMPTS", &c.ActionMaxAttempts, 1, 100)
	// Abuse limits: HTTP edge
	dur("HOKM_HTTP_READ_HEADER_TIMEOUT", &c.HTTPReadHeaderTimeout)
	dur("HOKM_HTTP_READ_TIMEOUT", &c.HTTPReadTimeout)
	dur("HOKM_HTTP_WRITE_TIMEOUT", &c.HTTPWriteTimeout)
	dur("HOKM_HTTP_IDLE_TIMEOUT", &c.HTTPIdleTimeout)
	num("HOKM_HTTP_MAX_BODY", &c.HTTPMaxBody, 1<<10, 64<<20)
	num("HOKM_LEADERBOARD_DAYS", &c.LeaderboardDays, 1, 100000)
	// Abuse limits: accounts
	limit := func(name string, dst *ratelimit.Limit) {
		var s string
		str(name, &s, func(v string) error {
			l, err := ParseLimit(v)
			*dst = l
			return err
		})
	}
	limit("HOKM_GUEST_LIMIT", &c.GuestLimit)
	limit("HOKM_LOGIN_ATTEMPTS_IP", &c.LoginAttemptsIP)
	limit("HOKM_LOGIN_ATTEMPTS_USER", &c.LoginAttemptsUser)

	errs = append(errs, loadSentinel(getenv, &c)...)
	if len(errs) == 0 {
		if err := CheckOpsBinding(c.OpsAddr, c.OpsToken); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		// Redacted again as a whole: no message shows a secret value.
		msg := NewRedactor(EnvSecrets(getenv)...).String(strings.Join(errs, "; "))
		return Config{}, fmt.Errorf("invalid configuration: %s", msg)
	}
	return c, nil
}

// ParseLimit reads a quota "<max>/<window>": at least one event per a
// positive duration, e.g. "60/1h" or "20/15m".
func ParseLimit(v string) (ratelimit.Limit, error) {
	m, w, ok := strings.Cut(v, "/")
	n, err1 := strconv.Atoi(strings.TrimSpace(m))
	d, err2 := time.ParseDuration(strings.TrimSpace(w))
	if !ok || err1 != nil || err2 != nil || n < 1 || n > 1_000_000_000 || d <= 0 {
		return ratelimit.Limit{}, fmt.Errorf("want <max>/<window> such as 60/1h (max at least 1)")
	}
	return ratelimit.Limit{Max: n, Window: d}, nil
}

// loadSentinel reads the HOKM_REDIS_SENTINELS family and
// HOKM_REDIS_CLUSTER_ADDRS into c and returns
// what is wrong with it.
func loadSentinel(getenv func(string) string, c *Config) []string {
	var errs []string
	sentinels, master := getenv("HOKM_REDIS_SENTINELS"), getenv("HOKM_REDIS_MASTER")
	if sentinels != "" {
		var err string
		if c.RedisSentinels, err = hostPorts("HOKM_REDIS_SENTINELS", sentinels); err != "" {
			errs = append(errs, err)
		}
	}
	if master != "" {
		if strings.ContainsAny(master, " \t\r\n") {
			errs = append(errs, fmt.Sprintf("HOKM_REDIS_MASTER=%q: must not contain spaces", master))
		} else {
			c.RedisMaster = master
		}
	}
	if len(errs) == 0 && (sentinels == "") != (master == "") {
		errs = append(errs, "HOKM_REDIS_SENTINELS and HOKM_REDIS_MASTER: set both (Redis under Sentinel) or neither")
	}
	if nodes := getenv("HOKM_REDIS_CLUSTER_ADDRS"); nodes != "" {
		var err string
		if c.RedisCluster, err = hostPorts("HOKM_REDIS_CLUSTER_ADDRS", nodes); err != "" {
			errs = append(errs, err)
		}
		if sentinels != "" {
			errs = append(errs, "HOKM_REDIS_CLUSTER_ADDRS and HOKM_REDIS_SENTINELS: Redis Cluster or Sentinel, not both")
		}
	}
	c.RedisPassword = getenv("HOKM_REDIS_PASSWORD")
	c.RedisSentinelPassword = getenv("HOKM_REDIS_SENTINEL_PASSWORD")
	return errs
}

// hostPorts reads variable name's value v, host:port comma-separated: the
// addresses, or nil and what is wrong.
func hostPorts(name, v string) ([]string, string) {
	var out []string
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		if err := checkHostPort(a); err != nil {
			return nil, fmt.Sprintf("%s=%q: %q: %v", name, v, a, err)
		}
		out = append(out, a)
	}
	return out, ""
}

// checkHostPort accepts host:port with a host and a port from 1 to 65535.
func checkHostPort(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" {
		return fmt.Errorf("want host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port")
	}
	return nil
}

func checkAddr(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("want host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port")
	}
	return nil
}

func checkURL(schemes ...string) func(string) error {
	return func(v string) error {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return fmt.Errorf("want a URL such as %s://host:port/...", schemes[0])
		}
		for _, s := range schemes {
			if u.Scheme == s {
				return nil
			}
		}
		return fmt.Errorf("scheme must be %s", strings.Join(schemes, " or "))
	}
}

func checkPrefix(v string) error {
	if strings.ContainsAny(v, "{}: \t\n") {
		return fmt.Errorf("must not contain braces, colons or spaces")
	}
	return nil
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

// checkAddrOrOff accepts host:port or "off" (no listener).
func checkAddrOrOff(v string) error {
	if v == "off" {
		return nil
	}
	return checkAddr(v)
}

func checkToken(v string) error {
	if strings.TrimSpace(v) != v || strings.ContainsAny(v, " \t\r\n") {
		return fmt.Errorf("must not contain spaces")
	}
	if len(v) < 16 {
		return fmt.Errorf("want at least 16 characters")
	}
	return nil
}

// CheckOpsBinding enforces the ops listener's rule: without a token
// (HOKM_OPS_TOKEN) it may only bind to a loopback address (127.0.0.0/8,
// ::1, localhost). "off" is always allowed.
func CheckOpsBinding(addr, token string) error {
	if addr == "off" || token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("HOKM_OPS_ADDR=%q: want host:port", addr)
	}
	if IsLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("HOKM_OPS_ADDR=%q: the ops listener binds only to loopback (127.0.0.1, ::1, localhost) "+
		"unless HOKM_OPS_TOKEN is set", addr)
}

// IsLoopbackHost reports whether host is localhost or a loopback IP. An
// empty host (all interfaces) is not.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkZone accepts an IANA time zone name that this system knows.
func checkZone(v string) error {
	if _, err := time.LoadLocation(v); err != nil {
		return fmt.Errorf("want an IANA time zone such as Asia/Tehran")
	}
	return nil
}

// checkWeekday accepts an English weekday name, any case.
func checkWeekday(v string) error {
	if _, ok := ParseWeekday(v); !ok {
		return fmt.Errorf("want a weekday such as saturday")
	}
	return nil
}

// ParseWeekday reads an English weekday name ("saturday", any case).
func ParseWeekday(v string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(v, d.String()) {
			return d, true
		}
	}
	return 0, false
}

// Location is the stats time zone (HOKM_TIMEZONE); UTC if it cannot load,
// which Load has already ruled out.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Sentinel reports whether Redis is reached through Sentinels
// (HOKM_REDIS_SENTINELS and HOKM_REDIS_MASTER).
func (c Config) Sentinel() bool { return len(c.RedisSentinels) > 0 }

// Cluster reports whether Redis is a Redis Cluster (HOKM_REDIS_CLUSTER_ADDRS).
func (c Config) Cluster() bool { return len(c.RedisCluster) > 0 }

// FirstWeekday is HOKM_WEEK_START as a time.Weekday (Saturday by default).
func (c Config) FirstWeekday() time.Weekday {
	if d, ok := ParseWeekday(c.WeekStart); ok {
		return d
	}
	return time.Saturday
}
