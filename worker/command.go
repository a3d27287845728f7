// Package worker applies player commands to live tables and persists
// finished matches.
//
// Actions arrive on the Redis action stream (partitioned, one consumer
// group); each is applied with the pure table/game engine and written back
// in one atomic compare-and-set step that also records its answer, so a
// redelivered or retried action is applied once. Persistence runs as asynq
// tasks (persist.go).
package worker

import (
	"hash/fnv"
	"strconv"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// command turns a stream action into a table command, or a refusal code:
// an op the table does not know, or one only the server may send.
func command(a *redisstore.Action) (table.Command, game.Code) {
	if a.Op.ServerOnly() && a.User != TimerUser {
		return table.Command{}, protocol.CodeUnknownType // not a client's command
	}
	c, ok := table.ParseCommand(a.Op, a.Seat, a.Name, a.Arg)
	if !ok {
		return c, protocol.CodeUnknownType
	}
	if a.Op == table.OpSit && a.ID == QuickMatchSitID+a.Table {
		// The server seats its players ready (ServerSit): they asked to
		// play at once, and the table starts by itself once they all sat.
		// (A client sending this id gains nothing it could not have with a
		// ready of its own.)
		c.Ready = true
	}
	return c, ""
}

// QuickMatchSitID is the prefix of the id of the server's sit actions
// (ServerSit: "qm-sit-" followed by the table id).
const QuickMatchSitID = "qm-sit-"

// ServerSit is the action by which the server seats user, ready, at seat
// of table tableID: the matchmaker's quick match and the tournament
// director's games. Its id is fixed per table, so a seating sent again is
// answered as the first.
func ServerSit(tableID, user, name string, seat int) redisstore.Action {
	return redisstore.Action{Table: tableID, User: user, Name: name, ID: QuickMatchSitID + tableID, Op: table.OpSit, Seat: seat,
		At: time.Now().UnixMicro()}
}

// fingerprint identifies what an action asks for, so that an action id
// reused for a different request is told apart from a retry of the same.
func fingerprint(a *redisstore.Action) string {
	h := fnv.New64a()
	for _, s := range []string{string(a.Op), strconv.Itoa(a.Seat), a.Arg} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// botAction is what the bot at seat plays now, sent through the same
// stream as people's actions. Its id is derived from the table's seq, so
// sending it twice (a retried side effect) is answered as a duplicate.
func botAction(t *table.Table, seat game.Seat, seq int64, choose func(game.View) game.Action) redisstore.Action {
	act := choose(game.ViewFor(&t.Game, seat))
	a := redisstore.Action{Table: t.ID, User: table.BotID(seat), ID: "b" + strconv.FormatInt(seq, 10)}
	if act.Kind == game.KindChooseTrump {
		a.Op, a.Arg = table.OpTrump, act.Suit.String()
	} else {
		a.Op, a.Arg = table.OpPlay, act.Card.String()
	}
	return a
}
