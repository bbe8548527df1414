//! The lease of a running task: a task owns its row while `task_id` matches and `is_syncing`
//! holds, and learns it lost it when a write touches no row. One actor owns the connection and
//! does every write: the heartbeat every `--heartbeat`, progress writes coalesced to one per
//! second at most (a change reaches the table within one heartbeat interval, since every
//! heartbeat carries the current progress), and the one release at the end.
//!
//! A dropped connection is re-opened with backoff (and, under `--liveness lock`, the lock is
//! taken again). Once no write has succeeded for the heartbeat timeout the lease has expired:
//! the row is the reaper's, and nothing more is written. The lease counts from when a write
//! that succeeded was sent (its `updated_at` is no earlier) and gives itself up [`margin`]
//! before the timeout, so the work is stopped before any other process may judge the task dead.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::{oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior, sleep_until, timeout_at};
use tokio_postgres::Client;

use super::progress::{Reporter, SyncProgress};
use crate::cli::GlobalArgs;
use crate::db::queries::start::{self as queries, BeatParams, LeaseStatements, ReleaseParams};
use crate::db::{self, param::TextParam};
use crate::error;
use crate::liveness;
use crate::output::start as say;

/// Progress writes at most this often.
const COALESCE: Duration = Duration::from_secs(1);
/// The first wait before retrying a failed write or connection; it doubles up to the heartbeat.
const BACKOFF: Duration = Duration::from_millis(100);

/// How long before the heartbeat timeout the lease gives itself up: a tenth of the timeout, but
/// never so much that it would lapse between two heartbeats that got through.
pub(crate) fn margin(heartbeat: Duration, timeout: Duration) -> Duration {
    (timeout / 10).min(timeout.saturating_sub(heartbeat) / 2)
}

/// What the lease needs to write.
pub(crate) struct Lease {
    /// For reconnecting.
    pub global: GlobalArgs,
    /// `sql/start/beat.sql`, `release.sql` and `released.sql`, rendered for the table.
    pub(crate) statements: LeaseStatements,
    /// The task.
    pub task_id: String,
    /// Its user, as user_id::text writes it.
    pub user_id: String,
    /// --heartbeat.
    pub heartbeat: Duration,
    /// --heartbeat-timeout: the lease lapses [`margin`] before it.
    pub timeout: Duration,
    /// The liveness lock's key under `--liveness lock`.
    pub liveness_key: Option<i64>,
    /// For warnings.
    pub reporter: Reporter,
}

/// The end of the task, written in one statement.
#[derive(Debug, Clone)]
pub(crate) struct Release {
    /// 100 when completed, else 0.
    pub progress: u8,
    /// The final stats (JSON text).
    pub stats: String,
    /// The error, unless completed.
    pub error: Option<String>,
}

/// How the lease ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// The release was written.
    Released,
    /// A write touched no row: someone released the task or took it over.
    Lost,
    /// No write succeeded for the heartbeat timeout.
    Expired,
}

/// The connection, re-opened when it drops.
struct Conn {
    /// The connection; None once it dropped, until it is re-opened.
    client: Option<Client>,
    /// The liveness lock is held on this connection.
    held: bool,
}

impl Lease {
    /// Holds the lease until `release` brings the end (then writes it) or the lease is lost or
    /// expires. `client` is the claim's connection; `held` whether it holds the liveness lock;
    /// `claimed` when the claim's transaction began.
    pub(crate) async fn run(
        self,
        client: Client,
        held: bool,
        claimed: Instant,
        mut snapshot: watch::Receiver<SyncProgress>,
        release: oneshot::Receiver<Release>,
    ) -> End {
        let mut conn = Conn { client: Some(client), held };
        // The stats the row holds: the claim wrote the first snapshot's.
        let mut stored = snapshot.borrow().stats_json();
        let lapse = self.timeout - margin(self.heartbeat, self.timeout);
        let mut last_ok = claimed;
        let mut last_write = claimed;
        let mut beat = tokio::time::interval_at(claimed + self.heartbeat, self.heartbeat);
        beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let (mut dirty, mut open) = (false, true);
        let mut retry_at: Option<Instant> = None;
        let mut backoff = BACKOFF;
        // Under --liveness lock a dropped connection freed the lock: take it back at once, not
        // at the next heartbeat, or a reaper would read the free lock as death.
        let mut watch = tokio::time::interval(liveness::WATCH_EVERY);
        watch.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tokio::pin!(release);
        loop {
            let deadline = last_ok + lapse;
            tokio::select! {
                biased;
                end = &mut release => return match end {
                    Ok(end) => self.release(&mut conn, end, deadline, &stored).await,
                    Err(_) => End::Lost,
                },
                _ = sleep_until(deadline) => return End::Expired,
                _ = beat.tick() => {}
                _ = sleep_until(retry_at.unwrap_or(deadline)), if retry_at.is_some() => {}
                changed = snapshot.changed(), if open && !dirty => {
                    match changed {
                        Ok(()) => dirty = true,
                        Err(_) => open = false,
                    }
                    continue;
                }
                _ = sleep_until(last_write + COALESCE), if dirty && retry_at.is_none() => {}
                _ = watch.tick(), if self.liveness_key.is_some() => {
                    // Nobody else ever holds the task's key for longer than a probe, so a
                    // failed take is simply tried again at the next tick; the row, not the
                    // lock, fences a task out.
                    if !conn.held || conn.client.as_ref().is_none_or(Client::is_closed) {
                        let _ = timeout_at(deadline, self.ready(&mut conn)).await;
                    }
                    continue;
                }
            }
            let current = snapshot.borrow_and_update().clone();
            dirty = false;
            let sent = Instant::now();
            match timeout_at(deadline, self.beat(&mut conn, &current, &mut stored)).await {
                Err(_) => return End::Expired,
                Ok(Ok(true)) => {
                    last_ok = sent;
                    last_write = Instant::now();
                    retry_at = None;
                    backoff = BACKOFF;
                }
                Ok(Ok(false)) => return End::Lost,
                Ok(Err(e)) => {
                    self.reporter.warn(&say::heartbeat_failed(&self.task_id, &e));
                    retry_at = Some(Instant::now() + backoff);
                    backoff = (backoff * 2).min(self.heartbeat);
                }
            }
        }
    }

