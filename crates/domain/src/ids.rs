//! Integer identifiers as newtypes, so an account id can never be passed where a user id belongs.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "db", derive(sqlx::Type))]
        #[cfg_attr(feature = "db", sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer, as stored and as shown on the wire.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        #[cfg(feature = "db")]
        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                crate::db::id_from_sql(value).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An account (a tenant).
    AccountId,
    /// A person who signs in: an agent or an administrator.
    UserId,
    /// The membership of a user in an account (`account_users`).
    AccountUserId,
    /// An application that provisions through the Platform API.
    PlatformAppId,
    /// An agent bot, owned by an account or global (system bot).
    AgentBotId,
    /// An inbox of an account.
    InboxId,
    /// The channel row behind an inbox (for example the API channel).
    ChannelId,
    /// A contact (a customer) of an account.
    ContactId,
    /// The identity of a contact inside one inbox.
    ContactInboxId,
    /// A conversation (internal id; the wire uses the per-account `display_id`).
    ConversationId,
    /// A message (global; messages are addressed by it on the wire).
    MessageId,
    /// A file attached to a message.
    AttachmentId,
    /// A file uploaded on its own (upstream's blob), sent by automation rules.
    UploadId,
    /// A team of agents.
    TeamId,
    /// An account label.
    LabelId,
    /// A custom attribute definition.
    CustomAttributeDefinitionId,
    /// A saved filter of a user.
    CustomFilterId,
    /// A durable job.
    JobId,
    /// A service API key of an account.
    ApiKeyId,
    /// A contact's answer to a CSAT survey.
    CsatResponseId,
    /// An account webhook.
    WebhookId,
    /// One event on its way to one receiver.
    DeliveryId,
    /// An account's automation rule.
    AutomationRuleId,
);
