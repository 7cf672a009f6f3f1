//! Following committed events as they happen, for live updates.
//!
//! On PostgreSQL a trigger announces every inserted event on channel `confab_events`; the
//! announcement is delivered at commit, in commit order, to every node that listens, so an
//! event written by node A reaches node B's sockets. A SQLite database has one node: it reads
//! the events table after each of its own commits (one writer at a time, so ids grow in commit
//! order and "after the last id seen" misses nothing), and at least every second.
//!
//! A PostgreSQL listener whose connection drops hears nothing until it reconnects. Ids there
//! come from a sequence and need not commit in order, so "after the last id delivered" could
//! skip an event; instead the feed remembers the ids it delivered over the last `LOOKBACK`
//! (30 s) and, after a reconnect, reads every event after those that it has not delivered.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

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
/// How far before the newest delivered event a catch-up looks: longer than any transaction
/// takes from recording an event to committing it.
const LOOKBACK: Duration = Duration::from_secs(30);
/// Events read back when a PostgreSQL feed opens (see `event_feed`).
const OPEN_WINDOW: u64 = 1000;

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
    Listen {
        listener: Box<PgListener>,
        delivered: Delivered,
    },
}

/// The events a PostgreSQL feed delivered (or found committed when it opened) over the last
/// [`LOOKBACK`] of this node's time: the window is kept on the local clock, so another node's
/// clock skew cannot shrink or stall it.
struct Delivered {
    recent: VecDeque<(Instant, i64)>,
    ids: HashSet<i64>,
    /// Every event up to this id was recorded before the window (ids are taken in recording
    /// order, and no transaction stays open for [`LOOKBACK`]): delivered, or committed before
    /// the feed opened.
    settled: i64,
    /// The connection dropped, or reconnecting failed, since the last complete catch-up.
    lost: bool,
}

impl Delivered {
    fn note(&mut self, id: i64) {
        let now = Instant::now();
        if self.ids.insert(id) {
            self.recent.push_back((now, id));
        }
        while let Some(&(at, old)) = self.recent.front() {
            if now.duration_since(at) < LOOKBACK {
                break;
            }
            self.recent.pop_front();
            self.ids.remove(&old);
            self.settled = Ord::max(self.settled, old);
        }
    }
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
                let mut l = dedicated_listener(p).await?;
                l.listen(CHANNEL).await?;
                // Listening first, then reading the last events: one committed after this is
                // announced to the listener. Those already committed count as delivered; the
                // window starts below them, so a transaction still open among them is read
                // by a catch-up if its announcement is lost.
                let last = sea_query::Query::select()
                    .column("id")
                    .from("events")
                    .order_by("id", Order::Desc)
                    .limit(OPEN_WINDOW)
                    .to_owned();
                let committed: Vec<(i64,)> = self.conn().fetch_all(&last).await?;
                let mut delivered = Delivered {
                    recent: VecDeque::new(),
                    ids: HashSet::new(),
                    settled: committed.last().map_or(0, |(id,)| id - 1),
                    lost: false,
                };
                for (id,) in committed.iter().rev() {
                    delivered.note(*id);
                }
                Kind::Listen {
                    listener: Box::new(l),
                    delivered,
                }
            }
        };
        Ok(EventFeed {
            store: self.clone(),
            kind,
        })
    }
}

/// A listener on a connection of its own, outside the pool (`PgListener::connect_with` would
/// hold one of the pool's connections for as long as it listens, and a small pool would be
/// left with none for requests).
pub(crate) async fn dedicated_listener(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let own = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with((*pool.connect_options()).clone());
    PgListener::connect_with(&own).await
}

impl EventFeed {
    /// The next committed events, oldest first; waits until there are some.
    ///
    /// While `wanted()` says nobody would receive them, events are passed over without reading
    /// their rows (an empty batch is returned, or none at all on SQLite).
    pub async fn next(&mut self, wanted: impl Fn() -> bool) -> Result<Vec<EventRow>, StoreError> {
        match &mut self.kind {
            Kind::Tail { after, commits } => loop {
                if !wanted() {
                    let last = sea_query::Query::select()
                        .expr(Expr::col("id").max())
                        .from("events")
                        .to_owned();
                    let last = self.store.conn().fetch_scalar::<Option<i64>>(&last).await?;
                    *after = Ord::max(*after, last.flatten().unwrap_or(0));
                    tokio::select! {
                        changed = commits.changed() => {
                            if changed.is_err() {
                                std::future::pending::<()>().await;
                            }
                        }
                        () = tokio::time::sleep(MAX_IDLE) => {}
                    }
                    continue;
                }
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
            Kind::Listen {
                listener,
                delivered,
            } => {
                let first = loop {
                    if delivered.lost {
                        // What committed while the connection was down was announced to nobody
                        // here: listen again first (this reconnects; unlisten keeps the
                        // listener's channel list from growing), then read it from the table,
                        // a batch per call. A failure leaves `lost` set for the next call.
                        listener.unlisten(CHANNEL).await?;
                        listener.listen(CHANNEL).await?;
                        let (missed, more) = self.store.catch_up(delivered).await?;
                        delivered.lost = more;
                        if !missed.is_empty() {
                            return Ok(missed);
                        }
                    }
                    match listener.try_recv().await {
                        Ok(Some(n)) => break n,
                        Ok(None) => {
                            tracing::warn!(
                                "the live event listener lost its connection; reconnecting"
                            );
                            delivered.lost = true;
                        }
                        Err(e) => {
                            // Reconnecting failed (the database is restarting, say).
                            delivered.lost = true;
                            return Err(e.into());
                        }
                    }
                };
                let mut ids: Vec<i64> = first.payload().parse().ok().into_iter().collect();
                while ids.len() < BATCH as usize {
                    match listener.next_buffered() {
                        Some(n) => ids.extend(n.payload().parse::<i64>().ok()),
                        None => break,
                    }
                }
                ids.retain(|id| !delivered.ids.contains(id));
                if !wanted() {
                    for id in ids {
                        delivered.note(id);
                    }
                    return Ok(Vec::new());
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
                for r in &rows {
                    delivered.note(r.id);
                }
                Ok(rows)
            }
        }
    }
}

impl Store {
    /// The events after `delivered`'s settled id that it has not delivered, oldest first, at
    /// most a batch; and whether more may follow.
    async fn catch_up(
        &self,
        delivered: &mut Delivered,
    ) -> Result<(Vec<EventRow>, bool), StoreError> {
        let after = sea_query::Query::select()
            .column("id")
            .from("events")
            .and_where(Expr::col("id").gt(delivered.settled))
            .order_by("id", Order::Asc)
            .to_owned();
        let ids: Vec<(i64,)> = self.conn().fetch_all(&after).await?;
        let missed: Vec<i64> = ids
            .into_iter()
            .map(|(id,)| id)
            .filter(|id| !delivered.ids.contains(id))
            .collect();
        let batch = &missed[..missed.len().min(BATCH as usize)];
        let stmt = select_events()
            .and_where(Expr::col("id").is_in(batch.iter().copied()))
            .order_by("id", Order::Asc)
            .to_owned();
        let rows: Vec<EventRow> = if batch.is_empty() {
            Vec::new()
        } else {
            self.conn().fetch_all(&stmt).await?
        };
        for r in &rows {
            delivered.note(r.id);
        }
        Ok((rows, missed.len() > batch.len()))
    }
}
