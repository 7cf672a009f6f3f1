-- Credential changes: PostgreSQL announces them to other nodes with triggers (its migration
-- 0011). A SQLite database has one node, which sees its own writes: nothing to add here.
SELECT 1;
