//! What a batch of outbox events shows (conversations, messages, contacts, who typed), read
//! with a fixed number of queries per batch and shared by every way events leave the server:
//! webhook bodies and live updates.

use std::collections::HashMap;

use confab_domain::account::Account;
use confab_domain::contact::Contact;
use confab_domain::conversation::Conversation;
use confab_domain::user::User;
use confab_domain::{AccountId, ContactId, ConversationId, MessageId, UserId};
use confab_store::events::EventRow;
use confab_store::{Conn, accounts, contacts, conversations, messages, users};
use serde_json::{Value, json};

use crate::App;
use crate::error::AppResult;
use crate::outbox::{Outgoing, Performer, Subject};
use crate::presentation::{ConversationView, MessageView, dedup};

/// Outbox events of messages carry `{"message_id"}` where conversation events carry the
/// changed attributes.
pub(crate) fn message_id_of(e: &EventRow) -> Option<MessageId> {
    e.data["changed_attributes"]["message_id"]
        .as_i64()
        .map(MessageId)
}

pub(crate) fn contact_id_of(e: &EventRow) -> Option<ContactId> {
    e.data["contact_id"].as_i64().map(ContactId)
}

pub(crate) fn inbox_id_of(e: &EventRow) -> Option<i64> {
    e.data["inbox_id"].as_i64()
}

/// Who did it, when a user did (typing events name them).
pub(crate) fn user_performer(e: &EventRow) -> Option<UserId> {
    (e.data["performed_by"]["type"] == "User")
        .then(|| e.data["performed_by"]["id"].as_i64().map(UserId))
        .flatten()
}

/// `{"attr": {…}}` (as recorded) becomes upstream's list of single-attribute objects.
fn changed_list(v: &Value) -> Option<Value> {
    match v {
        Value::Object(map) if !map.is_empty() => Some(Value::Array(
            map.iter().map(|(k, v)| json!({ k: v })).collect(),
        )),
        Value::Array(a) if !a.is_empty() => Some(v.clone()),
        _ => None,
    }
}

/// The records a batch of events shows, by id.
pub(crate) struct Gathered {
    accounts: HashMap<AccountId, Account>,
    views: HashMap<ConversationId, ConversationView>,
    msg_views: HashMap<MessageId, MessageView>,
    contact_map: HashMap<ContactId, Contact>,
    user_map: HashMap<UserId, User>,
}

impl App {
    /// Reads what `events` show.
    pub(crate) async fn gather(
        &self,
        c: &mut Conn<'_>,
        events: &[&EventRow],
    ) -> AppResult<Gathered> {
        let accounts: HashMap<AccountId, Account> = accounts::list_accounts_by_ids(
            c,
            &dedup(events.iter().map(|e| e.account_id.get()).collect()),
        )
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
        let conv_ids = dedup(events.iter().filter_map(|e| e.conversation_id).collect());
        let convs = conversations::list_by_ids(c, &conv_ids).await?;
        let mut by_account: HashMap<AccountId, Vec<Conversation>> = HashMap::new();
        for conv in convs {
            by_account.entry(conv.account_id).or_default().push(conv);
        }
        let mut views: HashMap<ConversationId, ConversationView> = HashMap::new();
        for (account, list) in by_account {
            for v in self.conversation_views_for(c, account, None, list).await? {
                views.insert(v.conversation.id, v);
            }
        }
        let msg_ids = dedup(events.iter().filter_map(|e| message_id_of(e)).collect());
        let display_ids: HashMap<ConversationId, i64> = views
            .values()
            .map(|v| (v.conversation.id, v.conversation.display_id))
            .collect();
        let msgs = messages::list_by_ids(c, &msg_ids).await?;
        let msg_views: HashMap<MessageId, MessageView> = self
            .message_views(c, msgs, &display_ids)
            .await?
            .into_iter()
            .map(|m| (m.message.id, m))
            .collect();
        let contact_ids = dedup(events.iter().filter_map(|e| contact_id_of(e)).collect());
        let contact_map: HashMap<ContactId, Contact> = contacts::list_by_ids(c, &contact_ids)
            .await?
            .into_iter()
            .map(|x| (x.id, x))
            .collect();
        let typing_users = dedup(
            events
                .iter()
                .filter(|e| e.name.starts_with("conversation_typing"))
                .filter_map(|e| user_performer(e))
                .collect(),
        );
        let user_map: HashMap<UserId, User> = users::list_by_ids(c, &typing_users)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();

        Ok(Gathered {
            accounts,
            views,
            msg_views,
            contact_map,
            user_map,
        })
    }
}

impl Gathered {
    /// A conversation as the batch shows it.
    pub(crate) fn conversation(&self, id: ConversationId) -> Option<&ConversationView> {
        self.views.get(&id)
    }

    /// Event `e`, delivered as `name`, with what it is about; `None` when that is gone.
    pub(crate) fn outgoing<'a>(&'a self, e: &'a EventRow, name: &'a str) -> Option<Outgoing<'a>> {
        let account = self.accounts.get(&e.account_id)?;
        let view = e.conversation_id.and_then(|id| self.views.get(&id));
        let subject = if name.starts_with("message_") || name == "first_reply_created" {
            Subject::Message {
                message: message_id_of(e).and_then(|id| self.msg_views.get(&id))?,
                conversation: view?,
            }
        } else if name.starts_with("contact_") {
            Subject::Contact(contact_id_of(e).and_then(|id| self.contact_map.get(&id))?)
        } else if name.starts_with("conversation_typing") {
            let conversation = view?;
            let by = match user_performer(e) {
                Some(id) => Performer::User(self.user_map.get(&id)?),
                None => Performer::Contact(&conversation.contact),
            };
            Subject::Typing {
                conversation,
                by,
                is_private: e.data["changed_attributes"]["is_private"] == true,
            }
        } else {
            Subject::Conversation(view?)
        };
        let changed_attributes = match name {
            "conversation_updated" | "contact_updated" => {
                changed_list(&e.data["changed_attributes"])
            }
            _ => None,
        };
        Some(Outgoing {
            event: name,
            account,
            subject,
            changed_attributes,
        })
    }
}
