-- Stored matches and the audit log partitioned by month (declarative range
-- partitioning, UTC months): the match tables by the match's started_at
-- (copied into match_hands and match_moves, as match_seats already had it),
-- audit_log by at. A month's partitions are created ahead by the job
-- maintenance:partitions (hokm_month_partitions below, also run by a
-- persist that finds its month missing); old months are detached from the
-- match tables by the retention the operator sets (docs/operations.md,
-- "Partitions and retention").
--
-- Keys include the partition key, as PostgreSQL requires: a match is
-- (id, started_at) — the same match always has the same start, so a retried
-- persist still conflicts and writes nothing — and its seats and hands point
-- at (match_id, started_at). A lookup by id alone probes each month's
-- primary key index; queries that know the start prune to one month.
--
-- The moves keep no foreign key to their hand: PostgreSQL 15 checks one
-- against a partitioned table row by row at a cost that made a match's
-- persist six times slower (185 → 32 matches/s, BenchmarkPersistMatch). A
-- match's moves are written in the statement that writes its hands, from
-- the record the engine has just replayed; deleting a match deletes its
-- moves by a trigger (as the foreign key's cascade did), detaching a month
-- takes them with it.
--
-- Existing rows are copied into the new tables in this migration's
-- transaction (minutes for millions of moves: run it in a quiet hour).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION hokm_month_partitions(first_month date, last_month date) RETURNS integer
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
            IF to_regclass(child) IS NULL THEN
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

ALTER TABLE matches RENAME TO matches_unpartitioned;
ALTER TABLE match_seats RENAME TO match_seats_unpartitioned;
ALTER TABLE match_hands RENAME TO match_hands_unpartitioned;
ALTER TABLE match_moves RENAME TO match_moves_unpartitioned;
ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
ALTER INDEX matches_pkey RENAME TO matches_unpartitioned_pkey;
ALTER INDEX matches_ended_at_idx RENAME TO matches_unpartitioned_ended_at_idx;
ALTER INDEX matches_table_id_idx RENAME TO matches_unpartitioned_table_id_idx;
ALTER INDEX match_seats_pkey RENAME TO match_seats_unpartitioned_pkey;
ALTER INDEX match_seats_player_history_idx RENAME TO match_seats_unpartitioned_player_history_idx;
ALTER INDEX match_hands_pkey RENAME TO match_hands_unpartitioned_pkey;
ALTER INDEX match_moves_pkey RENAME TO match_moves_unpartitioned_pkey;
ALTER INDEX audit_log_pkey RENAME TO audit_log_unpartitioned_pkey;
ALTER INDEX audit_log_user_at_idx RENAME TO audit_log_unpartitioned_user_at_idx;
ALTER INDEX audit_log_at_idx RENAME TO audit_log_unpartitioned_at_idx;

CREATE TABLE matches (LIKE matches_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);
CREATE INDEX matches_ended_at_idx ON matches (ended_at);
CREATE INDEX matches_table_id_idx ON matches (table_id);

CREATE TABLE match_seats (LIKE match_seats_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (match_id, seat, started_at),
    FOREIGN KEY (match_id, started_at) REFERENCES matches (id, started_at) ON DELETE CASCADE,
    FOREIGN KEY (player_id) REFERENCES players (id)
) PARTITION BY RANGE (started_at);
CREATE INDEX match_seats_player_history_idx
    ON match_seats (player_id, started_at DESC, match_id)
    WHERE player_id IS NOT NULL;

CREATE TABLE match_hands (LIKE match_hands_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    started_at timestamptz NOT NULL,
    PRIMARY KEY (match_id, hand_no, started_at),
    FOREIGN KEY (match_id, started_at) REFERENCES matches (id, started_at) ON DELETE CASCADE
) PARTITION BY RANGE (started_at);

CREATE TABLE match_moves (LIKE match_moves_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    started_at timestamptz NOT NULL,
    PRIMARY KEY (match_id, idx, started_at)
) PARTITION BY RANGE (started_at);

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

CREATE TABLE audit_log (LIKE audit_log_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_user_at_idx ON audit_log (user_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Every month with rows, and the next three.
SELECT hokm_month_partitions(
    least((SELECT min(started_at) FROM matches_unpartitioned), (SELECT min(at) FROM audit_log_unpartitioned), now())::date,
    (now() + interval '3 months')::date);

INSERT INTO matches SELECT * FROM matches_unpartitioned;
INSERT INTO match_seats SELECT * FROM match_seats_unpartitioned;
INSERT INTO match_hands SELECT h.*, m.started_at
    FROM match_hands_unpartitioned h JOIN matches_unpartitioned m ON m.id = h.match_id;
INSERT INTO match_moves SELECT v.*, m.started_at
    FROM match_moves_unpartitioned v JOIN matches_unpartitioned m ON m.id = v.match_id;
INSERT INTO audit_log SELECT * FROM audit_log_unpartitioned;

DROP TABLE match_moves_unpartitioned, match_hands_unpartitioned, match_seats_unpartitioned,
    matches_unpartitioned, audit_log_unpartitioned;

-- +goose Down
-- Back to one table each (detached months are not brought back).
ALTER TABLE matches RENAME TO matches_partitioned;
ALTER TABLE match_seats RENAME TO match_seats_partitioned;
ALTER TABLE match_hands RENAME TO match_hands_partitioned;
ALTER TABLE match_moves RENAME TO match_moves_partitioned;
ALTER TABLE audit_log RENAME TO audit_log_partitioned;
ALTER INDEX matches_pkey RENAME TO matches_partitioned_pkey;
ALTER INDEX matches_ended_at_idx RENAME TO matches_partitioned_ended_at_idx;
ALTER INDEX matches_table_id_idx RENAME TO matches_partitioned_table_id_idx;
ALTER INDEX match_seats_pkey RENAME TO match_seats_partitioned_pkey;
ALTER INDEX match_seats_player_history_idx RENAME TO match_seats_partitioned_player_history_idx;
ALTER INDEX match_hands_pkey RENAME TO match_hands_partitioned_pkey;
ALTER INDEX match_moves_pkey RENAME TO match_moves_partitioned_pkey;
ALTER INDEX audit_log_pkey RENAME TO audit_log_partitioned_pkey;
ALTER INDEX audit_log_user_at_idx RENAME TO audit_log_partitioned_user_at_idx;
ALTER INDEX audit_log_at_idx RENAME TO audit_log_partitioned_at_idx;

CREATE TABLE matches (LIKE matches_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (id));
CREATE INDEX matches_ended_at_idx ON matches (ended_at);
CREATE INDEX matches_table_id_idx ON matches (table_id);
CREATE TABLE match_seats (LIKE match_seats_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (match_id, seat),
    FOREIGN KEY (match_id) REFERENCES matches (id) ON DELETE CASCADE,
    FOREIGN KEY (player_id) REFERENCES players (id));
CREATE INDEX match_seats_player_history_idx
    ON match_seats (player_id, started_at DESC, match_id)
    WHERE player_id IS NOT NULL;
CREATE TABLE match_hands (LIKE match_hands_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (match_id, hand_no),
    FOREIGN KEY (match_id) REFERENCES matches (id) ON DELETE CASCADE);
ALTER TABLE match_hands DROP COLUMN started_at;
CREATE TABLE match_moves (LIKE match_moves_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (match_id, idx),
    FOREIGN KEY (match_id, hand_no) REFERENCES match_hands (match_id, hand_no) ON DELETE CASCADE);
ALTER TABLE match_moves DROP COLUMN started_at;
CREATE TABLE audit_log (LIKE audit_log_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (id));
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_user_at_idx ON audit_log (user_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);

INSERT INTO matches SELECT * FROM matches_partitioned;
INSERT INTO match_seats SELECT * FROM match_seats_partitioned;
INSERT INTO match_hands SELECT match_id, hand_no, hakem, trump, tricks0, tricks1, winner, points, kind, deck
    FROM match_hands_partitioned;
INSERT INTO match_moves SELECT match_id, idx, hand_no, seat, kind, value FROM match_moves_partitioned;
INSERT INTO audit_log SELECT * FROM audit_log_partitioned;

DROP TABLE match_moves_partitioned, match_hands_partitioned, match_seats_partitioned,
    matches_partitioned, audit_log_partitioned;
DROP FUNCTION hokm_month_partitions(date, date);
DROP FUNCTION hokm_delete_match_moves();
