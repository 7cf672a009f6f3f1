//! The server under test: a fresh database (a SQLite file, or a new PostgreSQL database), seeded
//! with `confab admin seed`, served by a `confab serve` child process.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use confab_store::{ConnectOptions, Store};

/// What `confab admin seed` printed (the fields the benchmark uses).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Seeded {
    pub account_id: i64,
    pub admin_token: String,
    pub rare_word: String,
    pub conversations: u64,
    pub open_conversations: u64,
    pub messages: u64,
    pub seconds: f64,
}

/// A database made for one benchmark run, removed when dropped (unless kept).
pub struct Database {
    pub url: String,
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
    keep: bool,
}

impl Database {
    /// A new SQLite file in a new directory under `work`.
    pub fn sqlite(work: &Path, keep: bool) -> anyhow::Result<Self> {
        let dir = work.join(format!("confab-bench-{}-{}", std::process::id(), nanos()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self {
            url: format!("sqlite://{}", dir.join("bench.db").display()),
            dir,
            postgres: None,
            keep,
        })
    }

    /// A new database on the PostgreSQL server that `admin_url` reaches.
    pub async fn postgres(admin_url: &str, work: &Path, keep: bool) -> anyhow::Result<Self> {
        let name = format!("confab_bench_{}_{}", std::process::id(), nanos());
        let admin = Store::connect(admin_url, &ConnectOptions::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        admin
            .create_database(&name)
            .await
            .map_err(|e| anyhow::anyhow!("creating the benchmark database: {e}"))?;
        admin.close().await;
        let dir = work.join(&name);
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            url: with_database(admin_url, &name),
            dir,
            postgres: Some((admin_url.to_owned(), name)),
            keep,
        })
    }

    /// Drops the database and its directory (unless kept).
    pub async fn remove(self) {
        if self.keep {
            return;
        }
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(admin) = Store::connect(admin_url, &ConnectOptions::default()).await
        {
            let _ = admin.drop_database(name).await;
            admin.close().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `admin_url` with its database name replaced.
fn with_database(admin_url: &str, name: &str) -> String {
    let (head, query) = match admin_url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (admin_url, None),
    };
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let base = match head[after_scheme..].find('/') {
        Some(i) => &head[..after_scheme + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or_default()
}

/// How to run the `confab` binary.
#[derive(Debug, Clone)]
pub struct Confab {
    pub binary: PathBuf,
    pub full_sync: bool,
    pub secret: String,
}

impl Confab {
    fn command(&self, db: &Database) -> Command {
        let mut c = Command::new(&self.binary);
        c.env("SECRET_KEY_BASE", &self.secret)
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .arg("--database-url")
            .arg(&db.url)
            .arg("--data-dir")
            .arg(&db.dir);
        if self.full_sync {
            c.arg("--sqlite-full-sync");
        }
        c
    }

    /// `confab admin seed --conversations n`.
    pub fn seed(&self, db: &Database, conversations: u64) -> anyhow::Result<Seeded> {
        let out = self
            .command(db)
            .args([
                "admin",
                "seed",
                "--conversations",
                &conversations.to_string(),
            ])
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("cannot run {}", self.binary.display()))?;
        if !out.status.success() {
            bail!("confab admin seed failed ({})", out.status);
        }
        serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "unexpected output of confab admin seed: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Starts `confab serve` on a free port and waits for its first answer.
    pub async fn serve(&self, db: &Database) -> anyhow::Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = std::fs::File::create(db.dir.join("serve.log"))?;
        let started = Instant::now();
        let child = self
            .command(db)
            .args(["serve", "--bind", &addr.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot run {}", self.binary.display()))?;
        let mut server = Server {
            addr,
            child,
            startup: Duration::ZERO,
        };
        loop {
            if crate::probe_api(addr).await {
                server.startup = started.elapsed();
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "confab serve exited ({status}); see {}",
                    db.dir.join("serve.log").display()
                );
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("confab serve did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// A running `confab serve`; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    /// From spawning the process to its first answer.
    pub startup: Duration,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kb: u64,
    pub peak_kb: u64,
}

pub fn memory(pid: u32) -> Memory {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    Memory {
        rss_kb: proc_number(&text, "VmRSS:"),
        peak_kb: proc_number(&text, "VmHWM:"),
    }
}

/// The first number after `name` in a `/proc` text of `Name: value unit` lines (0 if absent).
pub fn proc_number(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resets the peak resident size the kernel keeps for a process (Linux `clear_refs` 5).
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_database_replaces_the_admin_database_name() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/postgres", "b1"),
            "postgres://u@127.0.0.1:5432/b1"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/postgres?sslmode=disable", "b1"),
            "postgres://u:p@h:1/b1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "b1"), "postgres://h:1/b1");
    }
}
