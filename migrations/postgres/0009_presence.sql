-- Who has a live socket (`update_presence`, every 20 s from Chatwoot's clients): agents
-- (kind 0, subject = user id) and contacts (kind 1, subject = contact id), per account. In the
-- database rather than in one node's memory, so every node answers the same.
CREATE TABLE presence (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind SMALLINT NOT NULL,
    subject_id BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind, subject_id)
);
CREATE INDEX presence_seen_idx ON presence (account_id, seen_at);
