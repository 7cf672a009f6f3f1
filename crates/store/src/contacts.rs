//! Contacts and contact inboxes.

use confab_domain::contact::{Contact, ContactInbox, ContactSort, ContactSortKey};
use confab_domain::filter::Filter;
use confab_domain::{AccountId, ContactId, ContactInboxId, InboxId, Timestamp};
use sea_query::{Cond, Expr, ExprTrait, Func, NullOrdering, Order, Query, SelectStatement};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::filter_sql::{self, like_escape};
use crate::{Conn, StoreError};

const COLUMNS: [&str; 13] = [
    "id",
    "account_id",
    "name",
    "email",
    "phone_number",
    "identifier",
    "additional_attributes",
    "custom_attributes",
    "blocked",
    "contact_type",
    "last_activity_at",
    "created_at",
    "updated_at",
];
const CONTACT_INBOX_COLUMNS: [&str; 8] = [
    "id",
    "contact_id",
    "inbox_id",
    "source_id",
    "hmac_verified",
    "pubsub_token",
    "created_at",
    "updated_at",
];

/// A new contact. `email` must be lower-cased; blanks must already be `None`.
#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
    pub blocked: bool,
}

/// Changes to a contact. JSON attributes are replaced whole; merging is the caller's rule.
#[derive(Debug, Clone, Default)]
pub struct ContactChanges {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub identifier: Option<Option<String>>,
    pub additional_attributes: Option<Value>,
    pub custom_attributes: Option<Value>,
    pub blocked: Option<bool>,
}

