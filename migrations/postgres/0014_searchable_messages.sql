-- Search reads only incoming and outgoing messages that are not private notes, so only those
-- are indexed: a status change's activity message, a note or a template no longer writes the
-- word index. Searches state the same condition, verbatim, so the planner can use the index.
DROP INDEX messages_content_fts_idx;
CREATE INDEX messages_content_fts_idx ON messages USING GIN (to_tsvector('simple', coalesce(content, '')))
    WHERE message_type IN (0, 1) AND NOT private;

-- Only messages from a channel carry a source id; the rest need no index entry.
DROP INDEX messages_source_idx;
CREATE INDEX messages_source_idx ON messages (source_id) WHERE source_id IS NOT NULL;
