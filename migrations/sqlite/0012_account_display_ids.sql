-- The per-account display-id counter moves out of `accounts` into a table of its own: every
-- new conversation takes the next id, and nothing a credential look-up reads changes with it.
CREATE TABLE account_display_ids (
    account_id INTEGER PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_display_id INTEGER NOT NULL
);
INSERT INTO account_display_ids (account_id, last_display_id)
    SELECT id, last_display_id FROM accounts WHERE last_display_id > 0;
ALTER TABLE accounts DROP COLUMN last_display_id;
