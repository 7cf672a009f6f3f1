//! Contacts: the customers of an account, and their identities in inboxes.

use std::collections::HashMap;

use confab_domain::api_key::KeyScope;
use confab_domain::contact::{Contact, ContactInbox, ContactSort};
use confab_domain::filter::{self, RawCondition};
use confab_domain::inbox::Inbox;
use confab_domain::validation::{is_valid_e164, is_valid_email};
use confab_domain::{AccountId, ContactId, InboxId, ValidationErrors};
use confab_store::contacts::{self, ContactChanges, ContactKey, ContactQuery, NewContact};
use confab_store::{Conn, StoreError, events, inboxes};
use serde_json::{Value, json};

use crate::error::{AppError, AppResult};
use crate::lifecycle::Acting;
use crate::{App, Scope, secrets};

/// Contacts per page, as upstream.
pub const CONTACTS_PER_PAGE: u64 = 15;

/// Fields of a contact for create and update. `Some(None)` clears a field.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub identifier: Option<Option<String>>,
    pub blocked: Option<bool>,
    pub additional_attributes: Option<Value>,
    pub custom_attributes: Option<Value>,
    /// Create only: also create an identity in this inbox.
    pub inbox_id: Option<InboxId>,
    pub source_id: Option<String>,
}

/// A contact with its inbox identities (each with its inbox).
#[derive(Debug, Clone)]
pub struct ContactDetail {
    pub contact: Contact,
    pub contact_inboxes: Vec<(ContactInbox, Inbox)>,
}

/// One page of contacts.
#[derive(Debug, Clone)]
pub struct ContactPage {
    pub contacts: Vec<ContactDetail>,
    pub total: i64,
}

/// How to list contacts.
#[derive(Debug, Clone, Default)]
pub struct ContactListing {
    pub page: u64,
    pub sort: Option<String>,
    pub q: Option<String>,
    pub filter: Option<Vec<RawCondition>>,
}

fn blank_to_none(v: Option<Option<String>>) -> Option<Option<String>> {
    v.map(|o| o.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
}

fn merge(base: &Value, patch: &Value) -> Value {
    let mut out = base.as_object().cloned().unwrap_or_default();
    if let Some(p) = patch.as_object() {
        out.extend(p.clone());
    }
    Value::Object(out)
}

/// A contact's fields, trimmed and checked; blank means cleared.
pub(crate) struct CleanContact {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub identifier: Option<Option<String>>,
}

pub(crate) fn clean(input: &ContactInput) -> AppResult<CleanContact> {
    let mut errors = ValidationErrors::new();
    let email = blank_to_none(input.email.clone()).map(|o| o.map(|e| e.to_lowercase()));
    if let Some(Some(e)) = &email
        && !is_valid_email(e)
    {
        errors.add("email", "is invalid");
    }
    let phone = blank_to_none(input.phone_number.clone());
    if let Some(Some(p)) = &phone
        && !is_valid_e164(p)
    {
        errors.add("phone_number", "should be in e164 format");
    }
    let name = input.name.as_ref().map(|n| n.trim().to_owned());
    if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        errors.add("name", "is too long (maximum is 255 characters)");
    }
    for (field, v) in [
        ("additional_attributes", &input.additional_attributes),
        ("custom_attributes", &input.custom_attributes),
    ] {
        if v.as_ref().is_some_and(|v| !v.is_object()) {
            errors.add(field, "must be an object");
        }
    }
    errors.into_result()?;
    Ok(CleanContact {
        name,
        email,
        phone_number: phone,
        identifier: blank_to_none(input.identifier.clone()),
    })
}

/// Names the unique keys another contact of the account already holds.
/// A failed contact write as the client should hear it: a unique violation (a concurrent
/// writer took the email, phone or identifier after the check) names the taken fields.
pub(crate) async fn write_error(
    app: &App,
    e: StoreError,
    account: AccountId,
    me: Option<ContactId>,
    cc: &CleanContact,
) -> AppError {
    match e {
        StoreError::UniqueViolation => {
            match taken_fields(&mut app.store().conn(), account, me, cc).await {
                Ok(errors) => AppError::Invalid(errors),
                Err(e) => e,
            }
        }
        other => other.into(),
    }
}

