// Package stats is the pure part of player statistics: the team Elo rating
// of a finished match and the calendar periods (days and weeks in a
// configured time zone) that leaderboards and rollups are bucketed by. It
// imports only the standard library; store/pgstore does the SQL.
//
// # Rating: team Elo
//
// Hokm is played by two partnerships, so a match is one Elo "game" between
// two teams. A team's rating is the mean of its two seats' ratings; the
// expected score of team A is E = 1 / (1 + 10^((R_B − R_A)/400)); both
// partners of a team get the team's delta K·(S − E), S being 1 for a win and
// 0 for a loss. The two deltas are opposite, so ratings are conserved among
// rated players. K = 32: most players here play few rated matches, and a
// match (to 7 points) is a long, high-variance sample, so a fast-moving K
// lets a new player reach their level within some 20–30 matches; the
// ratings can be recomputed exactly from the stored matches, so a K could be
// changed later without any migration.
//
// Bots sit at a fixed 1500 (they count in their team's mean) and are never
// rated. A player who abandoned a match is rated as a member of their team
// (their seat's bot finished it for them): leaving a losing match does not
// save the rating. A match without a winner is not rated.
package stats

import (
	"fmt"
	"math"
	"time"
)

// Rating constants.
const (
	InitialRating = 1500.0 // every player's rating before their first rated match
	BotRating     = 1500.0 // a bot's fixed rating
	K             = 32.0
)

// Expected is team a's expected score against team b (0..1).
func Expected(ra, rb float64) float64 { return 1 / (1 + math.Pow(10, (rb-ra)/400)) }

// TeamDelta is the rating change of each member of both teams, given the
// four seats' ratings (seat i is on team i%2) and the winning team.
func TeamDelta(seats [4]float64, winner int) [2]float64 {
	t0 := (seats[0] + seats[2]) / 2
	t1 := (seats[1] + seats[3]) / 2
	e0 := Expected(t0, t1)
	s0 := 0.0
	if winner == 0 {
		s0 = 1
	}
	d := K * (s0 - e0)
	return [2]float64{d, -d}
}

// Seat is one seat of a match for rating: the rated player ("" for a bot
// that replaced nobody).
type Seat struct{ Player string }

// Ratings holds the players' running ratings and rated match counts.
type Ratings struct {
	Rating map[string]float64
	Games  map[string]int
}

// NewRatings is an empty rating table.
func NewRatings() *Ratings { return &Ratings{Rating: map[string]float64{}, Games: map[string]int{}} }

// Get is player's current rating (InitialRating if unrated).
func (r *Ratings) Get(player string) float64 {
	if v, ok := r.Rating[player]; ok {
		return v
	}
	return InitialRating
}

// Apply rates one finished match: seats by seat number (Player "" is a
// bot), winner the winning team (anything else: not rated). Matches must be
// applied in the order they are rated (the order they were stored:
// pgstore.RecomputePlayerStats).
func (r *Ratings) Apply(seats [4]Seat, winner int) {
	if winner != 0 && winner != 1 {
		return
	}
	var rs [4]float64
	for i, s := range seats {
		rs[i] = BotRating
		if s.Player != "" {
			rs[i] = r.Get(s.Player)
		}
	}
	d := TeamDelta(rs, winner)
	for i, s := range seats {
		if s.Player == "" {
			continue
		}
		r.Rating[s.Player] = rs[i] + d[i%2]
		r.Games[s.Player]++
	}
}

// Period is a leaderboard period.
type Period string

// The leaderboard periods.
const (
	Daily   Period = "daily"
	Weekly  Period = "weekly"
	AllTime Period = "alltime"
)

// ParsePeriod accepts "daily", "weekly" or "alltime".
func ParsePeriod(s string) (Period, error) {
	switch p := Period(s); p {
	case Daily, Weekly, AllTime:
		return p, nil
	}
	return "", fmt.Errorf("stats: unknown period %q (want daily, weekly or alltime)", s)
}

// Bucket is one time bucket of a period: [Start, End) and its name (the
// local date of its first day, "2006-01-02"; "all" for all time).
type Bucket struct {
	Period     Period
	Name       string
	Start, End time.Time // zero for all time
}

// BucketOf is the bucket of period that contains t, days and weeks being
// local to loc, weeks starting on weekStart.
func BucketOf(p Period, t time.Time, loc *time.Location, weekStart time.Weekday) Bucket {
	if p == AllTime {
		return Bucket{Period: AllTime, Name: "all"}
	}
	lt := t.In(loc)
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	days := 1
	if p == Weekly {
		back := (int(lt.Weekday()) - int(weekStart) + 7) % 7
		start = time.Date(lt.Year(), lt.Month(), lt.Day()-back, 0, 0, 0, 0, loc)
		days = 7
	}
	end := time.Date(start.Year(), start.Month(), start.Day()+days, 0, 0, 0, 0, loc)
	return Bucket{Period: p, Name: start.Format(time.DateOnly), Start: start, End: end}
}

// ParseBucket reads a bucket name back ("2006-01-02" of a day in loc, the
// first day for a week; anything for all time).
func ParseBucket(p Period, name string, loc *time.Location, weekStart time.Weekday) (Bucket, error) {
	if p == AllTime {
		return BucketOf(p, time.Time{}, loc, weekStart), nil
	}
	d, err := time.ParseInLocation(time.DateOnly, name, loc)
	if err != nil {
		return Bucket{}, fmt.Errorf("stats: bucket %q: want YYYY-MM-DD", name)
	}
	return BucketOf(p, d.Add(12*time.Hour), loc, weekStart), nil
}

// Entry is one row of a leaderboard.
type Entry struct {
	Rank     int     `json:"rank"`
	PlayerID string  `json:"player_id"`
	Name     string  `json:"name"`
	Wins     int     `json:"wins"`   // matches won in the period (all time: ever)
	Played   int     `json:"played"` // matches played in the period
	WinRate  float64 `json:"win_rate"`
	Rating   float64 `json:"rating"`
}
