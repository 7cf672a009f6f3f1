//! Conversations: status, priority, the status state machine and the activity texts.
//! Mirrors app/models/conversation.rb, the toggle_status action of
//! app/controllers/api/v1/accounts/conversations_controller.rb and
//! app/models/concerns/activity_message_handler.rb.

use serde_json::Value;

use crate::{
    AccountId, AgentBotId, ContactId, ContactInboxId, ConversationId, InboxId, MessageId, TeamId,
    Timestamp, UserId,
};

/// A conversation's status, with Chatwoot's integer codes. `Spam` (4) is Confab's extension
/// (Fernand's SPAM): hidden from every default list and count, never reopened by a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConversationStatus {
    Open,
    Resolved,
    Pending,
    Snoozed,
    Spam,
}

impl ConversationStatus {
    pub const ALL: [Self; 5] = [
        Self::Open,
        Self::Resolved,
        Self::Pending,
        Self::Snoozed,
        Self::Spam,
    ];

    /// What "all" means wherever a client says it (lists, filters, rules): every status but
    /// spam.
    pub const LISTED: [Self; 4] = [Self::Open, Self::Resolved, Self::Pending, Self::Snoozed];

    pub fn code(self) -> i16 {
        match self {
            Self::Open => 0,
            Self::Resolved => 1,
            Self::Pending => 2,
            Self::Snoozed => 3,
            Self::Spam => 4,
        }
    }
    pub fn from_code(code: i16) -> Self {
        match code {
            1 => Self::Resolved,
            2 => Self::Pending,
            3 => Self::Snoozed,
            4 => Self::Spam,
            _ => Self::Open,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Pending => "pending",
            Self::Snoozed => "snoozed",
            Self::Spam => "spam",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// What `toggle_status` without a `status` does: open and resolved swap, pending, snoozed
    /// and spam become open (`Conversation#toggle_status`).
    pub fn toggled(self) -> Self {
        match self {
            Self::Open => Self::Resolved,
            Self::Resolved | Self::Pending | Self::Snoozed | Self::Spam => Self::Open,
        }
    }

    /// Fernand's name of the status; Chatwoot's `pending` shows as `OPENED`.
    pub fn fernand(self) -> &'static str {
        match self {
            Self::Open | Self::Pending => "OPENED",
            Self::Resolved => "CLOSED",
            Self::Snoozed => "SNOOZED",
            Self::Spam => "SPAM",
        }
    }

    /// The status a Fernand status name sets.
    pub fn parse_fernand(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "OPENED" => Some(Self::Open),
            "CLOSED" => Some(Self::Resolved),
            "SNOOZED" => Some(Self::Snoozed),
            "SPAM" => Some(Self::Spam),
            _ => None,
        }
    }
}

impl From<i16> for ConversationStatus {
    fn from(code: i16) -> Self {
        Self::from_code(code)
    }
}

/// A conversation's priority; absent priority is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::Urgent];

    pub fn code(self) -> i16 {
        match self {
            Self::Low => 0,
            Self::Medium => 1,
            Self::High => 2,
            Self::Urgent => 3,
        }
    }
    pub fn from_code(code: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
    /// A priority as a client writes it: blank and `"none"` clear it (Chatwoot answers 500 to
    /// `none` although its swagger documents it); anything else unknown is an error.
    pub fn parse_nullable(s: Option<&str>) -> Result<Option<Self>, UnknownPriority> {
        match s.map(str::trim) {
            None | Some("") | Some("none") | Some("null") => Ok(None),
            Some(v) => Self::parse(v).map(Some).ok_or(UnknownPriority),
        }
    }
}

/// A priority name that is not low, medium, high or urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("priority must be one of low, medium, high, urgent or null")]
pub struct UnknownPriority;

