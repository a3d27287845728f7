package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/stats"
)

// RatedStats are a player's stored totals (player_stats): the counters of
// PlayerStats and the team-Elo rating (package stats).
type RatedStats struct {
	PlayerStats
	Rating      float64
	RatingGames int // rated matches
}

// Player stats are brought up to date by the matches stored since the last
// run (migration 00023), not recomputed from every stored match (1.1 s at
// 20,833 matches on the 2-core test host, and growing with the history). A
// run takes as its bound the oldest transaction still running when it
// starts (statsBoundSQL): every match stored below the bound is visible to
// it and none can appear there later. It applies the matches stored from
// the last run's bound to its own, rating them in the order they were
// stored — a match's stored_xid, then its end (matches stored before
// 00023 first, in the order they ended) — so the increments give exactly
// what a full recompute gives. A retention that detached months asks for a
// full recompute (DetachMatchMonths): the first run after it does one, as
// does the first run of all.

// statsBoundSQL is a run's bound: the oldest transaction of this database
// still running (holding its own xid's lock) among those the snapshot saw
// running, or the snapshot's next xid when there is none. Transactions of
// other databases in the cluster (the snapshot's xmin counts them) cannot
// store a match here, so a long one there does not hold the stats back. A
// transaction the snapshot saw running that has ended by the time the
// locks are read is over before the run reads the matches.
const statsBoundSQL = `
WITH s AS (SELECT pg_current_snapshot() AS s)
SELECT least(pg_snapshot_xmax(s)::text::bigint, (
	SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) x
	JOIN pg_locks l ON l.locktype = 'transactionid' AND l.granted
		AND l.transactionid::text::bigint = x::text::bigint % 4294967296
	JOIN pg_stat_activity a ON a.pid = l.pid AND a.datname = current_database()))
FROM s`

// storedBelow selects the matches (m) stored below the bound $N, or before
// stored_xid existed.
func storedBelow(n int) string {
	return fmt.Sprintf("(m.stored_xid IS NULL OR m.stored_xid < $%d)", n)
}

// storedBetween selects the matches (m) stored from the bound $1 to below $2.
const storedBetween = "m.stored_xid >= $1 AND m.stored_xid < $2"

// ratedSQL lists the rated matches (finished, with a winner) which selects,
// in the order they are rated, with the rated player of each seat (NULL for
// a bot; an abandoned seat keeps the player who left).
func ratedSQL(which string) string {
	return `
SELECT m.winner, array_agg(s.player_id ORDER BY s.seat)
FROM matches m JOIN match_seats s ON s.match_id = m.id AND s.started_at = m.started_at
WHERE m.ended_at IS NOT NULL AND m.winner IS NOT NULL AND ` + which + `
GROUP BY m.id, m.started_at
ORDER BY m.stored_xid NULLS FIRST, m.ended_at, m.id`
}

// totalsSQL is the CTE ms of every player's totals (the stats' one set of
// rules, also playerStatsSQL's) over the finished matches (m) that which
// selects: a row per seat, its match's hands counted beside it (an index
// probe per seat, so a few new matches cost a few probes; a join of two
// aggregates here was planned as a nested loop rescanning one for each row
// of the other).
func totalsSQL(which string) string {
	return `
WITH ms AS (
	SELECT mine.player_id, count(*) AS played, count(*) FILTER (WHERE mine.winner = mine.team AND NOT mine.abandoned) AS won,
	       count(*) FILTER (WHERE mine.abandoned) AS left_, sum(mine.hands_played) AS hands, sum(mine.secs) AS secs,
	       sum(hs.won) AS hands_won, sum(hs.kots_given) AS kots_given, sum(hs.kots_taken) AS kots_taken,
	       sum(hs.hakem_kots_given) AS hakem_kots_given, sum(hs.hakem_kots_taken) AS hakem_kots_taken,
	       coalesce(sum(hs.tricks), 0) AS tricks
	FROM (
		SELECT s.player_id, s.match_id, s.started_at, s.seat % 2 AS team, s.abandoned, m.winner, m.hands_played,
		       extract(epoch FROM m.ended_at - m.started_at)::float8 AS secs
		FROM match_seats s JOIN matches m ON m.id = s.match_id AND m.started_at = s.started_at
		WHERE s.player_id IS NOT NULL AND m.ended_at IS NOT NULL AND ` + which + `
	) mine CROSS JOIN LATERAL (
		SELECT count(*) FILTER (WHERE h.winner = mine.team) AS won,
		       count(*) FILTER (WHERE h.winner = mine.team AND h.kind = 'kot') AS kots_given,
		       count(*) FILTER (WHERE h.winner <> mine.team AND h.kind = 'kot') AS kots_taken,
		       count(*) FILTER (WHERE h.winner = mine.team AND h.kind = 'hakem_kot') AS hakem_kots_given,
		       count(*) FILTER (WHERE h.winner <> mine.team AND h.kind = 'hakem_kot') AS hakem_kots_taken,
		       sum(CASE mine.team WHEN 0 THEN h.tricks0 ELSE h.tricks1 END) AS tricks
		FROM match_hands h
		WHERE h.match_id = mine.match_id AND h.started_at = mine.started_at AND h.winner IS NOT NULL
	) hs
	GROUP BY mine.player_id
)`
}

