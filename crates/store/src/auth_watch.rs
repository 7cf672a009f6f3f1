//! Knowing when credentials may have changed, so a node can keep the answers of its token and
//! membership look-ups between requests.
//!
//! The store notices every statement that writes a table a look-up reads (tokens, users,
//! accounts, memberships, service keys) and moves an epoch: at once for a statement outside a
//! transaction, after the commit for one inside. A cache tags what it keeps with the epoch it
//! read under and drops it when the epoch has moved, so nothing read before a change is used
//! after the change's commit returned.
//!
//! Display ids, taken by every new conversation, live in a table of their own
//! (`account_display_ids`), so no write on that path counts.
//!
//! Other nodes (PostgreSQL): a statement trigger on the same tables announces each change on
//! channel `confab_auth` at commit (migration 0011), and [`Store::follow_auth_changes`] moves the
//! epoch when it hears one. While that listener is not connected, nothing may be cached
//! ([`Store::auth_epoch`] is `None`): a change made then would go unheard.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::{Pool, Store};

/// The PostgreSQL channel credential changes are announced on (see migration 0011).
const CHANNEL: &str = "confab_auth";

/// The epoch of credential changes seen by this node.
#[derive(Debug)]
pub struct AuthWatch {
    epoch: AtomicU64,
    /// Whether every change is seen: always on SQLite (one node); on PostgreSQL while the
    /// listener is connected.
    complete: AtomicBool,
}

impl AuthWatch {
    pub(crate) fn new(complete: bool) -> Self {
        Self {
            epoch: AtomicU64::new(0),
            complete: AtomicBool::new(complete),
        }
    }

    /// Something a credential look-up reads has changed (and is committed).
    pub(crate) fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn current(&self) -> Option<u64> {
        self.complete
            .load(Ordering::SeqCst)
            .then(|| self.epoch.load(Ordering::SeqCst))
    }
}

/// Whether a statement's text writes a table that credential look-ups read.
pub(crate) fn writes_credentials(sql: &str) -> bool {
    let Some(rest) = ["INSERT INTO ", "UPDATE ", "DELETE FROM "]
        .iter()
        .find_map(|verb| sql.strip_prefix(verb))
    else {
        return false;
    };
    let table = rest
        .strip_prefix('"')
        .and_then(|r| r.split('"').next())
        .unwrap_or_default();
    matches!(
        table,
        "accounts" | "users" | "account_users" | "access_tokens" | "api_keys"
    )
}

impl Store {
    /// The current epoch of credential changes, or `None` while changes made elsewhere could go
    /// unheard (nothing may be cached then). See the module documentation.
    pub fn auth_epoch(&self) -> Option<u64> {
        self.auth.current()
    }

    /// On PostgreSQL, listens for credential changes committed by any node and moves the epoch
    /// for each; reconnects after a lost connection (caching is off meanwhile). Runs until
    /// dropped. On SQLite there is one node and nothing to hear: returns at once.
    pub async fn follow_auth_changes(&self) {
        let Pool::Postgres(pool) = &self.pool else {
            return;
        };
        loop {
            let listening = async {
                let mut l = crate::live::dedicated_listener(pool).await?;
                l.listen(CHANNEL).await?;
                // Listening: from here every change is heard. What changed before may be in a
                // cache: start a new epoch.
                self.auth.bump();
                self.auth.complete.store(true, Ordering::SeqCst);
                // `try_recv` answers `None` when the connection was lost (whatever committed
                // meanwhile was announced to nobody here): start over.
                while l.try_recv().await?.is_some() {
                    self.auth.bump();
                }
                Ok::<(), sqlx::Error>(())
            };
            match listening.await {
                Ok(()) => tracing::warn!("the credential change listener lost its connection"),
                Err(e) => tracing::warn!(error = %e, "cannot listen for credential changes"),
            }
            self.auth.complete.store(false, Ordering::SeqCst);
            self.auth.bump();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::writes_credentials;

    #[test]
    fn writes_to_credential_tables_are_recognised() {
        for sql in [
            r#"UPDATE "accounts" SET "name" = $1 WHERE "id" = $2"#,
            r#"UPDATE "account_users" SET "role" = ?"#,
            r#"DELETE FROM "users" WHERE "id" = ?"#,
            r#"INSERT INTO "access_tokens" ("owner_type") VALUES (?) ON CONFLICT DO UPDATE"#,
            r#"UPDATE "api_keys" SET "revoked_at" = ?"#,
            r#"DELETE FROM "accounts" WHERE "id" = ?"#,
        ] {
            assert!(writes_credentials(sql), "{sql}");
        }
    }

    #[test]
    fn other_statements_and_display_ids_are_not() {
        for sql in [
            r#"INSERT INTO "account_display_ids" ("account_id", "last_display_id") VALUES ($1, $2) ON CONFLICT ("account_id") DO UPDATE SET "last_display_id" = "account_display_ids"."last_display_id" + $3 RETURNING "last_display_id""#,
            r#"SELECT "users"."id" FROM "access_tokens""#,
            r#"UPDATE "conversations" SET "status" = ?"#,
            r#"INSERT INTO "users_extra" ("a") VALUES (?)"#,
            r#"DELETE FROM "account_users_archive""#,
        ] {
            assert!(!writes_credentials(sql), "{sql}");
        }
    }
}
