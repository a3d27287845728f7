-- Finished matches the table journal moved past before they were stored.
-- A finished table's journal row is what brings its match back when Redis
-- loses the persist task (live_tables keeps a finished row until its match
-- is in matches against deletion, not against the table moving on): when
-- the rematch offer ends or the next match starts while the match is not
-- stored yet — PostgreSQL was down, its persist task waits for a retry —
-- the journal's next write would overwrite the only durable copy. A
-- trigger copies the row here first; its WHEN clause is all a rewrite of a
-- row that was not finished costs (the journal rewrites every busy table's
-- row every pass). Read back by the recovery after a Redis loss and by the
-- reconcile job (pgstore.PassedFinished, FinishedUnstored); a row goes once
-- its match is stored (pgstore.PurgeLiveTables).

-- +goose Up
CREATE TABLE journal_finished (
    match_id   text        PRIMARY KEY,
    table_id   text        NOT NULL,
    epoch      bigint      NOT NULL,
    seq        bigint      NOT NULL,
    meta       text        NOT NULL,
    state      bytea       NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION journal_keep_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM matches m WHERE m.id = OLD.match_id) THEN
        INSERT INTO journal_finished (match_id, table_id, epoch, seq, meta, state, updated_at)
        VALUES (OLD.match_id, OLD.table_id, OLD.epoch, OLD.seq, OLD.meta, OLD.state, OLD.updated_at)
        ON CONFLICT (match_id) DO NOTHING;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER live_tables_keep_finished BEFORE UPDATE ON live_tables FOR EACH ROW
    WHEN (OLD.status = 'finished' AND OLD.match_id IS NOT NULL
          AND (NEW.status <> 'finished' OR NEW.match_id IS DISTINCT FROM OLD.match_id))
    EXECUTE FUNCTION journal_keep_finished();

-- +goose Down
DROP TRIGGER live_tables_keep_finished ON live_tables;
DROP FUNCTION journal_keep_finished();
DROP TABLE journal_finished;
