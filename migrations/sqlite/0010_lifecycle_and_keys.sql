-- Issue 7: the spam status (code 4, no schema change), the snooze reply policy, auto-resolve
-- per inbox, and service API keys.

-- Whether a contact's message wakes a snoozed conversation (upstream behaviour: it does).
ALTER TABLE conversations ADD COLUMN snooze_wake_on_reply INTEGER NOT NULL DEFAULT 1;

-- Auto-resolve per inbox. NULL inherits the account's settings; 0 turns it off for the inbox.
ALTER TABLE inboxes ADD COLUMN auto_resolve_after INTEGER;
ALTER TABLE inboxes ADD COLUMN auto_resolve_pending INTEGER;
ALTER TABLE inboxes ADD COLUMN auto_resolve_message TEXT;

-- Account API keys that are not a person: named, scoped, revocable, optionally expiring. Only
-- the digest of the secret is kept; the secret is shown once, when the key is created.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_digest TEXT NOT NULL,
    token_hint TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX api_keys_digest_key ON api_keys (token_digest);
CREATE INDEX api_keys_account_idx ON api_keys (account_id, id);

-- Fernand's default order (newest first) and `oldest`, index-bound like the other lists.
CREATE INDEX conversations_created_idx ON conversations (account_id, created_at, id);
