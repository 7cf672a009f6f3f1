//! Outgoing HTTP for webhooks: which URLs may be called, and the client that calls them.
//!
//! A webhook URL is chosen by an account administrator, so the server must not become a way
//! into the operator's network: only `http` and `https`, and no loopback, private, link-local
//! or otherwise non-public address, unless the operator allows it
//! (`CONFAB_WEBHOOK_ALLOW_PRIVATE=true`). Addresses are checked when the URL is saved (for IP
//! literals and `localhost`) and again on every connection, after name resolution, so a name
//! that later resolves to a private address is refused too. Redirects are not followed and
//! proxies from the environment are not used.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL is refused, as a field message.
pub(crate) fn check_url(raw: &str, allow_private: bool) -> Result<Url, &'static str> {
    if raw.len() > 2048 {
        return Err("is too long (maximum is 2048 characters)");
    }
    let url = Url::parse(raw.trim()).map_err(|_| "is invalid")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL");
    }
    let Some(host) = url.host() else {
        return Err("is invalid");
    };
    if allow_private {
        return Ok(url);
    }
    let refused = match host {
        url::Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if refused {
        return Err("must not point to a loopback or private address");
    }
    Ok(url)
}

/// Whether an address is on the public internet.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

/// Resolves names and drops every non-public address (unless allowed), so the check holds at
/// connection time, not only when the URL was saved.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The client deliveries go through, with its limits.
#[derive(Clone)]
pub(crate) struct Outbound {
    /// `None` when the client could not be built (no TLS backend); every attempt then fails
    /// and says so, rather than falling back to a client without the address guard.
    client: Option<reqwest::Client>,
    allow_private: bool,
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// Transport failure, or the start of a non-2xx answer.
    pub error: Option<String>,
}

impl Outbound {
    /// A client with a connect timeout and a total timeout per attempt.
    pub fn new(allow_private: bool, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("Confab-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .inspect_err(|e| tracing::error!(error = %e, "cannot build the webhook HTTP client"))
            .ok();
        Self {
            client,
            allow_private,
        }
    }

    /// Posts `body` with the signing headers; never fails, the outcome says what happened.
    pub async fn post(&self, url: &str, headers: &[(&'static str, String)], body: String) -> Sent {
        let started = Instant::now();
        let elapsed = |s: Instant| i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX);
        if let Err(why) = check_url(url, self.allow_private) {
            return Sent {
                status: None,
                latency_ms: 0,
                error: Some(format!("url {why}")),
            };
        }
        let Some(client) = &self.client else {
            return Sent {
                status: None,
                latency_ms: 0,
                error: Some("the webhook HTTP client is unavailable (see the server log)".into()),
            };
        };
        let mut req = client
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        match req.body(body).send().await {
            Ok(resp) => {
                let status = resp.status();
                let error = if status.is_success() {
                    None
                } else {
                    let text = resp.text().await.unwrap_or_default();
                    let snippet: String = text.chars().take(200).collect();
                    Some(format!("HTTP {}: {snippet}", status.as_u16()))
                };
                Sent {
                    status: Some(status.as_u16()),
                    latency_ms: elapsed(started),
                    error,
                }
            }
            Err(e) => Sent {
                status: None,
                latency_ms: elapsed(started),
                error: Some(describe(&e)),
            },
        }
    }
}

/// A transport error with its causes, for the delivery log.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_to_public_addresses_pass_by_default() {
        assert!(check_url("https://hooks.example.com/in", false).is_ok());
        assert!(check_url("http://93.184.216.34:8080/x", false).is_ok());
        for bad in [
            "ftp://example.com/x",
            "javascript:alert(1)",
            "http://127.0.0.1:9000/",
            "http://localhost/",
            "http://api.localhost./",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_operator_may_allow_private_addresses() {
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("ftp://127.0.0.1/", true).is_err());
    }
}
