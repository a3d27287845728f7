-- Hand checkpoints: each finished hand of a running match, written when the
-- hand ends (write-through, or the persist:checkpoint task when PostgreSQL
-- was down). state is game.State's binary encoding at the start of the next
-- hand (or at the end of the match); a later issue restores games from it.
-- No foreign key to matches: the match row only exists once it is over.

-- +goose Up
CREATE TABLE hand_checkpoints (
    match_id   text        NOT NULL,
    hand_no    int         NOT NULL CHECK (hand_no >= 0),
    table_id   text        NOT NULL,
    state      bytea       NOT NULL,
    results    jsonb       NOT NULL,
    score      int[]       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (match_id, hand_no)
);

CREATE INDEX hand_checkpoints_created_at_idx ON hand_checkpoints (created_at);

-- +goose Down
DROP TABLE hand_checkpoints;
