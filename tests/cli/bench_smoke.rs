//! The benchmark's smoke run (issue 7): `bench/bench.py` at N = 10,000 with its shortest
//! settings (items 6 and 7 included: `start` is built), on its own throwaway cluster, so the
//! harness cannot rot. It checks that the run finishes and reports a row for every item; it
//! asserts no timing (timings are benchmarks).

use std::path::Path;
use std::process::Command;

/// Every item of BENCHMARKS.md, as the results table numbers them.
const ITEMS: [&str; 8] = ["1", "2", "3", "4", "5", "6", "7", "8"];

#[test]
fn smoke_run_reports_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.md");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/bench.py");
    let run = Command::new("python3")
        .arg(&script)
        .args(["--rows", "10000", "--quick", "--with-start", "--syncctl", env!("CARGO_BIN_EXE_syncctl")])
        .arg("--out")
        .arg(&out)
        .env_remove("DATABASE_URL")
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "the benchmark's smoke run failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let table = std::fs::read_to_string(&out).expect("the smoke run wrote its results table");
    for item in ITEMS {
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with(&format!("| 10,000 | {item} |"))).collect();
        assert!(!rows.is_empty(), "no row for item {item} in:\n{table}");
        match item {
            "6" => assert!(rows.iter().all(|r| r.contains("claim p50")), "item 6 did not run:\n{table}"),
            "7" => assert!(rows.iter().all(|r| !r.contains("pending")), "item 7 did not run:\n{table}"),
            _ => assert!(rows.iter().any(|r| r.contains("**")), "item {item} has no ratio:\n{table}"),
        }
    }
    let json = std::fs::read_to_string(dir.path().join("results.json")).expect("the JSON results beside it");
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("the JSON results parse");
    assert!(parsed["results"].as_array().is_some_and(|r| r.len() >= ITEMS.len()));
}
