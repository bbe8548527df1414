//! `demo`: the walk-through runs end to end on its own throwaway cluster, fixes the incident,
//! and leaves no process or directory behind.

use std::path::Path;

use crate::support::fixtures::INCIDENT_USER;
use crate::support::terminal::{on_terminal, too_wide};
use crate::support::{TestDb, json, run_at, syncctl, syncctl_bare};

/// Whether any process still has `dir` on its command line (a postmaster runs with `-D dir/data`).
fn process_mentions(dir: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        std::fs::read(entry.path().join("cmdline")).is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(dir))
    })
}

#[test]
fn the_demo_fixes_the_incident_and_cleans_up() {
    let out = syncctl_bare().args(["demo", "--users", "1000"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");

    for command in [
        "$ syncctl health",
        "$ syncctl inspect",
        "$ syncctl validate-constraints",
        "$ syncctl repair --all --yes",
        "$ syncctl add-constraints --yes",
        "$ syncctl start --user 60f2ccbd-d754-4fa0-aa4d-35a7d6551d38",
    ] {
        assert!(stdout.contains(command), "{command} missing from:\n{stdout}");
    }
    // Each step's exit code, in order: CRITICAL, problems listed, data refused, repaired,
    // constraints installed, the incident's user synced, and health OK at the end.
    let codes: Vec<&str> = stdout.lines().filter(|l| l.starts_with("(exit ")).collect();
    assert_eq!(
        codes,
        ["(exit 2)", "(exit 1)", "(exit 1)", "(exit 0)", "(exit 0)", "(exit 0)", "(exit 0)"],
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("任务被管理员手动清理（修复后）"), "the incident's row is shown");

    let dir = stdout
        .lines()
        .find_map(|l| l.split("(data in ").nth(1))
        .map(|rest| rest.trim_end_matches(')').to_string())
        .expect("the demo says where its cluster lives");
    assert!(!Path::new(&dir).exists(), "{dir} was left behind");
    assert!(!process_mentions(&dir), "a process of the demo's cluster outlived it");
}

/// `demo --print-sql` needs no server; its script, piped into psql as the README says, makes a
/// practice table that health and inspect find broken: the incident, zombies, a repeated task,
/// and no running row that would rot into a zombie later.
#[test]
fn the_printed_sql_loads_a_practice_table_with_psql() {
    let script = syncctl_bare().args(["demo", "--print-sql", "--users", "1000"]).output().unwrap();
    assert_eq!(script.status.code(), Some(0), "{}", String::from_utf8_lossy(&script.stderr));
    let db = TestDb::new();
    let mut psql = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", db.url()])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql on PATH");
    std::io::Write::write_all(&mut psql.stdin.take().unwrap(), &script.stdout).unwrap();
    let psql = psql.wait_with_output().unwrap();
    assert!(psql.status.success(), "psql failed: {}", String::from_utf8_lossy(&psql.stderr));

    let health = syncctl(&db).arg("health").output().unwrap();
    assert_eq!(health.status.code(), Some(2), "CRITICAL: {}", String::from_utf8_lossy(&health.stdout));
    let inspect = syncctl(&db).args(["inspect", "--json"]).output().unwrap();
    let counts = json(&inspect.stdout)["counts"].clone();
    assert!(counts["zombie"].as_i64().unwrap() >= 2, "{counts}");
    assert_eq!(counts["half-released"], 1, "the incident's row: {counts}");
    assert_eq!(counts["duplicate"], 1, "the repeated task id: {counts}");
    assert_eq!(counts["running"], 0, "no live sync to rot: {counts}");
    assert!(String::from_utf8_lossy(&inspect.stdout).contains(INCIDENT_USER));
}

/// `demo --keep-broken` stops before the repair and leaves its cluster with the broken table;
/// the hint's URL reaches it and its stop command (pg_ctl by full path) stops and deletes it.
#[test]
fn keep_broken_leaves_the_broken_table_and_a_stop_command_that_works() {
    // On a terminal 80 columns wide, as a newcomer first runs it, told not to paint.
    let (code, stdout) = on_terminal(&TestDb::new(), &["demo", "--keep-broken", "--users", "500"], 80);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(!stdout.contains('\x1b'), "--color never holds for the steps too:\n{stdout}");
    let wide: Vec<_> = too_wide(&stdout, 80).into_iter().filter(|l| !l.contains("pg_ctl -D ")).collect();
    assert!(wide.is_empty(), "only the stop command may be wider than the terminal: {wide:#?}");
    assert!(!stdout.contains("$ syncctl repair"), "it stopped before the repair:\n{stdout}");
    let url = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("DATABASE_URL="))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the hint says how to connect")
        .to_string();
    let stop = stdout
        .lines()
        .skip_while(|l| !l.starts_with("stop and delete it with:"))
        .nth(1)
        .expect("a stop hint")
        .trim()
        .to_string();
    assert!(stop.contains("/pg_ctl -D "), "pg_ctl by its full path: {stop}");

    let health = run_at(&url, &["health"]);
    let inspect = run_at(&url, &["inspect", "--json"]);
    let stopped = std::process::Command::new("sh").args(["-c", &stop]).status().unwrap();
    assert_eq!(health.status.code(), Some(2), "still broken: {}", String::from_utf8_lossy(&health.stdout));
    let counts = json(&inspect.stdout)["counts"].clone();
    assert_eq!(counts["half-released"], 1, "{counts}");
    assert_eq!(counts["running"], 0, "no live sync to rot: {counts}");
    assert!(stopped.success(), "{stop}");
    let dir = stdout.lines().find_map(|l| l.split("(data in ").nth(1)).unwrap().trim_end_matches(')').to_string();
    assert!(!Path::new(&dir).exists(), "{dir} was left behind");
    assert!(!process_mentions(&dir), "the kept cluster still runs");
}
