-- A hand's moves are stored in its match_hands row, as two arrays in play
-- order (the seat of each move and its value: a suit letter for the trump
-- choice, a card), instead of one match_moves row per move. A match's
-- ≈ 480 moves were ≈ 480 heap tuples and primary key entries: most of a
-- persist's time and WAL (1.16 of ≈ 1.9 ms, ≈ 90 of ≈ 107 KB a match) and
-- ≈ 85 KB of disk a match; now they are its ≈ 13 hands' rows
-- (docs/performance.md, "the moves in their hands").
--
-- match_moves stays readable as a view with the old columns (idx is the
-- move's place in the match), for operators' queries; nothing writes it.
-- Partitions: match_moves has none any more (hokm_month_partitions makes
-- the months of the tables that are partitioned). Existing moves are copied into their hands in
-- this migration's transaction (minutes for millions of moves: run it in a
-- quiet hour); Down writes them back into a partitioned match_moves, a
-- partition for each month match_hands has.

-- +goose Up
ALTER TABLE match_hands
    ADD COLUMN move_seats  smallint[] NOT NULL DEFAULT '{}',
    ADD COLUMN move_values text[]     NOT NULL DEFAULT '{}';

UPDATE match_hands h SET move_seats = v.seats, move_values = v.vals
FROM (SELECT match_id, started_at, hand_no,
             array_agg(seat ORDER BY idx) AS seats, array_agg(value ORDER BY idx) AS vals
      FROM match_moves GROUP BY match_id, started_at, hand_no) v
WHERE h.match_id = v.match_id AND h.started_at = v.started_at AND h.hand_no = v.hand_no;

ALTER TABLE match_hands
    ADD CONSTRAINT match_hands_moves_check CHECK (
        cardinality(move_seats) = cardinality(move_values)
        AND move_seats <@ '{0,1,2,3}'::smallint[]
        AND array_to_string(move_values, ',', '?') ~ '^(([SHDC]|[2-9TJQKA][SHDC])(,([SHDC]|[2-9TJQKA][SHDC]))*)?$');

DROP TRIGGER matches_delete_moves ON matches;
DROP FUNCTION hokm_delete_match_moves();
DROP TABLE match_moves;

CREATE VIEW match_moves AS
SELECT h.match_id, (h.before + u.ord - 1)::integer AS idx, h.hand_no, u.seat,
       CASE WHEN length(u.value) = 1 THEN 'trump' ELSE 'card' END AS kind, u.value, h.started_at
FROM (SELECT match_id, started_at, hand_no, move_seats, move_values,
             coalesce(sum(cardinality(move_seats)) OVER (PARTITION BY match_id, started_at ORDER BY hand_no
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
      FROM match_hands) h,
     unnest(h.move_seats, h.move_values) WITH ORDINALITY AS u(seat, value, ord);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION hokm_month_partitions(first_month date, last_month date) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    m      date := date_trunc('month', first_month)::date;
    made   integer := 0;
    parent text;
    child  text;
BEGIN
    -- One creator at a time (a transaction lock: fine behind pgbouncer).
    PERFORM pg_advisory_xact_lock(hashtext('hokm:month_partitions'));
    WHILE m <= date_trunc('month', last_month)::date LOOP
        FOREACH parent IN ARRAY ARRAY['matches', 'match_seats', 'match_hands', 'match_moves', 'audit_log'] LOOP
            child := parent || '_' || to_char(m, '"p"YYYYMM');
            -- (match_moves is a view from this migration on, partitioned below it)
            IF to_regclass(child) IS NULL
               AND (SELECT relkind FROM pg_class WHERE oid = to_regclass(parent)) = 'p' THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child, parent,
                               m::text || ' 00:00:00+00', (m + interval '1 month')::date::text || ' 00:00:00+00');
                made := made + 1;
            END IF;
        END LOOP;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$fn$;
-- +goose StatementEnd

-- +goose Down
-- (hokm_month_partitions, as migrated up, makes match_moves' months again
-- once it is a partitioned table.)
CREATE TABLE match_moves_restored AS SELECT * FROM match_moves;
DROP VIEW match_moves;
CREATE TABLE match_moves (
    match_id   text        NOT NULL,
    idx        integer     NOT NULL CHECK (idx >= 0),
    hand_no    smallint    NOT NULL,
    seat       smallint    NOT NULL CHECK (seat BETWEEN 0 AND 3),
    kind       text        NOT NULL CHECK (kind IN ('trump', 'card')),
    value      text        NOT NULL,
    started_at timestamptz NOT NULL,
    CHECK (CASE kind WHEN 'trump' THEN value IN ('S', 'H', 'D', 'C') ELSE value ~ '^[2-9TJQKA][SHDC]$' END),
    PRIMARY KEY (match_id, idx, started_at)
) PARTITION BY RANGE (started_at);

-- +goose StatementBegin
DO $do$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'match_hands'::regclass LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF match_moves %s',
                       'match_moves' || substr(p.relname, length('match_hands') + 1), p.bound);
    END LOOP;
END
$do$;
-- +goose StatementEnd

INSERT INTO match_moves SELECT * FROM match_moves_restored;
DROP TABLE match_moves_restored;

-- +goose StatementBegin
CREATE FUNCTION hokm_delete_match_moves() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM match_moves WHERE match_id = OLD.id AND started_at = OLD.started_at;
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd
CREATE TRIGGER matches_delete_moves AFTER DELETE ON matches
    FOR EACH ROW EXECUTE FUNCTION hokm_delete_match_moves();

ALTER TABLE match_hands DROP CONSTRAINT match_hands_moves_check,
    DROP COLUMN move_seats, DROP COLUMN move_values;
