//! CSAT survey answers: one row per survey message, and the account's listing and metrics.

use confab_domain::csat::CsatResponse;
use confab_domain::message::ContentType;
use confab_domain::{
    AccountId, ContactId, ConversationId, InboxId, MessageId, TeamId, Timestamp, UserId,
};
use sea_query::{Expr, ExprTrait, Func, OnConflict, Order, Query, SelectStatement};

use crate::db::insert_into;
use crate::{Conn, StoreError};

const COLUMNS: [&str; 10] = [
    "id",
    "account_id",
    "conversation_id",
    "message_id",
    "contact_id",
    "assigned_agent_id",
    "rating",
    "feedback_message",
    "created_at",
    "updated_at",
];

fn select() -> SelectStatement {
    let mut stmt = Query::select();
    for col in COLUMNS {
        stmt.column(("csat_survey_responses", col));
    }
    stmt.from("csat_survey_responses");
    stmt
}

/// An answer to record.
#[derive(Debug, Clone)]
pub struct NewCsatResponse {
    pub account: AccountId,
    pub conversation: ConversationId,
    pub message: MessageId,
    pub contact: ContactId,
    pub assigned_agent: Option<UserId>,
    pub rating: i16,
    pub feedback_message: Option<String>,
}

/// Records an answer; a second answer to the same survey replaces the first.
pub async fn upsert_response(
    c: &mut Conn<'_>,
    n: &NewCsatResponse,
    now: Timestamp,
) -> Result<CsatResponse, StoreError> {
    let mut stmt = insert_into(
        "csat_survey_responses",
        vec![
            ("account_id", n.account.get().into()),
            ("conversation_id", n.conversation.get().into()),
            ("message_id", n.message.get().into()),
            ("contact_id", n.contact.get().into()),
            (
                "assigned_agent_id",
                n.assigned_agent.map(UserId::get).into(),
            ),
            ("rating", n.rating.into()),
            ("feedback_message", n.feedback_message.clone().into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    stmt.on_conflict(
        OnConflict::column("message_id")
            .update_columns([
                "assigned_agent_id",
                "rating",
                "feedback_message",
                "updated_at",
            ])
            .to_owned(),
    );
    c.execute(&stmt).await?;
    find_by_message(c, n.message)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The answer to one survey message, if given.
pub async fn find_by_message(
    c: &mut Conn<'_>,
    message: MessageId,
) -> Result<Option<CsatResponse>, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("csat_survey_responses", "message_id")).eq(message.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// Which answers an account looks at (`GET …/csat_survey_responses` and its metrics).
#[derive(Debug, Clone, Default)]
pub struct CsatQuery {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Answers about conversations assigned to these agents.
    pub agents: Vec<UserId>,
    pub inbox: Option<InboxId>,
    pub team: Option<TeamId>,
    pub rating: Option<i16>,
}

impl CsatQuery {
    fn needs_conversation(&self) -> bool {
        self.inbox.is_some() || self.team.is_some()
    }

    /// Narrows answers (`csat_survey_responses` joined to `conversations` when needed).
    fn apply(&self, stmt: &mut SelectStatement, account: AccountId) {
        let t = "csat_survey_responses";
        stmt.and_where(Expr::col((t, "account_id")).eq(account.get()));
        if let Some(s) = self.since {
            stmt.and_where(Expr::col((t, "created_at")).gte(s.as_micros()));
        }
        if let Some(u) = self.until {
            stmt.and_where(Expr::col((t, "created_at")).lte(u.as_micros()));
        }
        if !self.agents.is_empty() {
            stmt.and_where(
                Expr::col((t, "assigned_agent_id")).is_in(self.agents.iter().map(|u| u.get())),
            );
        }
        if let Some(r) = self.rating {
            stmt.and_where(Expr::col((t, "rating")).eq(r));
        }
        if self.needs_conversation() {
            stmt.inner_join(
                "conversations",
                Expr::col(("conversations", "id")).equals((t, "conversation_id")),
            );
            if let Some(i) = self.inbox {
                stmt.and_where(Expr::col(("conversations", "inbox_id")).eq(i.get()));
            }
            if let Some(team) = self.team {
                stmt.and_where(Expr::col(("conversations", "team_id")).eq(team.get()));
            }
        }
    }
}

/// A page of an account's answers, newest first.
pub async fn list_responses(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &CsatQuery,
    page: u64,
    per_page: u64,
) -> Result<Vec<CsatResponse>, StoreError> {
    let mut stmt = select();
    q.apply(&mut stmt, account);
    stmt.order_by(("csat_survey_responses", "created_at"), Order::Desc)
        .order_by(("csat_survey_responses", "id"), Order::Desc)
        .limit(per_page)
        .offset(crate::db::page_offset(page, per_page));
    c.fetch_all(&stmt).await
}

/// How many answers carry each rating.
pub async fn ratings_count(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &CsatQuery,
) -> Result<Vec<(i16, i64)>, StoreError> {
    let mut stmt = Query::select();
    stmt.column(("csat_survey_responses", "rating"))
        .expr(Func::count(Expr::col(("csat_survey_responses", "id"))))
        .from("csat_survey_responses");
    q.apply(&mut stmt, account);
    stmt.group_by_col(("csat_survey_responses", "rating"))
        .order_by(("csat_survey_responses", "rating"), Order::Asc);
    c.fetch_all(&stmt).await
}

/// How many surveys were sent (survey messages) in the same window, inbox and team.
pub async fn surveys_sent(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &CsatQuery,
) -> Result<i64, StoreError> {
    let mut stmt = Query::select();
    stmt.expr(Func::count(Expr::col(("messages", "id"))))
        .from("messages")
        .and_where(Expr::col(("messages", "account_id")).eq(account.get()))
        // Matches the partial index `messages_csat_idx`.
        .and_where(crate::messages::content_type_is(ContentType::InputCsat));
    if let Some(s) = q.since {
        stmt.and_where(Expr::col(("messages", "created_at")).gte(s.as_micros()));
    }
    if let Some(u) = q.until {
        stmt.and_where(Expr::col(("messages", "created_at")).lte(u.as_micros()));
    }
    if let Some(i) = q.inbox {
        stmt.and_where(Expr::col(("messages", "inbox_id")).eq(i.get()));
    }
    if q.team.is_some() || !q.agents.is_empty() {
        stmt.inner_join(
            "conversations",
            Expr::col(("conversations", "id")).equals(("messages", "conversation_id")),
        );
        if let Some(team) = q.team {
            stmt.and_where(Expr::col(("conversations", "team_id")).eq(team.get()));
        }
        if !q.agents.is_empty() {
            stmt.and_where(
                Expr::col(("conversations", "assignee_id")).is_in(q.agents.iter().map(|u| u.get())),
            );
        }
    }
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}
