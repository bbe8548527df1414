//! The benchmark's smoke run (issues 7 and 17): `bench/bench.py` at N = 10,000 with its shortest
//! settings (items 6 and 7 included: `start` is built), on its own throwaway cluster, so the
//! harness cannot rot. It checks that the run finishes, reports a row for every item, and that
//! syncctl and the hand-written SQL of bench/hand/ gave the same answer for every item they
//! both answer (the harness fails the run on a mismatch; the `agree` field says it passed). It
//! asserts no timing (timings are benchmarks).

use std::path::Path;
use std::process::Command;

/// Every item of BENCHMARKS.md, as the results table numbers them.
const ITEMS: [&str; 9] = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// The items with a hand-written side in bench/hand/, whose answers are compared with syncctl's.
const COMPARED: [&str; 4] = ["1", "2", "3", "4"];

#[test]
fn smoke_run_reports_every_item_and_the_sides_agree() {
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
            "9" => assert!(rows.iter().all(|r| r.contains("WAL bytes per heartbeat")), "item 9 did not run:\n{table}"),
            _ => assert!(rows.iter().any(|r| r.contains("**")), "item {item} has no ratio:\n{table}"),
        }
    }
    let json = std::fs::read_to_string(dir.path().join("results.json")).expect("the JSON results beside it");
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("the JSON results parse");
    let results = parsed["results"].as_array().expect("a list of results");
    assert!(results.len() >= ITEMS.len());
    for item in COMPARED {
        let rows: Vec<&serde_json::Value> = results.iter().filter(|r| r["item"] == item).collect();
        assert!(!rows.is_empty(), "no JSON result for item {item}");
        for r in rows {
            assert_eq!(r["agree"], true, "item {item} ({}): the sides' answers were not compared equal", r["variant"]);
            assert!(r["sides"]["hand"]["median"].is_number(), "item {item} has no hand-written time: {r}");
            assert!(r["sides"]["floor"]["median"].is_number(), "item {item} has no floor: {r}");
        }
    }
    let heartbeat: Vec<&serde_json::Value> = results.iter().filter(|r| r["item"] == "9").collect();
    assert_eq!(heartbeat.len(), 2, "item 9 measures with and without ix_sync_updated_at");
    for r in heartbeat {
        assert!(r["heartbeat"]["tps"]["median"].as_f64().is_some_and(|t| t > 0.0), "no heartbeats ran: {r}");
    }
}
