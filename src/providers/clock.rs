//! Time, behind a trait: TOTP windows, polling and countdowns read it from here.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
    /// Wait; a fake clock just moves forward.
    fn sleep(&self, duration: Duration);
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock that starts at a fixed time and moves only when slept on.
pub struct FixedClock(Cell<u64>);

impl FixedClock {
    pub fn new(unix_seconds: u64) -> FixedClock {
        FixedClock(Cell::new(unix_seconds))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0.get()
    }

    fn sleep(&self, duration: Duration) {
        self.0.set(self.0.get() + duration.as_secs().max(1));
    }
}
