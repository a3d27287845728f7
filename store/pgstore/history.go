package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/game"
)

// ErrPlayerNotFound: no player has that id (a player is recorded when one of
// their matches is stored, or when they register).
var ErrPlayerNotFound = errors.New("pgstore: player not found")

// MatchSeat is who sat at a seat of a stored match.
type MatchSeat struct {
	Seat int
	// PlayerID is the human who held the seat: "" for a bot, set for a bot
	// seat that replaced a player who left the match (Abandoned).
	PlayerID  string
	Name      string // display name in the match
	Bot       bool
	Abandoned bool // a bot finished the match for PlayerID, who left it
}

// MatchInfo is a finished match's summary.
type MatchInfo struct {
	ID, TableID    string
	Rules          game.Rules
	Started, Ended time.Time
	Score          [2]int
	Winner         *int // team; nil when the match has none
	HandsPlayed    int  // completed hands
	Seats          [4]MatchSeat
}

// SeatOf is the seat player is recorded at (abandoned seats included), or -1.
func (m *MatchInfo) SeatOf(player string) int {
	for _, s := range m.Seats {
		if player != "" && s.PlayerID == player {
			return s.Seat
		}
	}
	return -1
}

// PlayedMatch is one match of a player's history: the match and the seat
// they held.
type PlayedMatch struct {
	MatchInfo
	Seat int
}

// Cursor is the position just after pm in a player's history: the matches
// that come after it are those that started earlier, or at the same time
// with a greater id.
func (pm *PlayedMatch) Cursor() Cursor {
	return Cursor{At: pm.Started, ID: pm.ID}
}

// playerMatchesSQL reads one page of a player's finished matches, newest
// first (then by id), with every seat of each. It walks
// match_seats_player_history_idx (player_id, started_at DESC, match_id) in
// index order: no sort, and it stops after $4 rows. Parameters: $1 player,
// $2/$3 the cursor (started_at, match_id; 'infinity' for the first page).
const playerMatchesSQL = `
SELECT s.seat, m.id, m.table_id, m.rules, m.started_at, m.ended_at, m.score0, m.score1, m.winner,
       m.hands_played, o.ids, o.names, o.bots, o.abandoned
FROM match_seats s
JOIN matches m ON m.id = s.match_id
CROSS JOIN LATERAL (
	SELECT array_agg(x.player_id ORDER BY x.seat) AS ids, array_agg(x.name ORDER BY x.seat) AS names,
	       array_agg(x.bot ORDER BY x.seat) AS bots, array_agg(x.abandoned ORDER BY x.seat) AS abandoned
	FROM match_seats x WHERE x.match_id = s.match_id AND x.started_at = s.started_at
) o
WHERE s.player_id = $1
  AND s.started_at <= $2 AND (s.started_at < $2 OR s.match_id > $3)
  AND m.ended_at IS NOT NULL
ORDER BY s.started_at DESC, s.match_id
LIMIT $4`

// PlayerMatches returns up to limit of player's finished matches (abandoned
// ones included), newest first, after the cursor (nil: from the newest).
// An unknown player has none.
func (s *Store) PlayerMatches(ctx context.Context, player string, after *Cursor, limit int) ([]PlayedMatch, error) {
	c := Cursor{At: time.Now().AddDate(1000, 0, 0)} // later than any match
	if after != nil {
		c = *after
	}
	rows, err := s.stale.Query(ctx, playerMatchesSQL, player, c.At, c.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: matches of %s: %w", player, err)
	}
	ms, err := pgx.CollectRows(rows, scanPlayedMatch)
	if err != nil {
		return nil, fmt.Errorf("pgstore: matches of %s: %w", player, err)
	}
	return ms, nil
}

func scanPlayedMatch(row pgx.CollectableRow) (PlayedMatch, error) {
	var pm PlayedMatch
	var sc matchScan
	if err := row.Scan(append([]any{&pm.Seat}, sc.dest(&pm.MatchInfo)...)...); err != nil {
		return pm, err
	}
	return pm, sc.finish(&pm.MatchInfo)
}

// matchInfoSQL reads a finished match with its seats.
const matchInfoSQL = `
SELECT m.id, m.table_id, m.rules, m.started_at, m.ended_at, m.score0, m.score1, m.winner, m.hands_played,
       array_agg(x.player_id ORDER BY x.seat), array_agg(x.name ORDER BY x.seat),
       array_agg(x.bot ORDER BY x.seat), array_agg(x.abandoned ORDER BY x.seat)
FROM matches m JOIN match_seats x ON x.match_id = m.id AND x.started_at = m.started_at
WHERE m.id = $1 AND m.ended_at IS NOT NULL
GROUP BY m.id, m.started_at`

// FinishedMatch returns a finished match's summary and seats; ErrNotFound
// when no finished match has that id.
func (s *Store) FinishedMatch(ctx context.Context, matchID string) (MatchInfo, error) {
	return orPrimary(s, func(db DB) (MatchInfo, error) { return finishedMatch(ctx, db, matchID) })
}

