package pgstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/game/table"
)

// persistMatchSQL writes a whole match in one statement (and so one
// transaction): a match row, its guests, seats, hands and moves, each child
// table one unnest of array parameters. Batching matters: one Exec per row
// was more than ten times slower (docs/architecture.md).
//
// Idempotence: the match insert skips an id already stored and is ON
// CONFLICT (id, started_at) DO NOTHING (the key of the partitioned table: a
// match's start never changes), and every other insert reads its RETURNING,
// so for a match already stored (a retried or duplicate task) nothing else
// is written. A concurrent duplicate waits on the match's primary key
// before it takes any other lock, then inserts nothing. The rows of a
// match go to the partitions of the month it started in
// (migrations/00015_partition_history.sql). Guests are inserted in id order, so two matches sharing players
// lock them in the same order and cannot deadlock.
//
// Parameters (pgx.NamedArgs, see PersistMatch): the match's columns; guests
// @guest_ids, @guest_names; seats, by seat, @seat_players (NULL: a bot),
// @seat_names, @seat_bot, @seat_abandoned; hands, by number, @hakem,
// @trump, @tricks0, @tricks1, @hand_winner, @points, @kind, @deck as
// "c1,c2,…" and @move_from, @move_to, the slice of the moves it holds;
// moves, by index, @move_seat, @move_value (each hand's row holds its own:
// migrations/00022_moves_in_hands.sql).
// Result: one row, the number of match rows inserted (0 or 1).
const persistMatchSQL = `
WITH m AS (
	INSERT INTO matches (id, table_id, rules, first_hakem, draw, score0, score1, winner,
	                     hands_played, moves_count, started_at, ended_at)
	SELECT @id::text, @table_id::text, @rules::jsonb, @first_hakem::smallint, @draw::text[], @score0::smallint,
	       @score1::smallint, @winner::smallint, @hands_played::smallint, @moves_count::integer,
	       @started_at::timestamptz, @ended_at::timestamptz
	WHERE NOT EXISTS (SELECT FROM matches WHERE id = @id::text)
	ON CONFLICT (id, started_at) DO NOTHING
	RETURNING id, started_at
), p AS (
	INSERT INTO players (id, name, kind)
	SELECT u.id, u.name, 'guest'
	FROM unnest(@guest_ids::text[], @guest_names::text[]) AS u(id, name)
	WHERE EXISTS (SELECT FROM m)
	ORDER BY u.id
	ON CONFLICT (id) DO NOTHING
), s AS (
	INSERT INTO match_seats (match_id, seat, player_id, name, bot, abandoned, started_at)
	SELECT m.id, u.ord - 1, u.player_id, u.name, u.bot, u.abandoned, m.started_at
	FROM m, unnest(@seat_players::text[], @seat_names::text[], @seat_bot::bool[], @seat_abandoned::bool[])
	        WITH ORDINALITY AS u(player_id, name, bot, abandoned, ord)
), h AS (
	INSERT INTO match_hands (match_id, hand_no, hakem, trump, tricks0, tricks1, winner, points, kind, deck,
	                         move_seats, move_values, started_at)
	SELECT m.id, u.ord - 1, u.hakem, u.trump, u.tricks0, u.tricks1, u.winner, u.points, u.kind,
	       string_to_array(u.deck, ','),
	       (@move_seat::smallint[])[u.mfrom:u.mto], (@move_value::text[])[u.mfrom:u.mto], m.started_at
	FROM m, unnest(@hakem::smallint[], @trump::text[], @tricks0::smallint[], @tricks1::smallint[], @hand_winner::smallint[],
	               @points::smallint[], @kind::text[], @deck::text[], @move_from::integer[], @move_to::integer[])
	        WITH ORDINALITY AS u(hakem, trump, tricks0, tricks1, winner, points, kind, deck, mfrom, mto, ord)
)
SELECT count(*) FROM m`

