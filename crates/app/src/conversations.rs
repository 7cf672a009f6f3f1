//! Conversations: visibility, the list with its counts, search, show, create and delete.
//! What their JSON shows is gathered in `presentation.rs`; the status lifecycle and other
//! changes are in `lifecycle.rs` and `assignment.rs`.

use std::collections::HashMap;

use confab_domain::api_key::KeyScope;
use confab_domain::conversation::{
    AssigneeFilter, Conversation, ConversationSort, ConversationStatus, StatusFilter,
};
use confab_domain::filter::{self, RawCondition};
use confab_domain::{ContactId, ConversationId, InboxId, TeamId, UserId};
use confab_store::conversations::{self, ConversationCounts, ConversationQuery, NewConversation};
use confab_store::{Conn, accounts, agent_bots, contacts, inboxes, messages, teams};
use serde_json::{Value, json};

use crate::error::{AppError, AppResult, messages as texts};
use crate::lifecycle::{Acting, NewMessageSpec};
use crate::{App, Scope, secrets};

pub use crate::presentation::{ConversationView, MessageView, Sender};

/// Conversations per page, as upstream (`CONVERSATION_RESULTS_PER_PAGE`).
pub const CONVERSATIONS_PER_PAGE: u64 = 25;

/// One page of a list with the counts of the whole list.
#[derive(Debug, Clone)]
pub struct ConversationPage {
    pub conversations: Vec<ConversationView>,
    pub counts: ConversationCounts,
}

/// The list parameters of `GET …/conversations` (and `meta`, `filter`, `search`).
#[derive(Debug, Clone, Default)]
pub struct ConversationListing {
    pub status: Option<String>,
    pub assignee_type: Option<String>,
    pub inbox_id: Option<InboxId>,
    pub team_id: Option<TeamId>,
    pub labels: Vec<String>,
    pub q: Option<String>,
    pub source_id: Option<String>,
    pub conversation_type: Option<String>,
    pub sort_by: Option<String>,
    pub page: u64,
    pub filter: Option<Vec<RawCondition>>,
}

/// Fields of a new conversation.
#[derive(Debug, Clone, Default)]
pub struct ConversationInput {
    pub source_id: Option<String>,
    pub inbox_id: Option<InboxId>,
    pub contact_id: Option<ContactId>,
    pub status: Option<String>,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub snoozed_until: Option<crate::lifecycle::SnoozeInput>,
    pub additional_attributes: Option<Value>,
    pub custom_attributes: Option<Value>,
    /// The initial message's content, if any (`"message": {}` means none).
    pub message: Option<String>,
    pub message_template_params: Option<Value>,
}

impl App {
    /// The inboxes an agent may list (`None`: every inbox, for administrators and bots).
    pub(crate) async fn visible_inboxes(
        &self,
        c: &mut Conn<'_>,
        scope: &Scope,
    ) -> AppResult<Option<Vec<InboxId>>> {
        match scope.user() {
            Some(u) if !scope.is_admin() => Ok(Some(
                inboxes::member_inbox_ids(c, scope.account_id(), u.id).await?,
            )),
            _ => Ok(None),
        }
    }

