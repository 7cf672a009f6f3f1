-- The outbox's progress is one cursor: every event up to `last_event_id` has been dispatched.
-- SQLite has one writer, and an event's id is taken inside the transaction that commits it, so
-- events become visible in id order and none can appear behind the cursor (AUTOINCREMENT never
-- hands out an id twice). Dispatching a batch then moves one row, where marking each event
-- rewrote every row and its entry in a partial index, and recording an event no longer adds one.
-- `events.dispatched_at` keeps the marks written before this migration and is not written again.
CREATE TABLE outbox_cursor (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    last_event_id INTEGER NOT NULL
);
INSERT INTO outbox_cursor (id, last_event_id)
    SELECT 1, COALESCE(
        (SELECT min(id) - 1 FROM events WHERE dispatched_at IS NULL),
        (SELECT max(id) FROM events),
        0);
DROP INDEX events_undispatched_idx;
