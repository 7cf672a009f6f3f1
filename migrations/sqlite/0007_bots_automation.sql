-- Agent bots receive their inbox's events like a webhook (signed with their own key), and the
-- account's automation rules.

ALTER TABLE agent_bots ADD COLUMN secret TEXT;
UPDATE agent_bots SET secret = lower(hex(randomblob(32))) WHERE secret IS NULL;

-- A delivery to an agent bot's outgoing_url ('b<id>' targets).
ALTER TABLE webhook_deliveries ADD COLUMN agent_bot_id INTEGER REFERENCES agent_bots (id) ON DELETE CASCADE;
CREATE INDEX webhook_deliveries_agent_bot_idx ON webhook_deliveries (agent_bot_id, id);

-- An account's rule: on an event, if the conditions hold, run the actions. Conditions and actions
-- are kept as the client wrote them (validated on write).
CREATE TABLE automation_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    event_name TEXT NOT NULL,
    conditions TEXT NOT NULL DEFAULT '[]',
    actions TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX automation_rules_account_idx ON automation_rules (account_id, event_name);

-- (PostgreSQL announces committed events with NOTIFY for other nodes; a SQLite database has one
-- node, which follows the events table after each of its commits.)
