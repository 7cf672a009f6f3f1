//! Auto-resolve on inactivity, per inbox and account: one durable job per conversation, moved
//! forward by every message and by every (re)opening, never a scan of the conversations. The
//! job checks again when it runs (the conversation may have moved on), sends the closing
//! message if there is one, and resolves with upstream's activity text.

use std::collections::HashMap;

use confab_domain::conversation::{
    Conversation, ConversationSort, ConversationStatus, StatusFilter,
};
use confab_domain::{AccountId, ConversationId, InboxId, Timestamp};
use confab_store::conversations::{ConversationQuery, Keyset};
use confab_store::inboxes::{self, AutoResolveSettings};
use confab_store::{Conn, conversations, jobs};
use serde_json::{Value, json};

use crate::App;
use crate::error::AppResult;
use crate::lifecycle::{Acting, NewMessageSpec};

/// The job kind that resolves an inactive conversation.
pub(crate) const AUTO_RESOLVE_JOB: &str = "conversation.auto_resolve";
/// The job kind that gives the conversations already open when auto-resolve is turned on
/// their jobs, a batch at a time along the list index.
pub(crate) const BACKFILL_JOB: &str = "conversation.auto_resolve_backfill";
/// Conversations per backfill batch (one transaction).
const BACKFILL_BATCH: u64 = 500;

fn job_key(id: ConversationId) -> String {
    format!("{AUTO_RESOLVE_JOB}:{}", id.get())
}

/// The settings in force for one inbox: the inbox's own, else the account's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    pub minutes: i64,
    pub include_pending: bool,
    pub message: Option<String>,
    /// Upstream's `auto_resolve_ignore_waiting`: leave conversations whose contact waits.
    pub ignore_waiting: bool,
}

