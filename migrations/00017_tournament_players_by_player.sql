-- A player's tournaments: the list of tournaments answers each signed-in
-- caller with their place in the live ones (GET /api/tournaments with a
-- token, which the lobby asks once a visit), a lookup by player.

-- +goose Up
CREATE INDEX tournament_players_by_player ON tournament_players (player_id);

-- +goose Down
DROP INDEX tournament_players_by_player;
