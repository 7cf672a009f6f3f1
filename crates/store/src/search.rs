//! Full-text search over message content: the one dialect difference of the conversation
//! queries. SQLite uses the FTS5 table `messages_fts`; PostgreSQL a GIN index on
//! `to_tsvector('simple', content)`. Both match every word of the query as a word prefix.

use confab_domain::AccountId;
use sea_query::{BinOper, Expr, ExprTrait, Func, Query, SelectStatement};

use crate::Engine;

/// The words of a query as both engines tokenize them: runs of letters and digits, lower-cased.
pub fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(16)
        .collect()
}

/// Where each engine keeps the words of a table: the FTS5 table whose rowid is the row's id
/// (SQLite), and the expression of the GIN index, verbatim (PostgreSQL).
struct WordIndex {
    table: &'static str,
    fts_table: &'static str,
    tsvector: &'static str,
}

const MESSAGE_WORDS: WordIndex = WordIndex {
    table: "messages",
    fts_table: "messages_fts",
    tsvector: "to_tsvector('simple', coalesce(\"messages\".\"content\", ''))",
};

const CONTACT_WORDS: WordIndex = WordIndex {
    table: "contacts",
    fts_table: "contacts_fts",
    tsvector: "to_tsvector('simple', regexp_replace(lower(coalesce(\"contacts\".\"name\", '') || ' ' || coalesce(\"contacts\".\"email\", '') || ' ' || coalesce(\"contacts\".\"phone_number\", '') || ' ' || coalesce(\"contacts\".\"identifier\", '')), '[^[:alnum:]]+', ' ', 'g'))",
};

/// "The row has a word starting with each word of `q`" through the table's word index. A
/// query without words matches nothing.
fn has_words(engine: Engine, index: &WordIndex, q: &str) -> Expr {
    let w = words(q);
    if w.is_empty() {
        return Expr::val(1i64).eq(0i64);
    }
    match engine {
        Engine::Sqlite => {
            let fts: Vec<String> = w.iter().map(|t| format!("\"{t}\"*")).collect();
            Expr::col((index.table, "id")).in_subquery(
                Query::select()
                    .column("rowid")
                    .from(index.fts_table)
                    .and_where(
                        Expr::col(index.fts_table)
                            .binary(BinOper::Custom("MATCH"), Expr::val(fts.join(" "))),
                    )
                    .to_owned(),
            )
        }
        Engine::Postgres => {
            let tsq: Vec<String> = w.iter().map(|t| format!("{t}:*")).collect();
            Expr::cust(index.tsvector).binary(
                BinOper::Custom("@@"),
                Func::cust("to_tsquery")
                    .arg(Expr::cust("'simple'"))
                    .arg(tsq.join(" & ")),
            )
        }
    }
}

/// The messages search reads, and the only ones the word index holds (migration 0014; the seed
/// indexes its batches under it too): incoming and outgoing, not private. (So never `'rebuild'`
/// the SQLite index: it would take every message, and deleting one it should not hold would then
/// leave its words behind.) Written out, not bound, so PostgreSQL's planner can prove its
/// partial index applies.
pub(crate) const SEARCHABLE: &str =
    "(\"messages\".\"message_type\" IN (0, 1) AND NOT \"messages\".\"private\")";

/// The condition "this message is searchable (incoming or outgoing, not a private note) and its
/// content contains every word of `q`" on `messages`.
pub fn message_matches(engine: Engine, q: &str) -> Expr {
    Expr::cust(SEARCHABLE).and(has_words(engine, &MESSAGE_WORDS, q))
}

/// Contacts of an account whose name, email, phone number or identifier contain words starting
/// with each word of `q` (the contacts' full-text index on either engine).
pub fn contacts_with_words(engine: Engine, account: AccountId, q: &str) -> SelectStatement {
    Query::select()
        .column(("contacts", "id"))
        .from("contacts")
        .and_where(Expr::col(("contacts", "account_id")).eq(account.get()))
        .and_where(has_words(engine, &CONTACT_WORDS, q))
        .to_owned()
}

/// `SELECT conversation_id FROM messages WHERE <searchable and content matches q>` within an
/// account.
pub fn conversations_with_text(engine: Engine, account: AccountId, q: &str) -> SelectStatement {
    Query::select()
        .column(("messages", "conversation_id"))
        .from("messages")
        .and_where(Expr::col(("messages", "account_id")).eq(account.get()))
        .and_where(message_matches(engine, q))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation_and_lower_case() {
        assert_eq!(words("Order #123, REFUND!"), vec!["order", "123", "refund"]);
        assert!(words("  -- ").is_empty());
    }
}