impl Policy {
    fn from_settings(s: &AutoResolveSettings) -> Option<Self> {
        let setting = |k: &str| s.account_settings.get(k);
        let minutes = match s.inbox_after {
            Some(0) => return None,
            Some(m) => m,
            None => s.account_after?,
        };
        if minutes <= 0 {
            return None;
        }
        Some(Self {
            minutes,
            include_pending: s.inbox_pending.unwrap_or_else(|| {
                setting("auto_resolve_pending")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            }),
            message: s
                .inbox_message
                .clone()
                .or_else(|| {
                    setting("auto_resolve_message")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .filter(|m| !m.trim().is_empty()),
            ignore_waiting: setting("auto_resolve_ignore_waiting")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
    fn applies_to(&self, status: ConversationStatus) -> bool {
        status == ConversationStatus::Open
            || (self.include_pending && status == ConversationStatus::Pending)
    }
}

/// "N days", "N hours" or "N minutes", the unit chosen by exact divisibility (upstream's text).
pub(crate) fn inactivity_text(minutes: i64) -> String {
    let (n, unit) = if minutes % 1440 == 0 {
        (minutes / 1440, "days")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hours")
    } else {
        (minutes, "minutes")
    };
    format!("Conversation was marked resolved by system due to {n} {unit} of inactivity")
}

impl App {
    async fn auto_resolve_policy(
        &self,
        c: &mut Conn<'_>,
        inbox: InboxId,
    ) -> AppResult<Option<Policy>> {
        Ok(inboxes::auto_resolve_settings(c, inbox)
            .await?
            .as_ref()
            .and_then(Policy::from_settings))
    }

    /// Moves the conversation's auto-resolve job to `minutes` after `now`, when the inbox's
    /// policy covers a conversation in `status`. Called on creation, every (re)opening and every
    /// reply that ends the wait for an agent; other activity moves `last_activity_at`, and the
    /// job, when it runs early, moves itself there.
    pub(crate) async fn schedule_auto_resolve_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        status: ConversationStatus,
        now: Timestamp,
    ) -> AppResult<()> {
        if !matches!(
            status,
            ConversationStatus::Open | ConversationStatus::Pending
        ) {
            return Ok(());
        }
        let Some(policy) = self.auto_resolve_policy(c, conv.inbox_id).await? else {
            return Ok(());
        };
        if !policy.applies_to(status) {
            return Ok(());
        }
        schedule_job(
            c,
            conv.id,
            now.plus_seconds(policy.minutes.saturating_mul(60)),
            now,
        )
        .await
    }

    /// Starts (or restarts) the backfill of an account: called when an auto-resolve setting of
    /// the account or one of its inboxes changes.
    pub(crate) async fn start_auto_resolve_backfill(
        &self,
        c: &mut Conn<'_>,
        account: AccountId,
        now: Timestamp,
    ) -> AppResult<()> {
        jobs::schedule(
            c,
            BACKFILL_JOB,
            Some(&format!("{BACKFILL_JOB}:{}", account.get())),
            &json!({ "account_id": account, "status": ConversationStatus::Open.code() }),
            now,
            now,
        )
        .await?;
        Ok(())
    }

    /// One batch of the backfill: open, then pending, conversations in list order; each gets
    /// its job at its last activity plus the policy's minutes (at once when that has passed).
    pub(crate) async fn auto_resolve_backfill_job(&self, job: &jobs::Job) -> AppResult<()> {
        let p = &job.payload;
        let (Some(account), Some(code)) = (
            p.get("account_id").and_then(Value::as_i64),
            p.get("status").and_then(Value::as_i64),
        ) else {
            return Ok(());
        };
        let account = AccountId(account);
        let status = ConversationStatus::from_code(i16::try_from(code).unwrap_or(0));
        let after = match (
            p.get("after_at").and_then(Value::as_i64),
            p.get("after_id").and_then(Value::as_i64),
        ) {
            (Some(at), Some(id)) => Some(Keyset {
                key: None,
                tie: at,
                id,
            }),
            _ => None,
        };
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        if !jobs::finish(&mut c, job.id, job.attempts).await? {
            return Ok(());
        }
        let query = ConversationQuery {
            status: Some(StatusFilter::One(status)),
            sort: ConversationSort::LastActivityAsc,
            page: 1,
            per_page: BACKFILL_BATCH,
            after,
            ..Default::default()
        };
        let rows = conversations::list_conversations(&mut c, account, &query, now).await?;
        let mut policies: HashMap<InboxId, Option<Policy>> = HashMap::new();
        for conv in &rows {
            let policy = match policies.get(&conv.inbox_id) {
                Some(p) => p.clone(),
                None => {
                    let p = self.auto_resolve_policy(&mut c, conv.inbox_id).await?;
                    policies.insert(conv.inbox_id, p.clone());
                    p
                }
            };
            if let Some(policy) = policy.filter(|p| p.applies_to(conv.status)) {
                let due = conv
                    .last_activity_at
                    .plus_seconds(policy.minutes.saturating_mul(60))
                    .max(now);
                schedule_job(&mut c, conv.id, due, now).await?;
            }
        }
        let next = match rows.last() {
            Some(last) if rows.len() as u64 == BACKFILL_BATCH => Some(json!({
                "account_id": account,
                "status": status.code(),
                "after_at": last.last_activity_at.as_micros(),
                "after_id": last.id,
            })),
            _ if status == ConversationStatus::Open => Some(json!({
                "account_id": account,
                "status": ConversationStatus::Pending.code(),
            })),
            _ => None,
        };
        if let Some(payload) = next {
            jobs::schedule(
                &mut c,
                BACKFILL_JOB,
                Some(&format!("{BACKFILL_JOB}:{}", account.get())),
                &payload,
                now,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The auto-resolve job: exactly once (the job row goes in the same transaction).
    pub(crate) async fn auto_resolve_job(&self, job: &jobs::Job) -> AppResult<()> {
        let Some((mut tx, conv)) = self.begin_conversation_job(job).await? else {
            return Ok(());
        };
        let now = self.now();
        let mut c = tx.conn();
        let Some(policy) = self.auto_resolve_policy(&mut c, conv.inbox_id).await? else {
            tx.commit().await?;
            return Ok(());
        };
        let due = conv
            .last_activity_at
            .plus_seconds(policy.minutes.saturating_mul(60));
        let waiting = policy.ignore_waiting && conv.waiting_since.is_some();
        if !policy.applies_to(conv.status) || waiting {
            // Nothing to do now; the next message or reopening schedules it again.
        } else if due > now {
            // Activity since it was scheduled: run again when the quiet would be long enough.
            schedule_job(&mut c, conv.id, due, now).await?;
        } else {
            let acting = Acting::system();
            if let Some(text) = &policy.message {
                self.add_message_tx(
                    &mut c,
                    &conv,
                    NewMessageSpec::outgoing(text.clone()),
                    &acting,
                    now,
                )
                .await?;
            }
            let cur = conversations::get_conversation(&mut c, conv.id).await?;
            self.set_status_tx(
                &mut c,
                &cur,
                ConversationStatus::Resolved,
                None,
                &acting,
                now,
            )
            .await?;
            self.activity_tx(
                &mut c,
                &cur,
                Some(inactivity_text(policy.minutes)),
                &acting,
                now,
            )
            .await?;
            // The closing message moved the job forward; the conversation is resolved now.
            jobs::cancel(&mut c, &job_key(conv.id)).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Schedules (or moves) the conversation's auto-resolve job to `at`.
async fn schedule_job(
    c: &mut Conn<'_>,
    conv: ConversationId,
    at: Timestamp,
    now: Timestamp,
) -> AppResult<()> {
    jobs::schedule(
        c,
        AUTO_RESOLVE_JOB,
        Some(&job_key(conv)),
        &json!({ "conversation_id": conv }),
        at,
        now,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        inbox_after: Option<i64>,
        account_after: Option<i64>,
        account: Value,
    ) -> AutoResolveSettings {
        AutoResolveSettings {
            inbox_after,
            inbox_pending: None,
            inbox_message: None,
            account_after,
            account_settings: account,
        }
    }

    #[test]
    fn an_inbox_inherits_the_account_policy_or_overrides_it() {
        let account = json!({"auto_resolve_message": "Closing", "auto_resolve_pending": true});
        let p = Policy::from_settings(&settings(None, Some(60), account.clone())).unwrap();
        assert_eq!(p.minutes, 60);
        assert!(p.include_pending);
        assert_eq!(p.message.as_deref(), Some("Closing"));
        assert_eq!(
            Policy::from_settings(&settings(Some(30), Some(60), account.clone()))
                .unwrap()
                .minutes,
            30
        );
        assert_eq!(
            Policy::from_settings(&settings(Some(0), Some(60), account.clone())),
            None
        );
        assert_eq!(Policy::from_settings(&settings(None, None, account)), None);
    }

    #[test]
    fn the_activity_text_picks_the_largest_exact_unit() {
        assert_eq!(
            inactivity_text(2880),
            "Conversation was marked resolved by system due to 2 days of inactivity"
        );
        assert!(inactivity_text(120).ends_with("2 hours of inactivity"));
        assert!(inactivity_text(90).ends_with("90 minutes of inactivity"));
    }
}
