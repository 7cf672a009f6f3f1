-- Conversations, messages, attachments, teams, labels, custom attributes, saved filters,
-- the durable job queue and the event outbox.

-- The per-account counter behind conversations.display_id (Chatwoot's conv_dpid_seq_<account>).
ALTER TABLE accounts ADD COLUMN last_display_id INTEGER NOT NULL DEFAULT 0;

CREATE TABLE teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    allow_auto_assign INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_account_name_key ON teams (account_id, name);

CREATE TABLE team_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX team_members_team_user_key ON team_members (team_id, user_id);
CREATE INDEX team_members_user_idx ON team_members (user_id);

CREATE TABLE labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT,
    color TEXT NOT NULL DEFAULT '#1f93ff',
    show_on_sidebar INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX labels_account_title_key ON labels (account_id, title);

CREATE TABLE custom_attribute_definitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    attribute_display_name TEXT NOT NULL,
    attribute_key TEXT NOT NULL,
    attribute_display_type INTEGER NOT NULL DEFAULT 0,
    attribute_model INTEGER NOT NULL DEFAULT 0,
    attribute_description TEXT,
    attribute_values TEXT NOT NULL DEFAULT '[]',
    regex_pattern TEXT,
    regex_cue TEXT,
    default_value TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX custom_attribute_definitions_key
    ON custom_attribute_definitions (account_id, attribute_model, attribute_key);

CREATE TABLE custom_filters (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    filter_type INTEGER NOT NULL DEFAULT 0,
    query TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX custom_filters_account_user_idx ON custom_filters (account_id, user_id, filter_type);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    display_id INTEGER NOT NULL,
    uuid TEXT NOT NULL,
    inbox_id INTEGER NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    contact_inbox_id INTEGER REFERENCES contact_inboxes (id) ON DELETE SET NULL,
    status INTEGER NOT NULL DEFAULT 0,
    priority INTEGER,
    snoozed_until INTEGER,
    assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    assignee_agent_bot_id INTEGER REFERENCES agent_bots (id) ON DELETE SET NULL,
    team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    agent_last_seen_at INTEGER,
    assignee_last_seen_at INTEGER,
    contact_last_seen_at INTEGER,
    first_reply_created_at INTEGER,
    waiting_since INTEGER,
    last_activity_at INTEGER NOT NULL,
    unread_count INTEGER NOT NULL DEFAULT 0,
    last_message_id INTEGER,
    last_non_activity_message_id INTEGER,
    additional_attributes TEXT NOT NULL DEFAULT '{}',
    custom_attributes TEXT NOT NULL DEFAULT '{}',
    cached_label_list TEXT NOT NULL DEFAULT '',
    identifier TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversations_account_display_key ON conversations (account_id, display_id);
CREATE UNIQUE INDEX conversations_uuid_key ON conversations (uuid);
-- The default list: one status of an account, newest activity first.
CREATE INDEX conversations_list_idx ON conversations (account_id, status, last_activity_at, id);
-- The same narrowed to inboxes (agents) and the meta counts by assignee.
CREATE INDEX conversations_inbox_list_idx ON conversations (inbox_id, status, last_activity_at, id);
CREATE INDEX conversations_assignee_idx ON conversations (account_id, status, assignee_id);
CREATE INDEX conversations_team_idx ON conversations (team_id, status);
CREATE INDEX conversations_contact_idx ON conversations (contact_id, last_activity_at);
CREATE INDEX conversations_contact_inbox_idx ON conversations (contact_inbox_id);

CREATE TABLE conversation_labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversation_labels_conversation_title_key ON conversation_labels (conversation_id, title);
CREATE INDEX conversation_labels_account_title_idx ON conversation_labels (account_id, title, conversation_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    inbox_id INTEGER NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_type INTEGER NOT NULL DEFAULT 0,
    content_type INTEGER NOT NULL DEFAULT 0,
    status INTEGER NOT NULL DEFAULT 0,
    private INTEGER NOT NULL DEFAULT 0,
    content TEXT,
    content_attributes TEXT NOT NULL DEFAULT '{}',
    additional_attributes TEXT NOT NULL DEFAULT '{}',
    external_source_ids TEXT NOT NULL DEFAULT '{}',
    source_id TEXT,
    sender_type INTEGER,
    sender_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_account_idx ON messages (account_id, id);
CREATE INDEX messages_source_idx ON messages (source_id);

-- Full-text index over message content (external content: the text lives in messages only).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    file_type INTEGER NOT NULL DEFAULT 3,
    file_name TEXT NOT NULL,
    extension TEXT,
    mime_type TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    storage_key TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_message_idx ON attachments (message_id);
CREATE INDEX attachments_conversation_idx ON attachments (conversation_id, id);
CREATE UNIQUE INDEX attachments_storage_key ON attachments (storage_key);

-- Durable jobs: timed work (snooze wake-ups) and side effects, claimed by one runner each.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    dedupe_key TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX jobs_run_at_idx ON jobs (run_at, id);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key);

-- Domain events recorded in the same transaction as the change (delivered by the events issue).
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    conversation_id INTEGER,
    data TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX events_account_idx ON events (account_id, id);