// PersistMatch writes the whole match m — its guests (bots get no player
// row), the match, its seats, each hand's result and deck, and every action
// in order — in one statement. A bot seat that replaced a player who left the
// running match (Player.AbandonedBy) is stored with that player: the match
// counts for them. It is idempotent: for a match already stored
// it writes nothing and returns inserted false, also when duplicates run
// concurrently. The record is first replayed with the engine; a record that
// does not replay to m's results, or that PostgreSQL refuses as data, is an
// error wrapping ErrInvalidMatch (retrying cannot help). Other errors are
// infrastructure errors, worth retrying.
func (s *Store) PersistMatch(ctx context.Context, m *table.MatchRecord) (inserted bool, err error) {
	r, err := newMatchRows(m)
	if err != nil {
		return false, fmt.Errorf("pgstore: persist match %s: %w", m.MatchID, err)
	}
	bots, abandoned := r.abandonedSeats(m)
	args := pgx.NamedArgs{
		"id": r.id, "table_id": r.tableID, "rules": r.rules, "first_hakem": r.firstHakem, "draw": r.draw,
		"score0": r.score[0], "score1": r.score[1], "winner": r.winner,
		"hands_played": r.handsPlayed, "moves_count": r.movesCount, "started_at": r.started, "ended_at": r.ended,
		"guest_ids": r.playerIDs, "guest_names": r.playerNames,
		"seat_players": r.seatPlayers, "seat_names": r.seatNames, "seat_bot": bots, "seat_abandoned": abandoned,
		"hakem": r.hakem, "trump": r.trump, "tricks0": r.tricks0, "tricks1": r.tricks1,
		"hand_winner": r.handWinner, "points": r.points, "kind": r.kind, "deck": r.deck,
		"move_seat": r.moveSeat, "move_value": r.moveValue, "move_from": r.moveFrom, "move_to": r.moveTo,
	}
	n, err := s.persistRows(ctx, args)
	if noPartition(err) { // a month the partitions job has not made yet: make it, once
		if _, err = s.EnsurePartitions(ctx, r.started, r.started); err == nil {
			n, err = s.persistRows(ctx, args)
		}
	}
	switch {
	case err != nil && permanent(err):
		return false, fmt.Errorf("pgstore: persist match %s: %w: %w", m.MatchID, ErrInvalidMatch, err)
	case err != nil:
		return false, fmt.Errorf("pgstore: persist match %s: %w", m.MatchID, err)
	}
	return n == 1, nil
}

// persistRows runs persistMatchSQL with args and returns its count, in one
// round trip and one transaction (a batch: its own implicit transaction)
// with generic plans. The foreign keys of a match's seats and hands are
// checked by a query per row against the partitioned matches, and with
// PostgreSQL's default plan choice each of those queries was planned again
// (a custom plan prunes the months at planning, which a generic plan does
// as it starts): ≈ 85 µs of planning each, 14 a match. SET LOCAL ends with
// the transaction, so the pooled connection keeps its defaults.
func (s *Store) persistRows(ctx context.Context, args pgx.NamedArgs) (n int, err error) {
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
	b.Queue(persistMatchSQL, args).QueryRow(func(row pgx.Row) error { return row.Scan(&n) })
	err = s.pool.SendBatch(ctx, b).Close()
	return n, err
}

// abandonedSeats gives each bot seat that replaced a player who left the
// running match to that player (the seat stays a bot's, marked abandoned),
// adds them to the players to record, and returns the seats' bot and
// abandoned columns.
func (r *matchRows) abandonedSeats(m *table.MatchRecord) (bots, abandoned []bool) {
	bots, abandoned = make([]bool, len(m.Seats)), make([]bool, len(m.Seats))
	for seat, p := range m.Seats {
		bots[seat] = p.Bot
		id := p.AbandonedBy
		if !p.Bot || id == "" {
			continue
		}
		abandoned[seat], r.seatPlayers[seat] = true, &id
		r.addPlayer(id, abandonedName)
	}
	return bots, abandoned
}

// abandonedName names a player first recorded through a seat they abandoned
// (the record keeps only the bot's name there); an existing row keeps its own.
const abandonedName = "player"

// addPlayer adds a player to record, keeping the ids sorted (the lock order).
// A player already recorded (an account, an earlier guest) keeps its row.
func (r *matchRows) addPlayer(id, name string) {
	i, found := slices.BinarySearch(r.playerIDs, id)
	if found {
		return
	}
	r.playerIDs = slices.Insert(r.playerIDs, i, id)
	r.playerNames = slices.Insert(r.playerNames, i, name)
}
