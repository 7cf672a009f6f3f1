//! Customer satisfaction: the survey sent when a conversation is resolved, the contact's answer
//! (recorded in the same transaction, not by a later job as upstream), the public survey page's
//! data, and the account's listing and metrics.

use std::collections::HashMap;

use confab_domain::account::{Account, AccountUser};
use confab_domain::contact::Contact;
use confab_domain::conversation::Conversation;
use confab_domain::csat::{self, CsatResponse};
use confab_domain::inbox::Inbox;
use confab_domain::message::{ContentType, Message, MessageType};
use confab_domain::user::User;
use confab_domain::{ContactId, ConversationId, Timestamp, UserId};
pub use confab_store::csat::CsatQuery;
use confab_store::csat::{self as csat_store, NewCsatResponse};
use confab_store::messages::{self, MessageChanges};
use confab_store::{Conn, accounts, contacts, conversations, inboxes, users};
use serde_json::{Value, json};

use crate::error::{AppError, AppResult};
use crate::lifecycle::{Acting, NewMessageSpec};
use crate::presentation::{reply_window_hours, within_window};
use crate::{App, Scope};

/// Answers per page of the account's listing, as upstream.
pub const CSAT_PER_PAGE: u64 = 25;

/// The activity written instead of a survey the inbox may not send any more.
const NOT_SENT: &str = "CSAT survey not sent due to outgoing message restrictions";

/// What the public survey page shows.
#[derive(Debug, Clone)]
pub struct CsatSurvey {
    pub conversation: Conversation,
    pub message: Message,
    pub response: Option<CsatResponse>,
    pub inbox: Inbox,
    pub account: Account,
}

/// One answer with what the listing shows of it.
#[derive(Debug, Clone)]
pub struct CsatResponseView {
    pub response: CsatResponse,
    pub contact: Option<Contact>,
    pub display_id: i64,
    /// The agent assigned when the contact answered, with their membership (if still a member).
    pub assigned_agent: Option<(User, Option<AccountUser>)>,
}

/// The account's satisfaction figures for a window.
#[derive(Debug, Clone)]
pub struct CsatMetrics {
    pub total_count: i64,
    pub ratings: Vec<(i16, i64)>,
    pub surveys_sent: i64,
}

/// The answer inside `submitted_values`, if a rating was given.
fn csat_answer(submitted: &Value) -> AppResult<Option<(i16, Option<String>)>> {
    const FIELD: &str = "submitted_values.csat_survey_response.rating";
    let Some(answer) = submitted.get("csat_survey_response") else {
        return Ok(None);
    };
    let rating = match answer.get("rating") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(v) => v.as_i64(),
    };
    let rating = rating
        .filter(|r| csat::valid_rating(*r))
        .and_then(|r| i16::try_from(r).ok())
        .ok_or_else(|| AppError::invalid(FIELD, "must be a whole number from 1 to 5"))?;
    let feedback = answer
        .get("feedback_message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(Some((rating, feedback)))
}