pub(crate) async fn taken_fields(
    c: &mut Conn<'_>,
    account: AccountId,
    me: Option<ContactId>,
    cc: &CleanContact,
) -> AppResult<ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (field, key, value) in [
        ("email", ContactKey::Email, &cc.email),
        ("phone_number", ContactKey::PhoneNumber, &cc.phone_number),
        ("identifier", ContactKey::Identifier, &cc.identifier),
    ] {
        if let Some(Some(v)) = value
            && let Some(other) = contacts::find_contact_by(c, account, key, v).await?
            && Some(other.id) != me
        {
            errors.add(field, "has already been taken");
        }
    }
    Ok(errors)
}

impl App {
    async fn details(
        &self,
        c: &mut Conn<'_>,
        scope: &Scope,
        list: Vec<Contact>,
    ) -> AppResult<Vec<ContactDetail>> {
        let ids: Vec<ContactId> = list.iter().map(|c| c.id).collect();
        let cis = contacts::list_contact_inboxes(c, &ids).await?;
        let inbox_map: HashMap<InboxId, Inbox> = if cis.is_empty() {
            HashMap::new()
        } else {
            inboxes::list_inboxes(c, scope.account_id(), None)
                .await?
                .into_iter()
                .map(|i| (i.id, i))
                .collect()
        };
        let mut by_contact: HashMap<ContactId, Vec<(ContactInbox, Inbox)>> = HashMap::new();
        for ci in cis {
            if let Some(inbox) = inbox_map.get(&ci.inbox_id) {
                by_contact
                    .entry(ci.contact_id)
                    .or_default()
                    .push((ci, inbox.clone()));
            }
        }
        Ok(list
            .into_iter()
            .map(|contact| {
                let contact_inboxes = by_contact.remove(&contact.id).unwrap_or_default();
                ContactDetail {
                    contact,
                    contact_inboxes,
                }
            })
            .collect())
    }

