//! The customer's side (Chatwoot's Client/Public API): what a chat widget or a mobile app does
//! with only an API inbox's `inbox_identifier` and a contact identity's `source_id`.
//!
//! Those two values are the only credentials, so every use case here starts from them: the
//! inbox by its identifier, the identity by its source id *inside that inbox*, and the
//! conversations of that identity (or, once identity verification proved who the contact is,
//! every conversation of the contact in that inbox). Anything else is 404.
//!
//! Deliberate differences from upstream, each because upstream fails or leaks:
//! - a wrong or missing `identifier_hash` is 401 `{"error": "HMAC failed: …"}` (upstream: 500);
//! - a hash is also refused when the identity's contact carries another identifier, and only a
//!   contact with that identifier becomes verified (upstream's later hardening);
//! - verified identities see the contact's conversations in this inbox, not in every inbox;
//! - updating a contact with another contact's email or phone is 422 "has already been taken"
//!   instead of merging the two contacts (which would hand the other contact's history to
//!   whoever knows their email).

mod conversations;

use confab_domain::contact::{Contact, ContactInbox};
use confab_domain::inbox::Inbox;
use confab_store::contacts::{self, ContactChanges, ContactKey, NewContact};
use confab_store::conversations::CustomerScope;
use confab_store::{Conn, StoreError, inboxes};
use serde_json::Value;

pub(crate) use self::conversations::typing_event;
pub use self::conversations::{CustomerConversation, CustomerMessage};
use crate::contacts::{ContactInput, clean, taken_fields, write_error};
use crate::error::{AppError, AppResult};
use crate::lifecycle::Acting;
use crate::{App, secrets};

const HMAC_FAILED: &str = "HMAC failed: Invalid Identifier Hash Provided";
const IDENTIFIER_MISMATCH: &str = "HMAC failed: Identifier does not match contact";

/// Largest contact `custom_attributes` the customer side may leave behind, as JSON bytes.
const MAX_CUSTOM_ATTRIBUTES_BYTES: usize = 64 * 1024;

fn check_custom_attributes(v: Option<&Value>) -> AppResult<()> {
    if v.is_some_and(|v| v.to_string().len() > MAX_CUSTOM_ATTRIBUTES_BYTES) {
        return Err(AppError::invalid(
            "custom_attributes",
            "is too large (maximum is 64 KB)",
        ));
    }
    Ok(())
}

/// Longest `source_id` a client may choose.
const MAX_SOURCE_ID_CHARS: usize = 255;

/// A contact identity, as the customer side knows it.
#[derive(Debug, Clone)]
pub struct Customer {
    pub inbox: Inbox,
    pub contact_inbox: ContactInbox,
    pub contact: Contact,
}

impl Customer {
    /// Whose conversations this identity may see.
    pub(crate) fn scope(&self) -> CustomerScope {
        if self.contact_inbox.hmac_verified {
            CustomerScope::Contact {
                contact: self.contact.id,
                inbox: self.inbox.id,
            }
        } else {
            CustomerScope::Identity(self.contact_inbox.id)
        }
    }
}

/// The contact fields a customer may send (`identifier_hash` proves `identifier`).
#[derive(Debug, Clone, Default)]
pub struct CustomerContactInput {
    pub source_id: Option<String>,
    pub identifier: Option<String>,
    pub identifier_hash: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub custom_attributes: Option<Value>,
}

impl CustomerContactInput {
    fn as_contact_input(&self, with_identifier: bool) -> ContactInput {
        ContactInput {
            name: self.name.clone(),
            email: self.email.clone().map(Some),
            phone_number: self.phone_number.clone().map(Some),
            identifier: if with_identifier {
                self.identifier.clone().map(Some)
            } else {
                None
            },
            custom_attributes: self.custom_attributes.clone(),
            ..Default::default()
        }
    }
}

/// Identity verification (§12.8): when a hash is sent or the inbox demands one, it must be the
/// HMAC-SHA256 of the identifier with the inbox's key. Returns the proven identifier.
fn verify_identity(
    inbox: &Inbox,
    identifier: Option<&str>,
    hash: Option<&str>,
) -> AppResult<Option<String>> {
    let hash = hash.map(str::trim).filter(|h| !h.is_empty());
    if hash.is_none() && !inbox.hmac_mandatory.unwrap_or(false) {
        return Ok(None);
    }
    match (
        identifier.filter(|i| !i.trim().is_empty()),
        hash,
        inbox.hmac_token.as_deref(),
    ) {
        (Some(id), Some(h), Some(key)) if secrets::identifier_hash_matches(key, id, h) => {
            Ok(Some(id.to_owned()))
        }
        _ => Err(AppError::Forbidden(HMAC_FAILED)),
    }
}

