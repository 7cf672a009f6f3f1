//! After commit: the outbox's events become webhook deliveries, and deliveries are sent.
//!
//! Use cases record events in the `events` table inside their transaction. The dispatcher
//! reads the undispatched ones (oldest first), finds their receivers (account webhooks that
//! subscribed, and the API inbox's `webhook_url` for the inbox's conversation events), renders
//! each body once, and writes one delivery per receiver and event in one transaction with the
//! events' dispatch mark (on SQLite, the outbox's cursor moving past them). A delivery's body
//! never changes, so every attempt is signed over the same bytes, and `(event, receiver)` is
//! unique, so dispatching twice (two nodes, a crash between the two writes) writes each
//! delivery once. The sender claims due deliveries, posts
//! them signed, and records every attempt; failures retry with backoff and jitter until
//! `MAX_ATTEMPTS`, then the delivery is dead (kept, and replayable). Nothing is lost across a
//! restart: whatever was committed is either an undispatched event or a pending delivery.

use std::collections::HashMap;

use confab_domain::account::Account;
use confab_domain::contact::Contact;
use confab_domain::conversation::{Conversation, ConversationStatus};
use confab_domain::message::{MessageStatus, MessageType};
use confab_domain::user::User;
use confab_domain::webhook::{
    self as hooks, BOT_EVENTS, Delivery, DeliveryState, INBOX_EVENTS, MAX_ATTEMPTS, Receiver,
    Webhook,
};
use confab_domain::{ConversationId, DeliveryId, MessageId};
use confab_store::events::{self, EventRow};

use confab_store::webhooks::{self, AttemptResult, NewDelivery};
use confab_store::{conversations, messages};
use rand::Rng;
use serde_json::Value;

use crate::error::AppResult;
use crate::event_subjects::{contact_id_of, inbox_id_of, message_id_of};
use crate::lifecycle::Acting;
use crate::presentation::dedup;
use crate::presentation::{ConversationView, MessageView};
use crate::{App, secrets};

/// Upstream's note when a failing bot's conversation is opened.
const BOT_FAILED_ACTIVITY: &str =
    "Conversation was marked open by system due to an error with the agent bot.";

/// Events read per dispatch round.
const DISPATCH_BATCH: u64 = 200;
/// Deliveries sent at once per node.
const SEND_BATCH: u64 = 16;
/// How long a claimed delivery stays invisible to other senders (longer than any timeout).
const LEASE_SECS: i64 = 120;

/// What a webhook body is about, gathered by the dispatcher for the wire layer to render.
#[derive(Debug)]
pub enum Subject<'a> {
    Conversation(&'a ConversationView),
    Message {
        message: &'a MessageView,
        conversation: &'a ConversationView,
    },
    Contact(&'a Contact),
    Typing {
        conversation: &'a ConversationView,
        by: Performer<'a>,
        is_private: bool,
    },
    /// `POST …/webhooks/:id/test`.
    Test(&'a Webhook),
}

/// Who did something a payload names.
#[derive(Debug, Clone, Copy)]
pub enum Performer<'a> {
    User(&'a User),
    Contact(&'a Contact),
}

/// One event as a receiver gets it.
#[derive(Debug)]
pub struct Outgoing<'a> {
    /// The upstream event name (`message_created`, …).
    pub event: &'a str,
    pub account: &'a Account,
    pub subject: Subject<'a>,
    /// Upstream's `[{"attr": {"previous_value", "current_value"}}]`, where it sends one.
    pub changed_attributes: Option<Value>,
}

/// Renders webhook bodies; implemented by the HTTP layer, which owns the wire shapes.
pub trait EventRenderer: Send + Sync + 'static {
    fn webhook_body(&self, app: &App, out: &Outgoing<'_>) -> Value;
}

/// A receiver of an event, with the URL it had when the event was dispatched.
type Target<'a> = (Receiver, &'a str);

/// The upstream event an outbox event is delivered as, if any (webhooks get the subscribable
/// ones; agent bots also `conversation_opened` and `conversation_resolved`).
fn wire_event(name: &str) -> Option<&'static str> {
    hooks::SUBSCRIBABLE_EVENTS
        .iter()
        .chain(BOT_EVENTS.iter())
        .copied()
        .find(|e| *e == name)
}

impl App {
    /// Installs the renderer of webhook bodies (the HTTP layer does, when it is built). Until
    /// one is installed, events wait undispatched.
    pub fn install_renderer(&self, r: std::sync::Arc<dyn EventRenderer>) {
        let _ = self.inner.renderer.set(r);
    }

    pub(crate) fn deliveries_changed(&self) {
        self.inner.deliveries.notify_one();
    }

