//! An SMTP server inside the test process: tests point the real mailer at it and read what
//! arrived, with no network beyond loopback and no fixed sleeps.
//!
//! It speaks enough SMTP for lettre and for hand-written sessions: greeting, EHLO/HELO, AUTH
//! PLAIN/LOGIN (offered and required only when credentials are configured), MAIL, RCPT, DATA
//! (dot-unstuffed, ended by `<CRLF>.<CRLF>`), RSET, NOOP, QUIT. It never offers STARTTLS.
//!
//! ```ignore
//! let sink = SmtpSink::start().await;
//! let config = AppConfig { smtp: Some(sink.settings()), ..AppConfig::default() };
//! // … act …
//! let emails = sink.wait_for(1).await;
//! assert_eq!(emails[0].to, ["ann@example.com"]);
//! assert_eq!(emails[0].subject().as_deref(), Some("Conversation Transcript"));
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_app::mailer::SmtpSettings;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How long [`SmtpSink::wait_for`] waits before failing the test.
pub const WAIT: Duration = Duration::from_secs(10);

/// The From address in [`SmtpSink::settings`].
pub const SENDER: &str = "Confab <accounts@confab.local>";

/// How the sink behaves.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    /// Offer AUTH PLAIN and LOGIN, accept only this user name and password, and refuse MAIL
    /// before a successful login (`530`).
    pub credentials: Option<(String, String)>,
    /// Recipients refused at RCPT with
    /// `550 5.1.1 <address>: Recipient address rejected: User unknown`.
    pub reject_recipients: Vec<String>,
}

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEmail {
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope recipients (RCPT TO) that were accepted, without angle brackets.
    pub to: Vec<String>,
    /// The message as sent after DATA: headers and body with CRLF line ends, dot-unstuffed,
    /// without the terminating `.` line.
    pub data: String,
    /// The user name this session logged in with, if it did.
    pub authenticated_as: Option<String>,
}

impl ReceivedEmail {
    /// The value of the first header called `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim_start().to_owned());
            }
        }
        value.map(|v| v.trim_end().to_owned())
    }

    /// The `Subject` header.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject")
    }

    /// Everything after the header block (for multipart messages, all the parts).
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or_default()
    }
}

struct State {
    options: SinkOptions,
    received: Mutex<Vec<ReceivedEmail>>,
    count: watch::Sender<usize>,
}

impl State {
    fn record(&self, email: ReceivedEmail) {
        let n = {
            let mut received = self.received.lock().unwrap();
            received.push(email);
            received.len()
        };
        self.count.send_replace(n);
    }
}

/// A running sink on `127.0.0.1` and a port of its own. Stops when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Dropping the accept loop drops its JoinSet, which ends every open session.
        self.server.abort();
    }
}

impl SmtpSink {
    /// A sink that accepts everything without a login.
    pub async fn start() -> SmtpSink {
        Self::start_with(SinkOptions::default()).await
    }

    /// A sink that behaves as `options` say.
    pub async fn start_with(options: SinkOptions) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("SMTP sink address");
        let state = Arc::new(State {
            options,
            received: Mutex::new(Vec::new()),
            count: watch::channel(0).0,
        });
        let server = tokio::spawn(accept_loop(listener, state.clone()));
        SmtpSink {
            addr,
            state,
            server,
        }
    }

    /// Where the sink listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Mailer settings for this sink: plain SMTP (no TLS), the sink's credentials if it has
    /// any, sender [`SENDER`].
    pub fn settings(&self) -> SmtpSettings {
        let (username, password) = match &self.state.options.credentials {
            Some((u, p)) => (Some(u.clone()), Some(p.clone())),
            None => (None, None),
        };
        SmtpSettings {
            address: self.addr.ip().to_string(),
            port: self.addr.port(),
            domain: Some("confab.test".into()),
            username,
            password,
            authentication: None,
            enable_starttls_auto: false,
            openssl_verify_mode: None,
            sender: SENDER.into(),
        }
    }

    /// Every message received so far, in order of arrival.
    pub fn received(&self) -> Vec<ReceivedEmail> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages have arrived (failing the test after [`WAIT`]) and
    /// returns all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedEmail> {
        let mut count = self.state.count.subscribe();
        let arrived = tokio::time::timeout(WAIT, count.wait_for(|c| *c >= n)).await;
        assert!(
            matches!(arrived, Ok(Ok(_))),
            "the SMTP sink received {} of {n} emails within {WAIT:?}",
            self.received().len()
        );
        self.received()
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    sessions.spawn(session(stream, state.clone()));
                }
                Err(_) => return,
            },
            // Reap finished sessions so the set does not grow.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// One SMTP transaction in progress.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