// totalsColumns are player_stats' counters, as totalsSQL's SELECT gives them.
const totalsColumns = `player_id, matches_played, matches_won, matches_left, hands_played, hands_won,
	kots_given, kots_taken, hakem_kots_given, hakem_kots_taken, tricks_taken, seconds_played`

const totalsSelect = `ms.player_id, ms.played, ms.won, ms.left_, ms.hands, ms.hands_won, ms.kots_given,
       ms.kots_taken, ms.hakem_kots_given, ms.hakem_kots_taken, ms.tricks, ms.secs`

// recomputeSQL writes every player's totals over the matches stored below
// the bound $4, joined with the ratings computed in Go ($1 ids, $2 ratings,
// $3 rated matches), and only the rows that differ: a second run changes
// nothing, not even updated_at.
var recomputeSQL = totalsSQL(storedBelow(4)) + `, r AS (
	SELECT * FROM unnest($1::text[], $2::float8[], $3::int[]) AS r(player_id, rating, games)
)
INSERT INTO player_stats AS ps (` + totalsColumns + `, rating, rating_games, updated_at)
SELECT ` + totalsSelect + `, coalesce(r.rating, 1500), coalesce(r.games, 0), now()
FROM ms LEFT JOIN r USING (player_id)
ON CONFLICT (player_id) DO UPDATE SET
	matches_played = excluded.matches_played, matches_won = excluded.matches_won,
	matches_left = excluded.matches_left, hands_played = excluded.hands_played, hands_won = excluded.hands_won,
	kots_given = excluded.kots_given, kots_taken = excluded.kots_taken,
	hakem_kots_given = excluded.hakem_kots_given, hakem_kots_taken = excluded.hakem_kots_taken,
	tricks_taken = excluded.tricks_taken, seconds_played = excluded.seconds_played,
	rating = excluded.rating, rating_games = excluded.rating_games, updated_at = now()
WHERE (ps.matches_played, ps.matches_won, ps.matches_left, ps.hands_played, ps.hands_won, ps.kots_given,
       ps.kots_taken, ps.hakem_kots_given, ps.hakem_kots_taken, ps.tricks_taken, ps.seconds_played,
       ps.rating, ps.rating_games)
   IS DISTINCT FROM
      (excluded.matches_played, excluded.matches_won, excluded.matches_left, excluded.hands_played,
       excluded.hands_won, excluded.kots_given, excluded.kots_taken, excluded.hakem_kots_given,
       excluded.hakem_kots_taken, excluded.tricks_taken, excluded.seconds_played,
       excluded.rating, excluded.rating_games)`

// addTotalsSQL adds the totals of the matches stored between the bounds $1
// and $2 to their players' rows (a new player's rating stays 1500 until
// the ratings are written).
var addTotalsSQL = totalsSQL(storedBetween) + `
INSERT INTO player_stats AS ps (` + totalsColumns + `, updated_at)
SELECT ` + totalsSelect + `, now()
FROM ms
ON CONFLICT (player_id) DO UPDATE SET
	matches_played = ps.matches_played + excluded.matches_played, matches_won = ps.matches_won + excluded.matches_won,
	matches_left = ps.matches_left + excluded.matches_left, hands_played = ps.hands_played + excluded.hands_played,
	hands_won = ps.hands_won + excluded.hands_won, kots_given = ps.kots_given + excluded.kots_given,
	kots_taken = ps.kots_taken + excluded.kots_taken,
	hakem_kots_given = ps.hakem_kots_given + excluded.hakem_kots_given,
	hakem_kots_taken = ps.hakem_kots_taken + excluded.hakem_kots_taken,
	tricks_taken = ps.tricks_taken + excluded.tricks_taken,
	seconds_played = ps.seconds_played + excluded.seconds_played, updated_at = now()`

