-- Conversation counts kept by triggers, so the list's meta counts read a few hundred counter
-- rows instead of counting every open conversation. One row per account, status, inbox, team
-- (0 = none) and assignee (0 = unassigned); every write path (use cases, cascades, the bulk
-- seed) goes through the triggers, so the counts cannot drift from the rows.
CREATE TABLE conversation_counts (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status INTEGER NOT NULL,
    inbox_id INTEGER NOT NULL,
    team_id INTEGER NOT NULL,
    assignee_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (account_id, status, inbox_id, team_id, assignee_id)
) WITHOUT ROWID;

INSERT INTO conversation_counts (account_id, status, inbox_id, team_id, assignee_id, n)
SELECT account_id, status, inbox_id, COALESCE(team_id, 0), COALESCE(assignee_id, 0), COUNT(*)
FROM conversations
GROUP BY account_id, status, inbox_id, COALESCE(team_id, 0), COALESCE(assignee_id, 0);

CREATE TRIGGER conversation_counts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversation_counts (account_id, status, inbox_id, team_id, assignee_id, n)
    VALUES (new.account_id, new.status, new.inbox_id, COALESCE(new.team_id, 0), COALESCE(new.assignee_id, 0), 1)
    ON CONFLICT (account_id, status, inbox_id, team_id, assignee_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER conversation_counts_delete AFTER DELETE ON conversations BEGIN
    UPDATE conversation_counts SET n = n - 1
    WHERE account_id = old.account_id AND status = old.status AND inbox_id = old.inbox_id
      AND team_id = COALESCE(old.team_id, 0) AND assignee_id = COALESCE(old.assignee_id, 0);
END;

CREATE TRIGGER conversation_counts_update
AFTER UPDATE OF account_id, status, inbox_id, team_id, assignee_id ON conversations
WHEN old.account_id IS NOT new.account_id OR old.status IS NOT new.status
  OR old.inbox_id IS NOT new.inbox_id OR old.team_id IS NOT new.team_id
  OR old.assignee_id IS NOT new.assignee_id
BEGIN
    UPDATE conversation_counts SET n = n - 1
    WHERE account_id = old.account_id AND status = old.status AND inbox_id = old.inbox_id
      AND team_id = COALESCE(old.team_id, 0) AND assignee_id = COALESCE(old.assignee_id, 0);
    INSERT INTO conversation_counts (account_id, status, inbox_id, team_id, assignee_id, n)
    VALUES (new.account_id, new.status, new.inbox_id, COALESCE(new.team_id, 0), COALESCE(new.assignee_id, 0), 1)
    ON CONFLICT (account_id, status, inbox_id, team_id, assignee_id) DO UPDATE SET n = n + 1;
END;