/// Reads one line with its line end removed; `None` at end of stream.
async fn read_line<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if r.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&buf);
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The address inside `FROM:<…>` / `TO:<…>` (parameters after it ignored).
fn path_argument(arg: &str, keyword: &str) -> Option<String> {
    let (k, rest) = arg.split_once(':')?;
    if !k.trim().eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest.trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

async fn session(stream: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 confab-sink ESMTP ready\r\n").await?;
    let mut envelope = Envelope::default();
    let mut authenticated_as: Option<String> = None;
    let auth_required = state.options.credentials.is_some();
    while let Some(line) = read_line(&mut r).await? {
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                envelope = Envelope::default();
                let mut lines = vec![format!("confab-sink greets {}", arg.trim())];
                lines.push("8BITMIME".into());
                lines.push("SMTPUTF8".into());
                if auth_required {
                    lines.push("AUTH PLAIN LOGIN".into());
                }
                lines.push("HELP".into());
                let last = lines.len() - 1;
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                    .collect()
            }
            "HELO" => {
                envelope = Envelope::default();
                "250 confab-sink\r\n".into()
            }
            "AUTH" => match &state.options.credentials {
                None => "502 5.5.1 AUTH not available\r\n".into(),
                Some(_) if authenticated_as.is_some() => {
                    "503 5.5.1 Already authenticated\r\n".into()
                }
                Some((user, pass)) => match authenticate(&mut r, &mut w, arg).await? {
                    Some((u, p)) if &u == user && &p == pass => {
                        authenticated_as = Some(u);
                        "235 2.7.0 Authentication successful\r\n".into()
                    }
                    Some(_) => "535 5.7.8 Authentication credentials invalid\r\n".into(),
                    None => "501 5.5.4 Malformed AUTH exchange\r\n".into(),
                },
            },
            "MAIL" => {
                if auth_required && authenticated_as.is_none() {
                    "530 5.7.0 Authentication required\r\n".into()
                } else if envelope.from.is_some() {
                    "503 5.5.1 Sender already given\r\n".into()
                } else {
                    match path_argument(arg, "FROM") {
                        Some(from) => {
                            envelope.from = Some(from);
                            "250 2.1.0 Sender OK\r\n".into()
                        }
                        None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".into(),
                    }
                }
            }
            "RCPT" => match (&envelope.from, path_argument(arg, "TO")) {
                (None, _) => "503 5.5.1 Need MAIL before RCPT\r\n".into(),
                (_, None) => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".into(),
                (Some(_), Some(to))
                    if state
                        .options
                        .reject_recipients
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(&to)) =>
                {
                    format!("550 5.1.1 <{to}>: Recipient address rejected: User unknown\r\n")
                }
                (Some(_), Some(to)) => {
                    envelope.to.push(to);
                    "250 2.1.5 Recipient OK\r\n".into()
                }
            },
            "DATA" => match &envelope.from {
                None => "503 5.5.1 Need MAIL before DATA\r\n".into(),
                Some(_) if envelope.to.is_empty() => "503 5.5.1 Need RCPT before DATA\r\n".into(),
                Some(from) => {
                    w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let mut data = String::new();
                    loop {
                        let Some(line) = read_line(&mut r).await? else {
                            return Ok(());
                        };
                        if line == "." {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').unwrap_or(&line));
                        data.push_str("\r\n");
                    }
                    state.record(ReceivedEmail {
                        from: from.clone(),
                        to: std::mem::take(&mut envelope.to),
                        data,
                        authenticated_as: authenticated_as.clone(),
                    });
                    envelope = Envelope::default();
                    "250 2.0.0 Ok: queued\r\n".into()
                }
            },
            "RSET" => {
                envelope = Envelope::default();
                "250 2.0.0 Ok\r\n".into()
            }
            "NOOP" => "250 2.0.0 Ok\r\n".into(),
            "QUIT" => {
                w.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            "STARTTLS" => "454 4.7.0 TLS not available\r\n".into(),
            _ => "502 5.5.2 Command not recognized\r\n".into(),
        };
        w.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}

/// Runs the AUTH exchange after `AUTH <arg>`; returns the user name and password the client
/// gave, or `None` when the exchange was malformed or the mechanism unknown.
async fn authenticate<R, W>(
    r: &mut BufReader<R>,
    w: &mut W,
    arg: &str,
) -> std::io::Result<Option<(String, String)>>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (mechanism, initial) = arg.trim().split_once(' ').unwrap_or((arg.trim(), ""));
    let initial = Some(initial.trim()).filter(|s| !s.is_empty());
    let mut prompt = async |challenge: &str| -> std::io::Result<Option<String>> {
        w.write_all(format!("334 {challenge}\r\n").as_bytes())
            .await?;
        read_line(r).await
    };
    let utf8 = |b64: &str| base64_decode(b64).and_then(|b| String::from_utf8(b).ok());
    match mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(i) => i.to_owned(),
                None => match prompt("").await? {
                    Some(l) => l,
                    None => return Ok(None),
                },
            };
            // authzid NUL authcid NUL password
            let Some(decoded) = utf8(&response) else {
                return Ok(None);
            };
            let mut parts = decoded.split('\0');
            let (Some(_authzid), Some(user), Some(pass), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Ok(None);
            };
            Ok(Some((user.to_owned(), pass.to_owned())))
        }
        "LOGIN" => {
            let user = match initial {
                Some(i) => Some(i.to_owned()),
                // "Username:" and "Password:" in base64.
                None => prompt("VXNlcm5hbWU6").await?,
            };
            let Some(user) = user.as_deref().and_then(utf8) else {
                return Ok(None);
            };
            let Some(pass) = prompt("UGFzc3dvcmQ6").await?.as_deref().and_then(utf8) else {
                return Ok(None);
            };
            Ok(Some((user, pass)))
        }
        _ => Ok(None),
    }
}

