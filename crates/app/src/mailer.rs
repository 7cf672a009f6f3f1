//! Outgoing email over SMTP, configured with Chatwoot's environment names.
//! (The SMTP client is being written; this is its interface.)

/// SMTP settings (`SMTP_ADDRESS`, `SMTP_PORT`, … as Chatwoot names them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub address: String,
    pub port: u16,
    pub domain: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `plain`, `login` (or unset for none).
    pub authentication: Option<String>,
    pub enable_starttls_auto: bool,
    /// `none` skips certificate verification.
    pub openssl_verify_mode: Option<String>,
    /// The From address (`MAILER_SENDER_EMAIL`).
    pub sender: String,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Sends one email. Errors carry the SMTP server's answer.
pub async fn send(settings: &SmtpSettings, email: &OutgoingEmail) -> anyhow::Result<()> {
    let _ = (settings, email);
    anyhow::bail!("SMTP client not written yet")
}
