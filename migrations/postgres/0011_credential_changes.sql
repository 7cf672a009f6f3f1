-- Credential changes, announced to every node: each node keeps the answers of its token and
-- membership look-ups between requests, and drops them when it hears of a change here
-- (NOTIFY is delivered at commit, and never for a rolled-back transaction). One announcement
-- per statement; the payload is empty (a node drops everything it kept).
CREATE FUNCTION confab_announce_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('confab_auth', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER users_announce AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER account_users_announce AFTER INSERT OR UPDATE OR DELETE ON account_users
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER access_tokens_announce AFTER INSERT OR UPDATE OR DELETE ON access_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER api_keys_announce AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
CREATE TRIGGER accounts_announce_insert_delete AFTER INSERT OR DELETE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION confab_announce_credentials();
-- Every new conversation takes the account's next display id, which no look-up reads: an
-- update announces only when it leaves that column alone (none sets it with anything else).
CREATE TRIGGER accounts_announce_update AFTER UPDATE ON accounts
    FOR EACH ROW WHEN (OLD.last_display_id IS NOT DISTINCT FROM NEW.last_display_id)
    EXECUTE FUNCTION confab_announce_credentials();
