//! `POST …/conversations/:id/transcript`: the conversation's public messages sent by email,
//! as a job after commit (the request never waits on SMTP).

use std::collections::HashMap;

use confab_domain::ConversationId;
use confab_domain::message::MessageType;
use confab_domain::validation::is_valid_email;
use confab_store::messages::MessageWindow;
use confab_store::{conversations, jobs, messages};
use serde_json::{Value, json};

use crate::conversations::{MessageView, Sender};
use crate::error::{AppError, AppResult};
use crate::mailer::{self, OutgoingEmail};
use crate::{App, Scope};

/// The job kind that sends a transcript.
pub(crate) const TRANSCRIPT_JOB: &str = "conversation.transcript";

fn sender_name(m: &MessageView) -> String {
    match &m.sender {
        Some(Sender::Contact(c)) if !c.name.is_empty() => c.name.clone(),
        Some(Sender::Contact(_)) => "Customer".into(),
        Some(Sender::User(u)) => u.available_name().to_owned(),
        Some(Sender::AgentBot(b)) => b.name.clone(),
        None => "Bot".into(),
    }
}

/// Text made safe inside HTML (also Fernand's `message` field).
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The transcript as plain text and HTML.
fn render(display_id: i64, list: &[MessageView]) -> (String, String) {
    let mut text = format!("Conversation #{display_id}\n\n");
    let mut html =
        format!("<html><body><h2>Conversation #{display_id}</h2><table cellpadding=\"4\">");
    for m in list {
        let when = m.message.created_at.to_rails_iso();
        let who = sender_name(m);
        let content = m.message.content.clone().unwrap_or_default();
        text.push_str(&format!("[{when}] {who}: {content}\n"));
        for a in &m.attachments {
            text.push_str(&format!("    (attachment: {})\n", a.file_name));
        }
        html.push_str(&format!(
            "<tr><td><small>{}</small></td><td><b>{}</b></td><td>{}</td></tr>",
            html_escape(&when),
            html_escape(&who),
            html_escape(&content).replace('\n', "<br>")
        ));
    }
    html.push_str("</table></body></html>");
    (text, html)
}

impl App {
    /// Queues the transcript email. 422 without an email, with an invalid one, or when this
    /// server has no SMTP configured.
    pub async fn send_transcript(
        &self,
        scope: &Scope,
        display_id: i64,
        email: Option<&str>,
    ) -> AppResult<()> {
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let Some(email) = email else {
            return Err(AppError::Unprocessable("email param missing".into()));
        };
        if !is_valid_email(email) {
            return Err(AppError::invalid("email", "is invalid"));
        }
        if self.config().smtp.is_none() {
            return Err(AppError::Unprocessable(
                "Email is not configured on this server (set SMTP_ADDRESS to send transcripts)"
                    .into(),
            ));
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        jobs::schedule(
            &mut c,
            TRANSCRIPT_JOB,
            None,
            &json!({ "conversation_id": conv.id, "email": email }),
            now,
            now,
        )
        .await?;
        tx.commit().await?;
        self.jobs_changed();
        Ok(())
    }

    /// Sends a queued transcript (the job). Errors leave the job for a retry.
    pub(crate) async fn send_transcript_job(&self, job: &jobs::Job) -> AppResult<()> {
        let id = job.payload.get("conversation_id").and_then(Value::as_i64);
        let to = job.payload.get("email").and_then(Value::as_str);
        let (Some(id), Some(to), Some(smtp)) = (id, to, self.config().smtp.clone()) else {
            let mut c = self.store().conn();
            jobs::finish(&mut c, job.id, job.attempts).await?;
            return Ok(());
        };
        let (display_id, views) = {
            let mut c = self.store().conn();
            let conv = match conversations::get_conversation(&mut c, ConversationId(id)).await {
                Ok(conv) => conv,
                Err(confab_store::StoreError::NotFound) => {
                    jobs::finish(&mut c, job.id, job.attempts).await?;
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            let window = MessageWindow {
                limit: 10_000,
                public_only: true,
                ..Default::default()
            };
            let list: Vec<_> = messages::list_messages(&mut c, conv.id, &window)
                .await?
                .into_iter()
                .filter(|m| {
                    matches!(
                        m.message_type,
                        MessageType::Incoming | MessageType::Outgoing
                    )
                })
                .collect();
            let ids = HashMap::from([(conv.id, conv.display_id)]);
            (
                conv.display_id,
                self.message_views(&mut c, list, &ids).await?,
            )
        };
        let (text, html) = render(display_id, &views);
        let email = OutgoingEmail {
            to: to.to_owned(),
            subject: format!("[#{display_id}] Conversation Transcript"),
            text,
            html: Some(html),
        };
        mailer::send(&smtp, &email)
            .await
            .map_err(AppError::Internal)?;
        let mut c = self.store().conn();
        jobs::finish(&mut c, job.id, job.attempts).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(html_escape("<b>&\"</b>"), "&lt;b&gt;&amp;&quot;&lt;/b&gt;");
    }

    #[test]
    fn an_empty_transcript_still_names_the_conversation() {
        let (text, html) = render(7, &[]);
        assert!(text.starts_with("Conversation #7"));
        assert!(html.contains("Conversation #7"));
    }
}
