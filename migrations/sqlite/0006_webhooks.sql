-- Webhooks: account subscriptions, the outbox's dispatch mark, and durable deliveries with their log.

-- An account's webhook: where to post, which events, and the key its deliveries are signed with.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    inbox_id INTEGER REFERENCES inboxes (id) ON DELETE SET NULL,
    name TEXT,
    url TEXT NOT NULL,
    webhook_type INTEGER NOT NULL DEFAULT 0,
    subscriptions TEXT NOT NULL DEFAULT '[]',
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX webhooks_account_url_key ON webhooks (account_id, url);

-- The API inbox's webhook_url signs with its own key (older inboxes get one here).
ALTER TABLE channel_api ADD COLUMN webhook_secret TEXT;
UPDATE channel_api SET webhook_secret = lower(hex(randomblob(32))) WHERE webhook_secret IS NULL;

-- An event is dispatched once its deliveries are written; what came before this version was
-- never meant for anyone.
ALTER TABLE events ADD COLUMN dispatched_at INTEGER;
UPDATE events SET dispatched_at = created_at;
CREATE INDEX events_undispatched_idx ON events (id) WHERE dispatched_at IS NULL;

-- One event for one receiver: the exact body (signed the same on every attempt), its state and
-- when to try next. `target` names the receiver ('w<id>' a webhook, 'i<id>' an API inbox), so
-- dispatching an event twice writes each delivery once; `ordering_key` (target and
-- conversation) keeps a conversation's events to one receiver in order.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    uuid TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    webhook_id INTEGER REFERENCES webhooks (id) ON DELETE CASCADE,
    inbox_id INTEGER REFERENCES inboxes (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    event_id INTEGER,
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    conversation_id INTEGER,
    message_id INTEGER,
    ordering_key TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    locked_until INTEGER,
    last_status INTEGER,
    last_error TEXT,
    replay_of INTEGER,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE UNIQUE INDEX webhook_deliveries_uuid_key ON webhook_deliveries (uuid);
CREATE UNIQUE INDEX webhook_deliveries_event_target_key ON webhook_deliveries (event_id, target);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (ordering_key, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_account_idx ON webhook_deliveries (account_id, id);

-- Every attempt of a delivery: when, how long, what the receiver answered or what failed.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
