-- Files uploaded on their own (`POST …/upload`, upstream's blobs), kept for the account's
-- automation rules to send (`send_attachment`). The bytes live under the data directory by key.
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    storage_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX uploads_account_idx ON uploads (account_id, id);
CREATE UNIQUE INDEX uploads_storage_key ON uploads (storage_key);
