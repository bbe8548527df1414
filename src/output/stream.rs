//! Lines to stderr (and `start`'s events to stdout) that never block and never panic.
//!
//! `start` heartbeats on the same thread that prints its diagnostics. A stream nobody reads (a
//! pipe left full, a terminal stopped with ^S), a full disk (`2>/dev/full`) or a closed one
//! (`| head -1`, an ssh session gone) must cost lines, never the lease: each line goes through a
//! bounded queue to a writer thread of its own, a line that does not fit is dropped and counted,
//! and the writer says how many it dropped as soon as it can write again. Write errors are
//! ignored (there is nowhere left to report them), so no write panics or ends the task.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

/// Lines held for a slow reader before lines are dropped.
const QUEUE_LINES: usize = 4096;

/// Which standard stream.
#[derive(Debug, Clone, Copy)]
enum Target {
    Stdout,
    Stderr,
}

enum Message {
    Line(String),
    /// Answered once every line queued before it was written (or failed).
    Flush(SyncSender<()>),
}

struct Stream {
    queue: SyncSender<Message>,
    dropped: &'static AtomicU64,
}

static STDERR: OnceLock<Stream> = OnceLock::new();
static STDOUT: OnceLock<Stream> = OnceLock::new();
static STDERR_DROPPED: AtomicU64 = AtomicU64::new(0);
static STDOUT_DROPPED: AtomicU64 = AtomicU64::new(0);

impl Stream {
    fn get(target: Target) -> &'static Stream {
        let (cell, dropped) = match target {
            Target::Stdout => (&STDOUT, &STDOUT_DROPPED),
            Target::Stderr => (&STDERR, &STDERR_DROPPED),
        };
        cell.get_or_init(|| {
            let (queue, lines) = sync_channel(QUEUE_LINES);
            // Without the thread the queue fills and lines are dropped: still no blocking.
            let _ = std::thread::Builder::new()
                .name(format!("syncctl-{target:?}").to_lowercase())
                .spawn(move || write_lines(target, lines, dropped));
            Stream { queue, dropped }
        })
    }

    fn send(&self, line: String) {
        match self.queue.try_send(Message::Line(line)) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The writer thread: the only place that blocks on the stream.
fn write_lines(target: Target, lines: Receiver<Message>, dropped: &AtomicU64) {
    let mut reported = 0;
    let write = |bytes: &[u8]| {
        let _ = match target {
            Target::Stdout => std::io::stdout().lock().write_all(bytes).and_then(|()| std::io::stdout().flush()),
            Target::Stderr => std::io::stderr().lock().write_all(bytes),
        };
    };
    let report_drops = |reported: &mut u64| {
        let now = dropped.load(Ordering::Relaxed);
        if now > *reported {
            let what = match target {
                Target::Stdout => "events",
                Target::Stderr => "lines of diagnostics",
            };
            let note = format!("syncctl: {} {what} dropped: the stream was not read fast enough\n", now - *reported);
            // Drops are counted on stderr, where diagnostics belong, whichever stream lost them.
            let _ = std::io::stderr().lock().write_all(note.as_bytes());
            *reported = now;
        }
    };
    while let Ok(message) = lines.recv() {
        report_drops(&mut reported);
        match message {
            Message::Line(line) => write(line.as_bytes()),
            Message::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// A line on stderr (a newline is added).
pub(crate) fn stderr_line(text: &str) {
    Stream::get(Target::Stderr).send(format!("{text}\n"));
}

/// A line on stdout that must not hold its caller up (`start`'s task id and events).
pub(crate) fn stdout_line(text: &str) {
    Stream::get(Target::Stdout).send(format!("{text}\n"));
}

/// Waits until the lines queued so far are written, at most `within` in all (a stream nobody
/// reads must not keep the process from exiting). Called once, before the process exits.
pub(crate) fn flush(within: Duration) {
    let deadline = Instant::now() + within;
    for cell in [&STDOUT, &STDERR] {
        let Some(stream) = cell.get() else { continue };
        let (done, answered) = sync_channel(1);
        let mut message = Message::Flush(done);
        loop {
            match stream.queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    message = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return,
            }
        }
        if answered.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_err() {
            return;
        }
    }
}