// seatsWon counts the seats (s) whose team won their match (m), but for
// those that left it: a match a player left is never one they won.
const seatsWon = `count(*) FILTER (WHERE m.winner = s.seat % 2 AND NOT s.abandoned)`

// addDaysSQL adds the matches (m) that which selects to player_days, by
// the local day of their end in the zone $Z (the placeholder given): the
// period boards' rules (countedBoardSQL), a seat won if its team won and it
// did not leave.
func addDaysSQL(which, zone string) string {
	return `
INSERT INTO player_days AS d (day, player_id, played, won)
SELECT (m.ended_at AT TIME ZONE ` + zone + `)::date, s.player_id, count(*),
       ` + seatsWon + `
FROM matches m JOIN match_seats s ON s.match_id = m.id AND s.started_at = m.started_at AND s.player_id IS NOT NULL
WHERE m.ended_at IS NOT NULL AND ` + which + `
GROUP BY 1, 2
ON CONFLICT (day, player_id) DO UPDATE SET played = d.played + excluded.played, won = d.won + excluded.won`
}

// eachRated applies each rated match of sql (ratedSQL) to r.
func eachRated(ctx context.Context, tx pgx.Tx, r *stats.Ratings, sql string, args ...any) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	var winner int
	var ids []*string
	_, err = pgx.ForEachRow(rows, []any{&winner, &ids}, func() error {
		if len(ids) != 4 {
			return fmt.Errorf("a match has %d seats", len(ids))
		}
		var seats [4]stats.Seat
		for i, id := range ids {
			if id != nil {
				seats[i].Player = *id
			}
		}
		r.Apply(seats, winner)
		return nil
	})
	return err
}

// RecomputePlayerStats brings player_stats — every player's totals and
// rating — and player_days — their matches by day in zone loc, which the
// day's and week's leaderboards sum — up to date with the stored matches,
// in one transaction (concurrent runs are serialized by an advisory lock):
// by the matches stored since the last run, or all of them at the first
// run and after a retention (above); player_days all of them too when the
// last run counted days in another zone. It returns the number of
// player_stats rows written or deleted, 0 when nothing was stored since.
func (s *Store) RecomputePlayerStats(ctx context.Context, loc *time.Location) (changed int64, err error) {
	return s.recomputeStats(ctx, loc, false)
}

// RecomputeAllPlayerStats recomputes player_stats and player_days from
// every stored match (player_stats rows that were right are not written):
// `hokm ops stats recompute --all`, after rows were changed by hand.
func (s *Store) RecomputeAllPlayerStats(ctx context.Context, loc *time.Location) (changed int64, err error) {
	return s.recomputeStats(ctx, loc, true)
}

func (s *Store) recomputeStats(ctx context.Context, loc *time.Location, full bool) (changed int64, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hokm:stats:recompute'))`); err != nil {
			return err
		}
		var bound, from int64
		if err := tx.QueryRow(ctx, statsBoundSQL).Scan(&bound); err != nil {
			return err
		}
		var asked bool
		var zone *string
		var daysFrom *int64
		err := tx.QueryRow(ctx, `SELECT bound, full_asked, time_zone, days_bound FROM stats_progress FOR UPDATE`).Scan(
			&from, &asked, &zone, &daysFrom)
		if errors.Is(err, pgx.ErrNoRows) {
			asked = true
		} else if err != nil {
			return err
		}
		if full = full || asked; full {
			changed, err = recomputeAll(ctx, tx, bound)
		} else {
			// (A bound never goes back — the oldest transaction running
			// only moves on — but a range applied twice would count twice.)
			bound = max(bound, from)
			changed, err = addNewMatches(ctx, tx, from, bound)
		}
		if err != nil {
			return err
		}
		if full || zone == nil || *zone != loc.String() {
			daysFrom = nil // all of them again
		}
		if err := addDays(ctx, tx, daysFrom, bound, loc); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO stats_progress AS p (bound, full_at, time_zone, days_bound) VALUES ($1, now(), $3, $1)
			ON CONFLICT (id) DO UPDATE SET bound = excluded.bound, full_asked = false, updated_at = now(),
				time_zone = excluded.time_zone, days_bound = excluded.days_bound,
				full_at = CASE WHEN $2 THEN now() ELSE p.full_at END`, bound, full, loc.String())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pgstore: recompute player stats: %w", err)
	}
	return changed, nil
}

// addDays brings player_days (in zone loc) up to bound: from their own
// bound from — a run of the previous release moves the stats' bound on
// without them —, or all of them again when from is nil.
func addDays(ctx context.Context, tx pgx.Tx, from *int64, bound int64, loc *time.Location) error {
	if from != nil {
		_, err := tx.Exec(ctx, addDaysSQL(storedBetween, "$3"), min(*from, bound), bound, loc.String())
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM player_days`); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, addDaysSQL(storedBelow(1), "$2"), bound, loc.String())
	return err
}