    /// A conversation of the account by display id, if the caller may see it: administrators
    /// and bots always; agents through inbox membership, team membership or assignment.
    pub(crate) async fn load_conversation(
        &self,
        c: &mut Conn<'_>,
        scope: &Scope,
        display_id: i64,
    ) -> AppResult<Conversation> {
        let conv = conversations::find_by_display_id(c, scope.account_id(), display_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let Some(user) = scope.user() else {
            return Ok(conv);
        };
        if scope.is_admin() || conv.assignee_id == Some(user.id) {
            return Ok(conv);
        }
        if inboxes::is_member(c, conv.inbox_id, user.id).await? {
            return Ok(conv);
        }
        if let Some(team) = conv.team_id
            && teams::is_member(c, team, user.id).await?
        {
            return Ok(conv);
        }
        Err(AppError::Forbidden(texts::NOT_AUTHORIZED))
    }

    /// Resolves custom attribute keys of a filter through the account's definitions.
    async fn parse_conversation_filter(
        &self,
        scope: &Scope,
        raw: &[RawCondition],
    ) -> AppResult<filter::Filter> {
        let kinds = self.custom_attribute_kinds(scope.account_id(), 0).await?;
        filter::parse_conversation(raw, |k| kinds.get(k).copied())
            .map_err(|e| AppError::Unprocessable(e.to_string()))
    }

    /// Lists conversations with the counts of the list (§6.1). `with_page = false` answers
    /// only the counts (`meta`).
    pub async fn list_conversations(
        &self,
        scope: &Scope,
        listing: &ConversationListing,
        with_page: bool,
    ) -> AppResult<ConversationPage> {
        let me = scope
            .require_user_or_key(KeyScope::ConversationRead, "conversation")?
            .map(|u| u.id);
        let parsed = match &listing.filter {
            Some(raw) => Some(self.parse_conversation_filter(scope, raw).await?),
            None => None,
        };
        let mut c = self.store().conn();
        let visible = self.visible_inboxes(&mut c, scope).await?;
        if let Some(t) = listing.team_id
            && teams::find_team(&mut c, scope.account_id(), t)
                .await?
                .is_none()
        {
            return Err(AppError::NotFound);
        }
        let contact_inbox = match listing.source_id.as_deref() {
            Some(s) if !s.is_empty() => Some(
                contacts::find_contact_inbox_in_account(&mut c, scope.account_id(), s)
                    .await?
                    .map(|ci| ci.id)
                    .unwrap_or(confab_domain::ContactInboxId(0)),
            ),
            _ => None,
        };
        let q = listing
            .q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        // `q` ignores the status; a filter brings its own status conditions, and only a
        // filter that names spam can reach it.
        let spam = ConversationStatus::Spam.code().to_string();
        let status = if q.is_some() || parsed.is_some() {
            if parsed
                .as_ref()
                .is_some_and(|f| f.names_value("status", &spam))
            {
                Some(StatusFilter::Any)
            } else {
                Some(StatusFilter::All)
            }
        } else {
            Some(StatusFilter::parse(listing.status.as_deref()))
        };
        let query = ConversationQuery {
            status,
            visible_inboxes: visible.as_deref(),
            inbox: listing.inbox_id,
            team: listing.team_id,
            contact: None,
            contact_inbox,
            labels: &listing.labels,
            message_text: q,
            search: None,
            unattended: listing.conversation_type.as_deref() == Some("unattended"),
            filter: parsed.as_ref(),
            assignee: AssigneeFilter::parse(listing.assignee_type.as_deref()),
            me,
            sort: if parsed.is_some() {
                ConversationSort::LastActivityDesc
            } else {
                ConversationSort::parse(listing.sort_by.as_deref())
            },
            page: listing.page.max(1),
            per_page: CONVERSATIONS_PER_PAGE,
            after: None,
        };
        let now = self.now();
        let (counts, conversations) = if with_page {
            let (list, counts) =
                conversations::page_and_counts(&mut c, scope.account_id(), &query, now).await?;
            (counts, self.conversation_views(&mut c, scope, list).await?)
        } else {
            let counts =
                conversations::count_conversations(&mut c, scope.account_id(), &query, now).await?;
            (counts, Vec::new())
        };
        Ok(ConversationPage {
            conversations,
            counts,
        })
    }

    /// `conversations/search?q=`: conversations whose public messages contain the words of `q`
    /// or whose contact's name, email, phone or identifier has words starting with each word
    /// of `q`, newest first; each
    /// with its matching messages.
    pub async fn search_conversations(
        &self,
        scope: &Scope,
        q: &str,
        page: u64,
    ) -> AppResult<(ConversationPage, HashMap<ConversationId, Vec<MessageView>>)> {
        let me = scope
            .require_user_or_key(KeyScope::ConversationRead, "conversation")?
            .map(|u| u.id);
        let q = q.trim();
        if q.is_empty() {
            return Err(AppError::Unprocessable(
                "Specify search string with parameter q".into(),
            ));
        }
        let mut c = self.store().conn();
        let visible = self.visible_inboxes(&mut c, scope).await?;
        let query = ConversationQuery {
            status: Some(StatusFilter::All),
            visible_inboxes: visible.as_deref(),
            search: Some(q),
            me,
            page: page.max(1),
            per_page: CONVERSATIONS_PER_PAGE,
            after: None,
            ..Default::default()
        };
        let now = self.now();
        let (list, counts) =
            conversations::page_and_counts(&mut c, scope.account_id(), &query, now).await?;
        let ids: Vec<ConversationId> = list.iter().map(|v| v.id).collect();
        let display: HashMap<ConversationId, i64> =
            list.iter().map(|v| (v.id, v.display_id)).collect();
        let matching = messages::matching_in(&mut c, &ids, q, 5).await?;
        let mut by_conv: HashMap<ConversationId, Vec<MessageView>> = HashMap::new();
        for m in self.message_views(&mut c, matching, &display).await? {
            by_conv
                .entry(m.message.conversation_id)
                .or_default()
                .push(m);
        }
        let conversations = self.conversation_views(&mut c, scope, list).await?;
        Ok((
            ConversationPage {
                conversations,
                counts,
            },
            by_conv,
        ))
    }

    /// The last 20 conversations of a contact by activity, permission-filtered.
    pub async fn contact_conversations(
        &self,
        scope: &Scope,
        contact: ContactId,
    ) -> AppResult<Vec<ConversationView>> {
        scope.require_user()?;
        let mut c = self.store().conn();
        contacts::find_contact(&mut c, scope.account_id(), contact)
            .await?
            .ok_or(AppError::NotFound)?;
        let visible = self.visible_inboxes(&mut c, scope).await?;
        let query = ConversationQuery {
            status: Some(StatusFilter::All),
            visible_inboxes: visible.as_deref(),
            contact: Some(contact),
            page: 1,
            per_page: 20,
            after: None,
            ..Default::default()
        };
        let list =
            conversations::list_conversations(&mut c, scope.account_id(), &query, self.now())
                .await?;
        self.conversation_views(&mut c, scope, list).await
    }

    pub async fn get_conversation(
        &self,
        scope: &Scope,
        display_id: i64,
    ) -> AppResult<ConversationView> {
        scope.require_key_scope(KeyScope::ConversationRead, "conversation")?;
        let mut c = self.store().conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        self.conversation_view(&mut c, scope, conv).await
    }

    /// Creates a conversation (`ConversationBuilder`), with an optional first message.
    pub async fn create_conversation(
        &self,
        scope: &Scope,
        input: &ConversationInput,
    ) -> AppResult<ConversationView> {
        let account = scope.account_id();
        let requested = match input.status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(
                ConversationStatus::parse(s)
                    .ok_or_else(|| AppError::invalid("status", "is not a valid status"))?,
            ),
        };
        for (field, v) in [
            ("additional_attributes", &input.additional_attributes),
            ("custom_attributes", &input.custom_attributes),
        ] {
            if v.as_ref().is_some_and(|v| !v.is_object()) {
                return Err(AppError::invalid(field, "must be an object"));
            }
        }
        let now = self.now();
        let snoozed_until = match (&input.snoozed_until, requested) {
            (Some(at), Some(ConversationStatus::Snoozed)) => {
                Some(self.snooze_time(scope, at, "snoozed_until")?)
            }
            _ => None,
        };
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        // The contact's identity in the inbox: by source id, or from contact + inbox.
        let (contact_inbox, inbox) = match input.source_id.as_deref().filter(|s| !s.is_empty()) {
            Some(source) if input.contact_id.is_none() => {
                let ci = contacts::find_contact_inbox_in_account(&mut c, account, source)
                    .await?
                    .ok_or_else(|| AppError::invalid("source_id", "does not exist"))?;
                let inbox = inboxes::find_inbox(&mut c, account, ci.inbox_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                (ci, inbox)
            }
            source => {
                let inbox_id = input
                    .inbox_id
                    .ok_or_else(|| AppError::invalid("inbox_id", "can't be blank"))?;
                let contact_id = input
                    .contact_id
                    .ok_or_else(|| AppError::invalid("contact_id", "can't be blank"))?;
                let inbox = inboxes::find_inbox(&mut c, account, inbox_id)
                    .await?
                    .ok_or_else(|| AppError::invalid("inbox_id", "does not exist"))?;
                contacts::find_contact(&mut c, account, contact_id)
                    .await?
                    .ok_or_else(|| AppError::invalid("contact_id", "does not exist"))?;
                let ci = match source {
                    Some(s) => match contacts::find_contact_inbox(&mut c, inbox.id, s).await? {
                        Some(ci) if ci.contact_id == contact_id => ci,
                        Some(_) => {
                            return Err(AppError::Unprocessable(
                                "source_id should be unique".into(),
                            ));
                        }
                        None => {
                            contacts::insert_contact_inbox(
                                &mut c,
                                contact_id,
                                inbox.id,
                                s,
                                false,
                                &secrets::random_alnum(24),
                                now,
                            )
                            .await?
                        }
                    },
                    None => match contacts::contact_inbox_of(&mut c, contact_id, inbox.id).await? {
                        Some(ci) => ci,
                        None => {
                            contacts::insert_contact_inbox(
                                &mut c,
                                contact_id,
                                inbox.id,
                                &secrets::new_source_id(),
                                false,
                                &secrets::random_alnum(24),
                                now,
                            )
                            .await?
                        }
                    },
                };
                (ci, inbox)
            }
        };
        if let Some(user) = scope.user()
            && !scope.is_admin()
            && !inboxes::is_member(&mut c, inbox.id, user.id).await?
        {
            return Err(AppError::Forbidden(texts::NOT_AUTHORIZED));
        }
        if inbox.lock_to_single_conversation
            && let Some(existing) =
                conversations::last_of_contact_inbox(&mut c, contact_inbox.id).await?
        {
            tx.commit().await?;
            let mut c = self.store().conn();
            return self.conversation_view(&mut c, scope, existing).await;
        }
        if let Some(a) = input.assignee_id
            && accounts::find_account_user(&mut c, account, a)
                .await?
                .is_none()
        {
            return Err(AppError::invalid(
                "assignee_id",
                "is not an agent of this account",
            ));
        }
        if let Some(t) = input.team_id
            && teams::find_team(&mut c, account, t).await?.is_none()
        {
            return Err(AppError::invalid("team_id", "does not exist"));
        }
        let contact = contacts::get_contact(&mut c, account, contact_inbox.contact_id).await?;
        let has_bot = agent_bots::inbox_has_bot(&mut c, inbox.id).await?;
        let status =
            confab_domain::conversation::initial_status(requested, contact.blocked, has_bot);
        let conv = conversations::insert_conversation(
            &mut c,
            &NewConversation {
                account,
                uuid: secrets::random_uuid(),
                inbox: inbox.id,
                contact: contact.id,
                contact_inbox: Some(contact_inbox.id),
                status,
                snoozed_until,
                assignee: input.assignee_id,
                team: input.team_id,
                additional_attributes: input
                    .additional_attributes
                    .clone()
                    .unwrap_or_else(|| Value::Object(Default::default())),
                custom_attributes: input
                    .custom_attributes
                    .clone()
                    .unwrap_or_else(|| Value::Object(Default::default())),
            },
            now,
        )
        .await?;
        let acting = Acting::of(scope);
        if status == ConversationStatus::Snoozed
            && let Some(t) = snoozed_until
        {
            self.schedule_wake(&mut c, &conv, t, now).await?;
        }
        self.record_event(
            &mut c,
            &conv,
            "conversation_created",
            Value::Null,
            &acting,
            now,
        )
        .await?;
        if let Some(content) = input.message.clone().filter(|s| !s.trim().is_empty()) {
            let mut spec = NewMessageSpec::outgoing(content);
            if let Some(tp) = &input.message_template_params {
                spec.additional_attributes = json!({ "template_params": tp });
            }
            self.add_message_tx(&mut c, &conv, spec, &acting, now)
                .await?;
        }
        self.schedule_auto_resolve_tx(&mut c, &conv, status, now)
            .await?;
        let conv = conversations::get_conversation(&mut c, conv.id).await?;
        tx.commit().await?;
        let mut c = self.store().conn();
        self.conversation_view(&mut c, scope, conv).await
    }

    /// Deletes a conversation with its messages and files (administrators only).
    pub async fn delete_conversation(&self, scope: &Scope, display_id: i64) -> AppResult<()> {
        scope.require_admin()?;
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let keys = messages::storage_keys_of_conversation(&mut c, conv.id).await?;
        confab_store::jobs::cancel(&mut c, &crate::lifecycle::wake_key(conv.id)).await?;
        conversations::delete_conversation(&mut c, conv.id).await?;
        tx.commit().await?;
        self.remove_files(&keys).await;
        Ok(())
    }
    /// `POST …/conversations/:id/toggle_typing_status` of an agent (`is_private`: typing a
    /// private note): an event for live listeners and webhooks; nothing is stored.
    pub async fn agent_typing(
        &self,
        scope: &Scope,
        display_id: i64,
        typing_status: Option<&str>,
        is_private: bool,
    ) -> AppResult<()> {
        let event = crate::public::typing_event(typing_status)?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        self.record_event(
            &mut c,
            &conv,
            event,
            json!({ "is_private": is_private }),
            &Acting::of(scope),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
