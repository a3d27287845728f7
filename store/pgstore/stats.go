package pgstore

import (
	"context"
	"errors"
	"fmt"
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

// ratingOrderSQL lists the rated matches (finished, with a winner) in the
// order they ended, with the rated player of each seat (NULL for a bot; an
// abandoned seat keeps the player who left).
const ratingOrderSQL = `
SELECT m.winner, array_agg(s.player_id ORDER BY s.seat)
FROM matches m JOIN match_seats s ON s.match_id = m.id AND s.started_at = m.started_at
WHERE m.ended_at IS NOT NULL AND m.winner IS NOT NULL
GROUP BY m.id, m.started_at
ORDER BY m.ended_at, m.id`

// recomputeSQL computes every player's totals from the stored matches (the
// same rules as playerStatsSQL) joined with the ratings computed in Go ($1
// ids, $2 ratings, $3 rated matches), and writes only the rows that differ:
// a second run changes nothing, not even updated_at.
const recomputeSQL = `
WITH mine AS (
	SELECT s.player_id, s.match_id, s.seat % 2 AS team, s.abandoned, m.winner, m.hands_played,
	       extract(epoch FROM m.ended_at - m.started_at)::float8 AS secs
	FROM match_seats s JOIN matches m ON m.id = s.match_id
	WHERE s.player_id IS NOT NULL AND m.ended_at IS NOT NULL
), ms AS (
	SELECT player_id, count(*) AS played, count(*) FILTER (WHERE winner = team AND NOT abandoned) AS won,
	       count(*) FILTER (WHERE abandoned) AS left_, sum(hands_played) AS hands, sum(secs) AS secs
	FROM mine GROUP BY player_id
), hs AS (
	SELECT mine.player_id,
	       count(*) FILTER (WHERE h.winner = mine.team) AS won,
	       count(*) FILTER (WHERE h.winner = mine.team AND h.kind = 'kot') AS kots_given,
	       count(*) FILTER (WHERE h.winner <> mine.team AND h.kind = 'kot') AS kots_taken,
	       count(*) FILTER (WHERE h.winner = mine.team AND h.kind = 'hakem_kot') AS hakem_kots_given,
	       count(*) FILTER (WHERE h.winner <> mine.team AND h.kind = 'hakem_kot') AS hakem_kots_taken,
	       sum(CASE mine.team WHEN 0 THEN h.tricks0 ELSE h.tricks1 END) AS tricks
	FROM mine JOIN match_hands h ON h.match_id = mine.match_id
	WHERE h.winner IS NOT NULL
	GROUP BY mine.player_id
), r AS (
	SELECT * FROM unnest($1::text[], $2::float8[], $3::int[]) AS r(player_id, rating, games)
)
INSERT INTO player_stats AS ps (player_id, matches_played, matches_won, matches_left, hands_played, hands_won,
	kots_given, kots_taken, hakem_kots_given, hakem_kots_taken, tricks_taken, seconds_played,
	rating, rating_games, updated_at)
SELECT ms.player_id, ms.played, ms.won, ms.left_, ms.hands, coalesce(hs.won, 0),
       coalesce(hs.kots_given, 0), coalesce(hs.kots_taken, 0), coalesce(hs.hakem_kots_given, 0),
       coalesce(hs.hakem_kots_taken, 0), coalesce(hs.tricks, 0), ms.secs,
       coalesce(r.rating, 1500), coalesce(r.games, 0), now()
FROM ms LEFT JOIN hs USING (player_id) LEFT JOIN r USING (player_id)
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

// RecomputePlayerStats recomputes player_stats — every player's totals and
// rating — from the stored matches, in one transaction (concurrent runs
// are serialized by an advisory lock). Ratings replay every rated match in
// ended_at order (package stats). Idempotent: it returns the number of rows
// written or deleted, 0 when everything was already up to date.
func (s *Store) RecomputePlayerStats(ctx context.Context) (changed int64, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hokm:stats:recompute'))`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, ratingOrderSQL)
		if err != nil {
			return err
		}
		r := stats.NewRatings()
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
		if err != nil {
			return err
		}
		players := make([]string, 0, len(r.Rating))
		ratings := make([]float64, 0, len(r.Rating))
		games := make([]int32, 0, len(r.Rating))
		for p, v := range r.Rating {
			players, ratings, games = append(players, p), append(ratings, v), append(games, int32(r.Games[p]))
		}
		tag, err := tx.Exec(ctx, recomputeSQL, players, ratings, games)
		if err != nil {
			return err
		}
		changed = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM player_stats ps WHERE NOT EXISTS (
			SELECT FROM match_seats s JOIN matches m ON m.id = s.match_id
			WHERE s.player_id = ps.player_id AND m.ended_at IS NOT NULL)`)
		if err != nil {
			return err
		}
		changed += tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pgstore: recompute player stats: %w", err)
	}
	return changed, nil
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
// day $1 (zone $4); an unchanged row is left alone.
const rollupSQL = `
INSERT INTO daily_activity AS d (day, time_zone, matches, hands, players, moves)
SELECT $1::date, $4, count(*), coalesce(sum(m.hands_played), 0),
       (SELECT count(DISTINCT s.player_id) FROM match_seats s JOIN matches x ON x.id = s.match_id
        WHERE x.ended_at >= $2 AND x.ended_at < $3 AND s.player_id IS NOT NULL),
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

// periodBoardSQL ranks the players of the matches that ended in [$1, $2)
// by matches won (a match a player left is never one they won), then win
// rate, then id. Deleted accounts are left out.
const periodBoardSQL = `
SELECT s.player_id, p.name, count(*) FILTER (WHERE m.winner = s.seat % 2 AND NOT s.abandoned) AS wins, count(*) AS played,
       coalesce(ps.rating, 1500)
FROM matches m
JOIN match_seats s ON s.match_id = m.id AND s.player_id IS NOT NULL
JOIN players p ON p.id = s.player_id AND p.kind <> 'deleted'
LEFT JOIN player_stats ps ON ps.player_id = s.player_id
WHERE m.ended_at >= $1 AND m.ended_at < $2
GROUP BY s.player_id, p.name, ps.rating
ORDER BY 3 DESC, count(*) FILTER (WHERE m.winner = s.seat % 2 AND NOT s.abandoned)::float8 / count(*) DESC, s.player_id
LIMIT $3`

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
	var rows pgx.Rows
	var err error
	if b.Period == stats.AllTime {
		rows, err = s.stale.Query(ctx, allTimeBoardSQL, limit)
	} else {
		rows, err = s.stale.Query(ctx, periodBoardSQL, b.Start, b.End, limit)
	}
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