// recomputeAll writes every player's totals and rating over the matches
// stored below bound and deletes the rows of players left without one.
func recomputeAll(ctx context.Context, tx pgx.Tx, bound int64) (changed int64, err error) {
	r := stats.NewRatings()
	if err := eachRated(ctx, tx, r, ratedSQL(storedBelow(1)), bound); err != nil {
		return 0, err
	}
	players, ratings, games := ratingColumns(r, slices.Collect(maps.Keys(r.Rating)))
	tag, err := tx.Exec(ctx, recomputeSQL, players, ratings, games, bound)
	if err != nil {
		return 0, err
	}
	changed = tag.RowsAffected()
	tag, err = tx.Exec(ctx, `DELETE FROM player_stats ps WHERE NOT EXISTS (
		SELECT FROM match_seats s JOIN matches m ON m.id = s.match_id AND m.started_at = s.started_at
		WHERE s.player_id = ps.player_id AND m.ended_at IS NOT NULL AND `+storedBelow(1)+`)`, bound)
	if err != nil {
		return 0, err
	}
	return changed + tag.RowsAffected(), nil
}

// addNewMatches adds the matches stored from bound from to below bound to
// their players' rows and rates the rated ones on top of the ratings so
// far.
func addNewMatches(ctx context.Context, tx pgx.Tx, from, bound int64) (changed int64, err error) {
	tag, err := tx.Exec(ctx, addTotalsSQL, from, bound)
	if err != nil || tag.RowsAffected() == 0 {
		return 0, err
	}
	// The ratings so far of the players of the new matches (a new player's
	// row was just made at 1500), then the new matches in their order.
	rows, err := tx.Query(ctx, `SELECT ps.player_id, ps.rating, ps.rating_games FROM player_stats ps
		WHERE ps.player_id IN (SELECT s.player_id FROM matches m
			JOIN match_seats s ON s.match_id = m.id AND s.started_at = m.started_at WHERE `+storedBetween+`)`, from, bound)
	if err != nil {
		return 0, err
	}
	r := stats.NewRatings()
	var players []string
	var id string
	var rating float64
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &rating, &n}, func() error {
		players = append(players, id)
		r.Rating[id], r.Games[id] = rating, n
		return nil
	}); err != nil {
		return 0, err
	}
	if err := eachRated(ctx, tx, r, ratedSQL(storedBetween), from, bound); err != nil {
		return 0, err
	}
	players, ratings, games := ratingColumns(r, players)
	if _, err := tx.Exec(ctx, `UPDATE player_stats ps SET rating = r.rating, rating_games = r.games
		FROM unnest($1::text[], $2::float8[], $3::int[]) AS r(player_id, rating, games)
		WHERE ps.player_id = r.player_id AND (ps.rating, ps.rating_games) IS DISTINCT FROM (r.rating, r.games)`,
		players, ratings, games); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ratingColumns are players' ratings in r as the columns of an unnest.
func ratingColumns(r *stats.Ratings, players []string) ([]string, []float64, []int32) {
	ratings, games := make([]float64, len(players)), make([]int32, len(players))
	for i, p := range players {
		ratings[i], games[i] = r.Get(p), int32(r.Games[p])
	}
	return players, ratings, games
}

