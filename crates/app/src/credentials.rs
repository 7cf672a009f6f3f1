//! The answers of token and membership look-ups, kept between requests.
//!
//! Nearly every request presents a token and names an account; looking both up took two
//! statements, a fifth of a status change's and half of a count's. This node keeps what they
//! answered, tagged with the store's epoch of credential changes (`Store::auth_epoch`): any
//! committed change to tokens, users, accounts, memberships or service keys moves it, and
//! everything kept under an older epoch is dropped. Only found owners are kept (an unknown token
//! is looked up each time), for at most [`KEEP_FOR`], as a bound on anything changed by a
//! process that does not announce its changes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use confab_domain::account::{Account, AccountUser};
use confab_domain::{AccountId, UserId};

use crate::auth::Principal;

/// How long an answer is used at most.
pub(crate) const KEEP_FOR: Duration = Duration::from_secs(5);
/// Answers kept at most per kind; reaching it drops them all (a node serves far fewer people).
const MAX_KEPT: usize = 4096;

#[derive(Default)]
pub(crate) struct Credentials {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    epoch: u64,
    /// Token digest → its owner (users and service keys).
    owners: HashMap<String, (Instant, Principal)>,
    /// (user, account) → the account and the membership.
    members: HashMap<(UserId, AccountId), (Instant, (Account, AccountUser))>,
    /// Account → the account (service keys entering their account).
    accounts: HashMap<AccountId, (Instant, Account)>,
}

impl Kept {
    /// The maps as of `epoch`: emptied when it is newer than what they hold; `None` when it is
    /// older (a look-up that read before a change must not keep its answer).
    fn at(&mut self, epoch: u64) -> Option<&mut Self> {
        if epoch > self.epoch {
            *self = Kept {
                epoch,
                ..Kept::default()
            };
        }
        (epoch == self.epoch).then_some(self)
    }
}

fn fresh<T: Clone>(entry: Option<&(Instant, T)>) -> Option<T> {
    entry
        .filter(|(at, _)| at.elapsed() < KEEP_FOR)
        .map(|(_, v)| v.clone())
}

fn keep<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= MAX_KEPT {
        map.clear();
    }
    map.insert(key, value);
}

impl Credentials {
    fn with<R>(&self, epoch: u64, f: impl FnOnce(&mut Kept) -> Option<R>) -> Option<R> {
        let mut kept = self.kept.lock().ok()?;
        kept.at(epoch).and_then(f)
    }

    pub(crate) fn owner(&self, epoch: u64, digest: &str) -> Option<Principal> {
        self.with(epoch, |k| fresh(k.owners.get(digest)))
    }

    pub(crate) fn keep_owner(&self, epoch: u64, digest: String, owner: Principal) {
        self.with(epoch, |k| {
            keep(&mut k.owners, digest, (Instant::now(), owner));
            Some(())
        });
    }

    pub(crate) fn member(
        &self,
        epoch: u64,
        user: UserId,
        account: AccountId,
    ) -> Option<(Account, AccountUser)> {
        self.with(epoch, |k| fresh(k.members.get(&(user, account))))
    }

    pub(crate) fn keep_member(&self, epoch: u64, account: Account, membership: AccountUser) {
        self.with(epoch, |k| {
            let key = (membership.user_id, account.id);
            keep(&mut k.members, key, (Instant::now(), (account, membership)));
            Some(())
        });
    }

    pub(crate) fn account(&self, epoch: u64, account: AccountId) -> Option<Account> {
        self.with(epoch, |k| fresh(k.accounts.get(&account)))
    }

    pub(crate) fn keep_account(&self, epoch: u64, account: Account) {
        self.with(epoch, |k| {
            keep(&mut k.accounts, account.id, (Instant::now(), account));
            Some(())
        });
    }
}

impl crate::App {
    /// Hears credential changes made by other nodes (PostgreSQL) until `stop` resolves; until
    /// it listens, nothing is kept. Returns at once on SQLite.
    pub async fn run_credential_watch_until(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::select! {
            () = self.store().follow_auth_changes() => {}
            () = stop => {}
        }
    }
}