    /// Dispatches every undispatched event, then sends every due delivery; returns how many
    /// deliveries were attempted. Tests call this after a change (and after moving the clock);
    /// the server runs it whenever something commits and at least every second.
    pub async fn run_outbox(&self) -> AppResult<usize> {
        self.dispatch_events().await?;
        self.send_due_deliveries().await
    }

    /// Turns undispatched events into deliveries. Calls on one node are serialised.
    async fn dispatch_events(&self) -> AppResult<usize> {
        let Some(renderer) = self.inner.renderer.get().cloned() else {
            return Ok(0);
        };
        let _one = self.inner.dispatching.lock().await;
        let mut total = 0;
        loop {
            let batch = {
                let mut c = self.store().conn();
                events::undispatched(&mut c, DISPATCH_BATCH).await?
            };
            if batch.is_empty() {
                return Ok(total);
            }
            let planned = self.plan_deliveries(renderer.as_ref(), &batch).await?;
            let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
            let now = self.now();
            let mut tx = self.store().begin().await?;
            let mut c = tx.conn();
            let mut wrote = 0usize;
            for d in &planned {
                if webhooks::insert_delivery(&mut c, d, now).await?.is_some() {
                    wrote += 1;
                }
            }
            // Only the events this transaction marked get rules run: another node that
            // dispatched the same batch first already scheduled them (deliveries are
            // idempotent by their unique key; jobs are not, once run and gone).
            let marked = events::mark_dispatched(&mut c, &ids, now).await?;
            let mine: Vec<EventRow> = batch
                .iter()
                .filter(|e| marked.contains(&e.id))
                .cloned()
                .collect();
            let automations = self.schedule_automation(&mut c, &mine, now).await?;
            tx.commit_quiet().await?;
            if wrote > 0 {
                self.deliveries_changed();
            }
            if automations > 0 {
                self.jobs_changed();
            }
            total += batch.len();
        }
    }

    /// The deliveries of a batch of events: receivers first (two queries), then, only for
    /// events someone receives, what their bodies show (a fixed number of queries per batch).
    async fn plan_deliveries(
        &self,
        renderer: &dyn EventRenderer,
        batch: &[EventRow],
    ) -> AppResult<Vec<NewDelivery>> {
        let mut c = self.store().conn();
        let account_ids = dedup(batch.iter().map(|e| e.account_id).collect());
        let hooks = webhooks::list_for_accounts(&mut c, &account_ids).await?;
        let inbox_ids = dedup(
            batch
                .iter()
                .filter(|e| {
                    INBOX_EVENTS.contains(&e.name.as_str()) || BOT_EVENTS.contains(&e.name.as_str())
                })
                .filter_map(inbox_id_of)
                .map(confab_domain::InboxId)
                .collect(),
        );
        let receivers = webhooks::inbox_receivers(&mut c, &inbox_ids).await?;
        let bots = webhooks::bot_receivers(&mut c, &inbox_ids).await?;
        // Each event's receivers, with the URL each had when the event was dispatched.
        let mut wanted: Vec<(&EventRow, &'static str, Vec<Target<'_>>)> = Vec::new();
        for e in batch {
            let Some(name) = wire_event(&e.name) else {
                continue;
            };
            let mut targets: Vec<Target<'_>> = hooks
                .iter()
                .filter(|h| h.account_id == e.account_id && h.subscribes_to(name))
                .map(|h| (Receiver::Webhook(h.id), h.url.as_str()))
                .collect();
            if INBOX_EVENTS.contains(&name)
                && let Some(inbox) = inbox_id_of(e)
                && let Some(r) = receivers.iter().find(|r| r.inbox_id.get() == inbox)
            {
                targets.push((Receiver::Inbox(r.inbox_id), r.webhook_url.as_str()));
            }
            if BOT_EVENTS.contains(&name)
                && let Some(inbox) = inbox_id_of(e)
                && let Some(b) = bots.iter().find(|b| b.inbox_id.get() == inbox)
            {
                targets.push((Receiver::AgentBot(b.agent_bot_id), b.outgoing_url.as_str()));
            }
            if !targets.is_empty() {
                wanted.push((e, name, targets));
            }
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }

        let events: Vec<&EventRow> = wanted.iter().map(|(e, ..)| *e).collect();
        let shown = self.gather(&mut c, &events).await?;

        let mut out = Vec::new();
        for (e, name, targets) in wanted {
            let Some(outgoing) = shown.outgoing(e, name) else {
                continue;
            };
            // Activity messages are never sent; private notes are, as upstream.
            if let Subject::Message { message, .. } = &outgoing.subject
                && message.message.message_type == MessageType::Activity
            {
                continue;
            }
            let body = renderer.webhook_body(self, &outgoing);
            let payload = body.to_string();
            for (receiver, url) in targets {
                let key = receiver.key();
                let ordering_key = match (e.conversation_id, contact_id_of(e)) {
                    (Some(conv), _) => Some(format!("{key}:c{conv}")),
                    (None, Some(contact)) => Some(format!("{key}:k{contact}")),
                    _ => None,
                };
                out.push(NewDelivery {
                    uuid: secrets::random_uuid(),
                    account: e.account_id,
                    receiver,
                    event_id: Some(e.id),
                    event: name.to_owned(),
                    url: url.to_owned(),
                    conversation_id: e.conversation_id.map(ConversationId::get),
                    message_id: message_id_of(e).map(MessageId::get),
                    ordering_key,
                    payload: payload.clone(),
                    replay_of: None,
                });
            }
        }
        Ok(out)
    }

