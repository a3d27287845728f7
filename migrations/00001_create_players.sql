-- Players who have sat at a table. Guests are recorded the first time a match
-- they played is persisted; accounts (kind 'user') come later and reuse the
-- same ids. Bots get no row: their seats have a NULL player_id.

-- +goose Up
CREATE TABLE players (
    id         text        PRIMARY KEY CHECK (id <> ''),
    name       text        NOT NULL,
    kind       text        NOT NULL DEFAULT 'guest' CHECK (kind IN ('guest', 'user', 'bot')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE players;
