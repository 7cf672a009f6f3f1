-- SQLite's outbox moves to a cursor in this migration; PostgreSQL keeps a dispatch mark on each
-- event. A sequence hands out ids when rows are inserted, not when they commit, so an event with
-- a lower id can commit after a higher one has been read and dispatched: a cursor would skip it.
-- The partial index on undispatched events stays. Nothing changes here.
SELECT 1;
