//! Fernand's conversation API over the same domain: keyset-paged lists with a small query
//! language, the conversation with its derived subject, the per-field-permission update, the
//! timeline and the contact search. Every change goes through the lifecycle's transactions, so
//! both dialects fire the same events, webhooks and automations.

use std::collections::HashMap;

use confab_domain::api_key::KeyScope;
use confab_domain::contact::Contact;
use confab_domain::conversation::{
    AssigneeFilter, Conversation, ConversationSort, ConversationStatus, StatusFilter,
};
use confab_domain::message::Message;
use confab_domain::user::User;
use confab_domain::{ConversationId, LabelId, Timestamp, UserId};
use confab_store::contacts::{self as contact_store, ContactQuery};
use confab_store::conversations::{self, ConversationChanges, ConversationQuery};
use confab_store::messages::{self, MessageWindow};
use confab_store::{accounts, labels, users};
use serde_json::{Value, json};

pub use confab_store::conversations::Keyset;

use crate::error::{AppError, AppResult};
use crate::lifecycle::{Acting, SnoozeInput, StatusPolicy, changed};
use crate::{App, Scope};

mod query;
use query::{ParsedQuery, parse_query};

/// Fernand's page sizes.
pub const LIMITS: std::ops::RangeInclusive<u64> = 3..=250;
/// The longest subject a client may set.
pub const SUBJECT_MAX: usize = 80;
/// The longest subject derived from a first message.
const DERIVED_SUBJECT_MAX: usize = 250;

/// Fernand's sort orders: `newest` and `oldest` read an index; `priority` and `longest` sort
/// the matching conversations (on the scan pool, as filters do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FernandSort {
    #[default]
    Newest,
    Oldest,
    Priority,
    /// Waiting longest for a reply first.
    Longest,
}

impl FernandSort {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "newest" => Some(Self::Newest),
            "oldest" => Some(Self::Oldest),
            "priority" => Some(Self::Priority),
            "longest" => Some(Self::Longest),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::Priority => "priority",
            Self::Longest => "longest",
        }
    }
    /// The position of a conversation in this sort (each object's own `cursor`).
    pub fn position(self, conv: &Conversation) -> Keyset {
        Keyset::of(conv, self.order())
    }
    fn order(self) -> ConversationSort {
        match self {
            Self::Newest => ConversationSort::CreatedDesc,
            Self::Oldest => ConversationSort::CreatedAsc,
            Self::Priority => ConversationSort::PriorityDesc,
            Self::Longest => ConversationSort::WaitingSinceAsc,
        }
    }
}

/// A list request, as parsed by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct FernandListing {
    pub limit: u64,
    pub sort: FernandSort,
    pub q: Option<String>,
    pub after: Option<Keyset>,
}

/// One page of conversations with what their Fernand objects need.
#[derive(Debug, Clone)]
pub struct FernandPage {
    pub conversations: Vec<FernandConversation>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Keyset>,
    pub sort: FernandSort,
}

/// A conversation with its derived fields.
#[derive(Debug, Clone)]
pub struct FernandConversation {
    pub conversation: Conversation,
    pub subject: Option<String>,
    pub tag_ids: Vec<LabelId>,
    pub last_incoming_at: Option<Timestamp>,
}

/// A `PATCH /conversations/{id}`: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct FernandPatch {
    pub status: Option<String>,
    pub snooze_until: Option<SnoozeInput>,
    pub wake_on_reply: Option<bool>,
    pub block_contact: Option<bool>,
    /// `Some(None)` unassigns.
    pub agent_id: Option<Option<i64>>,
    pub agent_email: Option<String>,
    pub subject: Option<String>,
    pub contact_id: Option<i64>,
}

/// One item of a conversation's timeline.
#[derive(Debug, Clone)]
pub struct TimelineItem {
    pub message: Message,
    pub attachments: Vec<confab_domain::message::Attachment>,
}

