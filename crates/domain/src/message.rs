//! Messages and attachments, with Chatwoot's enum codes (app/models/message.rb,
//! app/models/attachment.rb).

use serde_json::Value;

use crate::{AccountId, AttachmentId, ConversationId, InboxId, MessageId, Timestamp, UploadId};

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal : $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];
            pub fn code(self) -> i16 {
                match self { $(Self::$variant => $code),* }
            }
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
            pub fn try_from_code(code: i16) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }

        impl From<i16> for $name {
            fn from(code: i16) -> Self {
                Self::try_from_code(code).unwrap_or(Self::ALL[0])
            }
        }
    };
}

code_enum!(
    /// Who a message is from and where it goes; an integer on the REST wire.
    MessageType {
        Incoming = 0: "incoming",
        Outgoing = 1: "outgoing",
        Activity = 2: "activity",
        Template = 3: "template",
    }
);

code_enum!(
    /// How a message's content is to be shown.
    ContentType {
        Text = 0: "text",
        InputText = 1: "input_text",
        InputTextarea = 2: "input_textarea",
        InputEmail = 3: "input_email",
        InputSelect = 4: "input_select",
        Cards = 5: "cards",
        Form = 6: "form",
        Article = 7: "article",
        IncomingEmail = 8: "incoming_email",
        InputCsat = 9: "input_csat",
        Integrations = 10: "integrations",
        Sticker = 11: "sticker",
        VoiceCall = 12: "voice_call",
    }
);

code_enum!(
    /// Delivery status of a message.
    MessageStatus {
        Sent = 0: "sent",
        Delivered = 1: "delivered",
        Read = 2: "read",
        Failed = 3: "failed",
    }
);

code_enum!(
    /// What kind of record sent a message.
    SenderType {
        Contact = 1: "Contact",
        User = 2: "User",
        AgentBot = 3: "AgentBot",
    }
);

code_enum!(
    /// The kind of an attached file.
    FileType {
        Image = 0: "image",
        Audio = 1: "audio",
        Video = 2: "video",
        File = 3: "file",
        Location = 4: "location",
        Fallback = 5: "fallback",
        Share = 6: "share",
        StoryMention = 7: "story_mention",
        Contact = 8: "contact",
        IgReel = 9: "ig_reel",
        IgPost = 10: "ig_post",
        IgStory = 11: "ig_story",
        Embed = 12: "embed",
    }
);

impl FileType {
    /// The file type of an upload, from its MIME type (as Chatwoot's `file_type` callback).
    pub fn of_mime(mime: &str) -> Self {
        match mime.split('/').next().unwrap_or("") {
            "image" => Self::Image,
            "audio" => Self::Audio,
            "video" => Self::Video,
            _ => Self::File,
        }
    }
}

impl MessageStatus {
    /// Whether a status update from `self` to `to` is allowed (`read → delivered` is refused).
    pub fn may_become(self, to: Self) -> bool {
        !(self == Self::Read && to == Self::Delivered)
    }
}

/// The text a deleted message keeps.
pub const DELETED_CONTENT: &str = "This message was deleted";
/// Longest content Chatwoot accepts.
pub const MAX_CONTENT_CHARS: usize = 150_000;
/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 15;
/// Chatwoot's flood guard: messages per conversation per minute.
pub const MESSAGES_PER_MINUTE: i64 = 200;

/// A message as stored.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Message {
    pub id: MessageId,
    pub account_id: AccountId,
    pub inbox_id: InboxId,
    pub conversation_id: ConversationId,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub message_type: MessageType,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub content_type: ContentType,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub status: MessageStatus,
    pub private: bool,
    pub content: Option<String>,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub content_attributes: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub additional_attributes: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub external_source_ids: Value,
    pub source_id: Option<String>,
    #[cfg_attr(feature = "db", sqlx(rename = "sender_type"))]
    pub sender_type_code: Option<i16>,
    pub sender_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Message {
    pub fn sender_type(&self) -> Option<SenderType> {
        self.sender_type_code.and_then(SenderType::try_from_code)
    }
    /// A reply by a person on the agents' side that the contact sees: what ends
    /// `waiting_since` and may be the first reply (`Message#human_response?`).
    pub fn is_human_reply(&self) -> bool {
        self.message_type == MessageType::Outgoing
            && !self.private
            && self.sender_type() == Some(SenderType::User)
            && self.content_attributes.get("automation_rule_id").is_none()
            && self.additional_attributes.get("campaign_id").is_none()
    }
}

/// A stored attachment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Attachment {
    pub id: AttachmentId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub file_type: FileType,
    pub file_name: String,
    pub extension: Option<String>,
    pub mime_type: String,
    pub file_size: i64,
    pub storage_key: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub created_at: Timestamp,
}

/// A file uploaded on its own (`POST …/upload`, upstream's blob), for rules to send.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct UploadedFile {
    pub id: UploadId,
    pub account_id: AccountId,
    pub file_name: String,
    pub mime_type: String,
    pub file_size: i64,
    pub storage_key: String,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_chatwoot() {
        assert_eq!(MessageType::Activity.code(), 2);
        assert_eq!(MessageType::from(3), MessageType::Template);
        assert_eq!(
            ContentType::parse("input_csat"),
            Some(ContentType::InputCsat)
        );
        assert_eq!(ContentType::InputCsat.code(), 9);
        assert_eq!(
            MessageStatus::parse("failed").map(MessageStatus::code),
            Some(3)
        );
        assert_eq!(FileType::of_mime("image/png"), FileType::Image);
        assert_eq!(FileType::of_mime("application/pdf"), FileType::File);
    }

    #[test]
    fn a_read_message_cannot_go_back_to_delivered() {
        assert!(!MessageStatus::Read.may_become(MessageStatus::Delivered));
        assert!(MessageStatus::Sent.may_become(MessageStatus::Read));
        assert!(MessageStatus::Read.may_become(MessageStatus::Failed));
    }
}