    /// Lists contacts: identified ones by default, all matching a search or a filter.
    pub async fn list_contacts(
        &self,
        scope: &Scope,
        listing: &ContactListing,
    ) -> AppResult<ContactPage> {
        scope.require_user_or_key(KeyScope::ContactRead, "contact")?;
        let sort = match listing
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                ContactSort::parse(s)
                    .ok_or_else(|| AppError::invalid("sort", "is not a sortable attribute"))?,
            ),
        };
        let parsed = match &listing.filter {
            Some(raw) => {
                // Keys that are not standard resolve through the contact attribute definitions.
                let kinds = self.custom_attribute_kinds(scope.account_id(), 1).await?;
                Some(
                    filter::parse(raw, filter::CONTACT_ATTRIBUTES, |k| kinds.get(k).copied())
                        .map_err(|e| AppError::Unprocessable(e.to_string()))?,
                )
            }
            None => None,
        };
        let q = ContactQuery {
            sort,
            page: listing.page.max(1),
            per_page: CONTACTS_PER_PAGE,
            search: listing.q.as_deref(),
            filter: parsed.as_ref(),
            identified_only: parsed.is_none(),
            email_only: false,
        };
        let mut c = self.store().conn();
        let (list, total) =
            contacts::list_contacts(&mut c, scope.account_id(), &q, self.now()).await?;
        Ok(ContactPage {
            contacts: self.details(&mut c, scope, list).await?,
            total,
        })
    }

    pub async fn get_contact(&self, scope: &Scope, id: ContactId) -> AppResult<ContactDetail> {
        scope.require_user_or_key(KeyScope::ContactRead, "contact")?;
        let mut c = self.store().conn();
        let contact = contacts::find_contact(&mut c, scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut d = self.details(&mut c, scope, vec![contact]).await?;
        d.pop().ok_or(AppError::NotFound)
    }

    /// Creates a contact, and its identity in `inbox_id` when given. Returns the identity created.
    pub async fn create_contact(
        &self,
        scope: &Scope,
        input: &ContactInput,
    ) -> AppResult<(ContactDetail, Option<(ContactInbox, Inbox)>)> {
        scope.require_user_or_key(KeyScope::ContactWrite, "contact")?;
        let cc = clean(input)?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let inbox = match input.inbox_id {
            Some(i) => Some(
                inboxes::find_inbox(&mut tx.conn(), scope.account_id(), i)
                    .await?
                    .ok_or(AppError::NotFound)?,
            ),
            None => None,
        };
        taken_fields(&mut tx.conn(), scope.account_id(), None, &cc)
            .await?
            .into_result()?;
        let new = NewContact {
            name: cc.name.clone().unwrap_or_default(),
            email: cc.email.clone().flatten(),
            phone_number: cc.phone_number.clone().flatten(),
            identifier: cc.identifier.clone().flatten(),
            additional_attributes: input
                .additional_attributes
                .clone()
                .unwrap_or_else(|| Value::Object(Default::default())),
            custom_attributes: input
                .custom_attributes
                .clone()
                .unwrap_or_else(|| Value::Object(Default::default())),
            blocked: input.blocked.unwrap_or(false),
        };
        let id = match contacts::insert_contact(&mut tx.conn(), scope.account_id(), &new, now).await
        {
            Ok(id) => id,
            Err(e) => return Err(write_error(self, e, scope.account_id(), None, &cc).await),
        };
        let row = contacts::get_contact(&mut tx.conn(), scope.account_id(), id).await?;
        self.record_contact_event(&mut tx.conn(), None, &row, &Acting::of(scope), now)
            .await?;
        let created = match inbox {
            Some(inbox) => {
                let source = input
                    .source_id
                    .clone()
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or_else(secrets::new_source_id);
                let ci = match contacts::insert_contact_inbox(
                    &mut tx.conn(),
                    id,
                    inbox.id,
                    &source,
                    false,
                    &secrets::random_alnum(24),
                    now,
                )
                .await
                {
                    Err(StoreError::UniqueViolation) => {
                        return Err(AppError::invalid("source_id", "has already been taken"));
                    }
                    other => other?,
                };
                Some((ci, inbox))
            }
            None => None,
        };
        let detail = self.details(&mut tx.conn(), scope, vec![row]).await?.pop();
        tx.commit().await?;
        Ok((detail.ok_or(AppError::NotFound)?, created))
    }

    /// Updates a contact; `additional_attributes` and `custom_attributes` are merged.
    pub async fn update_contact(
        &self,
        scope: &Scope,
        id: ContactId,
        input: &ContactInput,
    ) -> AppResult<ContactDetail> {
        scope.require_user_or_key(KeyScope::ContactWrite, "contact")?;
        let cc = clean(input)?;
        let mut tx = self.store().begin().await?;
        let contact = contacts::find_contact(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        taken_fields(&mut tx.conn(), scope.account_id(), Some(id), &cc)
            .await?
            .into_result()?;
        let ch = ContactChanges {
            name: cc.name.clone(),
            email: cc.email.clone(),
            phone_number: cc.phone_number.clone(),
            identifier: cc.identifier.clone(),
            additional_attributes: input
                .additional_attributes
                .as_ref()
                .map(|p| merge(&contact.additional_attributes, p)),
            custom_attributes: input
                .custom_attributes
                .as_ref()
                .map(|p| merge(&contact.custom_attributes, p)),
            blocked: input.blocked,
        };
        let now = self.now();
        if let Err(e) = contacts::update_contact(&mut tx.conn(), id, &ch, now).await {
            return Err(write_error(self, e, scope.account_id(), Some(id), &cc).await);
        }
        let after = contacts::get_contact(&mut tx.conn(), scope.account_id(), id).await?;
        self.record_contact_event(
            &mut tx.conn(),
            Some(&contact),
            &after,
            &Acting::of(scope),
            now,
        )
        .await?;
        let detail = self
            .details(&mut tx.conn(), scope, vec![after])
            .await?
            .pop();
        tx.commit().await?;
        detail.ok_or(AppError::NotFound)
    }

    /// Records `contact_created` (no `before`) or, when something a webhook shows changed,
    /// `contact_updated` with upstream's `changed_attributes`.
    pub(crate) async fn record_contact_event(
        &self,
        c: &mut Conn<'_>,
        before: Option<&Contact>,
        after: &Contact,
        acting: &Acting,
        now: confab_domain::Timestamp,
    ) -> AppResult<()> {
        let (name, changed) = match before {
            None => ("contact_created", Value::Null),
            Some(b) => {
                let mut changed = serde_json::Map::new();
                let mut diff = |attr: &str, prev: Value, cur: Value| {
                    if prev != cur {
                        changed.insert(
                            attr.to_owned(),
                            json!({ "previous_value": prev, "current_value": cur }),
                        );
                    }
                };
                diff("name", json!(b.name), json!(after.name));
                diff("email", json!(b.email), json!(after.email));
                diff(
                    "phone_number",
                    json!(b.phone_number),
                    json!(after.phone_number),
                );
                diff("identifier", json!(b.identifier), json!(after.identifier));
                diff(
                    "additional_attributes",
                    b.additional_attributes.clone(),
                    after.additional_attributes.clone(),
                );
                diff(
                    "custom_attributes",
                    b.custom_attributes.clone(),
                    after.custom_attributes.clone(),
                );
                diff("blocked", json!(b.blocked), json!(after.blocked));
                if changed.is_empty() {
                    return Ok(());
                }
                ("contact_updated", Value::Object(changed))
            }
        };
        let data = json!({
            "contact_id": after.id,
            "changed_attributes": changed,
            "performed_by": acting.json(),
        });
        events::record(c, after.account_id, name, None, &data, now).await?;
        Ok(())
    }

    /// Deletes a contact (administrators only).
    pub async fn delete_contact(&self, scope: &Scope, id: ContactId) -> AppResult<()> {
        scope.require_admin()?;
        let mut tx = self.store().begin().await?;
        contacts::find_contact(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        contacts::delete_contact(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The inboxes a contact can be reached through: for API inboxes, each existing identity.
    pub async fn contactable_inboxes(
        &self,
        scope: &Scope,
        id: ContactId,
    ) -> AppResult<Vec<(Inbox, Option<String>)>> {
        let detail = self.get_contact(scope, id).await?;
        let visible = self.list_inboxes(scope).await?;
        Ok(visible
            .into_iter()
            .map(|inbox| {
                let source = detail
                    .contact_inboxes
                    .iter()
                    .find(|(ci, _)| ci.inbox_id == inbox.id)
                    .map(|(ci, _)| ci.source_id.clone());
                (inbox, source)
            })
            .collect())
    }

    /// Creates (idempotently) a contact's identity in an inbox of the account.
    pub async fn create_contact_inbox(
        &self,
        scope: &Scope,
        id: ContactId,
        inbox_id: Option<InboxId>,
        source_id: Option<String>,
        hmac_verified: Option<bool>,
    ) -> AppResult<(ContactInbox, Inbox)> {
        scope.require_user()?;
        let inbox_id = inbox_id.ok_or_else(|| AppError::invalid("inbox_id", "can't be blank"))?;
        let mut tx = self.store().begin().await?;
        contacts::find_contact(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let inbox = inboxes::find_inbox(&mut tx.conn(), scope.account_id(), inbox_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let source = source_id
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(secrets::new_source_id);
        let ci = match contacts::insert_contact_inbox(
            &mut tx.conn(),
            id,
            inbox.id,
            &source,
            hmac_verified.unwrap_or(false),
            &secrets::random_alnum(24),
            self.now(),
        )
        .await
        {
            Err(StoreError::UniqueViolation) => {
                return Err(AppError::invalid("source_id", "has already been taken"));
            }
            other => other?,
        };
        tx.commit().await?;
        Ok((ci, inbox))
    }
}
