-- Search reads only incoming and outgoing messages that are not private notes, so only those
-- are indexed: a status change's activity message, a note or a template no longer writes the
-- word index. The update trigger removes the old words before adding the new ones, each only
-- when that version of the row was (or is) searchable: an external-content FTS5 index must
-- never be told to delete words it was not given.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
INSERT INTO messages_fts (messages_fts, rowid, content)
    SELECT 'delete', id, content FROM messages WHERE NOT (message_type IN (0, 1) AND NOT private);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.message_type IN (0, 1) AND NOT new.private BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.message_type IN (0, 1) AND NOT old.private BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, message_type, private ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE old.message_type IN (0, 1) AND NOT old.private;
    INSERT INTO messages_fts (rowid, content)
        SELECT new.id, new.content WHERE new.message_type IN (0, 1) AND NOT new.private;
END;

-- Only messages from a channel carry a source id; the rest need no index entry.
DROP INDEX messages_source_idx;
CREATE INDEX messages_source_idx ON messages (source_id) WHERE source_id IS NOT NULL;