impl App {
    /// `GET /fernand/conversations`.
    pub async fn fernand_list(
        &self,
        scope: &Scope,
        listing: &FernandListing,
    ) -> AppResult<FernandPage> {
        scope.require_key_scope(KeyScope::ConversationRead, "conversation")?;
        scope.refuse_bots()?;
        if !LIMITS.contains(&listing.limit) {
            return Err(AppError::invalid("limit", "must be between 3 and 250"));
        }
        let parsed = match listing.q.as_deref() {
            Some(q) => parse_query(q)?,
            None => ParsedQuery::default(),
        };
        let mut c = self.store().conn();
        let visible = self.visible_inboxes(&mut c, scope).await?;
        let (assignee, me) = match parsed.agent.as_deref() {
            None => (AssigneeFilter::All, None),
            Some(a) => match a.to_ascii_lowercase().as_str() {
                "none" | "unassigned" => (AssigneeFilter::Unassigned, None),
                "any" | "assigned" => (AssigneeFilter::Assigned, None),
                "me" => (
                    AssigneeFilter::Me,
                    Some(scope.user().map(|u| u.id).ok_or_else(|| {
                        AppError::invalid("q", "agent:me needs a user's token, not an API key")
                    })?),
                ),
                other => {
                    let user = self.member_user(&mut c, scope, other).await?;
                    (
                        AssigneeFilter::Me,
                        Some(user.map(|u| u.id).ok_or_else(|| {
                            AppError::invalid("q", "agent: names no agent of this account")
                        })?),
                    )
                }
            },
        };
        let all_labels = labels::list_labels(&mut c, scope.account_id()).await?;
        // A tag is a label's id or its title.
        let tags: Vec<String> = parsed
            .tags
            .iter()
            .map(|t| {
                all_labels
                    .iter()
                    .find(|l| l.id.get().to_string() == *t)
                    .map(|l| l.title.clone())
                    .unwrap_or_else(|| t.clone())
            })
            .collect();
        let words = parsed.words.join(" ");
        let sort = listing.sort.order();
        let query = ConversationQuery {
            status: Some(parsed.status.unwrap_or(StatusFilter::All)),
            visible_inboxes: visible.as_deref(),
            labels: &tags,
            search: Some(words.as_str()).filter(|w| !w.is_empty()),
            assignee,
            me,
            sort,
            page: 1,
            // One more than asked tells whether there is a next page, without a count.
            per_page: listing.limit + 1,
            after: listing.after,
            ..Default::default()
        };
        let mut rows =
            conversations::list_conversations(&mut c, scope.account_id(), &query, self.now())
                .await?;
        let more = rows.len() as u64 > listing.limit;
        rows.truncate(usize::try_from(listing.limit).unwrap_or(usize::MAX));
        let next = more
            .then(|| rows.last().map(|r| Keyset::of(r, sort)))
            .flatten();
        let conversations = self.fernand_details(&mut c, rows, &all_labels).await?;
        Ok(FernandPage {
            conversations,
            next,
            sort: listing.sort,
        })
    }

    /// `GET /fernand/conversations/{id}`.
    pub async fn fernand_get(&self, scope: &Scope, id: i64) -> AppResult<FernandConversation> {
        scope.require_key_scope(KeyScope::ConversationRead, "conversation")?;
        scope.refuse_bots()?;
        let mut c = self.store().conn();
        let conv = self.load_conversation(&mut c, scope, id).await?;
        self.fernand_one(&mut c, scope, conv).await
    }

