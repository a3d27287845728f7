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

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Protocol codes the worker answers with besides the engine's and table's,
// declared once, in the protocol.
const (
	CodeActionIDReused = protocol.CodeActionIDReused
	CodeUnknownType    = protocol.CodeUnknownType
	CodeTableNotFound  = protocol.CodeTableNotFound
	CodeUnavailable    = protocol.CodeUnavailable
	CodeInternalError  = protocol.CodeInternalError // a poison action, dead-lettered
	CodeInvalidCard    = protocol.CodeInvalidCard
	CodeInvalidSuit    = protocol.CodeInvalidSuit
)

// Op names on the action stream: the protocol's frame types (the gateway
// enqueues a command under its type), and two of the server's own.
const (
	OpSit     = string(protocol.TypeSit)
	OpLeave   = string(protocol.TypeLeave)
	OpAddBots = string(protocol.TypeAddBots)
	OpStart   = string(protocol.TypeStart)
	OpRematch = string(protocol.TypeRematch)
	OpTrump   = string(protocol.TypeTrump)
	OpPlay    = string(protocol.TypePlay)
	OpBack    = string(protocol.TypeBack) // an Away player takes their seat back from the bot
	OpTimeout = "timeout"                 // from the timer loop only: Arg is the timer number
	OpResume  = "resume"                  // from recovery only: the table came back, restart the clock of the seat on turn
)

// command turns a stream action into a table command, or a refusal code.
func command(a *redisstore.Action) (table.Command, game.Code) {
	switch a.Op {
	case OpSit:
		return table.Command{Op: table.OpSit, Seat: a.Seat, Name: a.Name}, ""
	case OpLeave:
		return table.Command{Op: table.OpLeave}, ""
	case OpAddBots:
		return table.Command{Op: table.OpAddBots}, ""
	case OpStart:
		return table.Command{Op: table.OpStart}, ""
	case OpRematch:
		return table.Command{Op: table.OpRematch}, ""
	case OpTrump:
		s, _ := game.ParseSuit(a.Arg) // InvalidSuit is reported by the engine in its order
		return table.Command{Op: table.OpAction, Action: game.ChooseTrump(s)}, ""
	case OpPlay:
		c, _ := game.ParseCard(a.Arg)
		return table.Command{Op: table.OpAction, Action: game.PlayCard(c)}, ""
	case OpBack:
		return table.Command{Op: table.OpBack}, ""
	case OpTimeout:
		if a.User != TimerUser {
			return table.Command{}, CodeUnknownType // not a client's command
		}
		n, err := strconv.ParseInt(a.Arg, 10, 64)
		if err != nil {
			n = -1 // no such timer: refused as stale
		}
		return table.Command{Op: table.OpTimeout, Timer: n}, ""
	case OpResume:
		if a.User != TimerUser {
			return table.Command{}, CodeUnknownType // not a client's command
		}
		return table.Command{Op: table.OpResume}, ""
	}
	return table.Command{}, CodeUnknownType
}

// fingerprint identifies what an action asks for, so that an action id
// reused for a different request is told apart from a retry of the same.
func fingerprint(a *redisstore.Action) string {
	h := fnv.New64a()
	for _, s := range []string{a.Op, strconv.Itoa(a.Seat), a.Arg} {
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
		a.Op, a.Arg = OpTrump, act.Suit.String()
	} else {
		a.Op, a.Arg = OpPlay, act.Card.String()
	}
	return a
}
