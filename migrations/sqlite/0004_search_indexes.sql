-- Index-bound conversation search and the unfiltered list.

-- Contacts by the words of their name, email, phone number and identifier, so a conversation
-- search finds the contact's conversations without scanning every contact.
CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    name, email, phone_number, identifier,
    content = 'contacts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, name, email, phone_number, identifier)
    VALUES (new.id, new.name, new.email, new.phone_number, new.identifier);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email, phone_number, identifier)
    VALUES ('delete', old.id, old.name, old.email, old.phone_number, old.identifier);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, email, phone_number, identifier ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email, phone_number, identifier)
    VALUES ('delete', old.id, old.name, old.email, old.phone_number, old.identifier);
    INSERT INTO contacts_fts (rowid, name, email, phone_number, identifier)
    VALUES (new.id, new.name, new.email, new.phone_number, new.identifier);
END;

-- `status=all` lists, newest activity first, and their deep pages.
CREATE INDEX conversations_all_list_idx ON conversations (account_id, last_activity_at, id);