    async fn fernand_one(
        &self,
        c: &mut confab_store::Conn<'_>,
        scope: &Scope,
        conv: Conversation,
    ) -> AppResult<FernandConversation> {
        let all_labels = labels::list_labels(c, scope.account_id()).await?;
        self.fernand_details(c, vec![conv], &all_labels)
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    /// Subjects, tag ids and last incoming times for a page, in three statements.
    async fn fernand_details(
        &self,
        c: &mut confab_store::Conn<'_>,
        rows: Vec<Conversation>,
        all_labels: &[confab_domain::team::Label],
    ) -> AppResult<Vec<FernandConversation>> {
        let ids: Vec<ConversationId> = rows.iter().map(|r| r.id).collect();
        let firsts: HashMap<ConversationId, Option<String>> = messages::first_contents(c, &ids)
            .await?
            .into_iter()
            .collect();
        let last_in: HashMap<ConversationId, Timestamp> = messages::last_incoming_times(c, &ids)
            .await?
            .into_iter()
            .collect();
        let label_ids: HashMap<&str, LabelId> = all_labels
            .iter()
            .map(|l| (l.title.as_str(), l.id))
            .collect();
        Ok(rows
            .into_iter()
            .map(|conv| {
                let set = conv
                    .additional_attributes
                    .get("subject")
                    .or_else(|| conv.additional_attributes.get("mail_subject"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let subject = set.or_else(|| {
                    firsts
                        .get(&conv.id)
                        .cloned()
                        .flatten()
                        .map(|t| derive_subject(&t))
                        .filter(|s| !s.is_empty())
                });
                let tag_ids = conv
                    .labels()
                    .iter()
                    .filter_map(|t| label_ids.get(t.as_str()).copied())
                    .collect();
                let last_incoming_at = last_in.get(&conv.id).copied();
                FernandConversation {
                    conversation: conv,
                    subject,
                    tag_ids,
                    last_incoming_at,
                }
            })
            .collect())
    }

    /// A member of the account by id or email.
    async fn member_user(
        &self,
        c: &mut confab_store::Conn<'_>,
        scope: &Scope,
        who: &str,
    ) -> AppResult<Option<User>> {
        let user = match who.parse::<i64>() {
            Ok(id) => users::find_user(c, UserId(id)).await?,
            Err(_) => users::find_user_by_email(c, who).await?,
        };
        let Some(user) = user else {
            return Ok(None);
        };
        let member = accounts::find_account_user(c, scope.account_id(), user.id).await?;
        Ok(member.map(|_| user))
    }

    /// `PATCH /fernand/conversations/{id}`: every field is checked (values and the key's
    /// permissions) before anything is written; then one transaction applies them all.
    pub async fn fernand_patch(
        &self,
        scope: &Scope,
        id: i64,
        patch: &FernandPatch,
    ) -> AppResult<FernandConversation> {
        scope.refuse_bots()?;
        // Permissions first: a refused field changes nothing.
        let gates = [
            (
                patch.status.is_some(),
                KeyScope::ConversationStatus,
                "status",
            ),
            (
                patch.snooze_until.is_some(),
                KeyScope::ConversationStatus,
                "snooze_until",
            ),
            (
                patch.wake_on_reply.is_some(),
                KeyScope::ConversationStatus,
                "wake_on_reply",
            ),
            (
                patch.block_contact.is_some(),
                KeyScope::ConversationStatus,
                "block_contact",
            ),
            (
                patch.agent_id.is_some(),
                KeyScope::ConversationAssign,
                "agent_id",
            ),
            (
                patch.agent_email.is_some(),
                KeyScope::ConversationAssign,
                "agent_email",
            ),
            (
                patch.subject.is_some(),
                KeyScope::ConversationUpdate,
                "subject",
            ),
            (
                patch.contact_id.is_some(),
                KeyScope::ConversationUpdate,
                "contact_id",
            ),
        ];
        for (present, needed, field) in gates {
            if present {
                scope.require_key_scope(needed, field)?;
            }
        }
        if patch.block_contact == Some(true) {
            scope.require_key_scope(KeyScope::ContactWrite, "block_contact")?;
        }
        // Values next.
        let mut status = match patch.status.as_deref() {
            None => None,
            Some(s) => Some(ConversationStatus::parse_fernand(s).ok_or_else(|| {
                AppError::invalid("status", "must be one of OPENED, CLOSED, SPAM, SNOOZED")
            })?),
        };
        if status.is_none() && patch.snooze_until.is_some() {
            status = Some(ConversationStatus::Snoozed);
        }
        let snooze_until = match (status, &patch.snooze_until) {
            (Some(ConversationStatus::Snoozed), Some(at)) => {
                Some(self.snooze_time(scope, at, "snooze_until")?)
            }
            (Some(ConversationStatus::Snoozed), None) => {
                return Err(AppError::invalid(
                    "snooze_until",
                    "is required to snooze (for example \"tomorrow\" or \"2h\")",
                ));
            }
            (_, Some(_)) => {
                return Err(AppError::invalid(
                    "snooze_until",
                    "goes with the status SNOOZED only",
                ));
            }
            _ => None,
        };
        // The policies go with the status they qualify; alone they would silently do nothing.
        if patch.wake_on_reply.is_some() && status != Some(ConversationStatus::Snoozed) {
            return Err(AppError::invalid(
                "wake_on_reply",
                "goes with the status SNOOZED only",
            ));
        }
        if patch.block_contact.is_some() && status != Some(ConversationStatus::Spam) {
            return Err(AppError::invalid(
                "block_contact",
                "goes with the status SPAM only",
            ));
        }
        let subject = match patch.subject.as_deref().map(str::trim) {
            Some("") => return Err(AppError::invalid("subject", "can't be blank")),
            Some(s) if s.chars().count() > SUBJECT_MAX => {
                return Err(AppError::invalid(
                    "subject",
                    "is too long (maximum is 80 characters)",
                ));
            }
            other => other.map(str::to_owned),
        };
        if patch.agent_id.is_some() && patch.agent_email.is_some() {
            return Err(AppError::invalid(
                "agent_email",
                "give either agent_id or agent_email, not both",
            ));
        }
        let acting = Acting::of(scope);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, id).await?;
        if let Some(contact) = patch.contact_id
            && contact != conv.contact_id.get()
        {
            // Confab's conversations have one recipient, their contact.
            return Err(AppError::invalid(
                "contact_id",
                "must be a recipient of this conversation",
            ));
        }
        let assignee: Option<Option<User>> = match (&patch.agent_id, &patch.agent_email) {
            (Some(None), _) => Some(None),
            (Some(Some(id)), _) => Some(Some(
                self.member_user(&mut c, scope, &id.to_string())
                    .await?
                    .ok_or_else(|| {
                        AppError::invalid("agent_id", "is not an agent of this account")
                    })?,
            )),
            (None, Some(email)) => Some(Some(
                self.member_user(&mut c, scope, email.trim())
                    .await?
                    .ok_or_else(|| {
                        AppError::invalid("agent_email", "is not an agent of this account")
                    })?,
            )),
            (None, None) => None,
        };
        // Pending reads as OPENED: writing back what was read changes nothing.
        let status = status.filter(|to| {
            !(*to == ConversationStatus::Open && conv.status == ConversationStatus::Pending)
        });
        // Each step works on the row as the previous one left it.
        let mut cur = match status {
            Some(to) => {
                let policy = StatusPolicy {
                    wake_on_reply: patch.wake_on_reply.unwrap_or(true),
                    block_contact: patch.block_contact.unwrap_or(false)
                        && to == ConversationStatus::Spam,
                };
                self.set_status_policy_tx(&mut c, &conv, to, snooze_until, policy, &acting, now)
                    .await?
                    .1
            }
            None => conv,
        };
        // As in Chatwoot's toggle_status, an agent (not an administrator) who opens a
        // conversation becomes its assignee, unless the request names one.
        let assignee = match (assignee, status) {
            (None, Some(ConversationStatus::Open)) => acting.opener().cloned().map(Some),
            (a, _) => a,
        };
        if let Some(who) = assignee {
            self.set_assignee_tx(&mut c, &cur, who.as_ref(), &acting, now)
                .await?;
            cur = conversations::get_conversation(&mut c, cur.id).await?;
        }
        if let Some(subject) = subject {
            let previous = cur.additional_attributes.get("subject").cloned();
            if previous.as_ref().and_then(Value::as_str) != Some(subject.as_str()) {
                let mut attrs = cur.additional_attributes.clone();
                if !attrs.is_object() {
                    attrs = json!({});
                }
                attrs["subject"] = json!(subject);
                let ch = ConversationChanges {
                    additional_attributes: Some(attrs),
                    ..Default::default()
                };
                conversations::update_conversation(&mut c, cur.id, &ch, now).await?;
                let diff = changed("subject", previous.unwrap_or(Value::Null), json!(subject));
                self.record_event(&mut c, &cur, "conversation_updated", diff, &acting, now)
                    .await?;
                cur = conversations::get_conversation(&mut c, cur.id).await?;
            }
        }
        let out = self.fernand_one(&mut c, scope, cur).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// `GET /fernand/conversations/{id}/messages`: newest first, `before` an item id.
    pub async fn fernand_timeline(
        &self,
        scope: &Scope,
        id: i64,
        before: Option<i64>,
        limit: u64,
    ) -> AppResult<Vec<TimelineItem>> {
        scope.require_key_scope(KeyScope::ConversationRead, "conversation")?;
        scope.refuse_bots()?;
        if !(1..=250).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 250"));
        }
        let mut c = self.store().conn();
        let conv = self.load_conversation(&mut c, scope, id).await?;
        let mut rows = messages::list_messages(
            &mut c,
            conv.id,
            &MessageWindow {
                before: before.map(confab_domain::MessageId),
                after: None,
                limit,
                public_only: false,
            },
        )
        .await?;
        rows.reverse();
        let ids: Vec<confab_domain::MessageId> = rows.iter().map(|m| m.id).collect();
        let mut files = crate::presentation::attachments_by_message(&mut c, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|m| TimelineItem {
                attachments: files.remove(&m.id).unwrap_or_default(),
                message: m,
            })
            .collect())
    }

    /// `GET /fernand/contacts?q=`: with `@` the email only, else name and email.
    pub async fn fernand_contacts(
        &self,
        scope: &Scope,
        q: Option<&str>,
        limit: u64,
    ) -> AppResult<Vec<Contact>> {
        scope.require_key_scope(KeyScope::ContactRead, "contact")?;
        scope.refuse_bots()?;
        if !(1..=99).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 99"));
        }
        let q = q.map(str::trim).filter(|s| !s.is_empty());
        let mut c = self.store().conn();
        let rows = contact_store::contacts_page(
            &mut c,
            scope.account_id(),
            &ContactQuery {
                sort: None,
                page: 1,
                per_page: limit,
                search: q,
                filter: None,
                identified_only: false,
                email_only: q.is_some_and(|q| q.contains('@')),
            },
            self.now(),
        )
        .await?;
        Ok(rows)
    }
}

/// A subject from a first message: its first line, at most 250 characters.
fn derive_subject(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    line.chars().take(DERIVED_SUBJECT_MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_subject_is_the_first_non_blank_line() {
        assert_eq!(derive_subject("\n  Hello there \nsecond"), "Hello there");
        assert_eq!(derive_subject(&"x".repeat(300)).len(), 250);
    }
}
