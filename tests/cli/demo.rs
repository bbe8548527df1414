//! `demo`: the walk-through runs end to end on its own throwaway cluster, fixes the incident,
//! and leaves no process or directory behind.

use std::path::Path;

use crate::support::syncctl_bare;

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