/// Inserts a contact. `StoreError::UniqueViolation` when its email, phone number or identifier is
/// taken in the account.
pub async fn insert_contact(
    c: &mut Conn<'_>,
    account: AccountId,
    n: &NewContact,
    now: Timestamp,
) -> Result<ContactId, StoreError> {
    let mut stmt = insert_into(
        "contacts",
        vec![
            ("account_id", account.get().into()),
            ("name", n.name.clone().into()),
            ("email", n.email.clone().into()),
            ("phone_number", n.phone_number.clone().into()),
            ("identifier", n.identifier.clone().into()),
            ("additional_attributes", json(&n.additional_attributes)),
            ("custom_attributes", json(&n.custom_attributes)),
            ("blocked", n.blocked.into()),
            ("contact_type", 0i16.into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(ContactId(c.insert_returning_id(&mut stmt).await?))
}

pub async fn find_contact(
    c: &mut Conn<'_>,
    account: AccountId,
    id: ContactId,
) -> Result<Option<Contact>, StoreError> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("contacts")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

pub async fn get_contact(
    c: &mut Conn<'_>,
    account: AccountId,
    id: ContactId,
) -> Result<Contact, StoreError> {
    find_contact(c, account, id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Finds a contact of an account by one of its unique keys (`email` lower-cased).
pub async fn find_contact_by(
    c: &mut Conn<'_>,
    account: AccountId,
    column: ContactKey,
    value: &str,
) -> Result<Option<Contact>, StoreError> {
    let col = match column {
        ContactKey::Email => "email",
        ContactKey::PhoneNumber => "phone_number",
        ContactKey::Identifier => "identifier",
    };
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("contacts")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col(col).eq(value))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The unique keys of a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKey {
    Email,
    PhoneNumber,
    Identifier,
}

pub async fn update_contact(
    c: &mut Conn<'_>,
    id: ContactId,
    ch: &ContactChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("name", ch.name.clone())
        .opt("email", ch.email.clone())
        .opt("phone_number", ch.phone_number.clone())
        .opt("identifier", ch.identifier.clone())
        .opt_json("additional_attributes", ch.additional_attributes.as_ref())
        .opt_json("custom_attributes", ch.custom_attributes.as_ref())
        .opt("blocked", ch.blocked);
    c.execute(&changes.update("contacts", id.get(), now))
        .await?;
    Ok(())
}

pub async fn delete_contact(c: &mut Conn<'_>, id: ContactId) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("contacts")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// What to list.
#[derive(Debug, Clone)]
pub struct ContactQuery<'a> {
    pub sort: Option<ContactSort>,
    /// 1-based page.
    pub page: u64,
    pub per_page: u64,
    /// Case-insensitive substring of name, email, phone number or identifier.
    pub search: Option<&'a str>,
    pub filter: Option<&'a Filter>,
    /// Only contacts with an email, phone number or identifier (Chatwoot's "resolved" contacts).
    pub identified_only: bool,
    /// `search` looks at the email only (Fernand's search for a text with `@`).
    pub email_only: bool,
}

fn base(account: AccountId, q: &ContactQuery<'_>, now: Timestamp) -> SelectStatement {
    let mut stmt = Query::select();
    stmt.from("contacts")
        .and_where(Expr::col(("contacts", "account_id")).eq(account.get()));
    if q.identified_only {
        stmt.cond_where(
            Cond::any()
                .add(
                    Expr::col(("contacts", "email"))
                        .is_not_null()
                        .and(Expr::col(("contacts", "email")).ne("")),
                )
                .add(
                    Expr::col(("contacts", "phone_number"))
                        .is_not_null()
                        .and(Expr::col(("contacts", "phone_number")).ne("")),
                )
                .add(
                    Expr::col(("contacts", "identifier"))
                        .is_not_null()
                        .and(Expr::col(("contacts", "identifier")).ne("")),
                ),
        );
    }
    if let Some(s) = q.search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", like_escape(&s.to_lowercase()));
        let mut any = Cond::any();
        let columns: &[&'static str] = if q.email_only {
            &["email"]
        } else {
            &["name", "email", "phone_number", "identifier"]
        };
        for &col in columns {
            any = any.add(
                Func::lower(Expr::col(("contacts", col)))
                    .like(sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        stmt.cond_where(any);
    }
    if let Some(f) = q.filter {
        stmt.cond_where(filter_sql::condition(f, "contacts", now));
    }
    stmt
}

/// One page of contacts and the total count of the query.
pub async fn list_contacts(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &ContactQuery<'_>,
    now: Timestamp,
) -> Result<(Vec<Contact>, i64), StoreError> {
    let count_stmt = base(account, q, now)
        .expr(Func::count(Expr::col(("contacts", "id"))))
        .to_owned();
    // Counting every contact of the account (and matching by substring) visits each row.
    let total = c
        .scanning()
        .fetch_scalar::<i64>(&count_stmt)
        .await?
        .unwrap_or(0);
    Ok((contacts_page(c, account, q, now).await?, total))
}

/// One page of contacts, without the count.
pub async fn contacts_page(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &ContactQuery<'_>,
    now: Timestamp,
) -> Result<Vec<Contact>, StoreError> {
    let mut stmt = base(account, q, now);
    for col in COLUMNS {
        stmt.column(("contacts", col));
    }
    let sort = q.sort.unwrap_or(ContactSort {
        key: ContactSortKey::LastActivityAt,
        descending: true,
    });
    let order = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let nulls = NullOrdering::Last;
    let json_key = |k: &'static str| filter_sql::json_text("contacts", "additional_attributes", k);
    match sort.key {
        ContactSortKey::Name => stmt.order_by_expr_with_nulls(
            Func::lower(Expr::col(("contacts", "name"))).into(),
            order.clone(),
            nulls,
        ),
        ContactSortKey::Email => {
            stmt.order_by_with_nulls(("contacts", "email"), order.clone(), nulls)
        }
        ContactSortKey::PhoneNumber => {
            stmt.order_by_with_nulls(("contacts", "phone_number"), order.clone(), nulls)
        }
        ContactSortKey::LastActivityAt => {
            stmt.order_by_with_nulls(("contacts", "last_activity_at"), order.clone(), nulls)
        }
        ContactSortKey::CreatedAt => {
            stmt.order_by_with_nulls(("contacts", "created_at"), order.clone(), nulls)
        }
        ContactSortKey::Company => {
            stmt.order_by_expr_with_nulls(json_key("company_name"), order.clone(), nulls)
        }
        ContactSortKey::City => {
            stmt.order_by_expr_with_nulls(json_key("city"), order.clone(), nulls)
        }
        ContactSortKey::Country => {
            stmt.order_by_expr_with_nulls(json_key("country"), order.clone(), nulls)
        }
    };
    stmt.order_by(
        ("contacts", "id"),
        if sort.descending {
            Order::Desc
        } else {
            Order::Asc
        },
    )
    .limit(q.per_page)
    .offset(crate::db::page_offset(q.page, q.per_page));
    if q.search.is_some() || q.filter.is_some() {
        c.scanning().fetch_all(&stmt).await
    } else {
        c.fetch_all(&stmt).await
    }
}

/// Creates a contact's identity in an inbox. Idempotent on (contact, inbox, source_id):
/// an existing row of the same contact is returned; one of another contact is a conflict.
pub async fn insert_contact_inbox(
    c: &mut Conn<'_>,
    contact: ContactId,
    inbox: InboxId,
    source_id: &str,
    hmac_verified: bool,
    pubsub_token: &str,
    now: Timestamp,
) -> Result<ContactInbox, StoreError> {
    if let Some(existing) = find_contact_inbox(c, inbox, source_id).await? {
        return if existing.contact_id == contact {
            Ok(existing)
        } else {
            Err(StoreError::UniqueViolation)
        };
    }
    let mut stmt = insert_into(
        "contact_inboxes",
        vec![
            ("contact_id", contact.get().into()),
            ("inbox_id", inbox.get().into()),
            ("source_id", source_id.into()),
            ("hmac_verified", hmac_verified.into()),
            ("pubsub_token", pubsub_token.into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    c.insert_returning_id(&mut stmt).await?;
    find_contact_inbox(c, inbox, source_id)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn find_contact_inbox(
    c: &mut Conn<'_>,
    inbox: InboxId,
    source_id: &str,
) -> Result<Option<ContactInbox>, StoreError> {
    let stmt = Query::select()
        .columns(CONTACT_INBOX_COLUMNS)
        .from("contact_inboxes")
        .and_where(Expr::col("inbox_id").eq(inbox.get()))
        .and_where(Expr::col("source_id").eq(source_id))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The inbox identities of several contacts (one query for a page of contacts), by id.
pub async fn list_contact_inboxes(
    c: &mut Conn<'_>,
    contacts: &[ContactId],
) -> Result<Vec<ContactInbox>, StoreError> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(CONTACT_INBOX_COLUMNS)
        .from("contact_inboxes")
        .and_where(Expr::col("contact_id").is_in(contacts.iter().map(|c| c.get())))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Contacts by id (one query for a page of conversations).
pub async fn list_by_ids(c: &mut Conn<'_>, ids: &[ContactId]) -> Result<Vec<Contact>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("contacts")
        .and_where(Expr::col("id").is_in(ids.iter().map(|i| i.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Contact inboxes by id.
pub async fn list_contact_inboxes_by_ids(
    c: &mut Conn<'_>,
    ids: &[ContactInboxId],
) -> Result<Vec<ContactInbox>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(CONTACT_INBOX_COLUMNS)
        .from("contact_inboxes")
        .and_where(Expr::col("id").is_in(ids.iter().map(|i| i.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}

/// A contact's identity in an inbox (the first one when it has several).
pub async fn contact_inbox_of(
    c: &mut Conn<'_>,
    contact: ContactId,
    inbox: InboxId,
) -> Result<Option<ContactInbox>, StoreError> {
    let stmt = Query::select()
        .columns(CONTACT_INBOX_COLUMNS)
        .from("contact_inboxes")
        .and_where(Expr::col("contact_id").eq(contact.get()))
        .and_where(Expr::col("inbox_id").eq(inbox.get()))
        .order_by("id", Order::Asc)
        .limit(1)
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// Records a contact's activity (a message from them).
pub async fn touch_activity(
    c: &mut Conn<'_>,
    id: ContactId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stmt = Query::update()
        .table("contacts")
        .value("last_activity_at", now.as_micros())
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// Marks an identity as proven by identity verification (it then sees every conversation of
/// its contact in the inbox). Never reset, as upstream.
pub async fn set_hmac_verified(
    c: &mut Conn<'_>,
    id: ContactInboxId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stmt = Query::update()
        .table("contact_inboxes")
        .value("hmac_verified", true)
        .value("updated_at", now.as_micros())
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// Locks an identity's row until the transaction ends (PostgreSQL; SQLite writers are
/// serialised anyway), so decisions about it (the creation rate limit) see each other.
pub async fn lock_contact_inbox(c: &mut Conn<'_>, id: ContactInboxId) -> Result<(), StoreError> {
    let stmt = Query::select()
        .column("id")
        .from("contact_inboxes")
        .and_where(Expr::col("id").eq(id.get()))
        .lock(sea_query::LockType::Update)
        .to_owned();
    let _: Option<(i64,)> = c.fetch_optional(&stmt).await?;
    Ok(())
}

/// A contact identity of any inbox of an account by its source id.
pub async fn find_contact_inbox_in_account(
    c: &mut Conn<'_>,
    account: AccountId,
    source_id: &str,
) -> Result<Option<ContactInbox>, StoreError> {
    let cols = CONTACT_INBOX_COLUMNS.map(|col| ("contact_inboxes", col));
    let stmt = Query::select()
        .columns(cols)
        .from("contact_inboxes")
        .inner_join(
            "inboxes",
            Expr::col(("inboxes", "id")).equals(("contact_inboxes", "inbox_id")),
        )
        .and_where(Expr::col(("inboxes", "account_id")).eq(account.get()))
        .and_where(Expr::col(("contact_inboxes", "source_id")).eq(source_id))
        .order_by(("contact_inboxes", "id"), Order::Asc)
        .limit(1)
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// A contact's inbox identity by the pubsub token a widget presents, with the inbox's account.
pub async fn contact_inbox_by_pubsub_token(
    c: &mut Conn<'_>,
    token: &str,
) -> Result<Option<(ContactInbox, AccountId)>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct Row {
        #[sqlx(flatten)]
        ci: ContactInbox,
        account_id: AccountId,
    }
    let stmt = Query::select()
        .columns(CONTACT_INBOX_COLUMNS.map(|col| ("contact_inboxes", col)))
        .column(("inboxes", "account_id"))
        .from("contact_inboxes")
        .inner_join(
            "inboxes",
            Expr::col(("inboxes", "id")).equals(("contact_inboxes", "inbox_id")),
        )
        .and_where(Expr::col(("contact_inboxes", "pubsub_token")).eq(token))
        .to_owned();
    Ok(c.fetch_optional::<Row>(&stmt)
        .await?
        .map(|r| (r.ci, r.account_id)))
}
