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

/// The condition "this message's content contains every word of `q`" on `messages`.
/// A query without words matches nothing.
pub fn message_matches(engine: Engine, q: &str) -> Expr {
    let w = words(q);
    if w.is_empty() {
        return Expr::val(1i64).eq(0i64);
    }
    match engine {
        Engine::Sqlite => {
            let fts: Vec<String> = w.iter().map(|t| format!("\"{t}\"*")).collect();
            Expr::col(("messages", "id")).in_subquery(
                Query::select()
                    .column("rowid")
                    .from("messages_fts")
                    .and_where(
                        Expr::col("messages_fts")
                            .binary(BinOper::Custom("MATCH"), Expr::val(fts.join(" "))),
                    )
                    .to_owned(),
            )
        }
        Engine::Postgres => {
            let tsq: Vec<String> = w.iter().map(|t| format!("{t}:*")).collect();
            Expr::cust("to_tsvector('simple', coalesce(\"messages\".\"content\", ''))").binary(
                BinOper::Custom("@@"),
                Func::cust("to_tsquery")
                    .arg(Expr::cust("'simple'"))
                    .arg(tsq.join(" & ")),
            )
        }
    }
}

/// Contacts of an account whose name, email, phone number or identifier contain words starting
/// with each word of `q` (the contacts' full-text index on either engine).
pub fn contacts_with_words(engine: Engine, account: AccountId, q: &str) -> SelectStatement {
    let w = words(q);
    let mut stmt = Query::select();
    stmt.column(("contacts", "id"))
        .from("contacts")
        .and_where(Expr::col(("contacts", "account_id")).eq(account.get()));
    if w.is_empty() {
        stmt.and_where(Expr::val(1i64).eq(0i64));
        return stmt;
    }
    match engine {
        Engine::Sqlite => {
            let fts: Vec<String> = w.iter().map(|t| format!("\"{t}\"*")).collect();
            stmt.and_where(
                Expr::col(("contacts", "id")).in_subquery(
                    Query::select()
                        .column("rowid")
                        .from("contacts_fts")
                        .and_where(
                            Expr::col("contacts_fts")
                                .binary(BinOper::Custom("MATCH"), Expr::val(fts.join(" "))),
                        )
                        .to_owned(),
                ),
            );
        }
        Engine::Postgres => {
            let tsq: Vec<String> = w.iter().map(|t| format!("{t}:*")).collect();
            // The expression of the contacts_words_idx index, verbatim.
            stmt.and_where(
                Expr::cust(
                    "to_tsvector('simple', regexp_replace(lower(coalesce(\"contacts\".\"name\", '') || ' ' || coalesce(\"contacts\".\"email\", '') || ' ' || coalesce(\"contacts\".\"phone_number\", '') || ' ' || coalesce(\"contacts\".\"identifier\", '')), '[^[:alnum:]]+', ' ', 'g'))",
                )
                .binary(
                    BinOper::Custom("@@"),
                    Func::cust("to_tsquery")
                        .arg(Expr::cust("'simple'"))
                        .arg(tsq.join(" & ")),
                ),
            );
        }
    }
    stmt
}

/// `SELECT conversation_id FROM messages WHERE <content matches q>` within an account;
/// `public_only` keeps incoming and outgoing messages (no notes, no activity).
pub fn conversations_with_text(
    engine: Engine,
    account: AccountId,
    q: &str,
    public_only: bool,
) -> SelectStatement {
    let mut stmt = Query::select();
    stmt.column(("messages", "conversation_id"))
        .from("messages")
        .and_where(Expr::col(("messages", "account_id")).eq(account.get()))
        .and_where(message_matches(engine, q));
    if public_only {
        stmt.and_where(Expr::col(("messages", "message_type")).is_in([0i16, 1i16]))
            .and_where(Expr::col(("messages", "private")).eq(false));
    }
    stmt
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
