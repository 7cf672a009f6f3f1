//! Inboxes, their API channel, and inbox members.

use confab_domain::inbox::{Inbox, SenderNameType};
use confab_domain::{AccountId, ChannelId, InboxId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::membership::Membership;
use crate::{Conn, StoreError};

const INBOX_COLUMNS: [&str; 25] = [
    "id",
    "account_id",
    "channel_type",
    "channel_id",
    "name",
    "greeting_enabled",
    "greeting_message",
    "enable_email_collect",
    "csat_survey_enabled",
    "csat_config",
    "enable_auto_assignment",
    "auto_assignment_config",
    "working_hours_enabled",
    "working_hours",
    "out_of_office_message",
    "timezone",
    "allow_messages_after_resolved",
    "lock_to_single_conversation",
    "sender_name_type",
    "business_name",
    "created_at",
    "updated_at",
    "auto_resolve_after",
    "auto_resolve_pending",
    "auto_resolve_message",
];

fn select_inboxes() -> SelectStatement {
    let mut q = Query::select();
    for col in INBOX_COLUMNS {
        q.column(("inboxes", col));
    }
    q.column(("channel_api", "identifier"))
        .column(("channel_api", "hmac_token"))
        .column(("channel_api", "hmac_mandatory"))
        .column(("channel_api", "webhook_url"))
        .expr_as(
            Expr::col(("channel_api", "additional_attributes")),
            "channel_additional_attributes",
        )
        .from("inboxes")
        .left_join(
            "channel_api",
            Expr::col(("channel_api", "id"))
                .equals(("inboxes", "channel_id"))
                .and(Expr::col(("inboxes", "channel_type")).eq("Channel::Api")),
        );
    q
}

/// The API channel of a new inbox.
#[derive(Debug, Clone)]
pub struct NewApiChannel {
    pub identifier: String,
    pub hmac_token: String,
    pub hmac_mandatory: bool,
    pub webhook_url: Option<String>,
    /// The key `webhook_url` deliveries are signed with.
    pub webhook_secret: String,
    pub additional_attributes: Value,
}

/// The inbox-level settings shared by every channel; used for create (all set) and update.
#[derive(Debug, Clone, Default)]
pub struct InboxSettings {
    pub name: Option<String>,
    pub greeting_enabled: Option<bool>,
    pub greeting_message: Option<Option<String>>,
    pub enable_email_collect: Option<bool>,
    pub csat_survey_enabled: Option<bool>,
    pub csat_config: Option<Value>,
    pub enable_auto_assignment: Option<bool>,
    pub auto_assignment_config: Option<Value>,
    pub working_hours_enabled: Option<bool>,
    pub out_of_office_message: Option<Option<String>>,
    pub timezone: Option<String>,
    pub allow_messages_after_resolved: Option<bool>,
    pub lock_to_single_conversation: Option<bool>,
    pub sender_name_type: Option<SenderNameType>,
    pub business_name: Option<Option<String>>,
    pub auto_resolve_after: Option<Option<i64>>,
    pub auto_resolve_pending: Option<Option<bool>>,
    pub auto_resolve_message: Option<Option<String>>,
}

impl InboxSettings {
    fn changes(&self) -> Changes {
        let mut ch = Changes::default();
        ch.opt("auto_resolve_after", self.auto_resolve_after)
            .opt("auto_resolve_pending", self.auto_resolve_pending)
            .opt("auto_resolve_message", self.auto_resolve_message.clone());
        ch.opt("name", self.name.clone())
            .opt("greeting_enabled", self.greeting_enabled)
            .opt("greeting_message", self.greeting_message.clone())
            .opt("enable_email_collect", self.enable_email_collect)
            .opt("csat_survey_enabled", self.csat_survey_enabled)
            .opt_json("csat_config", self.csat_config.as_ref())
            .opt("enable_auto_assignment", self.enable_auto_assignment)
            .opt_json(
                "auto_assignment_config",
                self.auto_assignment_config.as_ref(),
            )
            .opt("working_hours_enabled", self.working_hours_enabled)
            .opt("out_of_office_message", self.out_of_office_message.clone())
            .opt("timezone", self.timezone.clone())
            .opt(
                "allow_messages_after_resolved",
                self.allow_messages_after_resolved,
            )
            .opt(
                "lock_to_single_conversation",
                self.lock_to_single_conversation,
            )
            .opt(
                "sender_name_type",
                self.sender_name_type.map(SenderNameType::code),
            )
            .opt("business_name", self.business_name.clone());
        ch
    }
}

/// Changes to an API channel.
#[derive(Debug, Clone, Default)]
pub struct ApiChannelChanges {
    pub hmac_mandatory: Option<bool>,
    pub webhook_url: Option<Option<String>>,
    pub additional_attributes: Option<Value>,
}

/// Creates an API channel and its inbox. `settings.name` must be set.
pub async fn insert_api_inbox(
    c: &mut Conn<'_>,
    account: AccountId,
    channel: &NewApiChannel,
    settings: &InboxSettings,
    working_hours: &Value,
    now: Timestamp,
) -> Result<InboxId, StoreError> {
    let mut ch = insert_into(
        "channel_api",
        vec![
            ("account_id", account.get().into()),
            ("identifier", channel.identifier.clone().into()),
            ("hmac_token", channel.hmac_token.clone().into()),
            ("hmac_mandatory", channel.hmac_mandatory.into()),
            ("webhook_url", channel.webhook_url.clone().into()),
            ("webhook_secret", channel.webhook_secret.clone().into()),
            (
                "additional_attributes",
                json(&channel.additional_attributes),
            ),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    let channel_id = ChannelId(c.insert_returning_id(&mut ch).await?);
    let mut fields = vec![
        ("account_id", account.get().into()),
        ("channel_type", "Channel::Api".into()),
        ("channel_id", channel_id.get().into()),
        ("working_hours", json(working_hours)),
        ("created_at", now.as_micros().into()),
        ("updated_at", now.as_micros().into()),
    ];
    fields.extend(settings.changes().0);
    let mut stmt = insert_into("inboxes", fields)?;
    Ok(InboxId(c.insert_returning_id(&mut stmt).await?))
}

/// An inbox of an account; `None` when it does not exist there.
pub async fn find_inbox(
    c: &mut Conn<'_>,
    account: AccountId,
    id: InboxId,
) -> Result<Option<Inbox>, StoreError> {
    let stmt = select_inboxes()
        .and_where(Expr::col(("inboxes", "account_id")).eq(account.get()))
        .and_where(Expr::col(("inboxes", "id")).eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// An API inbox by its public identifier.
pub async fn find_inbox_by_identifier(
    c: &mut Conn<'_>,
    identifier: &str,
) -> Result<Option<Inbox>, StoreError> {
    let stmt = select_inboxes()
        .and_where(Expr::col(("channel_api", "identifier")).eq(identifier))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The inboxes of an account ordered by lower-cased name; only those `member` belongs to when given.
pub async fn list_inboxes(
    c: &mut Conn<'_>,
    account: AccountId,
    member: Option<UserId>,
) -> Result<Vec<Inbox>, StoreError> {
    let mut stmt = select_inboxes();
    stmt.and_where(Expr::col(("inboxes", "account_id")).eq(account.get()));
    if let Some(user) = member {
        let ids = Query::select()
            .column("inbox_id")
            .from("inbox_members")
            .and_where(Expr::col("user_id").eq(user.get()))
            .to_owned();
        stmt.and_where(Expr::col(("inboxes", "id")).in_subquery(ids));
    }
    stmt.order_by_expr(
        sea_query::Func::lower(Expr::col(("inboxes", "name"))).into(),
        Order::Asc,
    )
    .order_by(("inboxes", "id"), Order::Asc);
    c.fetch_all(&stmt).await
}

/// Updates an inbox and its API channel.
pub async fn update_inbox(
    c: &mut Conn<'_>,
    inbox: &Inbox,
    settings: &InboxSettings,
    channel: &ApiChannelChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    c.execute(&settings.changes().update("inboxes", inbox.id.get(), now))
        .await?;
    if inbox.channel_type == "Channel::Api" {
        let mut ch = Changes::default();
        ch.opt("hmac_mandatory", channel.hmac_mandatory)
            .opt("webhook_url", channel.webhook_url.clone())
            .opt_json(
                "additional_attributes",
                channel.additional_attributes.as_ref(),
            );
        if !ch.is_empty() {
            c.execute(&ch.update("channel_api", inbox.channel_id.get(), now))
                .await?;
        }
    }
    Ok(())
}

/// Deletes an inbox, its channel and (through foreign keys) its members and contact identities.
pub async fn delete_inbox(c: &mut Conn<'_>, inbox: &Inbox) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("inboxes")
        .and_where(Expr::col("id").eq(inbox.id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    if inbox.channel_type == "Channel::Api" {
        let ch = Query::delete()
            .from_table("channel_api")
            .and_where(Expr::col("id").eq(inbox.channel_id.get()))
            .to_owned();
        c.execute(&ch).await?;
    }
    Ok(())
}

const INBOX_MEMBERS: Membership = Membership {
    table: "inbox_members",
    parent: "inbox_id",
};

/// The user ids of the members, ascending.
pub async fn list_member_ids(c: &mut Conn<'_>, inbox: InboxId) -> Result<Vec<UserId>, StoreError> {
    INBOX_MEMBERS.member_ids(c, inbox.get()).await
}

/// Adds members (ignoring those already there).
pub async fn add_members(
    c: &mut Conn<'_>,
    inbox: InboxId,
    users: &[UserId],
    now: Timestamp,
) -> Result<(), StoreError> {
    INBOX_MEMBERS.add(c, inbox.get(), users, now).await
}

/// Removes members (ignoring those who are not members).
pub async fn remove_members(
    c: &mut Conn<'_>,
    inbox: InboxId,
    users: &[UserId],
) -> Result<(), StoreError> {
    INBOX_MEMBERS.remove(c, inbox.get(), users).await
}

/// Whether a user is a member.
pub async fn is_member(c: &mut Conn<'_>, inbox: InboxId, user: UserId) -> Result<bool, StoreError> {
    INBOX_MEMBERS.contains(c, inbox.get(), user).await
}

/// How many inboxes an account has (the `inboxes` plan limit).
pub async fn count_inboxes(c: &mut Conn<'_>, account: AccountId) -> Result<i64, StoreError> {
    let stmt = Query::select()
        .expr(sea_query::Func::count(Expr::col("id")))
        .from("inboxes")
        .and_where(Expr::col("account_id").eq(account.get()))
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}

/// The inboxes of an account a user is a member of (what an agent may list).
pub async fn member_inbox_ids(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
) -> Result<Vec<InboxId>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct IdRow {
        id: i64,
    }
    let stmt = Query::select()
        .expr_as(Expr::col(("inboxes", "id")), "id")
        .from("inboxes")
        .inner_join(
            "inbox_members",
            Expr::col(("inbox_members", "inbox_id")).equals(("inboxes", "id")),
        )
        .and_where(Expr::col(("inboxes", "account_id")).eq(account.get()))
        .and_where(Expr::col(("inbox_members", "user_id")).eq(user.get()))
        .order_by(("inboxes", "id"), Order::Asc)
        .to_owned();
    Ok(c.fetch_all::<IdRow>(&stmt)
        .await?
        .into_iter()
        .map(|r| InboxId(r.id))
        .collect())
}

/// Inboxes by id (one query for a page of conversations).
pub async fn list_inboxes_by_ids(
    c: &mut Conn<'_>,
    ids: &[InboxId],
) -> Result<Vec<Inbox>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = select_inboxes();
    stmt.and_where(Expr::col(("inboxes", "id")).is_in(ids.iter().map(|i| i.get())));
    c.fetch_all(&stmt).await
}

/// Which of `users` are members of which of `inboxes`.
pub async fn inbox_memberships(
    c: &mut Conn<'_>,
    inboxes: &[InboxId],
    users: &[UserId],
) -> Result<Vec<(InboxId, UserId)>, StoreError> {
    if inboxes.is_empty() || users.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(["inbox_id", "user_id"])
        .from("inbox_members")
        .and_where(Expr::col("inbox_id").is_in(inboxes.iter().map(|i| i.get())))
        .and_where(Expr::col("user_id").is_in(users.iter().map(|u| u.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}

/// What auto-resolve needs of an inbox and its account, in one read.
#[derive(Debug, Clone, sqlx::FromRow, confab_domain::db::SqliteRow)]
pub struct AutoResolveSettings {
    pub inbox_after: Option<i64>,
    pub inbox_pending: Option<bool>,
    pub inbox_message: Option<String>,
    pub account_after: Option<i64>,
    #[sqlx(json)]
    pub account_settings: Value,
}

pub async fn auto_resolve_settings(
    c: &mut Conn<'_>,
    inbox: InboxId,
) -> Result<Option<AutoResolveSettings>, StoreError> {
    let stmt = Query::select()
        .expr_as(Expr::col(("inboxes", "auto_resolve_after")), "inbox_after")
        .expr_as(
            Expr::col(("inboxes", "auto_resolve_pending")),
            "inbox_pending",
        )
        .expr_as(
            Expr::col(("inboxes", "auto_resolve_message")),
            "inbox_message",
        )
        .expr_as(
            Expr::col(("accounts", "auto_resolve_duration")),
            "account_after",
        )
        .expr_as(Expr::col(("accounts", "settings")), "account_settings")
        .from("inboxes")
        .inner_join(
            "accounts",
            Expr::col(("accounts", "id")).equals(("inboxes", "account_id")),
        )
        .and_where(Expr::col(("inboxes", "id")).eq(inbox.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}