impl App {
    /// Sends the inbox's survey on resolving (§12.9): once per conversation, when the inbox has
    /// surveys on and its label rules allow; an inbox outside its reply window writes an
    /// activity instead. Returns whether it wrote a message (the conversation's activity moved).
    pub(crate) async fn send_csat_survey_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        resolved_by: &Acting,
        now: Timestamp,
    ) -> AppResult<bool> {
        let inbox = inboxes::find_inbox(c, conv.account_id, conv.inbox_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !inbox.csat_survey_enabled || !csat::rules_allow(&inbox.csat_config, &conv.labels()) {
            return Ok(false);
        }
        if messages::first_of_content_type(c, conv.id, ContentType::InputCsat)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let can_reply = match reply_window_hours(&inbox) {
            None => true,
            Some(hours) => {
                let last = messages::last_incoming(c, conv.id).await?;
                within_window(hours, last.map(|m| m.created_at), now)
            }
        };
        // The survey is the system's, except that what an automation sets off stays the
        // automation's (so it triggers no rule: the loop guard).
        let system = if resolved_by.kind == confab_domain::conversation::ActorKind::Automation {
            Acting::automation()
        } else {
            Acting::system()
        };
        if !can_reply {
            self.activity_tx(c, conv, Some(NOT_SENT.into()), &system, now)
                .await?;
            return Ok(true);
        }
        let spec = NewMessageSpec {
            message_type: MessageType::Template,
            content_type: ContentType::InputCsat,
            ..NewMessageSpec::outgoing(csat::survey_message(&inbox.csat_config))
        };
        self.add_message_tx(c, conv, spec, &system, now).await?;
        Ok(true)
    }

    /// Stores what a contact submitted on a message (a form, or the survey's answer), and
    /// records a survey answer. A survey older than 14 days is locked.
    pub(crate) async fn submit_values_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        msg: &Message,
        submitted: Value,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<Option<CsatResponse>> {
        let is_survey = msg.content_type == ContentType::InputCsat;
        if is_survey && csat::is_locked(msg.created_at, now) {
            return Err(AppError::Unprocessable(csat::LOCKED_MESSAGE.into()));
        }
        let well_formed = match &submitted {
            Value::Object(_) => true,
            Value::Array(items) => items.iter().all(Value::is_object),
            _ => false,
        };
        if !well_formed {
            return Err(AppError::invalid(
                "submitted_values",
                "must be an object or a list of objects",
            ));
        }
        let answer = if is_survey {
            csat_answer(&submitted)?
        } else {
            None
        };
        let mut attrs = msg.content_attributes.clone();
        if !attrs.is_object() {
            attrs = json!({});
        }
        attrs["submitted_values"] = submitted;
        let ch = MessageChanges {
            content_attributes: Some(attrs),
            ..Default::default()
        };
        self.update_message_tx(c, conv, msg.id, &ch, acting, now)
            .await?;
        let Some((rating, feedback_message)) = answer else {
            return Ok(None);
        };
        let saved = csat_store::upsert_response(
            c,
            &NewCsatResponse {
                account: conv.account_id,
                conversation: conv.id,
                message: msg.id,
                contact: conv.contact_id,
                assigned_agent: conv.assignee_id,
                rating,
                feedback_message,
            },
            now,
        )
        .await?;
        Ok(Some(saved))
    }

    async fn survey_of(&self, c: &mut Conn<'_>, uuid: &str) -> AppResult<CsatSurvey> {
        let conversation = conversations::find_by_uuid(c, uuid)
            .await?
            .ok_or(AppError::NotFound)?;
        let message = messages::first_of_content_type(c, conversation.id, ContentType::InputCsat)
            .await?
            .ok_or(AppError::NotFound)?;
        let response = csat_store::find_by_message(c, message.id).await?;
        let inbox = inboxes::find_inbox(c, conversation.account_id, conversation.inbox_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let account = accounts::get_account(c, conversation.account_id).await?;
        Ok(CsatSurvey {
            conversation,
            message,
            response,
            inbox,
            account,
        })
    }

    /// `GET /public/api/v1/csat_survey/:uuid`: the survey of a conversation, by its uuid.
    pub async fn csat_survey(&self, uuid: &str) -> AppResult<CsatSurvey> {
        let mut c = self.store().conn();
        self.survey_of(&mut c, uuid).await
    }

    /// `PUT /public/api/v1/csat_survey/:uuid`: the contact answers the survey.
    pub async fn answer_csat_survey(
        &self,
        uuid: &str,
        submitted: Option<Value>,
    ) -> AppResult<CsatSurvey> {
        let submitted = submitted
            .ok_or_else(|| AppError::invalid("message.submitted_values", "can't be blank"))?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let mut survey = self.survey_of(&mut c, uuid).await?;
        let contact = contacts::get_contact(
            &mut c,
            survey.conversation.account_id,
            survey.conversation.contact_id,
        )
        .await?;
        let acting = Acting::contact(&contact);
        // Only the answer can change.
        if let Some(saved) = self
            .submit_values_tx(
                &mut c,
                &survey.conversation,
                &survey.message,
                submitted,
                &acting,
                now,
            )
            .await?
        {
            survey.response = Some(saved);
        }
        tx.commit().await?;
        Ok(survey)
    }

    /// `GET …/csat_survey_responses` (administrators): answers newest first, 25 per page.
    pub async fn list_csat_responses(
        &self,
        scope: &Scope,
        query: &CsatQuery,
        page: u64,
    ) -> AppResult<Vec<CsatResponseView>> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        let rows = csat_store::list_responses(
            &mut c,
            scope.account_id(),
            query,
            page.max(1),
            CSAT_PER_PAGE,
        )
        .await?;
        let contact_ids: Vec<ContactId> = rows.iter().map(|r| r.contact_id).collect();
        let conv_ids: Vec<ConversationId> = rows.iter().map(|r| r.conversation_id).collect();
        let agent_ids: Vec<UserId> = rows.iter().filter_map(|r| r.assigned_agent_id).collect();
        let contacts: HashMap<ContactId, Contact> = contacts::list_by_ids(&mut c, &contact_ids)
            .await?
            .into_iter()
            .map(|x| (x.id, x))
            .collect();
        let display: HashMap<ConversationId, i64> = conversations::list_by_ids(&mut c, &conv_ids)
            .await?
            .into_iter()
            .map(|x| (x.id, x.display_id))
            .collect();
        let agents: HashMap<UserId, User> = users::list_by_ids(&mut c, &agent_ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let memberships: HashMap<UserId, AccountUser> =
            accounts::list_account_users_of(&mut c, scope.account_id(), &agent_ids)
                .await?
                .into_iter()
                .map(|m| (m.user_id, m))
                .collect();
        Ok(rows
            .into_iter()
            .map(|response| CsatResponseView {
                contact: contacts.get(&response.contact_id).cloned(),
                display_id: display.get(&response.conversation_id).copied().unwrap_or(0),
                assigned_agent: response.assigned_agent_id.and_then(|id| {
                    agents
                        .get(&id)
                        .map(|u| (u.clone(), memberships.get(&id).cloned()))
                }),
                response,
            })
            .collect())
    }

    /// `GET …/csat_survey_responses/metrics` (administrators).
    pub async fn csat_metrics(&self, scope: &Scope, query: &CsatQuery) -> AppResult<CsatMetrics> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        let ratings = csat_store::ratings_count(&mut c, scope.account_id(), query).await?;
        let surveys_sent = csat_store::surveys_sent(&mut c, scope.account_id(), query).await?;
        Ok(CsatMetrics {
            total_count: ratings.iter().map(|(_, n)| n).sum(),
            ratings,
            surveys_sent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_survey_answer_needs_a_rating_from_one_to_five() {
        let ok = json!({"csat_survey_response": {"rating": "4", "feedback_message": " good "}});
        assert_eq!(
            csat_answer(&ok).ok().flatten(),
            Some((4, Some("good".into())))
        );
        let none = json!({"csat_survey_response": {"feedback_message": "x"}});
        assert_eq!(csat_answer(&none).ok().flatten(), None);
        assert!(csat_answer(&json!({"csat_survey_response": {"rating": 6}})).is_err());
        assert!(csat_answer(&json!({"csat_survey_response": {"rating": "five"}})).is_err());
        assert_eq!(csat_answer(&json!([{"name": "x"}])).ok().flatten(), None);
    }
}
