//! Status changes: `toggle_status` with Confab's extensions (spam, snooze phrases in the
//! account's time zone, the snooze's reply policy), the one transaction every status writer
//! shares, and the snooze wake-up job.

use confab_domain::api_key::KeyScope;
use confab_domain::conversation::{
    self as conv_rules, Conversation, ConversationStatus, ToggleDecision,
};
use confab_domain::snooze::{self, SnoozeError};
use confab_domain::{ConversationId, Timestamp};
use confab_store::Conn;
use confab_store::contacts::{self, ContactChanges};
use confab_store::conversations::{self, ConversationChanges};
use confab_store::jobs;
use serde_json::{Value, json};

use crate::error::{AppError, AppResult};
use crate::lifecycle::{
    Acting, MAX_SNOOZE_AHEAD_SECONDS, NewMessageSpec, SnoozeInput, StatusPolicy, StatusRequest,
    ToggleOutcome, WAKE_JOB, changed, ts_json, wake_key, wake_payload,
};
use crate::{App, Scope};

impl App {
    /// Schedules the wake-up of a snoozed conversation. The runner looks at least every second,
    /// so nothing is signalled from inside the transaction (it could not see the row yet).
    pub(crate) async fn schedule_wake(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        at: Timestamp,
        now: Timestamp,
    ) -> AppResult<()> {
        jobs::schedule(
            c,
            WAKE_JOB,
            Some(&wake_key(conv.id)),
            &wake_payload(conv.id, at.as_micros()),
            at,
            now,
        )
        .await?;
        Ok(())
    }

    /// Moves a conversation to `to` (§4.4): `snoozed_until` only while snoozed, `waiting_since`
    /// cleared on resolve, the wake-up job kept in step, events and the activity message.
    /// Returns whether the status changed.
    pub(crate) async fn set_status_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        to: ConversationStatus,
        snoozed_until: Option<Timestamp>,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<bool> {
        self.set_status_policy_tx(
            c,
            conv,
            to,
            snoozed_until,
            StatusPolicy::default(),
            acting,
            now,
        )
        .await
        .map(|(changed, _)| changed)
    }

