-- The customer's side: CSAT answers, and what the public API looks up per contact identity.

-- One answer per CSAT survey message, upserted when the contact rates the conversation.
CREATE TABLE csat_survey_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    assigned_agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    rating INTEGER NOT NULL,
    feedback_message TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX csat_survey_responses_message_key ON csat_survey_responses (message_id);
CREATE INDEX csat_survey_responses_account_created_idx ON csat_survey_responses (account_id, created_at, id);
CREATE INDEX csat_survey_responses_conversation_idx ON csat_survey_responses (conversation_id);

-- A contact identity's conversations by creation time: its list, and the creation rate limit.
DROP INDEX conversations_contact_inbox_idx;
CREATE INDEX conversations_contact_inbox_idx ON conversations (contact_inbox_id, created_at);

-- The CSAT surveys sent (content_type 9 = input_csat), for the metrics, without the other messages.
CREATE INDEX messages_csat_idx ON messages (account_id, created_at) WHERE content_type = 9;
-- A conversation's survey (sent once; looked up on every resolve and by the survey page).
CREATE INDEX messages_csat_conversation_idx ON messages (conversation_id, id) WHERE content_type = 9;
