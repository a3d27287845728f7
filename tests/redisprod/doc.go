// Package redisprod holds only tests: what the production Redis settings
// of docs/operations.md ("Redis in production") do under faults, measured
// on redis-server processes of the tests' own (internal/testenv/procs) —
// the AOF across a crash of the process and of the OS, a full memory under
// noeviction, and the example configuration in deploy/redis.
package redisprod
