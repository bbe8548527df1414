//! What the campaign's sync jobs recorded (`tests/fixtures/children/campaign.py`): one line
//! per mail handled, `<task> <pid> <CLOCK_MONOTONIC ns>`, in one file per user. From it, the
//! invariant the table cannot show: two jobs of one user never run at once.
//!
//! One exception is measured, not forbidden: a job frozen with its start (the whole process
//! tree stopped past the heartbeat timeout, as by a VM pause) may be taken over while frozen,
//! and after the thaw it runs until its start sees the lease gone and kills it. Nothing can
//! stop a frozen process; what start owes is that this tail is short ([`THAW_TAIL`]) and that
//! the job did nothing beside the new one before it was frozen.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::checker::Checker;

/// A gap in a job's record longer than this is a freeze (a job handles a mail every 50 ms or
/// so).
const FREEZE_GAP_NS: u64 = 1_000_000_000;
/// The longest a thawed job may run beside the job that took its task over.
pub(super) const THAW_TAIL_NS: u64 = 1_000_000_000;
const THAW_TAIL: std::time::Duration = std::time::Duration::from_nanos(THAW_TAIL_NS);

/// One job's record.
struct Job {
    task: String,
    pid: i32,
    stamps: Vec<u64>,
}

impl Job {
    fn first(&self) -> u64 {
        self.stamps[0]
    }

    fn last(&self) -> u64 {
        self.stamps[self.stamps.len() - 1]
    }

    /// Its runs of stamps, split at the gaps of a freeze: (first, last) of each.
    fn segments(&self) -> Vec<(u64, u64)> {
        let mut segments = vec![(self.first(), self.first())];
        for w in self.stamps.windows(2) {
            if w[1] - w[0] > FREEZE_GAP_NS {
                segments.push((w[1], w[1]));
            } else if let Some(last) = segments.last_mut() {
                last.1 = w[1];
            }
        }
        segments
    }
}

/// How long two spans overlap, if they do.
fn overlap(a: (u64, u64), b: (u64, u64)) -> Option<u64> {
    let (from, to) = (a.0.max(b.0), a.1.min(b.1));
    (from <= to).then(|| to - from)
}

/// What the records showed, for the report.
#[derive(Debug, Default)]
pub(super) struct Record {
    pub jobs: usize,
    pub mails: usize,
    /// Thawed jobs that ran beside the job that took their task over, and the longest time.
    pub thaw_overlaps: usize,
    pub longest_thaw_overlap_ms: f64,
    /// The pids of every job, to check none outlived its start.
    pub pids: Vec<i32>,
}

/// Reads every user's record in `dir` and reports each pair of jobs of one user that ran at
/// once; `frozen` are the tasks whose start was frozen with its job.
pub(super) fn check(dir: &Path, frozen: &HashSet<String>, checker: &Checker) -> Record {
    let mut record = Record::default();
    for entry in std::fs::read_dir(dir).expect("the jobs' log directory") {
        let path = entry.expect("a log file").path();
        let user = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("a job's log");
        let mut jobs: BTreeMap<String, Job> = BTreeMap::new();
        for line in text.lines() {
            let mut parts = line.split(' ');
            let (Some(task), Some(pid), Some(ns)) = (parts.next(), parts.next(), parts.next()) else {
                checker.violation("unreadable job record", &user, format!("line {line:?}"));
                continue;
            };
            let (Ok(pid), Ok(ns)) = (pid.parse(), ns.parse()) else {
                checker.violation("unreadable job record", &user, format!("line {line:?}"));
                continue;
            };
            let job = jobs.entry(task.to_string()).or_insert_with(|| Job { task: task.into(), pid, stamps: vec![] });
            job.stamps.push(ns);
            record.mails += 1;
        }
        let mut jobs: Vec<Job> = jobs.into_values().collect();
        for job in &mut jobs {
            job.stamps.sort_unstable();
        }
        jobs.sort_by_key(Job::first);
        record.jobs += jobs.len();
        record.pids.extend(jobs.iter().map(|j| j.pid));
        for (i, old) in jobs.iter().enumerate() {
            for new in &jobs[i + 1..] {
                if old.last() < new.first() {
                    continue;
                }
                let span = (new.first(), new.last());
                let segments = old.segments();
                if frozen.contains(&old.task) && segments.len() > 1 {
                    // While frozen it did nothing: only its runs of stamps count, and only the
                    // last (after the thaw) may touch the new job's, briefly.
                    let (before, thawed) = segments.split_at(segments.len() - 1);
                    let tail = thawed[0];
                    if before.iter().all(|&s| overlap(s, span).is_none()) {
                        match overlap(tail, span) {
                            None => continue,
                            Some(ns) if tail.1 - tail.0 <= THAW_TAIL_NS => {
                                record.thaw_overlaps += 1;
                                record.longest_thaw_overlap_ms = record.longest_thaw_overlap_ms.max(ns as f64 / 1e6);
                                continue;
                            }
                            Some(_) => {}
                        }
                    }
                }
                let beside_ms = overlap((old.first(), old.last()), span).unwrap_or(0) as f64 / 1e6;
                checker.violation(
                    "two live workers",
                    &new.task,
                    format!(
                        "user {user}: job {} (pid {}) handled mails {beside_ms:.0} ms after job {} (pid {}) began{}",
                        old.task,
                        old.pid,
                        new.task,
                        new.pid,
                        if frozen.contains(&old.task) {
                            format!(", beyond a thawed tail of {THAW_TAIL:?}")
                        } else {
                            String::new()
                        }
                    ),
                );
            }
        }
    }
    record
}

/// The pids that ran `task` for `user`, from the user's record.
pub(super) fn pids_of(dir: &Path, user: &str, task: &str) -> Vec<i32> {
    let text = std::fs::read_to_string(dir.join(user)).unwrap_or_default();
    let mut pids: Vec<i32> =
        text.lines().filter_map(|l| l.strip_prefix(task)?.strip_prefix(' ')?.split(' ').next()?.parse().ok()).collect();
    pids.dedup();
    pids
}

/// The jobs among `pids` still running: a job must not outlive its start.
pub(super) fn running(pids: &[i32]) -> Vec<i32> {
    pids.iter()
        .copied()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains("campaign.py"))
        })
        .collect()
}
