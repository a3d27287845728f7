// Package redisstore keeps the hot state in Redis: live tables, their
// event logs and action ids, the action streams, sessions. Every key is
// built in this file; all keys of one table share the hash tag {g:<id>} so
// the atomic step of a move works on Redis Cluster.
package redisstore

import "strconv"

// Keys builds key and channel names under a prefix (default "hokm"); tests
// use their own prefix so they never touch a running server's keys.
type Keys struct{ Prefix string }

func (k Keys) game(id, what string) string { return k.Prefix + ":{g:" + id + "}:" + what }

// Table is the hash of a table: seq (also its CAS version), meta (JSON),
// game (binary game.State), moves (table.EncodeMoves).
func (k Keys) Table(id string) string { return k.game(id, "table") }

// Acts is the hash of action ids already answered at a table: "<user>|<id>" → result.
func (k Keys) Acts(id string) string { return k.game(id, "acts") }

// Log is the table's event log: a capped stream whose entry ids are "<seq>-0".
func (k Keys) Log(id string) string { return k.game(id, "log") }

// Channel is the table's pub/sub channel.
func (k Keys) Channel(id string) string { return k.game(id, "ev") }

// Actions is partition p of the action stream.
func (k Keys) Actions(p int) string { return k.Prefix + ":actions:{p" + strconv.Itoa(p) + "}" }

// Session is a session, by the hex SHA-256 of its token.
func (k Keys) Session(tokenHash string) string { return k.Prefix + ":sess:" + tokenHash }

// Finished is the sorted set of matches finished in Redis (member match id,
// score unix ms) that the reconciler compares with PostgreSQL.
func (k Keys) Finished() string { return k.Prefix + ":finished" }
