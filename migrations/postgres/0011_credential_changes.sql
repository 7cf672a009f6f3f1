-- Credential changes, announced to every node: each node keeps the answers of its token and
-- membership look-ups between requests, and drops them when it hears of a change here
-- (NOTIFY is delivered at commit, and never for a rolled-back transaction). One announcement
-- per statement; the payload is empty (a node drops everything it kept).
--
-- The per-account display-id counter moves out of `accounts` into a table of its own: every
-- new conversation takes the next id, and nothing a look-up reads changes with it.
CREATE TABLE account_display_ids (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_display_id BIGINT NOT NULL
);
INSERT INTO account_display_ids (account_id, last_display_id)
    SELECT id, last_display_id FROM accounts WHERE last_display_id > 0;
ALTER TABLE accounts DROP COLUMN last_display_id;

CREATE FUNCTION confab_announce_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('confab_auth', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER accounts_announce AFTER INSERT OR UPDATE OR DELETE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER users_announce AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER account_users_announce AFTER INSERT OR UPDATE OR DELETE ON account_users
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER access_tokens_announce AFTER INSERT OR UPDATE OR DELETE ON access_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER api_keys_announce AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
