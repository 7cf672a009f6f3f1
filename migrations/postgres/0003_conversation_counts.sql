-- Conversation counts kept by triggers, so the list's meta counts read a few hundred counter
-- rows instead of counting every open conversation. One row per account, status, inbox, team
-- (0 = none) and assignee (0 = unassigned); every write path (use cases, cascades, the bulk
-- seed) goes through the triggers, so the counts cannot drift from the rows.
CREATE TABLE conversation_counts (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status SMALLINT NOT NULL,
    inbox_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL,
    assignee_id BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (account_id, status, inbox_id, team_id, assignee_id)
);

INSERT INTO conversation_counts (account_id, status, inbox_id, team_id, assignee_id, n)
SELECT account_id, status, inbox_id, COALESCE(team_id, 0), COALESCE(assignee_id, 0), COUNT(*)
FROM conversations
GROUP BY account_id, status, inbox_id, COALESCE(team_id, 0), COALESCE(assignee_id, 0);

-- An update moves one conversation between two counter rows. The two rows are always locked
-- in key order, so two transactions moving conversations in opposite directions cannot
-- deadlock on them.
CREATE FUNCTION conversation_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_first BOOLEAN := FALSE;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        new_first := ROW(NEW.account_id, NEW.status, NEW.inbox_id, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0))
                   < ROW(OLD.account_id, OLD.status, OLD.inbox_id, COALESCE(OLD.team_id, 0), COALESCE(OLD.assignee_id, 0));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND new_first THEN
        INSERT INTO conversation_counts AS c (account_id, status, inbox_id, team_id, assignee_id, n)
        VALUES (NEW.account_id, NEW.status, NEW.inbox_id, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0), 1)
        ON CONFLICT (account_id, status, inbox_id, team_id, assignee_id) DO UPDATE SET n = c.n + 1;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE conversation_counts SET n = n - 1
        WHERE account_id = OLD.account_id AND status = OLD.status AND inbox_id = OLD.inbox_id
          AND team_id = COALESCE(OLD.team_id, 0) AND assignee_id = COALESCE(OLD.assignee_id, 0);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NOT new_first) THEN
        INSERT INTO conversation_counts AS c (account_id, status, inbox_id, team_id, assignee_id, n)
        VALUES (NEW.account_id, NEW.status, NEW.inbox_id, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0), 1)
        ON CONFLICT (account_id, status, inbox_id, team_id, assignee_id) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER conversation_counts_insert_delete AFTER INSERT OR DELETE ON conversations
FOR EACH ROW EXECUTE FUNCTION conversation_counts_apply();

CREATE TRIGGER conversation_counts_update
AFTER UPDATE OF account_id, status, inbox_id, team_id, assignee_id ON conversations
FOR EACH ROW
WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id OR OLD.status IS DISTINCT FROM NEW.status
   OR OLD.inbox_id IS DISTINCT FROM NEW.inbox_id OR OLD.team_id IS DISTINCT FROM NEW.team_id
   OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
EXECUTE FUNCTION conversation_counts_apply();
