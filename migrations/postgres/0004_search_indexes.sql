-- Index-bound conversation search and the unfiltered list.

-- Contacts by the words of their name, email, phone number and identifier, so a conversation
-- search finds the contact's conversations without scanning every contact.
-- Punctuation splits words, as SQLite's unicode61 tokenizer does, so `adams` finds
-- ada.adams@example.com on both engines.
CREATE INDEX contacts_words_idx ON contacts USING GIN (to_tsvector('simple', regexp_replace(lower(
    coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone_number, '') || ' ' || coalesce(identifier, '')),
    '[^[:alnum:]]+', ' ', 'g')));

-- `status=all` lists, newest activity first, and their deep pages.
CREATE INDEX conversations_all_list_idx ON conversations (account_id, last_activity_at, id);
