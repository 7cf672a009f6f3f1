//! Results: the JSON file of a run, and the table printed on stdout.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::scenario::Scenario;

/// One scenario's figures (medians over the runs).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ScenarioResult {
    pub scenario: Scenario,
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: u64,
    /// Answers of 400 or more, by status.
    pub error_statuses: std::collections::BTreeMap<u16, u64>,
    /// The first error seen, if any.
    pub first_error: Option<String>,
    /// Peak resident memory of the server while the scenario ran.
    pub peak_rss_kb: u64,
    /// Throughput as a fraction of the HTTP floor (`GET /api`).
    pub vs_http_floor: f64,
    /// Throughput as a fraction of the database ceiling (single-row update transactions).
    pub vs_db_ceiling: f64,
    /// Throughput of each run, to show the spread behind the median.
    pub runs_rps: Vec<f64>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_kb: u64,
    pub kernel: String,
}

impl Machine {
    pub fn current() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
                .unwrap_or_default(),
            memory_kb: crate::target::proc_number(&meminfo, "MemTotal:"),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }
}

/// Everything one invocation measured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunReport {
    pub started_at: String,
    pub machine: Machine,
    pub engine: String,
    /// `normal` or `full` (SQLite `synchronous`); PostgreSQL: the cluster's own settings.
    pub durability: String,
    pub conversations: u64,
    pub open_conversations: u64,
    pub messages: u64,
    pub connections: usize,
    pub duration_s: f64,
    pub runs: usize,
    pub seed_seconds: f64,
    /// From spawning `confab serve` on the seeded database to its first answer.
    pub startup_ms: f64,
    pub idle_rss_kb: u64,
    pub http_floor_rps: f64,
    pub db_ceiling_tps: f64,
    pub scenarios: Vec<ScenarioResult>,
}

impl RunReport {
    /// Writes the report as `<dir>/<engine>-<conversations>-c<connections>-<time>.json`.
    pub fn save(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let stamp: String = self
            .started_at
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(14)
            .collect();
        let path = dir.join(format!(
            "{}{}-{}-c{}-{stamp}.json",
            self.engine,
            if self.durability == "full" {
                "-full"
            } else {
                ""
            },
            self.conversations,
            self.connections
        ));
        std::fs::write(&path, serde_json::to_string_pretty(self)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "confab-bench: {} ({}), {} conversations ({} open), {} messages; {} connections, {} s x {} run(s)\n",
            self.engine,
            self.durability,
            self.conversations,
            self.open_conversations,
            self.messages,
            self.connections,
            self.duration_s,
            self.runs
        ));
        s.push_str(&format!(
            "seeded in {:.1} s; first answer {:.0} ms after start; idle RSS {:.1} MB\n",
            self.seed_seconds,
            self.startup_ms,
            self.idle_rss_kb as f64 / 1024.0
        ));
        s.push_str(&format!(
            "ceilings: HTTP floor (GET /api) {:.0} req/s; database {:.0} single-row update tx/s\n\n",
            self.http_floor_rps, self.db_ceiling_tps
        ));
        s.push_str(&format!(
            "{:<15} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9} {:>7} {:>8}\n",
            "scenario",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "errors",
            "peak MB",
            "/floor",
            "/db"
        ));
        for r in &self.scenarios {
            s.push_str(&format!(
                "{:<15} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.1} {:>7} {:>9.1} {:>7.2} {:>8.2}\n",
                r.scenario.name(),
                r.rps,
                r.p50_ms,
                r.p95_ms,
                r.p99_ms,
                r.max_ms,
                r.errors,
                r.peak_rss_kb as f64 / 1024.0,
                r.vs_http_floor,
                r.vs_db_ceiling
            ));
        }
        for r in self.scenarios.iter().filter(|r| r.errors > 0) {
            s.push_str(&format!(
                "\n{}: {} errors; first: {}",
                r.scenario.name(),
                r.errors,
                r.first_error.as_deref().unwrap_or("?")
            ));
        }
        s
    }
}

/// The median of some figures (the mean of the middle two for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
    }
}
