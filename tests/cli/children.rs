//! Hostile child commands for `start -- COMMAND`: missing or not executable (refused before
//! anything is claimed), flooding, closing stdout early, leaving a grandchild behind, waiting
//! on stdin; and `start` itself with its stdout and stderr closed after the task id
//! (`2>&1 | head -1`).

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;

use crate::support::fixtures::*;
use crate::support::wait::wait_exit;
use crate::support::{TestDb, syncctl, syncctl_process, table_digest};

const USER: &str = "7b1f5c2e-0000-4000-8000-00000000c41d";

/// Writes an executable shell script into `dir`.
fn script(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The state of the user's newest task row: (is_syncing, progress, error).
fn last_task(db: &TestDb) -> (bool, i32, Option<String>) {
    let row = db.query_one(
        "SELECT is_syncing, progress_percentage, error_message FROM user_sync_status \
         WHERE user_id = $1::text::uuid ORDER BY id DESC LIMIT 1",
        &[&USER],
    );
    (row.get(0), row.get(1), row.get(2))
}

#[test]
fn a_missing_or_not_executable_command_is_refused_before_any_claim() {
    let db = incident_db();
    let dir = tempfile::tempdir().unwrap();
    let not_executable = dir.path().join("job.sh");
    std::fs::write(&not_executable, "#!/bin/sh\nexit 0\n").unwrap();
    let cases = [
        (dir.path().join("missing").display().to_string(), "no such file"),
        ("syncctl-no-such-program".to_string(), "no such file on PATH"),
        (not_executable.display().to_string(), "not executable"),
    ];
    for (program, message) in cases {
        let before = table_digest(&db, REFERENCE_TABLE);
        let out = syncctl(&db).args(["start", "--user", USER, "--", &program]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{program}: {stderr}");
        assert!(stderr.contains(message) && stderr.contains("nothing was claimed"), "{stderr}");
        assert!(out.stdout.is_empty());
        assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "{program}: the table is unchanged");
    }
}

#[test]
fn flooding_closing_stdout_and_waiting_on_stdin_do_not_break_the_task() {
    let db = incident_db();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // 200,000 log lines, then a report.
        ("flood.sh", "seq 1 200000\necho '{\"progress\": 100}'"),
        // Closes its stdout at once and goes on working.
        ("closes.sh", "exec 1>&-\nsleep 0.3\necho done >&2"),
        // Waits for input that never comes: its stdin is empty, so it reads EOF and goes on.
        ("stdin.sh", "read line\necho \"{\\\"progress\\\": 50, \\\"stats\\\": {\\\"read\\\": \\\"$line\\\"}}\""),
    ];
    for (name, body) in cases {
        let path = script(&dir, name, body);
        // syncctl's stderr is a pipe nobody reads until the end: the flood's 200,000 relayed
        // lines fill it at once, and must cost lines, not the task.
        let mut child = syncctl_process(db.url())
            .args(["start", "--user", USER, "--", path.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = wait_exit(&mut child);
        let mut stderr = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
        assert_eq!(status.code(), Some(0), "{name}: {stderr}");
        assert_eq!(last_task(&db), (false, 100, None), "{name}: completed");
    }
}

#[test]
fn a_grandchild_left_behind_is_stopped_when_the_task_ends() {
    let db = incident_db();
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("grandchild.pid");
    let body = format!("sleep 300 &\necho $! > {}\necho '{{\"progress\": 50}}'\nexit 0", pidfile.display());
    let path = script(&dir, "forks.sh", &body);
    let out = syncctl(&db).args(["start", "--user", USER, "--", path.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("left processes behind"));
    assert_eq!(last_task(&db), (false, 100, None));
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert!(!crate::support::cluster::process_alive(pid), "the grandchild {pid} outlived the task");
}

/// `task=$(syncctl start … 2>&1 | head -1)`: stdout and stderr share one pipe, whose reader
/// goes away after the first line; every later write of either gets EPIPE.
#[test]
fn start_with_its_stdout_and_stderr_closed_after_the_task_id_still_completes() {
    let db = incident_db();
    let line = format!(
        "'{}' start --user {USER} --json --demo --demo-items 40 --demo-rate 100 2>&1 | head -1; exit ${{PIPESTATUS[0]}}",
        assert_cmd::cargo::cargo_bin!("syncctl").display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &line])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("DATABASE_URL", db.url())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // Which stream's line comes first is up to the scheduler; one line got through, then the
    // pipe closed under both streams.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(out.status.code(), Some(0), "syncctl's own exit status");
    assert_eq!(last_task(&db), (false, 100, None));
}
