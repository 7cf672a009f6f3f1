//! Following committed events as they happen, for live updates.
//!
//! On PostgreSQL a trigger announces every inserted event on channel `confab_events`; the
//! announcement is delivered at commit, in commit order, to every node that listens, so an
//! event written by node A reaches node B's sockets. A SQLite database has one node: it reads
//! the events table after each of its own commits (one writer at a time, so ids grow in commit
//! order and "after the last id seen" misses nothing), and at least every second.

use std::time::Duration;

use sea_query::{Expr, ExprTrait, Order};
use sqlx::postgres::PgListener;

use confab_domain::contact::ContactInbox;
use confab_domain::user::User;
use confab_domain::{AccountId, InboxId, UserId};

use crate::events::{EventRow, select_events};
use crate::{Pool, Store, StoreError};

/// The PostgreSQL channel events are announced on (see migration 0007).
const CHANNEL: &str = "confab_events";
/// Events read at once.
const BATCH: u64 = 500;
/// How long a follower waits without looking (another process may write a SQLite file).
const MAX_IDLE: Duration = Duration::from_secs(1);

/// Committed events, in commit order, from the moment the feed was opened.
pub struct EventFeed {
    store: Store,
    kind: Kind,
}

enum Kind {
    Tail {
        after: i64,
        commits: tokio::sync::watch::Receiver<u64>,
    },
    Listen(Box<PgListener>),
}

impl Store {
    /// Opens a feed of the events committed from now on (by any node, on PostgreSQL).
    pub async fn event_feed(&self) -> Result<EventFeed, StoreError> {
        let kind = match &self.pool {
            Pool::Sqlite(_) => {
                let stmt = sea_query::Query::select()
                    .expr(Expr::col("id").max())
                    .from("events")
                    .to_owned();
                let after = self
                    .conn()
                    .fetch_scalar::<Option<i64>>(&stmt)
                    .await?
                    .flatten()
                    .unwrap_or(0);
                Kind::Tail {
                    after,
                    commits: self.commits.seq.subscribe(),
                }
            }
            Pool::Postgres(p) => {
                let mut l = PgListener::connect_with(p).await?;
                l.listen(CHANNEL).await?;
                Kind::Listen(Box::new(l))
            }
        };
        Ok(EventFeed {
            store: self.clone(),
            kind,
        })
    }
}

impl EventFeed {
    /// The next committed events, oldest first; waits until there are some.
    pub async fn next(&mut self) -> Result<Vec<EventRow>, StoreError> {
        match &mut self.kind {
            Kind::Tail { after, commits } => loop {
                let stmt = select_events()
                    .and_where(Expr::col("id").gt(*after))
                    .order_by("id", Order::Asc)
                    .limit(BATCH)
                    .to_owned();
                let rows: Vec<EventRow> = self.store.conn().fetch_all(&stmt).await?;
                if let Some(last) = rows.last() {
                    *after = last.id;
                    return Ok(rows);
                }
                tokio::select! {
                    changed = commits.changed() => {
                        if changed.is_err() {
                            // The store is gone; nothing more will commit.
                            std::future::pending::<()>().await;
                        }
                    }
                    () = tokio::time::sleep(MAX_IDLE) => {}
                }
            },
            Kind::Listen(listener) => {
                let first = loop {
                    match listener.try_recv().await? {
                        Some(n) => break n,
                        // The connection dropped; the next call reconnects. What was announced
                        // meanwhile is not heard here (live updates are best effort across a
                        // database outage; webhooks and rules are not affected).
                        None => tracing::warn!(
                            "the live event listener lost its connection; reconnecting"
                        ),
                    }
                };
                let mut ids: Vec<i64> = first.payload().parse().ok().into_iter().collect();
                while ids.len() < BATCH as usize {
                    match listener.next_buffered() {
                        Some(n) => ids.extend(n.payload().parse::<i64>().ok()),
                        None => break,
                    }
                }
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let stmt = select_events()
                    .and_where(Expr::col("id").is_in(ids.iter().copied()))
                    .to_owned();
                let mut rows: Vec<EventRow> = self.store.conn().fetch_all(&stmt).await?;
                // Announcement order is commit order.
                rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
                Ok(rows)
            }
        }
    }
}

/// A user by the pubsub token a socket presents, with the id it names (upstream matches both).
pub async fn user_by_pubsub_token(
    c: &mut crate::Conn<'_>,
    token: &str,
    id: UserId,
) -> Result<Option<User>, StoreError> {
    let stmt = sea_query::Query::select()
        .columns(crate::users::USER_COLUMNS)
        .from("users")
        .and_where(Expr::col("id").eq(id.get()))
        .and_where(Expr::col("pubsub_token").eq(token))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// A contact's inbox identity by the pubsub token a widget presents, with the inbox's account.
pub async fn contact_inbox_by_pubsub_token(
    c: &mut crate::Conn<'_>,
    token: &str,
) -> Result<Option<(ContactInbox, AccountId)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        ci: ContactInbox,
        account_id: AccountId,
    }
    let stmt = sea_query::Query::select()
        .columns(crate::contacts::CONTACT_INBOX_COLUMNS.map(|col| ("contact_inboxes", col)))
        .column(("inboxes", "account_id"))
        .from("contact_inboxes")
        .inner_join(
            "inboxes",
            Expr::col(("inboxes", "id")).equals(("contact_inboxes", "inbox_id")),
        )
        .and_where(Expr::col(("contact_inboxes", "pubsub_token")).eq(token))
        .to_owned();
    Ok(c.fetch_optional::<Row>(&stmt)
        .await?
        .map(|r| (r.ci, r.account_id)))
}

/// Which of `users` still belong to which of `accounts`, and whether as administrators: who
/// may hear an account's events is decided when they happen, not when the socket subscribed.
pub async fn account_roles(
    c: &mut crate::Conn<'_>,
    accounts: &[AccountId],
    users: &[UserId],
) -> Result<Vec<(AccountId, UserId, i16)>, StoreError> {
    if accounts.is_empty() || users.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = sea_query::Query::select()
        .columns(["account_id", "user_id", "role"])
        .from("account_users")
        .and_where(Expr::col("account_id").is_in(accounts.iter().map(|a| a.get())))
        .and_where(Expr::col("user_id").is_in(users.iter().map(|u| u.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Which of `users` are members of which of `inboxes`.
pub async fn inbox_memberships(
    c: &mut crate::Conn<'_>,
    inboxes: &[InboxId],
    users: &[UserId],
) -> Result<Vec<(InboxId, UserId)>, StoreError> {
    if inboxes.is_empty() || users.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = sea_query::Query::select()
        .columns(["inbox_id", "user_id"])
        .from("inbox_members")
        .and_where(Expr::col("inbox_id").is_in(inboxes.iter().map(|i| i.get())))
        .and_where(Expr::col("user_id").is_in(users.iter().map(|u| u.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}