/// Standard base64 (padding optional); `None` on anything else.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    }
    let s = s.trim().trim_end_matches('=');
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        acc = (acc << 6) | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use confab_app::mailer::{self, OutgoingEmail};
    use tokio::io::AsyncReadExt;

    use super::*;

    fn email(to: &str, subject: &str, text: &str) -> OutgoingEmail {
        OutgoingEmail {
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
            html: None,
        }
    }

    #[tokio::test]
    async fn the_mailer_delivers_a_text_email_to_the_sink() {
        let sink = SmtpSink::start().await;
        // Lines starting with '.', and a line that is only '.', would end DATA early or lose
        // their dot without stuffing on the way out and unstuffing on the way in.
        let text = "Hello Ann,\n.hidden line\n.\n..two dots\nBye";
        mailer::send(
            &sink.settings(),
            &email("Ann <ann@example.com>", "Your conversation", text),
        )
        .await
        .unwrap();

        let emails = sink.wait_for(1).await;
        assert_eq!(emails.len(), 1);
        let e = &emails[0];
        assert_eq!(e.from, "accounts@confab.local");
        assert_eq!(e.to, ["ann@example.com"]);
        assert_eq!(e.authenticated_as, None);
        assert_eq!(e.subject().as_deref(), Some("Your conversation"));
        assert_eq!(e.header("to").as_deref(), Some("Ann <ann@example.com>"));
        assert_eq!(e.header("From").as_deref(), Some(SENDER));
        assert!(
            e.header("Content-Type")
                .is_some_and(|c| c.starts_with("text/plain")),
            "{}",
            e.data
        );
        assert_eq!(
            e.body(),
            "Hello Ann,\r\n.hidden line\r\n.\r\n..two dots\r\nBye\r\n",
            "{}",
            e.data
        );
    }

    #[tokio::test]
    async fn an_html_email_arrives_with_its_text_alternative() {
        let sink = SmtpSink::start().await;
        let mut message = email("ann@example.com", "Transcript", "Plain words");
        message.html = Some("<p>Rich words</p>".into());
        mailer::send(&sink.settings(), &message).await.unwrap();

        let e = &sink.wait_for(1).await[0];
        assert!(
            e.header("Content-Type")
                .is_some_and(|c| c.starts_with("multipart/alternative")),
            "{}",
            e.data
        );
        let body = e.body();
        let (text, html) = (body.find("Plain words"), body.find("<p>Rich words</p>"));
        assert!(text.is_some() && html.is_some() && text < html, "{body}");
    }

    #[tokio::test]
    async fn opportunistic_starttls_sends_in_plain_text_when_the_server_offers_no_tls() {
        let sink = SmtpSink::start().await;
        let mut settings = sink.settings();
        settings.enable_starttls_auto = true;
        settings.openssl_verify_mode = Some("peer".into());
        mailer::send(&settings, &email("ann@example.com", "Hi", "Hi"))
            .await
            .unwrap();
        assert_eq!(sink.wait_for(1).await[0].to, ["ann@example.com"]);
    }

    #[tokio::test]
    async fn a_refused_recipient_is_an_error_naming_the_server_reply() {
        let sink = SmtpSink::start_with(SinkOptions {
            reject_recipients: vec!["gone@example.com".into()],
            ..SinkOptions::default()
        })
        .await;
        let err = mailer::send(&sink.settings(), &email("gone@example.com", "Hi", "Hi"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("550"), "{err}");
        assert!(
            err.contains("<gone@example.com>: Recipient address rejected: User unknown"),
            "{err}"
        );

        // The refusal is per recipient: the next message goes through.
        mailer::send(&sink.settings(), &email("ann@example.com", "Hi", "Hi"))
            .await
            .unwrap();
        let emails = sink.wait_for(1).await;
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].to, ["ann@example.com"]);
    }

    #[tokio::test]
    async fn the_mailer_logs_in_with_plain_or_login_when_the_sink_requires_it() {
        let sink = SmtpSink::start_with(SinkOptions {
            credentials: Some(("postmaster".into(), "s3cret pass".into())),
            ..SinkOptions::default()
        })
        .await;
        for (i, mechanism) in ["plain", "login"].into_iter().enumerate() {
            let mut settings = sink.settings();
            settings.authentication = Some(mechanism.into());
            mailer::send(&settings, &email("ann@example.com", mechanism, "Hi"))
                .await
                .unwrap();
            let e = &sink.wait_for(i + 1).await[i];
            assert_eq!(e.subject().as_deref(), Some(mechanism));
            assert_eq!(e.authenticated_as.as_deref(), Some("postmaster"));
        }
    }

    #[tokio::test]
    async fn wrong_credentials_are_an_error_naming_the_server_reply() {
        let sink = SmtpSink::start_with(SinkOptions {
            credentials: Some(("postmaster".into(), "s3cret".into())),
            ..SinkOptions::default()
        })
        .await;
        let mut settings = sink.settings();
        settings.password = Some("guess".into());
        let err = mailer::send(&settings, &email("ann@example.com", "Hi", "Hi"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("535"), "{err}");
        assert!(err.contains("Authentication credentials invalid"), "{err}");
        assert!(sink.received().is_empty());
    }

    #[tokio::test]
    async fn wait_for_sees_emails_sent_concurrently() {
        let sink = SmtpSink::start().await;
        let settings = sink.settings();
        let sends = (0..3).map(|i| {
            let settings = settings.clone();
            async move {
                let to = format!("user{i}@example.com");
                mailer::send(&settings, &email(&to, "Hi", "Hi")).await
            }
        });
        for result in futures_join_all(sends).await {
            result.unwrap();
        }
        let mut to: Vec<String> = sink
            .wait_for(3)
            .await
            .into_iter()
            .flat_map(|e| e.to)
            .collect();
        to.sort();
        assert_eq!(
            to,
            [
                "user0@example.com",
                "user1@example.com",
                "user2@example.com"
            ]
        );
    }

    /// Runs futures at once on spawned tasks (no extra crate for `join_all`).
    async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }

    /// A hand-written client for the commands lettre does not send.
    struct RawClient {
        r: BufReader<tokio::net::tcp::OwnedReadHalf>,
        w: tokio::net::tcp::OwnedWriteHalf,
    }

    impl RawClient {
        async fn connect(addr: SocketAddr) -> (RawClient, String) {
            let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
            let mut c = RawClient {
                r: BufReader::new(r),
                w,
            };
            let greeting = c.reply().await;
            (c, greeting)
        }

        /// One reply, all its lines joined by `\n`.
        async fn reply(&mut self) -> String {
            let mut lines = Vec::new();
            loop {
                let line = tokio::time::timeout(WAIT, read_line(&mut self.r))
                    .await
                    .expect("the sink answers in time")
                    .unwrap()
                    .expect("the sink keeps the connection open");
                let last = line.as_bytes().get(3) != Some(&b'-');
                lines.push(line);
                if last {
                    return lines.join("\n");
                }
            }
        }

        async fn send(&mut self, line: &str) -> String {
            self.w
                .write_all(format!("{line}\r\n").as_bytes())
                .await
                .unwrap();
            self.reply().await
        }
    }

    #[tokio::test]
    async fn the_sink_speaks_smtp_to_a_hand_written_client() {
        let sink = SmtpSink::start_with(SinkOptions {
            credentials: Some(("postmaster".into(), "s3cret".into())),
            ..SinkOptions::default()
        })
        .await;
        let (mut c, greeting) = RawClient::connect(sink.addr()).await;
        assert!(greeting.starts_with("220 "), "{greeting}");

        let ehlo = c.send("EHLO client.test").await;
        assert!(ehlo.starts_with("250-"), "{ehlo}");
        assert!(ehlo.contains("250-AUTH PLAIN LOGIN"), "{ehlo}");
        assert!(c.send("HELO client.test").await.starts_with("250 "));
        assert!(c.send("NOOP").await.starts_with("250 "));
        assert!(c.send("STARTTLS").await.starts_with("454 "));
        assert!(c.send("VRFY ann").await.starts_with("502 "));

        let needs_login = c.send("MAIL FROM:<a@example.com>").await;
        assert!(needs_login.starts_with("530 "), "{needs_login}");
        // base64 of "\0postmaster\0s3cret"
        let login = c.send("AUTH PLAIN AHBvc3RtYXN0ZXIAczNjcmV0").await;
        assert!(login.starts_with("235 "), "{login}");

        assert!(c.send("RCPT TO:<b@example.com>").await.starts_with("503 "));
        assert!(
            c.send("MAIL FROM:<dropped@example.com>")
                .await
                .starts_with("250 ")
        );
        assert!(c.send("RSET").await.starts_with("250 "));
        assert!(c.send("DATA").await.starts_with("503 "));
        let mail = c.send("mail from:<a@example.com> BODY=8BITMIME").await;
        assert!(mail.starts_with("250 "), "{mail}");
        assert!(c.send("RCPT TO:<b@example.com>").await.starts_with("250 "));
        assert!(c.send("RCPT TO:<c@example.com>").await.starts_with("250 "));
        assert!(c.send("DATA").await.starts_with("354 "));
        let queued = c.send("Subject: hand\r\n\r\n..stuffed\r\n.").await;
        assert!(queued.starts_with("250 "), "{queued}");
        assert!(c.send("QUIT").await.starts_with("221 "));
        let mut rest = Vec::new();
        c.r.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "the sink closes after QUIT");

        let e = &sink.wait_for(1).await[0];
        assert_eq!(e.from, "a@example.com");
        assert_eq!(e.to, ["b@example.com", "c@example.com"]);
        assert_eq!(e.data, "Subject: hand\r\n\r\n.stuffed\r\n");
        assert_eq!(e.subject().as_deref(), Some("hand"));
        assert_eq!(e.authenticated_as.as_deref(), Some("postmaster"));
    }

    #[test]
    fn base64_decoding_matches_the_standard_alphabet() {
        assert_eq!(
            base64_decode("AHBvc3RtYXN0ZXIAczNjcmV0").unwrap(),
            b"\0postmaster\0s3cret"
        );
        assert_eq!(base64_decode("VXNlcm5hbWU6").unwrap(), b"Username:");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert_eq!(base64_decode("Y"), None);
        assert_eq!(base64_decode("Y!=="), None);
    }
}
