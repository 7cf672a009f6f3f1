//! The load generator: `connections` keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the previous answer is read (closed loop), for a warm-up and then a
//! measured window. Latency is recorded in microseconds in an HDR histogram.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::net::TcpStream;

/// One request of a workload.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
}

impl Call {
    pub fn get(path: String) -> Self {
        Self {
            method: Method::GET,
            path,
            body: None,
        }
    }
    pub fn post(path: String, body: String) -> Self {
        Self {
            method: Method::POST,
            path,
            body: Some(body),
        }
    }
}

/// Produces the next request of a worker.
pub type Workload = Arc<dyn Fn(&mut StdRng) -> Call + Send + Sync>;

/// What one measured window saw.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    /// Answers with a status of 400 or more, by status.
    pub statuses: BTreeMap<u16, u64>,
    pub seconds: f64,
    pub latency_us: Histogram<u64>,
    /// The first failure seen, to say what went wrong.
    pub first_error: Option<String>,
}

impl LoadResult {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }
    pub fn max_ms(&self) -> f64 {
        self.latency_us.max() as f64 / 1000.0
    }
}

#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub addr: SocketAddr,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Runs `workload` on `spec.connections` connections and returns the measured window.
pub async fn run(spec: &LoadSpec, workload: Workload) -> anyhow::Result<LoadResult> {
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let until = measure_from + spec.duration;
    let spec = Arc::new(spec.clone());
    // Each run draws its own choices. With one fixed seed, every run on a database replayed the
    // same conversations, whose index entries the run before had left in a few recently written
    // pages: at 1M the later runs of `toggle_status` read a p99 of 8 ms where a first run, or a
    // run on fresh choices, reads 37-65 ms.
    let nonce: u64 = rand::random();
    let mut tasks = Vec::with_capacity(spec.connections);
    for worker in 0..spec.connections {
        let spec = spec.clone();
        let workload = workload.clone();
        let seed = nonce ^ (worker as u64).wrapping_mul(0x9e37_79b9);
        tasks.push(tokio::spawn(async move {
            worker_loop(&spec, workload, seed, measure_from, until).await
        }));
    }
    let mut total = WorkerResult::new()?;
    for t in tasks {
        total.merge(t.await??)?;
    }
    Ok(LoadResult {
        requests: total.requests,
        errors: total.errors,
        statuses: total.statuses,
        seconds: spec.duration.as_secs_f64(),
        latency_us: total.hist,
        first_error: total.first_error,
    })
}

struct WorkerResult {
    requests: u64,
    errors: u64,
    statuses: BTreeMap<u16, u64>,
    hist: Histogram<u64>,
    first_error: Option<String>,
}

impl WorkerResult {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            requests: 0,
            errors: 0,
            statuses: BTreeMap::new(),
            hist: Histogram::new_with_bounds(1, 120_000_000, 3)?,
            first_error: None,
        })
    }
    fn merge(&mut self, o: WorkerResult) -> anyhow::Result<()> {
        self.requests += o.requests;
        self.errors += o.errors;
        for (k, v) in o.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.hist.add(&o.hist)?;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
        Ok(())
    }
    fn error(&mut self, measured: bool, e: String) {
        if measured {
            self.errors += 1;
        }
        self.first_error.get_or_insert(e);
    }
}

pub(crate) type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// A new keep-alive HTTP/1.1 connection (Nagle off), its driver spawned.
pub(crate) async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// The HTTP request of a call: host, the given headers, and a JSON body if it has one.
fn request(
    call: Call,
    host: Option<&HeaderValue>,
    headers: &[(HeaderName, HeaderValue)],
) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
    let mut req = Request::builder().method(call.method).uri(call.path);
    if let Some(h) = host {
        req = req.header(HOST, h.clone());
    }
    for (k, v) in headers {
        req = req.header(k, v.clone());
    }
    let body = match call.body {
        Some(b) => {
            req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Full::new(Bytes::from(b))
        }
        None => Full::new(Bytes::new()),
    };
    req.body(body)
}

/// One request on a fresh connection, for setting up a scenario: the status and the JSON body.
pub async fn call_once(
    addr: SocketAddr,
    headers: &[(HeaderName, HeaderValue)],
    call: Call,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut sender = connect(addr).await?;
    let host = HeaderValue::from_str(&addr.to_string())?;
    let resp = sender
        .send_request(request(call, Some(&host), headers)?)
        .await?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok((status, json))
}

async fn worker_loop(
    spec: &LoadSpec,
    workload: Workload,
    seed: u64,
    measure_from: Instant,
    until: Instant,
) -> anyhow::Result<WorkerResult> {
    let mut out = WorkerResult::new()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let host = HeaderValue::from_str(&spec.addr.to_string()).ok();
    let mut sender: Option<Sender> = None;
    loop {
        let sent_at = Instant::now();
        if sent_at >= until {
            break;
        }
        let measured = sent_at >= measure_from;
        let s = match sender.as_mut() {
            Some(s) => s,
            None => match connect(spec.addr).await {
                Ok(s) => sender.insert(s),
                Err(e) => {
                    out.error(measured, format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        if s.ready().await.is_err() {
            sender = None;
            out.error(measured, "connection closed by the server".into());
            continue;
        }
        let call = workload(&mut rng);
        let req = match request(call, host.as_ref(), &spec.headers) {
            Ok(r) => r,
            Err(e) => {
                out.error(measured, format!("request: {e}"));
                continue;
            }
        };
        let started = Instant::now();
        let result = match s.send_request(req).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.into_body().collect().await {
                    Ok(body) => Ok((status, body.to_bytes())),
                    Err(e) => Err(format!("reading the answer: {e}")),
                }
            }
            Err(e) => Err(format!("sending: {e}")),
        };
        let done = Instant::now();
        if done > until {
            break;
        }
        match result {
            Ok((status, body)) => {
                if !measured {
                    continue;
                }
                out.requests += 1;
                let _ = out.hist.record((done - started).as_micros().max(1) as u64);
                if status >= 400 {
                    out.errors += 1;
                    *out.statuses.entry(status).or_default() += 1;
                    if out.first_error.is_none() {
                        let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
                        out.first_error = Some(format!("HTTP {status}: {text}"));
                    }
                }
            }
            Err(e) => {
                sender = None;
                out.error(measured, e);
            }
        }
    }
    Ok(out)
}
