-- A player's tournaments (GET /api/tournaments?mine=1, asked each time the
-- lobby shows): a lookup by player.

-- +goose Up
CREATE INDEX tournament_players_by_player ON tournament_players (player_id);

-- +goose Down
DROP INDEX tournament_players_by_player;