    /// [`Self::set_status_tx`] with the snooze's reply policy, and, for spam, blocking the
    /// contact.
    #[expect(clippy::too_many_arguments, reason = "one transaction's whole context")]
    pub(crate) async fn set_status_policy_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        to: ConversationStatus,
        snoozed_until: Option<Timestamp>,
        policy: StatusPolicy,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<(bool, Conversation)> {
        let snooze = (to == ConversationStatus::Snoozed)
            .then_some(snoozed_until)
            .flatten();
        let status_changed = conv.status != to;
        // The activity message goes in first, so the conversation's row is written once, with
        // its status and its activity together, and read back by that same statement.
        let activity = match status_changed
            .then(|| conv_rules::status_activity(&acting.kind, to))
            .flatten()
        {
            Some(text) => Some(
                self.insert_message_row(c, conv, NewMessageSpec::activity(text), acting, now)
                    .await?,
            ),
            None => None,
        };
        let mut ch = ConversationChanges {
            status: Some(to),
            snoozed_until: Some(snooze),
            // The policy belongs to one snooze; any other status returns to the default.
            snooze_wake_on_reply: Some(to != ConversationStatus::Snoozed || policy.wake_on_reply),
            ..Default::default()
        };
        if to == ConversationStatus::Resolved {
            ch.waiting_since = Some(None);
        }
        if let Some(m) = &activity {
            crate::lifecycle::moved_by(&mut ch, m, now);
        }
        let mut after = conversations::update_conversation_returning(c, conv.id, &ch, now).await?;
        match (to, snooze) {
            (ConversationStatus::Snoozed, Some(t)) => self.schedule_wake(c, conv, t, now).await?,
            _ if conv.status == ConversationStatus::Snoozed => {
                jobs::cancel(c, &wake_key(conv.id)).await?;
            }
            _ => {}
        }
        if policy.block_contact {
            contacts::update_contact(
                c,
                conv.contact_id,
                &ContactChanges {
                    blocked: Some(true),
                    ..Default::default()
                },
                now,
            )
            .await?;
        }
        if status_changed {
            let attrs = changed("status", json!(conv.status.as_str()), json!(to.as_str()));
            self.record_event(
                c,
                conv,
                "conversation_status_changed",
                Value::Null,
                acting,
                now,
            )
            .await?;
            self.schedule_auto_resolve_tx(c, conv, to, now).await?;
            match to {
                ConversationStatus::Open => {
                    self.record_event(c, conv, "conversation_opened", Value::Null, acting, now)
                        .await?;
                }
                ConversationStatus::Resolved => {
                    self.record_event(c, conv, "conversation_resolved", Value::Null, acting, now)
                        .await?;
                }
                _ => {}
            }
            self.record_event(c, conv, "conversation_updated", attrs, acting, now)
                .await?;
            if let Some(m) = &activity {
                self.record_message_created(c, conv, m, acting, now).await?;
            }
            if to == ConversationStatus::Resolved
                && self.send_csat_survey_tx(c, conv, acting, now).await?
            {
                after = conversations::get_conversation(c, conv.id).await?;
            }
        } else if conv.status == ConversationStatus::Snoozed
            && conv.snooze_wake_on_reply != policy.wake_on_reply
            && conv.snoozed_until == snooze
        {
            let attrs = changed(
                "snooze_wake_on_reply",
                json!(conv.snooze_wake_on_reply),
                json!(policy.wake_on_reply),
            );
            self.record_event(c, conv, "conversation_updated", attrs, acting, now)
                .await?;
        } else if conv.snoozed_until != snooze {
            let attrs = changed(
                "snoozed_until",
                ts_json(conv.snoozed_until),
                ts_json(snooze),
            );
            self.record_event(c, conv, "conversation_updated", attrs, acting, now)
                .await?;
        }
        Ok((status_changed, after))
    }

    /// A snooze time as a client sent it, in the account's time zone: Unix seconds, ISO 8601 or
    /// a phrase of the snooze grammar ("5m", "tomorrow", "one week"…). 422 naming `field` when
    /// it does not parse or is not in the future.
    pub fn snooze_time(
        &self,
        scope: &Scope,
        input: &SnoozeInput,
        field: &str,
    ) -> AppResult<Timestamp> {
        let now = self.now();
        let at = match input {
            SnoozeInput::UnixSeconds(secs) => {
                let at = Timestamp::from_unix_seconds(*secs);
                if at <= now {
                    Err(SnoozeError::InThePast)
                } else if at > now.plus_seconds(MAX_SNOOZE_AHEAD_SECONDS) {
                    Err(SnoozeError::TooFar)
                } else {
                    Ok(at)
                }
            }
            SnoozeInput::Text(text) => {
                snooze::parse_snooze(text, now, &crate::accounts::account_zone(&scope.account))
            }
        };
        at.map_err(|e| AppError::invalid(field, &e.to_string()))
    }

