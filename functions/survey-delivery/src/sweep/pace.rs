//! Pacing sends to what SNS and SES accept per second.

use std::sync::Mutex;
use std::time::Duration as StdDuration;

use tokio::time::Instant;

/// Paces sends on one channel: at most `per_second`, never starting after the deadline.
pub(super) struct Pace {
    interval: Option<StdDuration>,
    next: Mutex<Instant>,
}

impl Pace {
    pub(super) fn new(per_second: u32) -> Self {
        Pace {
            interval: (per_second > 0).then(|| StdDuration::from_secs(1) / per_second),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Takes the next slot without waiting for it; `None` if that slot is past the deadline.
    pub(super) fn reserve(&self, deadline: Instant) -> Option<Instant> {
        let now = Instant::now();
        let Some(interval) = self.interval else {
            return (now < deadline).then_some(now);
        };
        let mut next = self.next.lock().expect("pace lock");
        let at = (*next).max(now);
        if at >= deadline {
            return None;
        }
        *next = at + interval;
        Some(at)
    }

    /// Waits for the next slot; `false` if that slot is past the deadline.
    pub(super) async fn acquire(&self, deadline: Instant) -> bool {
        match self.reserve(deadline) {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                true
            }
            None => false,
        }
    }
}
