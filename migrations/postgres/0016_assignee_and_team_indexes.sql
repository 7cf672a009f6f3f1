-- A status change moved an entry in every conversation index that holds `status`.
-- The team index held it for no query: a team's lists are read in order from the list indexes,
-- and its counts come from the counters. It now holds only what finds a team's conversations
-- (the foreign key's SET NULL when a team is deleted, filters, reports), and only for the
-- conversations that have a team, so no status change touches it.
DROP INDEX conversations_team_idx;
CREATE INDEX conversations_team_idx ON conversations (team_id) WHERE team_id IS NOT NULL;
-- The assignee index serves the "mine" and "unassigned" lists. Without the order's columns a
-- page sorted all of an agent's open conversations first (14k rows, 22 ms at 1M); with them it
-- reads the page in order. A status change moves its entry either way.
DROP INDEX conversations_assignee_idx;
CREATE INDEX conversations_assignee_idx
    ON conversations (account_id, status, assignee_id, last_activity_at, id);
