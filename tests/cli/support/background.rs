//! A `syncctl` run in the background: spawned, its stderr read line by line as it comes, for
//! tests that act while it runs.

use std::thread;
use std::time::{Duration, Instant};

use super::TestDb;
use super::wait::exit_within;

/// A `syncctl` run in the background, its stderr read line by line as it comes.
pub(crate) struct Background {
    /// The process.
    pub(crate) child: std::process::Child,
    stderr_lines: std::sync::mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
    stdout: thread::JoinHandle<String>,
}

/// Generous: the slowest wait of these tests is a concurrent build on a few hundred rows, or a
/// repair that plans again until its writers stop.
const DEADLINE: Duration = Duration::from_secs(90);

impl Background {
    /// Spawns `syncctl args` against `db`.
    pub(crate) fn spawn(db: &TestDb, args: &[&str]) -> Background {
        use std::io::{BufRead, BufReader, Read};
        let mut child = super::syncctl_process(db.url())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (send, stderr_lines) = std::sync::mpsc::channel();
        thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut out = child.stdout.take().unwrap();
        let stdout = thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        Background { child, stderr_lines, stderr_seen: Vec::new(), stdout }
    }

    /// Waits for a stderr line containing every one of `words`; fails if the process ends first.
    pub(crate) fn wait_for_stderr(&mut self, words: &[&str]) -> String {
        let started = Instant::now();
        loop {
            let left = DEADLINE.checked_sub(started.elapsed()).unwrap_or_else(|| {
                panic!("no stderr line with {words:?} within {DEADLINE:?}:\n{}", self.stderr_seen.join("\n"))
            });
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr_seen.push(line.clone());
                    if words.iter().all(|w| line.contains(w)) {
                        return line;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().unwrap();
                    panic!("syncctl ended ({status}) before printing {words:?}:\n{}", self.stderr_seen.join("\n"));
                }
            }
        }
    }

    /// Fails if the process has already ended.
    pub(crate) fn assert_running(&mut self, what: &str) {
        if let Some(status) = self.child.try_wait().unwrap() {
            let rest: Vec<String> = self.stderr_lines.try_iter().collect();
            self.stderr_seen.extend(rest);
            panic!("syncctl ended ({status}) {what}:\n{}", self.stderr_seen.join("\n"));
        }
    }

    /// Waits for the exit; returns the exit code, stdout and all of stderr.
    pub(crate) fn finish(mut self) -> (Option<i32>, String, String) {
        let status = exit_within(&mut self.child, DEADLINE)
            .unwrap_or_else(|| panic!("syncctl did not exit within {DEADLINE:?}:\n{}", self.stderr_seen.join("\n")));
        let stdout = self.stdout.join().unwrap();
        self.stderr_seen.extend(self.stderr_lines.iter());
        (status.code(), stdout, self.stderr_seen.join("\n"))
    }
}
