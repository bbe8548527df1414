//! `start --demo`: a simulated mailbox sync, so the protocol can be tried and tested without an
//! application. It fetches `--demo-items` mails at `--demo-rate` per second, counting new and
//! updated mails (and an error every 97th), and can fail or hang at a chosen percentage. (Not
//! `syncctl demo`, the walk-through of src/commands/demo.rs, which runs this as one of its steps.)

use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::progress::SyncProgress;
use super::{Stop, WorkOutcome, stopped};

/// The simulated sync's settings (`--demo-*`).
#[derive(Debug, Clone)]
pub(crate) struct SimulatedSync {
    /// Mails to sync.
    pub items: u32,
    /// Mails per second.
    pub rate: f64,
    /// Fail on reaching this percentage.
    pub fail_at: Option<u8>,
    /// Hang (stop making progress, until stopped) on reaching this percentage.
    pub hang_at: Option<u8>,
}

impl SimulatedSync {
    /// Runs the simulated sync until it completes, fails, or it is asked to stop.
    pub(crate) async fn run(
        self,
        progress: watch::Sender<SyncProgress>,
        mut stop: watch::Receiver<Stop>,
    ) -> WorkOutcome {
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / self.rate));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let (mut new, mut updated, mut errors) = (0u32, 0u32, 0u32);
        for item in 1..=self.items {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped(&mut stop) => return WorkOutcome::Stopped,
            }
            let percent = u8::try_from(u64::from(item) * 100 / u64::from(self.items)).unwrap_or(100);
            if self.hang_at.is_some_and(|at| percent >= at) {
                // A sync blocked on a dead network read: alive, heartbeating, not moving.
                stopped(&mut stop).await;
                return WorkOutcome::Stopped;
            }
            if self.fail_at.is_some_and(|at| percent >= at) {
                return WorkOutcome::Failed(format!(
                    "demo: simulated failure at {percent}% (mail {item} of {})",
                    self.items
                ));
            }
            match item {
                i if i % 97 == 0 => errors += 1,
                i if i % 4 == 0 => updated += 1,
                _ => new += 1,
            }
            progress.send_modify(|s| {
                s.progress = percent;
                s.stats.insert("new".into(), json!(new));
                s.stats.insert("updated".into(), json!(updated));
                s.stats.insert("errors".into(), json!(errors));
            });
        }
        WorkOutcome::Completed
    }
}