    /// `POST …/toggle_status` (§4.1), with Confab's extensions: `spam` (optionally blocking the
    /// contact), snooze phrases and the snooze's reply policy.
    pub async fn toggle_status(
        &self,
        scope: &Scope,
        display_id: i64,
        req: &StatusRequest,
    ) -> AppResult<ToggleOutcome> {
        scope.require_key_scope(KeyScope::ConversationStatus, "status")?;
        let requested = match req
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(ConversationStatus::parse(s).ok_or_else(|| {
                AppError::invalid(
                    "status",
                    "must be one of open, resolved, pending, snoozed, spam",
                )
            })?),
        };
        let snoozed_until = match (&req.snoozed_until, requested) {
            (Some(input), Some(ConversationStatus::Snoozed)) => {
                Some(self.snooze_time(scope, input, "snoozed_until")?)
            }
            _ => None,
        };
        if req.wake_on_reply == Some(false) && snoozed_until.is_none() {
            // Neither a reply nor a time could ever wake it.
            return Err(AppError::invalid(
                "wake_on_reply",
                "false needs a snoozed_until time",
            ));
        }
        let policy = StatusPolicy {
            wake_on_reply: req.wake_on_reply.unwrap_or(true),
            block_contact: req.block_contact && requested == Some(ConversationStatus::Spam),
        };
        if policy.block_contact {
            scope.require_key_scope(KeyScope::ContactWrite, "block_contact")?;
        }
        let acting = Acting::of(scope);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let decision = conv_rules::decide_toggle(conv.status, requested, acting.bot.is_some());
        // A bot's toggle hands the conversation over: open, with no snooze or policy of its own.
        let handoff = matches!(decision, ToggleDecision::BotHandoff);
        let (to, until, policy) = match decision {
            ToggleDecision::BotHandoff => (ConversationStatus::Open, None, StatusPolicy::default()),
            ToggleDecision::Set { status, explicit } => {
                (status, if explicit { snoozed_until } else { None }, policy)
            }
        };
        let (_, after) = self
            .set_status_policy_tx(&mut c, &conv, to, until, policy, &acting, now)
            .await?;
        if handoff {
            self.record_event(
                &mut c,
                &conv,
                "conversation_bot_handoff",
                Value::Null,
                &acting,
                now,
            )
            .await?;
        }
        let success = (!handoff).then_some(true);
        if after.status == ConversationStatus::Open
            && let Some(me) = acting.opener()
        {
            self.set_assignee_tx(&mut c, &after, Some(me), &acting, now)
                .await?;
        }
        tx.commit().await?;
        Ok(ToggleOutcome {
            success,
            display_id: after.display_id,
            status: after.status,
            snoozed_until: after.snoozed_until,
        })
    }

    /// Starts the transaction of a job about one conversation (`payload.conversation_id`):
    /// locks the conversation's row (before the job's, the order writers take them) and deletes
    /// the job under the claim it was taken with. `None` when another runner finished it or the
    /// conversation is gone (then the deletion is committed).
    pub(crate) async fn begin_conversation_job(
        &self,
        job: &jobs::Job,
    ) -> AppResult<Option<(confab_store::Tx, Conversation)>> {
        let Some(id) = job.payload.get("conversation_id").and_then(Value::as_i64) else {
            return Ok(None);
        };
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        conversations::lock_conversation(&mut c, ConversationId(id)).await?;
        if !jobs::finish(&mut c, job.id, job.attempts).await? {
            return Ok(None);
        }
        match conversations::get_conversation(&mut c, ConversationId(id)).await {
            Ok(conv) => Ok(Some((tx, conv))),
            Err(confab_store::StoreError::NotFound) => {
                tx.commit().await?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reopens a snoozed conversation whose time has come (the wake-up job). Exactly once:
    /// the job row is deleted in the same transaction, with the claim it was taken under.
    pub(crate) async fn wake_snoozed(&self, job: &jobs::Job) -> AppResult<()> {
        let Some((mut tx, conv)) = self.begin_conversation_job(job).await? else {
            return Ok(());
        };
        let now = self.now();
        let mut c = tx.conn();
        let due = conv.snoozed_until.is_some_and(|t| t <= now);
        if conv.status == ConversationStatus::Snoozed && due {
            self.set_status_tx(
                &mut c,
                &conv,
                ConversationStatus::Open,
                None,
                &Acting::system(),
                now,
            )
            .await?;
        } else if conv.status == ConversationStatus::Snoozed
            && let Some(later) = conv.snoozed_until
        {
            // Rescheduled meanwhile by a writer that lost the race with this claim.
            self.schedule_wake(&mut c, &conv, later, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
