//! Automation rules (§9): administrators' CRUD, and the job that runs an account's rules after
//! an event commits.
//!
//! The outbox dispatcher schedules one `automation` job per event that has an active rule of
//! its account and name, in the transaction that marks the event dispatched, so a committed
//! event is evaluated exactly once. The job runs in one transaction: it claims itself, checks
//! each rule's conditions against the conversation as it is now, and applies the actions in
//! order as "Automation System". Everything an automation changes records events performed by
//! `AutomationRule`, and those never schedule rules: no rule can trigger another, or itself.

use std::collections::{HashMap, HashSet};

use confab_domain::automation::{
    self as rules, AUTOMATION_EVENTS, Action, AutomationError, AutomationRule, Facts,
};
use confab_domain::conversation::{self as conv_rules, Conversation, ConversationStatus};
use confab_domain::message::{MessageType, UploadedFile};
use confab_domain::{AccountId, AutomationRuleId, Role, UploadId};
use confab_store::automation_rules::{self as store, NewRule, RuleChanges};
use confab_store::events::{self, EventRow};
use confab_store::messages::MessageWindow;
use confab_store::{
    Conn, accounts, contacts, conversations, custom_attributes, inboxes, jobs, messages, teams,
    uploads, users,
};
use serde_json::{Value, json};

use crate::error::{AppError, AppResult};
use crate::event_subjects::message_id_of;
use crate::lifecycle::{Acting, NewMessageSpec};
use crate::outbox::{Outgoing, Subject};
use crate::{App, Scope, mailer};

pub(crate) const AUTOMATION_JOB: &str = "automation";
pub(crate) const AUTOMATION_EMAIL_JOB: &str = "automation_email";
pub(crate) const AUTOMATION_WEBHOOK_JOB: &str = "automation_webhook";

/// Messages of a conversation the message conditions look at (the newest).
const MESSAGES_CONSIDERED: u64 = 500;

/// A rule as a client writes it; `None` leaves a field alone on update (the store's changes).
pub use store::RuleChanges as RuleInput;

/// The account's custom attribute keys (conditions may name them).
async fn custom_keys(c: &mut Conn<'_>, account: AccountId) -> AppResult<HashSet<String>> {
    Ok(custom_attributes::list_all_definitions(c, account)
        .await?
        .into_iter()
        .map(|d| d.attribute_key)
        .collect())
}

