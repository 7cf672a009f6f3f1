-- The per-account display-id counter moves out of `accounts` into a table of its own: every
-- new conversation takes the next id, and nothing a credential look-up reads changes with it.
-- Every change to `accounts` is then a credential change (migration 0011), with no exception.
CREATE TABLE account_display_ids (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_display_id BIGINT NOT NULL
);
INSERT INTO account_display_ids (account_id, last_display_id)
    SELECT id, last_display_id FROM accounts WHERE last_display_id > 0;

DROP TRIGGER accounts_announce_insert_delete ON accounts;
DROP TRIGGER accounts_announce_update ON accounts;
ALTER TABLE accounts DROP COLUMN last_display_id;
CREATE TRIGGER accounts_announce AFTER INSERT OR UPDATE OR DELETE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