func finishedMatch(ctx context.Context, db DB, matchID string) (MatchInfo, error) {
	var mi MatchInfo
	var sc matchScan
	err := db.QueryRow(ctx, matchInfoSQL, matchID).Scan(sc.dest(&mi)...)
	if err == nil {
		err = sc.finish(&mi)
	}
	if err != nil {
		return MatchInfo{}, fmt.Errorf("pgstore: match %s: %w", matchID, notFound(err))
	}
	return mi, nil
}

// matchScan holds the columns of a match row that need converting: its
// rules (JSON) and its seats as arrays, by seat.
type matchScan struct {
	rules           []byte
	ids             []*string
	names           []string
	bots, abandoned []bool
}

// dest scans id, table_id, rules, started_at, ended_at, score0, score1,
// winner, hands_played and the seat arrays; finish completes mi.
func (sc *matchScan) dest(mi *MatchInfo) []any {
	return []any{&mi.ID, &mi.TableID, &sc.rules, &mi.Started, &mi.Ended,
		&mi.Score[0], &mi.Score[1], &mi.Winner, &mi.HandsPlayed,
		&sc.ids, &sc.names, &sc.bots, &sc.abandoned}
}

// finish decodes the rules and lays the seat arrays out as mi.Seats.
func (sc *matchScan) finish(mi *MatchInfo) error {
	if err := json.Unmarshal(sc.rules, &mi.Rules); err != nil {
		return fmt.Errorf("match %s rules: %w", mi.ID, err)
	}
	if len(sc.names) != 4 || len(sc.ids) != 4 || len(sc.bots) != 4 || len(sc.abandoned) != 4 {
		return fmt.Errorf("match %s has %d seats, not 4", mi.ID, len(sc.names))
	}
	for i := range mi.Seats {
		st := MatchSeat{Seat: i, Name: sc.names[i], Bot: sc.bots[i], Abandoned: sc.abandoned[i]}
		if sc.ids[i] != nil {
			st.PlayerID = *sc.ids[i]
		}
		mi.Seats[i] = st
	}
	return nil
}

// PlayerStats are a player's totals over their finished matches (abandoned
// ones included, which count as played and never as won, whatever their
// team's result).
// Tricks and hands are their team's; Kots count hands won 7–0: a Kot is the
// Hakem's team winning 7–0, a Hakem-Kot the Hakem's opponents winning 7–0;
// "given" when the player's team won that hand, "taken" when it lost it.
type PlayerStats struct {
	Player         string
	Name           string
	MatchesPlayed  int
	MatchesWon     int
	MatchesLeft    int // abandoned
	HandsPlayed    int
	HandsWon       int
	KotsGiven      int
	KotsTaken      int
	HakemKotsGiven int
	HakemKotsTaken int
	TricksTaken    int
	TimePlayed     time.Duration // sum of the matches' durations
}

// playerStatsSQL is a player's totals ($1) as player_stats counts them
// (totalsSQL: the player's seats through match_seats_player_history_idx,
// each match's completed hands through match_hands' primary key in the
// match's own month), zeros for a player without a finished match.
var playerStatsSQL = totalsSQL("s.player_id = $1") + `
SELECT p.name, coalesce(ms.played, 0), coalesce(ms.won, 0), coalesce(ms.left_, 0), coalesce(ms.hands, 0),
       coalesce(ms.hands_won, 0)::bigint, coalesce(ms.kots_given, 0)::bigint, coalesce(ms.kots_taken, 0)::bigint,
       coalesce(ms.hakem_kots_given, 0)::bigint, coalesce(ms.hakem_kots_taken, 0)::bigint,
       coalesce(ms.tricks, 0)::bigint, coalesce(ms.secs, 0)
FROM players p LEFT JOIN ms ON ms.player_id = p.id
WHERE p.id = $1 AND p.kind <> 'deleted'`

// PlayerStats computes player's stats; ErrPlayerNotFound for an unknown id
// or a deleted account.
func (s *Store) PlayerStats(ctx context.Context, player string) (PlayerStats, error) {
	return orPrimary(s, func(db DB) (PlayerStats, error) { return playerStats(ctx, db, player) })
}

func playerStats(ctx context.Context, db DB, player string) (PlayerStats, error) {
	st := PlayerStats{Player: player}
	var secs float64
	err := db.QueryRow(ctx, playerStatsSQL, player).Scan(&st.Name, &st.MatchesPlayed, &st.MatchesWon,
		&st.MatchesLeft, &st.HandsPlayed, &st.HandsWon, &st.KotsGiven, &st.KotsTaken,
		&st.HakemKotsGiven, &st.HakemKotsTaken, &st.TricksTaken, &secs)
	if errors.Is(err, pgx.ErrNoRows) {
		return PlayerStats{}, fmt.Errorf("pgstore: stats of %s: %w", player, ErrPlayerNotFound)
	}
	if err != nil {
		return PlayerStats{}, fmt.Errorf("pgstore: stats of %s: %w", player, err)
	}
	st.TimePlayed = time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
	return st, nil
}
