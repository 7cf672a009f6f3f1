//! The `Clock` port: the only source of "now".

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use confab_domain::Timestamp;

/// Where use cases read the time. Tests inject a [`TestClock`] and move it by hand.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one place that reads the system time"
    )]
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(time::OffsetDateTime::now_utc())
    }
}

/// A clock that stands still until told to move, and never goes backwards by itself.
#[derive(Debug)]
pub struct TestClock {
    micros: AtomicI64,
    lock: Mutex<()>,
}

impl TestClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            micros: AtomicI64::new(start.as_micros()),
            lock: Mutex::new(()),
        }
    }
    /// Moves the clock forward.
    pub fn advance_seconds(&self, secs: i64) {
        let _g = self.lock.lock();
        self.micros
            .fetch_add(secs.saturating_mul(1_000_000), Ordering::SeqCst);
    }
    pub fn set(&self, t: Timestamp) {
        self.micros.store(t.as_micros(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        // Each read ticks one microsecond so records created in one test keep a strict order.
        Timestamp::from_micros(self.micros.fetch_add(1, Ordering::SeqCst))
    }
}
