-- Foundation: accounts, users, tokens, platform apps, agent bots, inboxes, contacts.
-- Timestamps are INTEGER microseconds since the Unix epoch, written by the application clock.
-- JSON columns are TEXT holding JSON. Booleans are INTEGER 0/1.

CREATE TABLE installation_config (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'en',
    domain TEXT,
    support_email TEXT,
    status INTEGER NOT NULL DEFAULT 0,
    features TEXT NOT NULL DEFAULT '{}',
    limits TEXT NOT NULL DEFAULT '{}',
    custom_attributes TEXT NOT NULL DEFAULT '{}',
    settings TEXT NOT NULL DEFAULT '{}',
    auto_resolve_duration INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT,
    email TEXT NOT NULL,
    password_hash TEXT,
    pubsub_token TEXT NOT NULL,
    message_signature TEXT,
    ui_settings TEXT NOT NULL DEFAULT '{}',
    custom_attributes TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_pubsub_token_key ON users (pubsub_token);

CREATE TABLE account_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role INTEGER NOT NULL DEFAULT 0,
    availability INTEGER NOT NULL DEFAULT 0,
    auto_offline INTEGER NOT NULL DEFAULT 1,
    inviter_id INTEGER,
    active_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX account_users_account_user_key ON account_users (account_id, user_id);
CREATE INDEX account_users_user_idx ON account_users (user_id);

CREATE TABLE platform_apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE platform_app_permissibles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    platform_app_id INTEGER NOT NULL REFERENCES platform_apps (id) ON DELETE CASCADE,
    permissible_type TEXT NOT NULL,
    permissible_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX platform_app_permissibles_key
    ON platform_app_permissibles (permissible_type, permissible_id, platform_app_id);

-- One token per owner. Only a keyed digest is stored for look-up; `token_seed` lets the server
-- re-derive the token (HMAC of the seed with the server secret) to show it to its owner.
CREATE TABLE access_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    token_digest TEXT NOT NULL,
    token_seed TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX access_tokens_digest_key ON access_tokens (token_digest);
CREATE UNIQUE INDEX access_tokens_owner_key ON access_tokens (owner_type, owner_id);

CREATE TABLE agent_bots (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    outgoing_url TEXT,
    bot_type INTEGER NOT NULL DEFAULT 0,
    bot_config TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX agent_bots_account_idx ON agent_bots (account_id);

CREATE TABLE channel_api (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    hmac_token TEXT NOT NULL,
    hmac_mandatory INTEGER NOT NULL DEFAULT 0,
    webhook_url TEXT,
    additional_attributes TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX channel_api_identifier_key ON channel_api (identifier);

CREATE TABLE inboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_type TEXT NOT NULL,
    channel_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    greeting_enabled INTEGER NOT NULL DEFAULT 0,
    greeting_message TEXT,
    enable_email_collect INTEGER NOT NULL DEFAULT 1,
    csat_survey_enabled INTEGER NOT NULL DEFAULT 0,
    csat_config TEXT NOT NULL DEFAULT '{}',
    enable_auto_assignment INTEGER NOT NULL DEFAULT 1,
    auto_assignment_config TEXT NOT NULL DEFAULT '{}',
    working_hours_enabled INTEGER NOT NULL DEFAULT 0,
    working_hours TEXT NOT NULL DEFAULT '[]',
    out_of_office_message TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    allow_messages_after_resolved INTEGER NOT NULL DEFAULT 1,
    lock_to_single_conversation INTEGER NOT NULL DEFAULT 0,
    sender_name_type INTEGER NOT NULL DEFAULT 0,
    business_name TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX inboxes_account_idx ON inboxes (account_id);
CREATE UNIQUE INDEX inboxes_channel_key ON inboxes (channel_type, channel_id);

CREATE TABLE inbox_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    inbox_id INTEGER NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX inbox_members_inbox_user_key ON inbox_members (inbox_id, user_id);
CREATE INDEX inbox_members_user_idx ON inbox_members (user_id);

CREATE TABLE agent_bot_inboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    inbox_id INTEGER NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    agent_bot_id INTEGER NOT NULL REFERENCES agent_bots (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX agent_bot_inboxes_inbox_key ON agent_bot_inboxes (inbox_id);
CREATE INDEX agent_bot_inboxes_bot_idx ON agent_bot_inboxes (agent_bot_id);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    email TEXT,
    phone_number TEXT,
    identifier TEXT,
    additional_attributes TEXT NOT NULL DEFAULT '{}',
    custom_attributes TEXT NOT NULL DEFAULT '{}',
    blocked INTEGER NOT NULL DEFAULT 0,
    contact_type INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_account_email_key ON contacts (account_id, email);
CREATE UNIQUE INDEX contacts_account_phone_key ON contacts (account_id, phone_number);
CREATE UNIQUE INDEX contacts_account_identifier_key ON contacts (account_id, identifier);
CREATE INDEX contacts_account_activity_idx ON contacts (account_id, last_activity_at, id);
CREATE INDEX contacts_account_created_idx ON contacts (account_id, created_at, id);

CREATE TABLE contact_inboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    inbox_id INTEGER NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    source_id TEXT NOT NULL,
    hmac_verified INTEGER NOT NULL DEFAULT 0,
    pubsub_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contact_inboxes_inbox_source_key ON contact_inboxes (inbox_id, source_id);
CREATE UNIQUE INDEX contact_inboxes_pubsub_token_key ON contact_inboxes (pubsub_token);
CREATE INDEX contact_inboxes_contact_idx ON contact_inboxes (contact_id);
