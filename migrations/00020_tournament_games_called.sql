-- When a game's players were called to its table (the "matched" notice
-- that pulls them in). It is sent after the game is marked seated; a
-- director that died in between, or whose notices Redis refused, left
-- players who were never called: the next director calls them
-- (tournament/director). Games seated before this column are taken as
-- called.

-- +goose Up
ALTER TABLE tournament_games ADD COLUMN called_at timestamptz;
UPDATE tournament_games SET called_at = seated_at WHERE seated_at IS NOT NULL;

-- +goose Down
ALTER TABLE tournament_games DROP COLUMN called_at;