    /// The connection, re-opened if it dropped; under `--liveness lock`, the lock taken again.
    async fn ready<'c>(&self, conn: &'c mut Conn) -> Result<&'c Client> {
        if conn.client.as_ref().is_none_or(Client::is_closed) {
            conn.client = None;
            conn.held = false;
            let client = db::connect(&self.global, &crate::commands::spec::START, db::Access::Write)
                .await
                .context("reconnecting")?;
            self.reporter.note(&say::reconnected(&self.task_id));
            conn.client = Some(client);
        }
        let client = conn.client.as_ref().context("no connection")?;
        if let Some(key) = self.liveness_key
            && !conn.held
        {
            conn.held = liveness::hold(client, key).await?;
        }
        Ok(client)
    }

    /// One heartbeat with the current progress; false when it touched no row. Stats the
    /// database refuses (a data exception or a constraint, which a retry cannot cure) are
    /// dropped with a warning and the heartbeat goes on with the last stats it stored.
    async fn beat(&self, conn: &mut Conn, snapshot: &SyncProgress, stored: &mut String) -> Result<bool> {
        let stats = snapshot.stats_json();
        match self.write_beat(conn, snapshot.progress, &stats).await {
            Ok(true) => {
                *stored = stats;
                Ok(true)
            }
            Err(e) if error::refused_data(&e) && stats != *stored => {
                self.reporter.warn(&say::stats_refused(&self.task_id, &error::classify(&e).message));
                self.write_beat(conn, snapshot.progress, stored).await
            }
            other => other,
        }
    }

    /// One heartbeat write with these progress and stats; false when it touched no row.
    async fn write_beat(&self, conn: &mut Conn, progress: u8, stats: &str) -> Result<bool> {
        let params = BeatParams {
            task_id: TextParam(self.task_id.clone()),
            user_id: TextParam(self.user_id.clone()),
            progress: i32::from(progress),
            stats: TextParam(stats.to_string()),
        };
        let client = self.ready(conn).await?;
        // One round trip: BEGIN, the settings, the beat and COMMIT sent together (db::local_one).
        let touched =
            db::local_one(client, async { Ok(queries::beat(client, &self.statements, &params).await?) }).await?;
        Ok(touched > 0)
    }

    /// Writes the end, retrying with backoff until the lease expires. Final stats the database
    /// refuses are replaced by the last stored ones, so the release lands all the same.
    async fn release(&self, conn: &mut Conn, end: Release, deadline: Instant, stored: &str) -> End {
        let mut params = ReleaseParams {
            task_id: TextParam(self.task_id.clone()),
            user_id: TextParam(self.user_id.clone()),
            progress: i32::from(end.progress),
            stats: TextParam(end.stats),
            error: end.error,
        };
        let mut backoff = BACKOFF;
        let mut retried = false;
        loop {
            let attempt = async {
                let client = self.ready(conn).await?;
                let params = &params;
                db::local(client, async {
                    let touched = queries::release(client, &self.statements, params).await?;
                    if touched == 0 && retried {
                        // The earlier attempt may have committed before its reply was lost.
                        return Ok(queries::released(client, &self.statements, params).await?.ours);
                    }
                    Ok(touched > 0)
                })
                .await
            };
            match timeout_at(deadline, attempt).await {
                Err(_) => return End::Expired,
                Ok(Ok(true)) => return End::Released,
                Ok(Ok(false)) => return End::Lost,
                Ok(Err(e)) if error::refused_data(&e) => {
                    if params.stats.0 == stored {
                        self.reporter.warn(&say::release_refused(&self.task_id, &e));
                        return End::Expired;
                    }
                    self.reporter.warn(&say::final_stats_refused(&self.task_id, &error::classify(&e).message));
                    params.stats = TextParam(stored.to_string());
                }
                Ok(Err(e)) => {
                    self.reporter.warn(&say::release_failed(&self.task_id, &e));
                    retried = true;
                    if timeout_at(deadline, tokio::time::sleep(backoff)).await.is_err() {
                        return End::Expired;
                    }
                    backoff = (backoff * 2).min(self.heartbeat);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_a_tenth_of_the_timeout_but_never_reaches_into_the_heartbeats() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        assert_eq!(margin(s(15), s(60)), s(6));
        assert_eq!(margin(ms(200), s(2)), ms(200));
        // A heartbeat close to the timeout: the lease must still outlast one interval.
        assert_eq!(margin(s(19), s(20)), ms(500));
        assert!(s(20) - margin(s(19), s(20)) > s(19));
    }
}