/// Whether a proven identifier makes this contact's identity verified: only when the contact
/// carries that identifier; one carrying another identifier is refused.
fn proves_contact(contact: &Contact, proven: Option<&str>) -> AppResult<bool> {
    match (proven, contact.identifier.as_deref()) {
        (None, _) | (Some(_), None) => Ok(false),
        (Some(p), Some(mine)) if secrets::constant_time_eq(p, mine) => Ok(true),
        (Some(_), Some(_)) => Err(AppError::Forbidden(IDENTIFIER_MISMATCH)),
    }
}

/// Merges `patch` into `base`, nested objects key by key (Rails' `deep_merge`).
fn deep_merge(base: &Value, patch: &Value) -> Value {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            let mut out = b.clone();
            for (k, v) in p {
                let merged = match out.get(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, p) => p.clone(),
    }
}

impl App {
    /// An API inbox by its public identifier.
    pub(crate) async fn api_inbox(&self, c: &mut Conn<'_>, identifier: &str) -> AppResult<Inbox> {
        inboxes::find_inbox_by_identifier(c, identifier)
            .await?
            .filter(|i| i.channel_type == "Channel::Api")
            .ok_or(AppError::NotFound)
    }

    /// A contact identity of an inbox, by the two public credentials.
    pub(crate) async fn customer(
        &self,
        c: &mut Conn<'_>,
        inbox_identifier: &str,
        source_id: &str,
    ) -> AppResult<Customer> {
        let inbox = self.api_inbox(c, inbox_identifier).await?;
        self.customer_in(c, inbox, source_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The contact identity of `source_id` in an inbox already found, if there is one.
    async fn customer_in(
        &self,
        c: &mut Conn<'_>,
        inbox: Inbox,
        source_id: &str,
    ) -> AppResult<Option<Customer>> {
        let Some(contact_inbox) = contacts::find_contact_inbox(c, inbox.id, source_id).await?
        else {
            return Ok(None);
        };
        let contact = contacts::get_contact(c, inbox.account_id, contact_inbox.contact_id).await?;
        Ok(Some(Customer {
            inbox,
            contact_inbox,
            contact,
        }))
    }

    /// `GET /public/api/v1/inboxes/:inbox_identifier`.
    pub async fn public_inbox(&self, inbox_identifier: &str) -> AppResult<Inbox> {
        let mut c = self.store().conn();
        self.api_inbox(&mut c, inbox_identifier).await
    }

    /// `POST …/contacts`: the identity with this `source_id` if it exists, else a new identity
    /// of the account's contact with this identifier, email or phone number (in that order),
    /// else of a new contact.
    pub async fn public_create_contact(
        &self,
        inbox_identifier: &str,
        input: &CustomerContactInput,
    ) -> AppResult<Customer> {
        let cc = clean(&input.as_contact_input(true))?;
        check_custom_attributes(input.custom_attributes.as_ref())?;
        let source = input
            .source_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if source
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SOURCE_ID_CHARS)
        {
            return Err(AppError::invalid(
                "source_id",
                "is too long (maximum is 255 characters)",
            ));
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let inbox = self.api_inbox(&mut c, inbox_identifier).await?;
        let proven = verify_identity(
            &inbox,
            input.identifier.as_deref(),
            input.identifier_hash.as_deref(),
        )?;
        let account = inbox.account_id;
        if let Some(s) = &source
            && let Some(customer) = self.customer_in(&mut c, inbox.clone(), s).await?
        {
            let customer = self
                .verify_customer(&mut c, customer, proven.as_deref(), now)
                .await?;
            tx.commit().await?;
            return Ok(customer);
        }
        let mut existing = None;
        for (key, value) in [
            (ContactKey::Identifier, &cc.identifier),
            (ContactKey::Email, &cc.email),
            (ContactKey::PhoneNumber, &cc.phone_number),
        ] {
            if existing.is_none()
                && let Some(Some(v)) = value
            {
                existing = contacts::find_contact_by(&mut c, account, key, v).await?;
            }
        }
        let contact = match existing {
            Some(contact) => contact,
            None => {
                let new = NewContact {
                    name: cc
                        .name
                        .clone()
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(secrets::haiku_name),
                    email: cc.email.clone().flatten(),
                    phone_number: cc.phone_number.clone().flatten(),
                    identifier: cc.identifier.clone().flatten(),
                    additional_attributes: Value::Object(Default::default()),
                    custom_attributes: input
                        .custom_attributes
                        .clone()
                        .unwrap_or_else(|| Value::Object(Default::default())),
                    blocked: false,
                };
                let id = match contacts::insert_contact(&mut c, account, &new, now).await {
                    Ok(id) => id,
                    Err(e) => return Err(write_error(self, e, account, None, &cc).await),
                };
                let row = contacts::get_contact(&mut c, account, id).await?;
                self.record_contact_event(&mut c, None, &row, &Acting::contact(&row), now)
                    .await?;
                row
            }
        };
        let verified = proves_contact(&contact, proven.as_deref())?;
        let source = source.unwrap_or_else(secrets::new_source_id);
        let contact_inbox = contacts::insert_contact_inbox(
            &mut c,
            contact.id,
            inbox.id,
            &source,
            verified,
            &secrets::random_alnum(24),
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::UniqueViolation => AppError::invalid("source_id", "has already been taken"),
            other => other.into(),
        })?;
        tx.commit().await?;
        Ok(Customer {
            inbox,
            contact_inbox,
            contact,
        })
    }

    /// Checks a proven identifier against an identity's contact and marks it verified.
    async fn verify_customer(
        &self,
        c: &mut Conn<'_>,
        mut customer: Customer,
        proven: Option<&str>,
        now: confab_domain::Timestamp,
    ) -> AppResult<Customer> {
        if proves_contact(&customer.contact, proven)? && !customer.contact_inbox.hmac_verified {
            contacts::set_hmac_verified(c, customer.contact_inbox.id, now).await?;
            customer.contact_inbox.hmac_verified = true;
        }
        Ok(customer)
    }

    /// `GET …/contacts/:source_id`, with identity verification when a hash is given or the
    /// inbox demands it (a valid one marks the identity verified).
    pub async fn public_contact(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        identifier: Option<&str>,
        identifier_hash: Option<&str>,
    ) -> AppResult<Customer> {
        let mut c = self.store().conn();
        let customer = self.customer(&mut c, inbox_identifier, source_id).await?;
        let proven = verify_identity(&customer.inbox, identifier, identifier_hash)?;
        if proven.is_none() {
            return Ok(customer);
        }
        let mut tx = self.store().begin().await?;
        let customer = self
            .verify_customer(&mut tx.conn(), customer, proven.as_deref(), self.now())
            .await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// `PATCH …/contacts/:source_id`: name, email and phone number when not blank, custom
    /// attributes merged in; the identifier cannot be changed here.
    pub async fn public_update_contact(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        input: &CustomerContactInput,
    ) -> AppResult<Contact> {
        let cc = clean(&input.as_contact_input(false))?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let customer = self.customer(&mut c, inbox_identifier, source_id).await?;
        let proven = verify_identity(
            &customer.inbox,
            input.identifier.as_deref(),
            input.identifier_hash.as_deref(),
        )?;
        let customer = self
            .verify_customer(&mut c, customer, proven.as_deref(), now)
            .await?;
        let contact = customer.contact;
        let account = contact.account_id;
        taken_fields(&mut c, account, Some(contact.id), &cc)
            .await?
            .into_result()?;
        let keep_blank = |v: &Option<Option<String>>| v.clone().filter(|o| o.is_some());
        let custom_attributes = input
            .custom_attributes
            .as_ref()
            .map(|p| deep_merge(&contact.custom_attributes, p));
        check_custom_attributes(custom_attributes.as_ref())?;
        let ch = ContactChanges {
            name: cc.name.clone().filter(|n| !n.is_empty()),
            email: keep_blank(&cc.email),
            phone_number: keep_blank(&cc.phone_number),
            custom_attributes,
            ..Default::default()
        };
        if let Err(e) = contacts::update_contact(&mut c, contact.id, &ch, now).await {
            return Err(write_error(self, e, account, Some(contact.id), &cc).await);
        }
        let after = contacts::get_contact(&mut c, account, contact.id).await?;
        self.record_contact_event(
            &mut c,
            Some(&contact),
            &after,
            &Acting::contact(&after),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deep_merge_keeps_nested_keys_it_does_not_replace() {
        let base = json!({"plan": "free", "prefs": {"lang": "en", "tz": "UTC"}});
        let patch = json!({"prefs": {"tz": "CET"}, "vip": true});
        assert_eq!(
            deep_merge(&base, &patch),
            json!({"plan": "free", "prefs": {"lang": "en", "tz": "CET"}, "vip": true})
        );
    }
}
