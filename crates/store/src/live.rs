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
                let order: std::collections::HashMap<i64, usize> =
                    ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
                rows.sort_by_key(|r| order.get(&r.id).copied());
                Ok(rows)
            }
        }
    }
}
