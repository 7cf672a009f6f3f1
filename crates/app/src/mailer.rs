//! Outgoing email over SMTP, configured with Chatwoot's environment names.
//!
//! One connection per message (no pool): mail is sent from jobs, rarely, and a fresh connection
//! never trips over a server that dropped an idle one. Encryption follows Rails/ActionMailer:
//! port 465 is implicit TLS; otherwise `enable_starttls_auto` upgrades with STARTTLS when the
//! server offers it, and the connection stays plain when it does not (or when turned off).

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Time allowed to open the connection and for each command's answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole delivery, greeting to end of data.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The port where SMTP speaks TLS from the first byte (SMTPS, RFC 8314).
const IMPLICIT_TLS_PORT: u16 = 465;

/// SMTP settings (`SMTP_ADDRESS`, `SMTP_PORT`, … as Chatwoot names them). `Debug` hides the
/// password.
#[derive(Clone, PartialEq, Eq)]
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

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("address", &self.address)
            .field("port", &self.port)
            .field("domain", &self.domain)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("authentication", &self.authentication)
            .field("enable_starttls_auto", &self.enable_starttls_auto)
            .field("openssl_verify_mode", &self.openssl_verify_mode)
            .field("sender", &self.sender)
            .finish()
    }
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// TLS from the first byte (port 465).
    Implicit,
    /// STARTTLS when the server offers it, plain otherwise (`SMTP_ENABLE_STARTTLS_AUTO`).
    Opportunistic,
    /// Never encrypted.
    None,
}

impl SmtpSettings {
    /// The encryption these settings ask for.
    pub fn encryption(&self) -> Encryption {
        if self.port == IMPLICIT_TLS_PORT {
            Encryption::Implicit
        } else if self.enable_starttls_auto {
            Encryption::Opportunistic
        } else {
            Encryption::None
        }
    }

    /// Whether certificates are checked (everything but `SMTP_OPENSSL_VERIFY_MODE=none`).
    pub fn verifies_certificates(&self) -> bool {
        !self
            .openssl_verify_mode
            .as_deref()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("none"))
    }

    /// The SASL mechanisms to offer, from `SMTP_AUTHENTICATION`; unset allows PLAIN and LOGIN.
    fn mechanisms(&self) -> anyhow::Result<Vec<Mechanism>> {
        match self
            .authentication
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            None => Ok(vec![Mechanism::Plain, Mechanism::Login]),
            Some(a) if a.eq_ignore_ascii_case("plain") => Ok(vec![Mechanism::Plain]),
            Some(a) if a.eq_ignore_ascii_case("login") => Ok(vec![Mechanism::Login]),
            Some(other) => anyhow::bail!(
                "SMTP_AUTHENTICATION={other} is not supported; use `plain` or `login`"
            ),
        }
    }

    fn transport(&self) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.address)
            .port(self.port)
            .timeout(Some(CONNECT_TIMEOUT));
        if let Some(domain) = non_empty(self.domain.as_deref()) {
            builder = builder.hello_name(ClientId::Domain(domain.to_owned()));
        }
        let encryption = self.encryption();
        if encryption != Encryption::None {
            let verify = self.verifies_certificates();
            let params = TlsParameters::builder(self.address.clone())
                .dangerous_accept_invalid_certs(!verify)
                .dangerous_accept_invalid_hostnames(!verify)
                .build_rustls()
                .context("cannot set up TLS for SMTP")?;
            builder = builder.tls(match encryption {
                Encryption::Implicit => Tls::Wrapper(params),
                _ => Tls::Opportunistic(params),
            });
        }
        if let Some(username) = non_empty(self.username.as_deref()) {
            builder = builder
                .credentials(Credentials::new(
                    username.to_owned(),
                    self.password.clone().unwrap_or_default(),
                ))
                .authentication(self.mechanisms()?);
        }
        Ok(builder.build())
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Checks that `address` is a mailbox such as `Confab <accounts@example.com>` or `a@example.com`
/// (used to validate `MAILER_SENDER_EMAIL` at start-up). The error says what is wrong.
pub fn check_mailbox(address: &str) -> Result<(), String> {
    address
        .trim()
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("`{address}` is not an email address ({e})"))
}

/// Builds the MIME message: text, or text with an HTML alternative.
pub fn build_message(settings: &SmtpSettings, email: &OutgoingEmail) -> anyhow::Result<Message> {
    let from: Mailbox = settings.sender.trim().parse().with_context(|| {
        format!(
            "MAILER_SENDER_EMAIL `{}` is not an email address",
            settings.sender
        )
    })?;
    let to: Mailbox = email
        .to
        .trim()
        .parse()
        .with_context(|| format!("`{}` is not an email address", email.to))?;
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain());
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(message_id));
    let message = match &email.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone()),
    };
    message.map_err(|e| anyhow::anyhow!("cannot build the email: {e}"))
}