// StoredPlayerStats reads player's row of player_stats (as of the last
// recompute); ErrPlayerNotFound when there is none.
func (s *Store) StoredPlayerStats(ctx context.Context, player string) (RatedStats, error) {
	st := RatedStats{PlayerStats: PlayerStats{Player: player}}
	var secs float64
	err := s.stale.QueryRow(ctx, `
		SELECT p.name, ps.matches_played, ps.matches_won, ps.matches_left, ps.hands_played, ps.hands_won,
		       ps.kots_given, ps.kots_taken, ps.hakem_kots_given, ps.hakem_kots_taken, ps.tricks_taken,
		       ps.seconds_played, ps.rating, ps.rating_games
		FROM player_stats ps JOIN players p ON p.id = ps.player_id WHERE ps.player_id = $1`, player).Scan(
		&st.Name, &st.MatchesPlayed, &st.MatchesWon, &st.MatchesLeft, &st.HandsPlayed, &st.HandsWon,
		&st.KotsGiven, &st.KotsTaken, &st.HakemKotsGiven, &st.HakemKotsTaken, &st.TricksTaken,
		&secs, &st.Rating, &st.RatingGames)
	if errors.Is(err, pgx.ErrNoRows) {
		return RatedStats{}, fmt.Errorf("pgstore: stored stats of %s: %w", player, ErrPlayerNotFound)
	}
	if err != nil {
		return RatedStats{}, fmt.Errorf("pgstore: stored stats of %s: %w", player, err)
	}
	st.TimePlayed = time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
	return st, nil
}

// DailyActivity is one row of daily_activity: platform activity of the
// matches that ended in one local day.
type DailyActivity struct {
	Day      string // YYYY-MM-DD in TimeZone
	TimeZone string
	Matches  int
	Hands    int // completed hands
	Players  int // distinct humans (abandoned seats included)
	Moves    int
}

// rollupSQL writes the activity of the matches that ended in [$2, $3) as
// day $1 (zone $4); an unchanged row is left alone. Their seats are read
// from the months they started in only (as countedBoardSQL).
const rollupSQL = `
INSERT INTO daily_activity AS d (day, time_zone, matches, hands, players, moves)
SELECT $1::date, $4, count(*), coalesce(sum(m.hands_played), 0),
       (SELECT count(DISTINCT s.player_id) FROM match_seats s JOIN matches x ON x.id = s.match_id AND x.started_at = s.started_at
        WHERE x.ended_at >= $2 AND x.ended_at < $3 AND s.player_id IS NOT NULL
          AND s.started_at >= (SELECT min(f.started_at) FROM matches f WHERE f.ended_at >= $2 AND f.ended_at < $3)),
       coalesce(sum(m.moves_count), 0)
FROM matches m WHERE m.ended_at >= $2 AND m.ended_at < $3
ON CONFLICT (day) DO UPDATE SET time_zone = excluded.time_zone, matches = excluded.matches,
	hands = excluded.hands, players = excluded.players, moves = excluded.moves, updated_at = now()
WHERE (d.time_zone, d.matches, d.hands, d.players, d.moves)
      IS DISTINCT FROM (excluded.time_zone, excluded.matches, excluded.hands, excluded.players, excluded.moves)`

// RollupDay writes daily_activity for the local day (in loc) containing
// day. Idempotent: a re-run rewrites the same values (and changes nothing
// when they are the same).
func (s *Store) RollupDay(ctx context.Context, day time.Time, loc *time.Location) (DailyActivity, error) {
	b := stats.BucketOf(stats.Daily, day, loc, time.Saturday)
	if _, err := s.pool.Exec(ctx, rollupSQL, b.Name, b.Start, b.End, loc.String()); err != nil {
		return DailyActivity{}, fmt.Errorf("pgstore: rollup %s: %w", b.Name, err)
	}
	return s.DailyActivity(ctx, b.Name)
}

// DailyActivity reads the rollup of day (YYYY-MM-DD); ErrNotFound when the
// day was not rolled up.
func (s *Store) DailyActivity(ctx context.Context, day string) (DailyActivity, error) {
	var a DailyActivity
	var d time.Time
	err := s.stale.QueryRow(ctx, `SELECT day, time_zone, matches, hands, players, moves
		FROM daily_activity WHERE day = $1::date`, day).Scan(&d, &a.TimeZone, &a.Matches, &a.Hands, &a.Players, &a.Moves)
	if err != nil {
		return DailyActivity{}, fmt.Errorf("pgstore: daily activity %s: %w", day, notFound(err))
	}
	a.Day = d.Format(time.DateOnly)
	return a, nil
}

// countedBoardSQL ranks the players of the matches that ended in [$1, $2)
// by matches won (a match a player left is never one they won), then win
// rate, then id, counting the matches (periodBoardSQL does so for a period
// that is not made of whole days of the stats' zone). Deleted accounts are
// left out. The seats are read only from the months the period's matches
// started in (the earliest start, known as the statement runs, prunes the
// older months), and counted per player before the players' names and
// ratings are joined.
const countedBoardSQL = `
WITH board AS (` + periodCountSQL + `)` + boardRanked

