//! Account webhooks (administrators only): CRUD, the signing secret, the delivery log, replay,
//! and a test event. Delivery itself is in `outbox`.

use confab_domain::webhook::{
    self as hooks, Attempt, Delivery, DeliveryState, Receiver, SUBSCRIBABLE_EVENTS, Webhook,
};
use confab_domain::{DeliveryId, InboxId, ValidationErrors, WebhookId};
use confab_store::webhooks::{self, NewDelivery, NewWebhook, WebhookChanges};
use confab_store::{StoreError, inboxes};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::outbox::{Outgoing, Subject};
use crate::{App, Scope, outbound, secrets};

/// Deliveries per page of the log.
pub const DELIVERIES_PAGE: u64 = 25;

/// What upstream subscribes a webhook to when the request names nothing: its list up to
/// `webwidget_triggered`.
const DEFAULT_SUBSCRIPTIONS: usize = 8;

/// A webhook as a request gives it; `None` leaves a field alone (on create: its default).
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub name: Option<Option<String>>,
    pub inbox_id: Option<Option<i64>>,
    pub subscriptions: Option<Value>,
}

/// A delivery with its attempts.
#[derive(Debug, Clone)]
pub struct DeliveryLog {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
}

impl App {
    /// Validates the fields a request set.
    async fn webhook_changes(
        &self,
        scope: &Scope,
        input: &WebhookInput,
        creating: bool,
    ) -> AppResult<WebhookChanges> {
        let mut errors = ValidationErrors::new();
        let url = match input.url.as_deref().map(str::trim) {
            None if !creating => None,
            None | Some("") => {
                errors.add("url", "can't be blank");
                None
            }
            Some(u) => match outbound::check_url(u, self.config().webhook_allow_private) {
                Ok(_) => Some(u.to_owned()),
                Err(why) => {
                    errors.add("url", why);
                    None
                }
            },
        };
        let subscriptions = match &input.subscriptions {
            None if creating => Some(
                SUBSCRIBABLE_EVENTS[..DEFAULT_SUBSCRIPTIONS]
                    .iter()
                    .map(|e| (*e).to_owned())
                    .collect(),
            ),
            None => None,
            Some(v) => {
                let list = hooks::valid_subscriptions(v);
                if list.is_none() {
                    errors.add("subscriptions", "Invalid events");
                }
                list
            }
        };
        let name = input
            .name
            .clone()
            .map(|n| n.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()));
        if name
            .as_ref()
            .is_some_and(|n| n.as_ref().is_some_and(|n| n.chars().count() > 255))
        {
            errors.add("name", "is too long (maximum is 255 characters)");
        }
        let inbox = match input.inbox_id {
            None => None,
            Some(None) => Some(None),
            Some(Some(id)) => {
                let mut c = self.store().conn();
                if inboxes::find_inbox(&mut c, scope.account_id(), InboxId(id))
                    .await?
                    .is_none()
                {
                    errors.add("inbox_id", "is invalid");
                }
                Some(Some(InboxId(id)))
            }
        };
        errors.into_result()?;
        Ok(WebhookChanges {
            url,
            name,
            inbox,
            subscriptions,
            secret: None,
        })
    }

    /// `GET …/webhooks`.
    pub async fn list_webhooks(&self, scope: &Scope) -> AppResult<Vec<Webhook>> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        Ok(webhooks::list(&mut c, scope.account_id()).await?)
    }

    /// `GET …/webhooks/:id`.
    pub async fn get_webhook(&self, scope: &Scope, id: WebhookId) -> AppResult<Webhook> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        Ok(webhooks::find(&mut c, scope.account_id(), id).await?)
    }

    /// `POST …/webhooks`: the answer is the only one that shows the secret.
    pub async fn create_webhook(&self, scope: &Scope, input: &WebhookInput) -> AppResult<Webhook> {
        scope.require_admin()?;
        let ch = self.webhook_changes(scope, input, true).await?;
        let new = NewWebhook {
            account: scope.account_id(),
            inbox: ch.inbox.flatten(),
            name: ch.name.flatten(),
            url: ch.url.unwrap_or_default(),
            webhook_type: 0,
            subscriptions: ch.subscriptions.unwrap_or_default(),
            secret: secrets::webhook_secret(),
        };
        let mut c = self.store().conn();
        webhooks::create(&mut c, &new, self.now())
            .await
            .map_err(taken)
    }

    /// `PATCH …/webhooks/:id`.
    pub async fn update_webhook(
        &self,
        scope: &Scope,
        id: WebhookId,
        input: &WebhookInput,
    ) -> AppResult<Webhook> {
        scope.require_admin()?;
        let ch = self.webhook_changes(scope, input, false).await?;
        let mut c = self.store().conn();
        webhooks::update(&mut c, scope.account_id(), id, &ch, self.now())
            .await
            .map_err(taken)
    }

    /// `DELETE …/webhooks/:id`: its pending deliveries go with it.
    pub async fn delete_webhook(&self, scope: &Scope, id: WebhookId) -> AppResult<()> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        Ok(webhooks::delete(&mut c, scope.account_id(), id).await?)
    }

    /// `POST …/webhooks/:id/rotate_secret`: a new secret, shown in this answer only. Pending
    /// retries are signed with it from now on.
    pub async fn rotate_webhook_secret(&self, scope: &Scope, id: WebhookId) -> AppResult<Webhook> {
        scope.require_admin()?;
        let ch = WebhookChanges {
            secret: Some(secrets::webhook_secret()),
            ..Default::default()
        };
        let mut c = self.store().conn();
        Ok(webhooks::update(&mut c, scope.account_id(), id, &ch, self.now()).await?)
    }

    /// Checks that the receiver exists in the caller's account.
    async fn check_receiver(&self, scope: &Scope, of: Receiver) -> AppResult<()> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        match of {
            Receiver::Webhook(w) => {
                webhooks::find(&mut c, scope.account_id(), w).await?;
            }
            Receiver::Inbox(i) => {
                webhooks::inbox_secret(&mut c, scope.account_id(), i)
                    .await?
                    .ok_or(AppError::NotFound)?;
            }
            Receiver::AgentBot(b) => {
                confab_store::agent_bots::bot_secret(&mut c, scope.account_id(), b)
                    .await?
                    .ok_or(AppError::NotFound)?;
            }
        }
        Ok(())
    }

    /// A page of a receiver's delivery log, newest first, with every attempt.
    pub async fn list_deliveries(
        &self,
        scope: &Scope,
        of: Receiver,
        state: Option<&str>,
        before: Option<i64>,
    ) -> AppResult<Vec<DeliveryLog>> {
        self.check_receiver(scope, of).await?;
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(DeliveryState::parse(s).ok_or_else(|| {
                AppError::invalid("state", "must be one of pending, delivered, dead")
            })?),
        };
        let mut c = self.store().conn();
        let list = webhooks::list_deliveries(
            &mut c,
            scope.account_id(),
            of,
            state,
            before.map(DeliveryId),
            DELIVERIES_PAGE,
        )
        .await?;
        let ids: Vec<DeliveryId> = list.iter().map(|d| d.id).collect();
        let mut attempts: std::collections::HashMap<DeliveryId, Vec<Attempt>> =
            std::collections::HashMap::new();
        for a in webhooks::attempts_of(&mut c, &ids).await? {
            attempts.entry(a.delivery_id).or_default().push(a);
        }
        Ok(list
            .into_iter()
            .map(|delivery| DeliveryLog {
                attempts: attempts.remove(&delivery.id).unwrap_or_default(),
                delivery,
            })
            .collect())
    }

    /// A delivery of the account, if it is one of `of`'s.
    async fn delivery_of(
        &self,
        scope: &Scope,
        of: Receiver,
        id: DeliveryId,
    ) -> AppResult<Delivery> {
        let mut c = self.store().conn();
        let delivery = webhooks::find_delivery(&mut c, scope.account_id(), id).await?;
        if delivery.receiver() != Some(of) {
            return Err(AppError::NotFound);
        }
        Ok(delivery)
    }

    async fn delivery_log(
        &self,
        scope: &Scope,
        of: Receiver,
        id: DeliveryId,
    ) -> AppResult<DeliveryLog> {
        let delivery = self.delivery_of(scope, of, id).await?;
        let mut c = self.store().conn();
        let attempts = webhooks::attempts_of(&mut c, &[id]).await?;
        Ok(DeliveryLog { delivery, attempts })
    }

    /// One delivery of a receiver, with its body and attempts.
    pub async fn get_delivery(
        &self,
        scope: &Scope,
        of: Receiver,
        id: DeliveryId,
    ) -> AppResult<DeliveryLog> {
        self.check_receiver(scope, of).await?;
        self.delivery_log(scope, of, id).await
    }

    /// Sends a delivery's body again as a new delivery (its own `X-Chatwoot-Delivery`, and
    /// `replay_of` naming the original), whatever became of the original.
    pub async fn replay_delivery(
        &self,
        scope: &Scope,
        of: Receiver,
        id: DeliveryId,
    ) -> AppResult<DeliveryLog> {
        self.check_receiver(scope, of).await?;
        let original = self.delivery_of(scope, of, id).await?;
        let new = manual_delivery(
            original.account_id,
            of,
            &original.event,
            &original.url,
            original.payload,
            original.conversation_id,
            Some(original.id),
        );
        let created = self.insert_and_send(&new).await?;
        self.delivery_log(scope, of, created).await
    }

    /// `POST …/webhooks/:id/test`: a `webhook_test` event, sent while the request waits (up to
    /// the webhook timeout); the answer is its delivery and first attempt. A failure retries as
    /// any delivery does.
    pub async fn send_test_webhook(&self, scope: &Scope, id: WebhookId) -> AppResult<DeliveryLog> {
        scope.require_admin()?;
        let renderer =
            self.inner.renderer.get().cloned().ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("no webhook renderer installed"))
            })?;
        let webhook = {
            let mut c = self.store().conn();
            webhooks::find(&mut c, scope.account_id(), id).await?
        };
        let body = renderer.webhook_body(
            self,
            &Outgoing {
                event: "webhook_test",
                account: &scope.account,
                subject: Subject::Test(&webhook),
                changed_attributes: None,
            },
        );
        let receiver = Receiver::Webhook(webhook.id);
        let new = manual_delivery(
            scope.account_id(),
            receiver,
            "webhook_test",
            &webhook.url,
            body.to_string(),
            None,
            None,
        );
        let created = self.insert_and_send(&new).await?;
        self.delivery_log(scope, receiver, created).await
    }

    /// Writes a delivery and makes its first attempt now.
    async fn insert_and_send(&self, new: &NewDelivery) -> AppResult<DeliveryId> {
        let now = self.now();
        let id = {
            let mut c = self.store().conn();
            webhooks::insert_delivery(&mut c, new, now)
                .await?
                .ok_or(AppError::NotFound)?
        };
        self.send_now(id).await?;
        Ok(id)
    }

    /// The signing key of an API inbox's `webhook_url` (administrators only).
    pub async fn inbox_webhook_secret(&self, scope: &Scope, inbox: InboxId) -> AppResult<String> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        webhooks::inbox_secret(&mut c, scope.account_id(), inbox)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A new signing key for an API inbox's `webhook_url`.
    pub async fn rotate_inbox_webhook_secret(
        &self,
        scope: &Scope,
        inbox: InboxId,
    ) -> AppResult<String> {
        scope.require_admin()?;
        let secret = secrets::webhook_secret();
        let mut c = self.store().conn();
        webhooks::set_inbox_secret(&mut c, scope.account_id(), inbox, &secret).await?;
        Ok(secret)
    }
}

/// A delivery sent outside the outbox (a replay, a test event): no event, so no ordering
/// behind a conversation's others.
fn manual_delivery(
    account: confab_domain::AccountId,
    receiver: Receiver,
    event: &str,
    url: &str,
    payload: String,
    conversation_id: Option<i64>,
    replay_of: Option<DeliveryId>,
) -> NewDelivery {
    NewDelivery {
        uuid: secrets::random_uuid(),
        account,
        receiver,
        event_id: None,
        event: event.to_owned(),
        url: url.to_owned(),
        conversation_id,
        message_id: None,
        ordering_key: None,
        payload,
        replay_of,
    }
}

/// A second webhook for the same URL in one account.
fn taken(e: StoreError) -> AppError {
    match e {
        StoreError::UniqueViolation => AppError::invalid("url", "has already been taken"),
        other => other.into(),
    }
}