/// Sends one email. Errors carry the SMTP server's answer.
pub async fn send(settings: &SmtpSettings, email: &OutgoingEmail) -> anyhow::Result<()> {
    let message = build_message(settings, email)?;
    let transport = settings.transport()?;
    let server = format!("{}:{}", settings.address, settings.port);
    match tokio::time::timeout(TOTAL_TIMEOUT, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        // lettre's error text holds the reply code and the server's own words, e.g.
        // "permanent error (550): 5.1.1 <x@y>: Recipient address rejected".
        Ok(Err(e)) => anyhow::bail!("SMTP delivery to {} via {server} failed: {e}", email.to),
        Err(_) => anyhow::bail!(
            "SMTP delivery to {} via {server} timed out after {} s",
            email.to,
            TOTAL_TIMEOUT.as_secs()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(port: u16, starttls: bool) -> SmtpSettings {
        SmtpSettings {
            address: "smtp.example.com".into(),
            port,
            domain: None,
            username: None,
            password: None,
            authentication: None,
            enable_starttls_auto: starttls,
            openssl_verify_mode: None,
            sender: "Confab <accounts@confab.local>".into(),
        }
    }

    fn email(html: Option<&str>) -> OutgoingEmail {
        OutgoingEmail {
            to: "Ann <ann@example.com>".into(),
            subject: "Your conversation".into(),
            text: "Hello\n.dot line".into(),
            html: html.map(str::to_owned),
        }
    }

    #[test]
    fn port_465_is_implicit_tls_whatever_the_starttls_flag() {
        assert_eq!(settings(465, false).encryption(), Encryption::Implicit);
        assert_eq!(settings(465, true).encryption(), Encryption::Implicit);
        assert_eq!(settings(587, true).encryption(), Encryption::Opportunistic);
        assert_eq!(settings(25, false).encryption(), Encryption::None);
    }

    #[test]
    fn only_verify_mode_none_skips_certificate_checks() {
        let mut s = settings(587, true);
        assert!(s.verifies_certificates());
        s.openssl_verify_mode = Some("peer".into());
        assert!(s.verifies_certificates());
        s.openssl_verify_mode = Some("NONE".into());
        assert!(!s.verifies_certificates());
    }

    #[test]
    fn authentication_names_map_to_mechanisms() {
        let mut s = settings(587, true);
        assert_eq!(
            s.mechanisms().unwrap(),
            vec![Mechanism::Plain, Mechanism::Login]
        );
        s.authentication = Some("login".into());
        assert_eq!(s.mechanisms().unwrap(), vec![Mechanism::Login]);
        s.authentication = Some("Plain".into());
        assert_eq!(s.mechanisms().unwrap(), vec![Mechanism::Plain]);
        s.authentication = Some("cram_md5".into());
        assert!(s.mechanisms().unwrap_err().to_string().contains("cram_md5"));
    }

    #[test]
    fn transports_build_for_every_encryption() {
        for (port, starttls) in [(465, false), (587, true), (25, false)] {
            let mut s = settings(port, starttls);
            s.username = Some("user".into());
            s.password = Some("secret".into());
            s.domain = Some("confab.example".into());
            s.openssl_verify_mode = Some("none".into());
            assert!(s.transport().is_ok());
        }
    }

    #[test]
    fn a_text_email_has_the_sender_recipient_subject_and_body() {
        let raw = String::from_utf8(
            build_message(&settings(587, true), &email(None))
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(
            raw.contains("From: Confab <accounts@confab.local>\r\n"),
            "{raw}"
        );
        assert!(raw.contains("To: Ann <ann@example.com>\r\n"), "{raw}");
        assert!(raw.contains("Subject: Your conversation\r\n"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain"), "{raw}");
        assert!(raw.contains("@confab.local>\r\n"), "message id: {raw}");
        assert!(raw.contains("Hello\r\n.dot line"), "{raw}");
    }

    #[test]
    fn an_html_email_is_multipart_alternative_with_text_first() {
        let raw = String::from_utf8(
            build_message(&settings(587, true), &email(Some("<p>Hello</p>")))
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        let text = raw.find("text/plain").unwrap();
        let html = raw.find("text/html").unwrap();
        assert!(text < html, "{raw}");
        assert!(raw.contains("<p>Hello</p>"), "{raw}");
    }

    #[test]
    fn mailboxes_with_and_without_a_display_name_are_accepted() {
        assert!(check_mailbox("Confab <accounts@confab.local>").is_ok());
        assert!(check_mailbox("accounts@confab.local").is_ok());
        assert!(
            check_mailbox("Confab accounts")
                .unwrap_err()
                .contains("`Confab accounts`")
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let mut s = settings(587, true);
        s.password = Some("hunter2".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<hidden>"), "{shown}");
    }

    #[test]
    fn bad_addresses_are_named_in_the_error() {
        let mut s = settings(587, true);
        s.sender = "not an address".into();
        let e = build_message(&s, &email(None)).unwrap_err();
        assert!(format!("{e:#}").contains("MAILER_SENDER_EMAIL"), "{e:#}");
        let mut m = email(None);
        m.to = "nobody".into();
        let e = build_message(&settings(587, true), &m).unwrap_err();
        assert!(format!("{e:#}").contains("`nobody`"), "{e:#}");
    }
}