/// The uploads a rule's `send_attachment` actions send, each once.
fn attachment_ids(actions: &[Action]) -> Vec<UploadId> {
    let mut ids: Vec<UploadId> = actions
        .iter()
        .filter_map(|a| match a {
            Action::SendAttachment(ids) => Some(ids),
            _ => None,
        })
        .flatten()
        .map(|i| UploadId(*i))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The uploads a stored rule sends (its actions were checked when written).
fn rule_files(rule: &AutomationRule) -> Vec<UploadId> {
    rules::parse_actions(&rule.actions)
        .map(|a| attachment_ids(&a))
        .unwrap_or_default()
}

fn invalid(e: &AutomationError) -> AppError {
    AppError::invalid(e.field(), &e.to_string())
}

impl App {
    pub async fn list_automation_rules(&self, scope: &Scope) -> AppResult<Vec<AutomationRule>> {
        scope.require_admin()?;
        Ok(store::list(&mut self.store().conn(), scope.account_id()).await?)
    }

    /// The files each rule's `send_attachment` actions send, in the order the rule names them
    /// (one read for all the rules).
    pub async fn automation_rule_files(
        &self,
        scope: &Scope,
        rules: &[&AutomationRule],
    ) -> AppResult<HashMap<AutomationRuleId, Vec<UploadedFile>>> {
        let wanted: Vec<(AutomationRuleId, Vec<UploadId>)> =
            rules.iter().map(|r| (r.id, rule_files(r))).collect();
        let mut ids: Vec<UploadId> = wanted.iter().flat_map(|(_, f)| f.iter().copied()).collect();
        ids.sort();
        ids.dedup();
        let found: HashMap<UploadId, UploadedFile> =
            uploads::uploads_by_ids(&mut self.store().conn(), scope.account_id(), &ids)
                .await?
                .into_iter()
                .map(|f| (f.id, f))
                .collect();
        Ok(wanted
            .into_iter()
            .map(|(rule, ids)| {
                let files = ids.iter().filter_map(|id| found.get(id).cloned()).collect();
                (rule, files)
            })
            .collect())
    }

    pub async fn get_automation_rule(
        &self,
        scope: &Scope,
        id: AutomationRuleId,
    ) -> AppResult<AutomationRule> {
        scope.require_admin()?;
        store::find(&mut self.store().conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Checks what a rule would become: the event, the conditions (custom attribute keys of
    /// the account allowed) and the actions.
    async fn check_rule(
        &self,
        account: AccountId,
        event: &str,
        conditions: &Value,
        actions: &Value,
    ) -> AppResult<()> {
        rules::validate_event(event).map_err(|e| invalid(&e))?;
        let keys = custom_keys(&mut self.store().conn(), account).await?;
        rules::parse_conditions(conditions, |k| keys.contains(k)).map_err(|e| invalid(&e))?;
        let parsed = rules::parse_actions(actions).map_err(|e| invalid(&e))?;
        let files = attachment_ids(&parsed);
        if !files.is_empty() {
            let found: HashSet<UploadId> =
                uploads::uploads_by_ids(&mut self.store().conn(), account, &files)
                    .await?
                    .into_iter()
                    .map(|f| f.id)
                    .collect();
            let missing: Vec<String> = files
                .iter()
                .filter(|id| !found.contains(id))
                .map(|id| id.to_string())
                .collect();
            if !missing.is_empty() {
                return Err(AppError::invalid(
                    "actions",
                    &format!(
                        "send_attachment names files not uploaded to this account: {}",
                        missing.join(", ")
                    ),
                ));
            }
        }
        if let Some(url) = parsed.iter().find_map(|a| match a {
            Action::SendWebhookEvent(u) => Some(u),
            _ => None,
        }) && let Err(why) = crate::outbound::check_url(url, self.config().webhook_allow_private)
        {
            return Err(AppError::invalid(
                "actions",
                &format!("send_webhook_event URL {why}"),
            ));
        }
        Ok(())
    }

    pub async fn create_automation_rule(
        &self,
        scope: &Scope,
        input: &RuleInput,
    ) -> AppResult<AutomationRule> {
        scope.require_admin()?;
        let name = input.name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() {
            return Err(AppError::invalid("name", "can't be blank"));
        }
        let event = input.event_name.clone().unwrap_or_default();
        let conditions = input.conditions.clone().unwrap_or(Value::Null);
        let actions = input.actions.clone().unwrap_or(Value::Null);
        self.check_rule(scope.account_id(), &event, &conditions, &actions)
            .await?;
        let new = NewRule {
            name: name.to_owned(),
            description: input.description.clone().flatten(),
            event_name: event,
            conditions,
            actions,
            active: input.active.unwrap_or(true),
        };
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let id = store::insert(&mut tx.conn(), scope.account_id(), &new, now).await?;
        tx.commit().await?;
        Ok(AutomationRule {
            id,
            account_id: scope.account_id(),
            name: new.name,
            description: new.description,
            event_name: new.event_name,
            conditions: new.conditions,
            actions: new.actions,
            active: new.active,
            created_at: now,
            updated_at: now,
        })
    }

    pub async fn update_automation_rule(
        &self,
        scope: &Scope,
        id: AutomationRuleId,
        input: &RuleInput,
    ) -> AppResult<AutomationRule> {
        let current = self.get_automation_rule(scope, id).await?;
        if input.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::invalid("name", "can't be blank"));
        }
        // Only a change of what the rule does is checked again: a rule whose custom attribute
        // was since deleted can still be renamed or switched off.
        if input.event_name.is_some() || input.conditions.is_some() || input.actions.is_some() {
            let event = input.event_name.as_ref().unwrap_or(&current.event_name);
            let conditions = input.conditions.as_ref().unwrap_or(&current.conditions);
            let actions = input.actions.as_ref().unwrap_or(&current.actions);
            self.check_rule(scope.account_id(), event, conditions, actions)
                .await?;
        }
        let ch = RuleChanges {
            name: input.name.as_ref().map(|n| n.trim().to_owned()),
            ..input.clone()
        };
        let mut tx = self.store().begin().await?;
        store::update(&mut tx.conn(), id, &ch, self.now()).await?;
        let rule = store::find(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(rule)
    }

    pub async fn delete_automation_rule(
        &self,
        scope: &Scope,
        id: AutomationRuleId,
    ) -> AppResult<()> {
        self.get_automation_rule(scope, id).await?;
        let mut tx = self.store().begin().await?;
        store::delete(&mut tx.conn(), scope.account_id(), id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST …/automation_rules/:id/clone`: a copy of the rule, as upstream names it.
    pub async fn clone_automation_rule(
        &self,
        scope: &Scope,
        id: AutomationRuleId,
    ) -> AppResult<AutomationRule> {
        let r = self.get_automation_rule(scope, id).await?;
        let input = RuleInput {
            name: Some(r.name.clone()),
            description: Some(r.description.clone()),
            event_name: Some(r.event_name.clone()),
            conditions: Some(r.conditions.clone()),
            actions: Some(r.actions.clone()),
            active: Some(r.active),
        };
        self.create_automation_rule(scope, &input).await
    }

    /// The automation jobs a batch of events needs (called by the dispatcher inside its
    /// transaction): one per event of a rule's account and name, never for an event an
    /// automation caused (the loop guard).
    pub(crate) async fn schedule_automation(
        &self,
        c: &mut Conn<'_>,
        batch: &[EventRow],
        now: confab_domain::Timestamp,
    ) -> AppResult<usize> {
        let candidates: Vec<&EventRow> = batch
            .iter()
            .filter(|e| AUTOMATION_EVENTS.contains(&e.name.as_str()))
            .filter(|e| e.data["performed_by"]["type"] != "AutomationRule")
            .filter(|e| e.conversation_id.is_some())
            .collect();
        if candidates.is_empty() {
            return Ok(0);
        }
        let accounts =
            crate::presentation::dedup(candidates.iter().map(|e| e.account_id).collect());
        let triggers: HashSet<(AccountId, String)> =
            store::triggers(c, &accounts).await?.into_iter().collect();
        let mut scheduled = 0;
        for e in candidates {
            if triggers.contains(&(e.account_id, e.name.clone())) {
                jobs::schedule(
                    c,
                    AUTOMATION_JOB,
                    Some(&format!("{AUTOMATION_JOB}:{}", e.id)),
                    &json!({ "event_id": e.id }),
                    now,
                    now,
                )
                .await?;
                scheduled += 1;
            }
        }
        Ok(scheduled)
    }

    /// Runs the account's rules for one event (the job), exactly once.
    pub(crate) async fn run_automation_job(&self, job: &jobs::Job) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        if !jobs::finish(&mut c, job.id, job.attempts).await? {
            return Ok(());
        }
        let event = match job.payload["event_id"].as_i64() {
            Some(id) => events::find(&mut c, id).await?,
            None => None,
        };
        if let Some(event) = event {
            self.run_rules(&mut c, &event, now).await?;
        }
        tx.commit().await?;
        self.jobs_changed();
        Ok(())
    }

    async fn run_rules(
        &self,
        c: &mut Conn<'_>,
        event: &EventRow,
        now: confab_domain::Timestamp,
    ) -> AppResult<()> {
        let Some(conv_id) = event.conversation_id else {
            return Ok(());
        };
        let found = store::active_for(c, event.account_id, &event.name).await?;
        if found.is_empty() {
            return Ok(());
        }
        let conv = conversations::get_conversation(c, conv_id).await?;
        // Upstream skips auto-replies (out-of-office answers) for these two.
        if matches!(
            event.name.as_str(),
            "conversation_created" | "conversation_opened"
        ) && conv.additional_attributes["auto_reply"]
            .as_bool()
            .unwrap_or(false)
        {
            return Ok(());
        }
        let keys = custom_keys(c, event.account_id).await?;
        let mut parsed = Vec::new();
        for rule in found {
            match rules::parse_conditions(&rule.conditions, |k| keys.contains(k)) {
                Ok(conds) => parsed.push((rule, conds)),
                Err(e) => {
                    tracing::warn!(rule = rule.id.get(), error = %e, "skipping a rule whose conditions no longer hold up")
                }
            }
        }
        let contact = contacts::get_contact(c, conv.account_id, conv.contact_id).await?;
        // Messages only when a condition looks at them: the new one for `message_created`
        // (as upstream narrows its join), else the conversation's newest.
        let list = if event.name == "message_created" {
            let Some(id) = message_id_of(event) else {
                return Ok(());
            };
            let m = messages::get_message(c, id).await?;
            if m.message_type == MessageType::Activity {
                return Ok(());
            }
            vec![m]
        } else if parsed.iter().any(|(_, conds)| conds.uses_messages()) {
            let w = MessageWindow {
                limit: MESSAGES_CONSIDERED,
                ..Default::default()
            };
            messages::list_messages(c, conv.id, &w).await?
        } else {
            Vec::new()
        };
        let msgs: Vec<(MessageType, Option<&str>)> = list
            .iter()
            .map(|m| (m.message_type, m.content.as_deref()))
            .collect();
        let labels = conv.labels();
        let facts = Facts {
            conversation: &conv,
            contact: &contact,
            labels: &labels,
            messages: &msgs,
            changed_attributes: &event.data["changed_attributes"],
        };
        let matched: Vec<AutomationRule> = parsed
            .into_iter()
            .filter(|(_, conds)| rules::evaluate(conds, &facts))
            .map(|(rule, _)| rule)
            .collect();
        for rule in matched {
            let actions = match rules::parse_actions(&rule.actions) {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(rule = rule.id.get(), error = %e, "skipping a rule whose actions no longer hold up");
                    continue;
                }
            };
            for action in &actions {
                // Each action sees what the previous ones did.
                let conv = conversations::get_conversation(c, conv_id).await?;
                if let Err(e) = self.apply(c, &rule, &event.name, &conv, action, now).await {
                    match e {
                        // A skipped action (an agent no longer there…); the next one runs.
                        AppError::Invalid(_) | AppError::NotFound | AppError::Unprocessable(_) => {
                            tracing::warn!(rule = rule.id.get(), action = action.name(), error = %e, "automation action skipped");
                        }
                        other => return Err(other),
                    }
                }
            }
        }
        Ok(())
    }

    /// One action of a rule, in the job's transaction.
    async fn apply(
        &self,
        c: &mut Conn<'_>,
        rule: &AutomationRule,
        event_name: &str,
        conv: &Conversation,
        action: &Action,
        now: confab_domain::Timestamp,
    ) -> AppResult<()> {
        let acting = Acting::automation();
        match action {
            Action::SendMessage(text) | Action::AddPrivateNote(text) => {
                let mut spec = NewMessageSpec::outgoing(text.clone());
                spec.private = matches!(action, Action::AddPrivateNote(_));
                spec.content_attributes = json!({ "automation_rule_id": rule.id });
                self.add_message_tx(c, conv, spec, &acting, now).await?;
            }
            Action::AddLabel(titles) | Action::RemoveLabel(titles) => {
                let adding = matches!(action, Action::AddLabel(_));
                let mut now_labels = conv.labels();
                if adding {
                    now_labels.extend(
                        titles
                            .iter()
                            .filter(|t| confab_domain::team::is_valid_label_title(t))
                            .cloned(),
                    );
                } else {
                    let drop: Vec<String> = conv_rules::normalize_labels(titles.iter().cloned());
                    now_labels.retain(|l| !drop.contains(l));
                }
                let wanted = conv_rules::normalize_labels(now_labels);
                self.set_labels_tx(c, conv, &wanted, &acting, now).await?;
            }
            Action::AssignAgent(None) => {
                self.set_assignee_tx(c, conv, None, &acting, now).await?;
            }
            Action::AssignAgent(Some(user)) => {
                // Only agents who may work the conversation: inbox members and administrators.
                let role = accounts::find_account_user(c, conv.account_id, *user)
                    .await?
                    .map(|m| m.role)
                    .ok_or(AppError::NotFound)?;
                if role != Role::Administrator
                    && !inboxes::is_member(c, conv.inbox_id, *user).await?
                {
                    return Err(AppError::invalid(
                        "assign_agent",
                        "is not a member of the inbox",
                    ));
                }
                let u = users::get_user(c, *user).await?;
                self.set_assignee_tx(c, conv, Some(&u), &acting, now)
                    .await?;
            }
            Action::AssignTeam(team) => {
                let team = match team {
                    Some(id) => Some(
                        teams::find_team(c, conv.account_id, *id)
                            .await?
                            .ok_or(AppError::NotFound)?,
                    ),
                    None => None,
                };
                self.set_team_tx(c, conv, team.as_ref(), &acting, now)
                    .await?;
            }
            Action::SendEmailToTeam { team_ids, message } => {
                for id in team_ids {
                    let Some(team) = teams::find_team(c, conv.account_id, *id).await? else {
                        continue;
                    };
                    let members = teams::member_ids(c, team.id).await?;
                    for u in users::list_by_ids(c, &members).await? {
                        let mail = json!({
                            "to": u.email,
                            "subject": format!("Conversation #{} needs your team's attention", conv.display_id),
                            "text": format!("{message}\n\nConversation #{} (team {}).", conv.display_id, team.name),
                        });
                        jobs::schedule(c, AUTOMATION_EMAIL_JOB, None, &mail, now, now).await?;
                    }
                }
            }
            Action::SendEmailTranscript(addresses) => {
                for to in addresses {
                    jobs::schedule(
                        c,
                        crate::transcript::TRANSCRIPT_JOB,
                        None,
                        &json!({ "conversation_id": conv.id, "email": to }),
                        now,
                        now,
                    )
                    .await?;
                }
            }
            Action::MuteConversation => self.set_muted_tx(c, conv, true, &acting, now).await?,
            Action::SnoozeConversation => {
                self.set_status_tx(c, conv, ConversationStatus::Snoozed, None, &acting, now)
                    .await?;
            }
            Action::ResolveConversation => {
                self.set_status_tx(c, conv, ConversationStatus::Resolved, None, &acting, now)
                    .await?;
            }
            Action::OpenConversation => {
                self.set_status_tx(c, conv, ConversationStatus::Open, None, &acting, now)
                    .await?;
            }
            Action::ChangeStatus(s) => {
                self.set_status_tx(c, conv, *s, None, &acting, now).await?;
            }
            Action::ChangePriority(p) => self.set_priority_tx(c, conv, *p, &acting, now).await?,
            Action::SendWebhookEvent(url) => {
                let body = self.automation_webhook_body(c, conv, event_name).await?;
                jobs::schedule(
                    c,
                    AUTOMATION_WEBHOOK_JOB,
                    None,
                    &json!({ "url": url, "body": body }),
                    now,
                    now,
                )
                .await?;
            }
            Action::SendAttachment(ids) => {
                let ids: Vec<UploadId> = ids.iter().map(|i| UploadId(*i)).collect();
                // Files deleted since the rule was written are skipped; none left, no message.
                let files = uploads::uploads_by_ids(c, conv.account_id, &ids).await?;
                if files.is_empty() {
                    return Ok(());
                }
                let mut stored = Vec::with_capacity(files.len());
                for f in &files {
                    match self.link_upload(f).await {
                        Ok(Some(s)) => stored.push(s),
                        Ok(None) => {}
                        Err(e) => {
                            self.remove_stored(&stored).await;
                            return Err(e);
                        }
                    }
                }
                if stored.is_empty() {
                    return Ok(());
                }
                let mut spec = NewMessageSpec::outgoing(String::new());
                spec.content = None;
                spec.content_attributes = json!({ "automation_rule_id": rule.id });
                let sent = async {
                    let msg = self.add_message_tx(c, conv, spec, &acting, now).await?;
                    self.attach_stored(c, conv, msg.id, &stored, now).await
                }
                .await;
                if sent.is_err() {
                    self.remove_stored(&stored).await;
                }
                sent?;
            }
        }
        Ok(())
    }

    /// The conversation's webhook form with `event: "automation_event.<event>"` (upstream).
    async fn automation_webhook_body(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        event_name: &str,
    ) -> AppResult<Value> {
        let Some(renderer) = self.inner.renderer.get().cloned() else {
            return Err(AppError::internal(anyhow::anyhow!(
                "no webhook renderer installed"
            )));
        };
        let account = accounts::get_account(c, conv.account_id).await?;
        let views = self
            .conversation_views_for(c, conv.account_id, None, vec![conv.clone()])
            .await?;
        let view = views.first().ok_or(AppError::NotFound)?;
        let event = format!("automation_event.{event_name}");
        Ok(renderer.webhook_body(
            self,
            &Outgoing {
                event: &event,
                account: &account,
                subject: Subject::Conversation(view),
                changed_attributes: None,
            },
        ))
    }

    /// Posts a rule's `send_webhook_event` (the job; failures retry as jobs do).
    pub(crate) async fn automation_webhook_job(&self, job: &jobs::Job) -> AppResult<()> {
        if let Some(url) = job.payload["url"].as_str() {
            let sent = self
                .inner
                .outbound
                .post(url, &[], job.payload["body"].to_string())
                .await;
            if !sent.status.is_some_and(confab_domain::webhook::is_success) {
                return Err(AppError::internal(anyhow::anyhow!(
                    "automation webhook to {url}: {}",
                    sent.error
                        .unwrap_or_else(|| format!("status {:?}", sent.status))
                )));
            }
        }
        let mut c = self.store().conn();
        jobs::finish(&mut c, job.id, job.attempts).await?;
        Ok(())
    }

    /// Sends a rule's team email (the job). Without SMTP there is nobody to send it.
    pub(crate) async fn automation_email_job(&self, job: &jobs::Job) -> AppResult<()> {
        if let Some(smtp) = self.config().smtp.clone() {
            let email = mailer::OutgoingEmail {
                to: job.payload["to"].as_str().unwrap_or_default().to_owned(),
                subject: job.payload["subject"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                text: job.payload["text"].as_str().unwrap_or_default().to_owned(),
                html: None,
            };
            mailer::send(&smtp, &email)
                .await
                .map_err(AppError::internal)?;
        }
        let mut c = self.store().conn();
        jobs::finish(&mut c, job.id, job.attempts).await?;
        Ok(())
    }
}
