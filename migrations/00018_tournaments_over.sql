-- The tournaments list's pages of those over (GET /api/tournaments, which
-- the tournaments page asks every 5 s while open): a keyset scan, newest
-- first, however many tournaments there ever were.

-- +goose Up
CREATE INDEX tournaments_over ON tournaments (created_at DESC, id DESC) WHERE status IN ('finished', 'cancelled');

-- +goose Down
DROP INDEX tournaments_over;