// periodCountSQL counts each player's matches won and played that ended in
// [$1, $2).
const periodCountSQL = `
	SELECT s.player_id, ` + seatsWon + ` AS wins, count(*) AS played
	FROM matches m
	JOIN match_seats s ON s.match_id = m.id AND s.started_at = m.started_at AND s.player_id IS NOT NULL
		AND s.started_at >= (SELECT min(f.started_at) FROM matches f WHERE f.ended_at >= $1 AND f.ended_at < $2)
	WHERE m.ended_at >= $1 AND m.ended_at < $2
	GROUP BY s.player_id`

// boardRanked ranks the rows of board (player_id, wins, played): the top $3.
const boardRanked = `
SELECT b.player_id, p.name, b.wins, b.played, coalesce(ps.rating, 1500)
FROM board b
JOIN players p ON p.id = b.player_id AND p.kind <> 'deleted'
LEFT JOIN player_stats ps ON ps.player_id = b.player_id
ORDER BY b.wins DESC, b.wins::float8 / b.played DESC, b.player_id
LIMIT $3`

// daysUsableSQL is player_days' bound and zone when the period [$1, $2) is
// made of whole days of that zone (no row when it is not, or no stats run
// has counted days yet, or a retention's detach dropped them).
const daysUsableSQL = `SELECT days_bound AS bound, time_zone AS tz FROM stats_progress
	WHERE days_bound IS NOT NULL AND ($1 AT TIME ZONE time_zone)::time = '00:00' AND ($2 AT TIME ZONE time_zone)::time = '00:00'`

// periodBoardSQL is countedBoardSQL's board of [$1, $2): when the period
// is made of whole days of the zone player_days counts in, the period's
// days summed, plus the matches stored since they were brought up to date
// (at or above days_bound: a few index probes), all in one snapshot — the
// counted board to the match; else the matches counted.
const periodBoardSQL = `
WITH p AS (` + daysUsableSQL + `),
counted AS (
	SELECT d.player_id, d.won AS wins, d.played FROM p, player_days d
	WHERE d.day >= ($1 AT TIME ZONE p.tz)::date AND d.day < ($2 AT TIME ZONE p.tz)::date
	UNION ALL
	SELECT s.player_id, ` + seatsWon + `, count(*)
	FROM p, matches m
	JOIN match_seats s ON s.match_id = m.id AND s.started_at = m.started_at AND s.player_id IS NOT NULL
	WHERE m.stored_xid >= p.bound AND m.ended_at >= $1 AND m.ended_at < $2
	GROUP BY s.player_id
	UNION ALL
	SELECT * FROM (` + periodCountSQL + `) c WHERE NOT EXISTS (SELECT FROM p)
),
board AS (SELECT player_id, sum(wins)::int AS wins, sum(played)::int AS played FROM counted GROUP BY player_id)` + boardRanked

// allTimeBoardSQL ranks the rated players by rating (from player_stats).
const allTimeBoardSQL = `
SELECT ps.player_id, p.name, ps.matches_won, ps.matches_played, ps.rating
FROM player_stats ps JOIN players p ON p.id = ps.player_id AND p.kind <> 'deleted'
WHERE ps.rating_games > 0
ORDER BY ps.rating DESC, ps.player_id
LIMIT $1`

// Leaderboard computes the top limit players of bucket (stats.BucketOf):
// a day or a week by matches won in it (ties: win rate, then id), all
// time by rating (as of the last RecomputePlayerStats).
func (s *Store) Leaderboard(ctx context.Context, b stats.Bucket, limit int) ([]stats.Entry, error) {
	if b.Period == stats.AllTime {
		return s.board(ctx, b, allTimeBoardSQL, limit)
	}
	return s.board(ctx, b, periodBoardSQL, b.Start, b.End, limit)
}

// board runs sql, a board query (its rows ranked), for bucket b.
func (s *Store) board(ctx context.Context, b stats.Bucket, sql string, args ...any) ([]stats.Entry, error) {
	rows, err := s.stale.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: leaderboard %s %s: %w", b.Period, b.Name, err)
	}
	var out []stats.Entry
	var e stats.Entry
	_, err = pgx.ForEachRow(rows, []any{&e.PlayerID, &e.Name, &e.Wins, &e.Played, &e.Rating}, func() error {
		e.Rank = len(out) + 1
		if e.Played > 0 {
			e.WinRate = float64(e.Wins) / float64(e.Played)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: leaderboard %s %s: %w", b.Period, b.Name, err)
	}
	return out, nil
}
