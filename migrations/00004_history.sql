-- History and stats. A player who abandons a running match loses the seat to
-- a bot, yet the match still counts for them: such a seat is stored with
-- bot = true, abandoned = true and player_id = the player who left. Every
-- other seat keeps the old rule (player_id NULL exactly for a bot).
--
-- A player's history and stats read match_seats through
-- match_seats_player_history_idx (player_id, started_at DESC, match_id),
-- which already covers abandoned seats (their player_id is set); the hands
-- come from match_hands' primary key (match_id, hand_no). No new index.

-- +goose Up
ALTER TABLE match_seats ADD COLUMN abandoned boolean NOT NULL DEFAULT false;
ALTER TABLE match_seats DROP CONSTRAINT match_seats_check;
ALTER TABLE match_seats ADD CONSTRAINT match_seats_player_check CHECK (
    CASE WHEN abandoned THEN bot AND player_id IS NOT NULL
         ELSE bot = (player_id IS NULL)
    END
);

-- +goose Down
-- Under the old rule an abandoned seat is just a bot's.
UPDATE match_seats SET player_id = NULL WHERE abandoned;
ALTER TABLE match_seats DROP CONSTRAINT match_seats_player_check;
ALTER TABLE match_seats DROP COLUMN abandoned;
ALTER TABLE match_seats ADD CONSTRAINT match_seats_check CHECK (bot = (player_id IS NULL));