    /// Sends every due delivery, a batch at a time; returns how many were attempted. Calls on
    /// one node are serialised, so when it returns every delivery due at the call was tried.
    async fn send_due_deliveries(&self) -> AppResult<usize> {
        let _one = self.inner.delivering.lock().await;
        let mut total = 0;
        loop {
            let claimed = {
                let mut c = self.store().conn();
                webhooks::claim_due(&mut c, self.now(), LEASE_SECS, SEND_BATCH).await?
            };
            if claimed.is_empty() {
                return Ok(total);
            }
            total += claimed.len();
            let endpoints = self.endpoints(&claimed).await?;
            let mut set = tokio::task::JoinSet::new();
            for d in claimed {
                let app = self.clone();
                let endpoint = d.receiver().and_then(|r| endpoints.get(&r).cloned());
                set.spawn(async move { app.attempt(d, endpoint).await });
            }
            while let Some(done) = set.join_next().await {
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "recording a webhook attempt"),
                    Err(e) => tracing::error!(error = %e, "a webhook attempt panicked"),
                }
            }
        }
    }

    /// Claims one delivery now and sends it (the test event and a replay are sent while their
    /// request waits).
    pub(crate) async fn send_now(&self, id: DeliveryId) -> AppResult<()> {
        let claimed = {
            let mut c = self.store().conn();
            webhooks::claim_one(&mut c, id, self.now(), LEASE_SECS).await?
        };
        if let Some(d) = claimed {
            let endpoint = match d.receiver() {
                Some(r) => self.endpoints(std::slice::from_ref(&d)).await?.remove(&r),
                None => None,
            };
            self.attempt(d, endpoint).await?;
        }
        Ok(())
    }

    /// Where, and with which secret, the receivers of these deliveries are reached now (a URL
    /// may have changed, a secret been rotated, since a delivery was written): two queries
    /// per batch. A receiver that was removed has no entry.
    async fn endpoints(&self, ds: &[Delivery]) -> AppResult<HashMap<Receiver, (String, String)>> {
        let mut c = self.store().conn();
        let accounts = dedup(
            ds.iter()
                .filter(|d| d.webhook_id.is_some())
                .map(|d| d.account_id)
                .collect(),
        );
        let inboxes = dedup(
            ds.iter()
                .filter_map(|d| match d.receiver() {
                    Some(Receiver::Inbox(i)) => Some(i),
                    _ => None,
                })
                .collect(),
        );
        let bots = dedup(ds.iter().filter_map(|d| d.agent_bot_id).collect());
        let mut out = HashMap::new();
        for w in webhooks::list_for_accounts(&mut c, &accounts).await? {
            out.insert(Receiver::Webhook(w.id), (w.url, w.secret));
        }
        for r in webhooks::inbox_receivers(&mut c, &inboxes).await? {
            out.insert(
                Receiver::Inbox(r.inbox_id),
                (r.webhook_url, r.webhook_secret),
            );
        }
        for (id, url, secret) in webhooks::bot_endpoints(&mut c, &bots).await? {
            out.insert(Receiver::AgentBot(id), (url, secret));
        }
        Ok(out)
    }

    /// One attempt of a claimed delivery to `endpoint` (URL and secret), and what follows.
    async fn attempt(&self, d: Delivery, endpoint: Option<(String, String)>) -> AppResult<()> {
        let started_at = self.now();
        let sent = match endpoint {
            Some((url, secret)) => {
                let ts = started_at.unix_seconds();
                let headers = [
                    (
                        "X-Chatwoot-Signature",
                        secrets::webhook_signature(&secret, ts, d.payload.as_bytes()),
                    ),
                    ("X-Chatwoot-Timestamp", ts.to_string()),
                    ("X-Chatwoot-Delivery", d.uuid.clone()),
                ];
                self.inner
                    .outbound
                    .post(&url, &headers, d.payload.clone())
                    .await
            }
            None => crate::outbound::Sent {
                status: None,
                latency_ms: 0,
                error: Some("the receiver no longer exists".into()),
            },
        };
        let ok = sent.status.is_some_and(hooks::is_success);
        let now = self.now();
        let state = if ok {
            DeliveryState::Delivered
        } else if d.attempts >= MAX_ATTEMPTS {
            DeliveryState::Dead
        } else {
            DeliveryState::Pending
        };
        let retry_at = (state == DeliveryState::Pending).then(|| {
            let unit: f64 = rand::rng().random();
            now.plus_seconds(hooks::retry_delay_with_jitter(d.attempts, unit))
        });
        if state == DeliveryState::Dead {
            tracing::warn!(delivery = %d.uuid, event = %d.event, error = ?sent.error, "webhook delivery gave up");
        }
        let result = AttemptResult {
            started_at,
            status_code: sent.status,
            latency_ms: sent.latency_ms,
            error: sent.error.clone(),
            state,
            retry_at,
        };
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        if !webhooks::record_attempt(&mut c, d.id, d.attempts, &result, now).await? {
            return Ok(());
        }
        let mut recorded = false;
        if d.inbox_id.is_some() && d.event.starts_with("message_") {
            recorded |= self
                .message_delivery_outcome(&mut c, &d, ok, sent.error.as_deref(), now)
                .await?;
        }
        if d.agent_bot_id.is_some() && !ok && d.event.starts_with("message_") {
            recorded |= self.bot_failed(&mut c, &d, now).await?;
        }
        // Only a recorded event is news to the outbox and the live feed; waking them for a
        // bare attempt record would only make them look again.
        if recorded {
            tx.commit().await?;
        } else {
            tx.commit_quiet().await?;
        }
        Ok(())
    }

    /// An API inbox's `webhook_url` is how a message reaches the customer: when it fails the
    /// message is marked `failed` with the error (as upstream), and a later successful retry
    /// of its creation puts it back to `sent`. Whether an event was recorded.
    async fn message_delivery_outcome(
        &self,
        c: &mut confab_store::Conn<'_>,
        d: &Delivery,
        ok: bool,
        error: Option<&str>,
        now: confab_domain::Timestamp,
    ) -> AppResult<bool> {
        if ok && d.event != "message_created" {
            return Ok(false);
        }
        let (Some(conv_id), Some(msg_id)) = (d.conversation_id, d.message_id) else {
            return Ok(false);
        };
        let Some(msg) =
            messages::find_message(c, ConversationId(conv_id), MessageId(msg_id)).await?
        else {
            return Ok(false);
        };
        let to = match (ok, msg.status) {
            (false, s) if s != MessageStatus::Failed => MessageStatus::Failed,
            (true, MessageStatus::Failed) => MessageStatus::Sent,
            _ => return Ok(false),
        };
        let Some(conv) = self.delivered_conversation(c, d).await? else {
            return Ok(false);
        };
        let error = error.unwrap_or("delivery failed");
        self.set_message_status_tx(c, &conv, &msg, to, Some(error), &Acting::system(), now)
            .await?;
        Ok(true)
    }

    /// The conversation a delivery is about, if it still exists (a deleted conversation
    /// leaves nothing to mark, and must not keep the attempt from being recorded).
    async fn delivered_conversation(
        &self,
        c: &mut confab_store::Conn<'_>,
        d: &Delivery,
    ) -> AppResult<Option<Conversation>> {
        let Some(id) = d.conversation_id else {
            return Ok(None);
        };
        match conversations::get_conversation(c, ConversationId(id)).await {
            Ok(conv) => Ok(Some(conv)),
            Err(confab_store::StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A bot that cannot be reached must not hold the customer: when a message's delivery to
    /// the bot fails while the bot owns the conversation (`pending`), the conversation is
    /// opened for the agents with upstream's activity note. Retries go on (the bot gets the
    /// history when it is back), but the conversation is not handed back.
    async fn bot_failed(
        &self,
        c: &mut confab_store::Conn<'_>,
        d: &Delivery,
        now: confab_domain::Timestamp,
    ) -> AppResult<bool> {
        let Some(conv) = self.delivered_conversation(c, d).await? else {
            return Ok(false);
        };
        if conv.status != ConversationStatus::Pending {
            return Ok(false);
        }
        self.set_status_tx(
            c,
            &conv,
            ConversationStatus::Open,
            None,
            &Acting::system(),
            now,
        )
        .await?;
        let system = Acting::system();
        self.activity_tx(c, &conv, Some(BOT_FAILED_ACTIVITY.to_owned()), &system, now)
            .await?;
        Ok(true)
    }

    /// Runs the outbox until `stop`: wakes when something commits on this node, when a
    /// delivery was written, when the next retry falls due, and at least every second.
    pub async fn run_outbox_until(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(e) = self.run_outbox().await {
                tracing::error!(error = %e, "webhook outbox");
            }
            let next = webhooks::next_due(&mut self.store().conn()).await;
            let wait = self.idle_wait(next, "webhook outbox");
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(wait) => {}
                () = self.inner.deliveries.notified() => {}
                () = self.store().committed() => {}
            }
        }
    }
}
