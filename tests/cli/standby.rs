//! A hot standby (`pg_basebackup -R`) of a throwaway primary (issue 13): read commands run on
//! it, agree with the primary and say they ran on a standby; every write command stops before
//! any work with exit 3, naming the standby and the way to the primary; and a multi-host URL
//! with `target_session_attrs=read-write` reaches the primary whichever host comes first.

use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::support::fixtures::*;
use crate::support::{Cluster, ClusterOptions, json, run_at, stderr};

const DB: &str = "standby_test";

/// The table's whole text, for "nothing changed".
fn digest(url: &str) -> String {
    let mut c = Client::connect(url, NoTls).unwrap();
    c.query_one("SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM user_sync_status t", &[])
        .unwrap()
        .get(0)
}

/// A primary with the reference table and the incident, and a standby that has replayed it.
fn pair() -> (Cluster, Cluster) {
    let primary = Cluster::start(ClusterOptions::default());
    Client::connect(&primary.url("postgres"), NoTls).unwrap().batch_execute(&format!("CREATE DATABASE {DB}")).unwrap();
    let mut c = Client::connect(&primary.url(DB), NoTls).unwrap();
    c.batch_execute(include_str!("../../sql/schema.sql")).unwrap();
    c.batch_execute(&incident_sql()).unwrap();
    let standby = Cluster::standby_of(&primary);
    // A commit after the backup, so the standby has replayed a transaction (and has a lag).
    c.batch_execute("CREATE TABLE replayed ()").unwrap();
    let mut on_standby = Client::connect(&standby.url(DB), NoTls).unwrap();
    let begun = Instant::now();
    while on_standby.query_one("SELECT to_regclass('replayed') IS NULL", &[]).unwrap().get::<_, bool>(0) {
        assert!(begun.elapsed() < Duration::from_secs(60), "the standby did not replay");
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(digest(&standby.url(DB)), digest(&primary.url(DB)));
    (primary, standby)
}

#[test]
fn read_commands_run_on_a_standby_and_write_commands_stop_before_any_work() {
    let (primary, standby) = pair();
    let (on_primary, on_standby) = (primary.url(DB), standby.url(DB));
    for args in [&["inspect", "--json"][..], &["health", "--json"], &["validate-constraints", "--json"]] {
        let (p, s) = (run_at(&on_primary, args), run_at(&on_standby, args));
        assert_eq!(s.status.code(), p.status.code(), "{args:?}: {}", stderr(&s));
        assert_eq!(json(&s.stdout)["counts"], json(&p.stdout)["counts"], "{args:?}");
        assert!(stderr(&s).contains("this server is a standby"), "{args:?}: {}", stderr(&s));
        assert!(!stderr(&p).contains("standby"), "{args:?}: {}", stderr(&p));
        if args[0] != "validate-constraints" {
            assert!(json(&s.stdout)["replay_lag_seconds"].is_number(), "{args:?}: {}", json(&s.stdout));
            assert!(json(&p.stdout).get("replay_lag_seconds").is_none(), "{args:?}");
        }
    }
    // A lag past half the heartbeat timeout: a warning, and a WARNING reason of health.
    let mut standby_client = Client::connect(&on_standby, NoTls).unwrap();
    let lagging = "SELECT now() - pg_last_xact_replay_timestamp() > interval '1 second'";
    let begun = Instant::now();
    while !standby_client.query_one(lagging, &[]).unwrap().get::<_, bool>(0) {
        assert!(begun.elapsed() < Duration::from_secs(30), "the standby's lag never grew");
        thread::sleep(Duration::from_millis(100));
    }
    let out = run_at(&on_standby, &["--heartbeat-timeout", "2s", "health", "--json"]);
    let warned = stderr(&out);
    assert!(warned.contains("more than half the heartbeat timeout"), "{warned}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["warnings"].to_string().contains("replay lags"), "{doc}");

    let before = digest(&on_primary);
    let user = INCIDENT_USER;
    for args in [
        &["repair", "--all", "--yes"][..],
        &["reap"],
        &["add-constraints"],
        &["start", "--user", user, "--demo", "--demo-items", "5"],
    ] {
        let out = run_at(&on_standby, args);
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {message}");
        assert!(message.contains("is a standby") && message.contains(&standby.port().to_string()), "{message}");
        assert!(message.contains("target_session_attrs=read-write"), "{message}");
    }
    // Dry runs only read.
    assert_eq!(run_at(&on_standby, &["reap", "--dry-run"]).status.code(), Some(0));
    assert_eq!(digest(&on_primary), before, "nothing changed");

    // Several hosts, the standby first: libpq's target_session_attrs finds the primary.
    let both = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{DB}?target_session_attrs=read-write",
        standby.port(),
        primary.port()
    );
    let out = run_at(&both, &["repair", "--all", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_ne!(digest(&on_primary), before, "the repair reached the primary");
}

/// A promotion while `start` runs: the primary crashes, the standby is promoted, and start,
/// given both hosts with `target_session_attrs=read-write`, reconnects to the new primary and
/// goes on (or, had the failover outlasted its heartbeat timeout, is fenced out with exit 4);
/// either way the new primary never holds two running rows for the user and the task ends
/// released.
#[test]
fn start_survives_a_promotion_or_is_fenced_out() {
    let (primary, standby) = pair();
    let both = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{DB}?target_session_attrs=read-write",
        standby.port(),
        primary.port()
    );
    let user = "5b0c1e2a-0000-4000-8000-0000000f0a11";
    let mut start = crate::support::syncctl_process(&both)
        .args(["--heartbeat-timeout", "20s", "start", "--user", user, "--heartbeat", "200ms", "--json"])
        .args(["--demo", "--demo-items", "200", "--demo-rate", "20"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let running = format!("SELECT count(*) FROM user_sync_status WHERE user_id = '{user}' AND is_syncing");
    let count = |url: &str| -> i64 { Client::connect(url, NoTls).unwrap().query_one(&running, &[]).unwrap().get(0) };
    let begun = Instant::now();
    // Its claim has reached the standby: the row survives the crash of the primary.
    while count(&standby.url(DB)) != 1 {
        assert!(begun.elapsed() < Duration::from_secs(60), "the claim never reached the standby");
        thread::sleep(Duration::from_millis(50));
    }
    primary.stop_immediate();
    standby.promote();
    let status = loop {
        if let Some(status) = start.try_wait().unwrap() {
            break status;
        }
        assert!(count(&standby.url(DB)) <= 1, "two running rows on the new primary");
        assert!(begun.elapsed() < Duration::from_secs(90), "start did not end");
        thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(start.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(matches!(status.code(), Some(0 | 4)), "{status:?}: {err}");
    eprintln!("start after the promotion: {status:?}");
    if status.code() == Some(0) {
        assert_eq!(count(&standby.url(DB)), 0, "completed and released on the new primary: {err}");
    }
}