/// A conversation as stored.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Conversation {
    pub id: ConversationId,
    pub account_id: AccountId,
    pub display_id: i64,
    pub uuid: String,
    pub inbox_id: InboxId,
    pub contact_id: ContactId,
    pub contact_inbox_id: Option<ContactInboxId>,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub status: ConversationStatus,
    #[cfg_attr(feature = "db", sqlx(rename = "priority"))]
    pub priority_code: Option<i16>,
    pub snoozed_until: Option<Timestamp>,
    pub assignee_id: Option<UserId>,
    pub assignee_agent_bot_id: Option<AgentBotId>,
    pub team_id: Option<TeamId>,
    pub agent_last_seen_at: Option<Timestamp>,
    pub assignee_last_seen_at: Option<Timestamp>,
    pub contact_last_seen_at: Option<Timestamp>,
    pub first_reply_created_at: Option<Timestamp>,
    pub waiting_since: Option<Timestamp>,
    pub last_activity_at: Timestamp,
    /// Incoming messages since the agents last looked (stored uncapped).
    pub unread_count: i64,
    pub last_message_id: Option<MessageId>,
    pub last_non_activity_message_id: Option<MessageId>,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub additional_attributes: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub custom_attributes: Value,
    /// Comma-separated label titles, in the order they were added.
    pub cached_label_list: String,
    pub identifier: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Whether a contact's message wakes the conversation while it is snoozed.
    pub snooze_wake_on_reply: bool,
}

/// Chatwoot caps the unread count it shows at 10 (`unread_incoming_messages.last(10)`).
pub const UNREAD_CAP: i64 = 10;

impl Conversation {
    pub fn priority(&self) -> Option<Priority> {
        self.priority_code.and_then(Priority::from_code)
    }
    pub fn labels(&self) -> Vec<String> {
        split_labels(&self.cached_label_list)
    }
    pub fn unread_shown(&self) -> i64 {
        self.unread_count.clamp(0, UNREAD_CAP)
    }
}

/// The label titles of a cached label list.
pub fn split_labels(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Normalises label titles as Chatwoot's tagging does: trimmed, lower-cased, unique, in order.
pub fn normalize_labels<I: IntoIterator<Item = String>>(titles: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in titles {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Who acted, as activity messages name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    /// An agent, administrator or agent bot, by name.
    Named(String),
    /// An automation rule ("Automation System").
    Automation,
    /// The contact, through the public API (resolving).
    Contact(String),
    /// The contact's incoming message on an API inbox reopened the conversation.
    ContactMessage,
    /// A job with no acting person (snooze expiry, provider channels).
    System,
}

/// The activity text for a status change, or `None` when upstream writes none.
pub fn status_activity(actor: &ActorKind, status: ConversationStatus) -> Option<String> {
    use ConversationStatus as S;
    let named = |name: &str| -> String {
        match status {
            S::Open => format!("Conversation was reopened by {name}"),
            S::Resolved => format!("Conversation was marked resolved by {name}"),
            S::Pending => format!("Conversation was marked as pending by {name}"),
            S::Snoozed => format!("Conversation was snoozed by {name}"),
            S::Spam => format!("Conversation was marked as spam by {name}"),
        }
    };
    match actor {
        ActorKind::Named(name) => Some(named(name)),
        ActorKind::Automation => Some(named("Automation System")),
        ActorKind::Contact(name) => (status == S::Resolved)
            .then(|| format!("Conversation was resolved by {}", capitalize(name))),
        ActorKind::ContactMessage => (status == S::Open)
            .then(|| "System reopened the conversation due to a new incoming message.".to_owned()),
        ActorKind::System => None,
    }
}

/// The activity text for a priority change by `who` (None when the priority did not change).
pub fn priority_activity(
    who: &str,
    from: Option<Priority>,
    to: Option<Priority>,
) -> Option<String> {
    match (from, to) {
        (a, b) if a == b => None,
        (None, Some(p)) => Some(format!("{who} set the priority to {}", p.as_str())),
        (Some(a), Some(b)) => Some(format!(
            "{who} changed the priority from {} to {}",
            a.as_str(),
            b.as_str()
        )),
        (Some(_), None) => Some(format!("{who} removed the priority")),
        (None, None) => None,
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What `toggle_status` does, decided before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToggleDecision {
    /// An agent bot hands a pending conversation to the humans (`conversation.bot_handoff`).
    BotHandoff,
    /// Set this status (explicit `status` or the toggled one).
    Set {
        status: ConversationStatus,
        /// Whether `snoozed_until` from the request applies.
        explicit: bool,
    },
}

/// The decision table of §4.1: the bot hand-off, then an explicit status, then the toggle.
pub fn decide_toggle(
    current: ConversationStatus,
    requested: Option<ConversationStatus>,
    caller_is_bot: bool,
) -> ToggleDecision {
    match requested {
        Some(ConversationStatus::Open)
            if caller_is_bot && current == ConversationStatus::Pending =>
        {
            ToggleDecision::BotHandoff
        }
        Some(status) => ToggleDecision::Set {
            status,
            explicit: true,
        },
        None => ToggleDecision::Set {
            status: current.toggled(),
            explicit: false,
        },
    }
}

/// The status a new incoming message moves a conversation to (`Message#reopen_conversation`):
/// none when the contact is blocked; snoozed opens unless the snooze was set not to wake on a
/// reply; resolved opens, or goes pending when the inbox has an active bot; open, pending and
/// spam stay.
pub fn reopen_on_incoming(
    current: ConversationStatus,
    wake_on_reply: bool,
    contact_blocked: bool,
    inbox_has_bot: bool,
) -> Option<ConversationStatus> {
    if contact_blocked {
        return None;
    }
    match current {
        ConversationStatus::Snoozed if wake_on_reply => Some(ConversationStatus::Open),
        ConversationStatus::Resolved if inbox_has_bot => Some(ConversationStatus::Pending),
        ConversationStatus::Resolved => Some(ConversationStatus::Open),
        ConversationStatus::Snoozed
        | ConversationStatus::Open
        | ConversationStatus::Pending
        | ConversationStatus::Spam => None,
    }
}

/// The status a new conversation starts in (`determine_conversation_status`).
pub fn initial_status(
    requested: Option<ConversationStatus>,
    contact_blocked: bool,
    inbox_has_bot: bool,
) -> ConversationStatus {
    if contact_blocked {
        ConversationStatus::Resolved
    } else if inbox_has_bot {
        ConversationStatus::Pending
    } else {
        requested.unwrap_or(ConversationStatus::Open)
    }
}

/// Sort orders of the conversation list (`sort_by`, with the legacy aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConversationSort {
    #[default]
    LastActivityDesc,
    LastActivityAsc,
    CreatedAsc,
    CreatedDesc,
    PriorityAsc,
    PriorityDesc,
    WaitingSinceAsc,
    WaitingSinceDesc,
}

impl ConversationSort {
    /// Unknown values fall back to the default, as upstream.
    pub fn parse(s: Option<&str>) -> Self {
        match s.unwrap_or("") {
            "last_activity_at_asc" => Self::LastActivityAsc,
            "created_at_asc" | "sort_on_created_at" => Self::CreatedAsc,
            "created_at_desc" => Self::CreatedDesc,
            "priority_asc" => Self::PriorityAsc,
            "priority_desc" | "sort_on_priority" => Self::PriorityDesc,
            "waiting_since_asc" | "sort_on_waiting_since" => Self::WaitingSinceAsc,
            "waiting_since_desc" => Self::WaitingSinceDesc,
            _ => Self::LastActivityDesc,
        }
    }
}

/// The `assignee_type` narrowing of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssigneeFilter {
    Me,
    Unassigned,
    Assigned,
    #[default]
    All,
}

impl AssigneeFilter {
    pub fn parse(s: Option<&str>) -> Self {
        match s.unwrap_or("") {
            "me" => Self::Me,
            "unassigned" => Self::Unassigned,
            "assigned" => Self::Assigned,
            _ => Self::All,
        }
    }
}

/// The `status` parameter of the list: one status, or every status but spam.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    One(ConversationStatus),
    /// Every status except spam, which is only ever listed when asked for by name.
    All,
    /// Every status, spam included: the caller's own conditions (a filter on `status`) decide.
    Any,
    /// Any of these statuses (Fernand's OPENED is open or pending).
    Many(&'static [ConversationStatus]),
}

impl StatusFilter {
    /// `open` by default; `all` means every status but spam; unknown values fall back to open.
    pub fn parse(s: Option<&str>) -> Self {
        match s.map(str::trim) {
            Some("all") => Self::All,
            Some(v) => Self::One(ConversationStatus::parse(v).unwrap_or(ConversationStatus::Open)),
            None => Self::One(ConversationStatus::Open),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationStatus as S;

    #[test]
    fn toggling_without_a_status_swaps_open_and_resolved_and_opens_the_rest() {
        assert_eq!(S::Open.toggled(), S::Resolved);
        assert_eq!(S::Resolved.toggled(), S::Open);
        assert_eq!(S::Pending.toggled(), S::Open);
        assert_eq!(S::Snoozed.toggled(), S::Open);
    }

    #[test]
    fn a_bot_opening_a_pending_conversation_hands_it_off() {
        assert_eq!(
            decide_toggle(S::Pending, Some(S::Open), true),
            ToggleDecision::BotHandoff
        );
        assert_eq!(
            decide_toggle(S::Pending, Some(S::Open), false),
            ToggleDecision::Set {
                status: S::Open,
                explicit: true
            }
        );
        assert_eq!(
            decide_toggle(S::Resolved, Some(S::Open), true),
            ToggleDecision::Set {
                status: S::Open,
                explicit: true
            }
        );
    }

    #[test]
    fn incoming_messages_reopen_only_snoozed_and_resolved_of_unblocked_contacts() {
        assert_eq!(
            reopen_on_incoming(S::Snoozed, true, false, false),
            Some(S::Open)
        );
        assert_eq!(
            reopen_on_incoming(S::Resolved, true, false, false),
            Some(S::Open)
        );
        assert_eq!(
            reopen_on_incoming(S::Resolved, true, false, true),
            Some(S::Pending)
        );
        assert_eq!(reopen_on_incoming(S::Open, true, false, false), None);
        assert_eq!(reopen_on_incoming(S::Pending, true, false, false), None);
        assert_eq!(reopen_on_incoming(S::Snoozed, true, true, false), None);
        assert_eq!(reopen_on_incoming(S::Resolved, true, true, false), None);
    }

    #[test]
    fn spam_and_snoozes_that_ignore_replies_stay_as_they_are() {
        assert_eq!(reopen_on_incoming(S::Spam, true, false, false), None);
        assert_eq!(reopen_on_incoming(S::Spam, true, false, true), None);
        assert_eq!(reopen_on_incoming(S::Snoozed, false, false, false), None);
        // The reply policy is about snoozes only: a resolved conversation still reopens.
        assert_eq!(
            reopen_on_incoming(S::Resolved, false, false, false),
            Some(S::Open)
        );
    }

    #[test]
    fn fernand_status_names_map_onto_the_domain() {
        assert_eq!(S::Open.fernand(), "OPENED");
        assert_eq!(S::Pending.fernand(), "OPENED");
        assert_eq!(S::Resolved.fernand(), "CLOSED");
        assert_eq!(S::Snoozed.fernand(), "SNOOZED");
        assert_eq!(S::Spam.fernand(), "SPAM");
        for s in [S::Open, S::Resolved, S::Snoozed, S::Spam] {
            assert_eq!(ConversationStatus::parse_fernand(s.fernand()), Some(s));
        }
        assert_eq!(ConversationStatus::parse_fernand("pending"), None);
        assert_eq!(ConversationStatus::from_code(4), S::Spam);
        assert_eq!(ConversationStatus::parse("spam"), Some(S::Spam));
    }

    #[test]
    fn new_conversations_of_blocked_contacts_start_resolved_and_bot_inboxes_pending() {
        assert_eq!(initial_status(Some(S::Open), true, true), S::Resolved);
        assert_eq!(initial_status(None, false, true), S::Pending);
        assert_eq!(initial_status(Some(S::Snoozed), false, false), S::Snoozed);
        assert_eq!(initial_status(None, false, false), S::Open);
    }

    #[test]
    fn activity_texts_depend_on_the_actor() {
        let agent = ActorKind::Named("Ada".into());
        assert_eq!(
            status_activity(&agent, S::Resolved).as_deref(),
            Some("Conversation was marked resolved by Ada")
        );
        assert_eq!(
            status_activity(&agent, S::Pending).as_deref(),
            Some("Conversation was marked as pending by Ada")
        );
        assert_eq!(
            status_activity(&ActorKind::Automation, S::Open).as_deref(),
            Some("Conversation was reopened by Automation System")
        );
        assert_eq!(
            status_activity(&ActorKind::Contact("bob".into()), S::Resolved).as_deref(),
            Some("Conversation was resolved by Bob")
        );
        assert_eq!(
            status_activity(&ActorKind::ContactMessage, S::Open).as_deref(),
            Some("System reopened the conversation due to a new incoming message.")
        );
        assert_eq!(status_activity(&ActorKind::System, S::Open), None);
    }

    #[test]
    fn priority_none_and_blank_clear_and_unknown_values_are_errors() {
        assert_eq!(Priority::parse_nullable(Some("none")), Ok(None));
        assert_eq!(Priority::parse_nullable(Some("")), Ok(None));
        assert_eq!(Priority::parse_nullable(None), Ok(None));
        assert_eq!(
            Priority::parse_nullable(Some("urgent")),
            Ok(Some(Priority::Urgent))
        );
        assert!(Priority::parse_nullable(Some("critical")).is_err());
    }

    #[test]
    fn priority_activity_texts() {
        assert_eq!(
            priority_activity("Ada", None, Some(Priority::High)).as_deref(),
            Some("Ada set the priority to high")
        );
        assert_eq!(
            priority_activity("Ada", Some(Priority::Low), Some(Priority::High)).as_deref(),
            Some("Ada changed the priority from low to high")
        );
        assert_eq!(
            priority_activity("Ada", Some(Priority::Low), None).as_deref(),
            Some("Ada removed the priority")
        );
        assert_eq!(priority_activity("Ada", None, None), None);
    }

    #[test]
    fn labels_are_trimmed_lower_cased_and_unique() {
        assert_eq!(
            normalize_labels(vec![
                " Billing".into(),
                "billing".into(),
                "VIP".into(),
                "".into()
            ]),
            vec!["billing", "vip"]
        );
        assert_eq!(split_labels("a, b,,c"), vec!["a", "b", "c"]);
    }

    #[test]
    fn list_parameters_fall_back_to_upstream_defaults() {
        assert_eq!(StatusFilter::parse(None), StatusFilter::One(S::Open));
        assert_eq!(StatusFilter::parse(Some("all")), StatusFilter::All);
        assert_eq!(
            StatusFilter::parse(Some("snoozed")),
            StatusFilter::One(S::Snoozed)
        );
        assert_eq!(
            ConversationSort::parse(Some("sort_on_priority")),
            ConversationSort::PriorityDesc
        );
        assert_eq!(
            ConversationSort::parse(Some("bogus")),
            ConversationSort::LastActivityDesc
        );
        assert_eq!(AssigneeFilter::parse(Some("me")), AssigneeFilter::Me);
    }
}
