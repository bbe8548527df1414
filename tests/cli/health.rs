//! `health`: the seed's report with monitoring exit codes, in JSON, as a table and as
//! Prometheus text, and its answer when it cannot ask.

use crate::support::constraints::PLAIN_CONSTRAINTS;
use crate::support::fixtures::*;
use crate::support::writers::{beats, shifted_writers};
use crate::support::{TestDb, json, syncctl, syncctl_bare};

/// Workers storing naive UTC from a UTC+8 session heartbeat 8 hours in the past: health calls
/// them skewed by -8h in a warning that names them, and counts only the real zombies.
#[test]
fn writers_storing_a_shifted_clock_are_a_warning_not_zombies() {
    let db = TestDb::new();
    let _writers = shifted_writers(&db);
    let out = syncctl(&db).args(["health", "--json"]).output().unwrap();
    let doc = json(&out.stdout);
    assert_eq!(doc["statistics"]["zombie_tasks"], 2, "{doc}");
    let zombies: Vec<&str> =
        doc["zombie_task_details"].as_array().unwrap().iter().map(|z| z["task_id"].as_str().unwrap()).collect();
    assert_eq!(zombies, ["zombie-1", "zombie-2"], "{doc}");
    assert_eq!(doc["skewed_tasks"], 3, "{doc}");
    let warnings: Vec<&str> = doc["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    let shifted: Vec<&&str> = warnings.iter().filter(|w| w.contains("shifted by -8h")).collect();
    assert_eq!(shifted.len(), 1, "one warning for the shifted writers: {warnings:#?}");
    assert!(shifted[0].contains("shanghai-1, shanghai-2, shanghai-3"), "it names them: {}", shifted[0]);
    assert!(!warnings.iter().any(|w| w.contains("in the future")), "not a future timestamp: {warnings:#?}");
    // The writers were alive all along.
    let before = beats(&db, "shanghai-1");
    crate::support::wait::poll("the writer to heartbeat on", || (beats(&db, "shanghai-1") > before).then_some(()));
}

/// With a long heartbeat timeout the shifted-clock rule still tells writers from the dead: a
/// window as wide as the timeout would put every silence near some quarter hour, and with a
/// 1 h timeout tasks dead for 2 h 7 min and 5 h 40 min passed for shifted writers.
#[test]
fn with_a_long_timeout_the_dead_are_zombies_and_only_the_shifted_writers_skewed() {
    let db = TestDb::new();
    let _writers = shifted_writers(&db);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT gen_random_uuid(), r.task, true, 40, now() - r.silence - interval '1 minute', now() - r.silence
         FROM (VALUES ('dead-1', interval '2 hours 7 minutes'), ('dead-2', interval '5 hours 40 minutes'))
              AS r (task, silence)",
    );
    let out = syncctl(&db).args(["health", "--json", "--heartbeat-timeout", "1h"]).output().unwrap();
    let doc = json(&out.stdout);
    let zombies: Vec<&str> =
        doc["zombie_task_details"].as_array().unwrap().iter().map(|z| z["task_id"].as_str().unwrap()).collect();
    assert_eq!(zombies, ["dead-2", "dead-1"], "{doc}");
    assert_eq!(doc["statistics"]["zombie_tasks"], 2, "{doc}");
    assert_eq!(doc["skewed_tasks"], 3, "only shanghai-1..3: {doc}");
}

#[test]
fn the_incident_is_critical_with_its_task_among_the_zombies() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);

    let out = syncctl(&db).args(["health", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "CRITICAL");
    let doc = json(&out.stdout);
    assert_eq!(doc["healthy"], false);
    assert!(doc["statistics"]["zombie_tasks"].as_i64().unwrap() >= 1);
    assert_eq!(doc["statistics"]["total_users"], INCIDENT_ROWS);
    let details = doc["zombie_task_details"].as_array().unwrap();
    let row = details.iter().find(|d| d["task_id"] == INCIDENT_TASK).expect("the incident's task is listed");
    assert_eq!(row["user_id"], INCIDENT_USER);
    // Silent since 2025-07-22: hundreds of thousands of minutes.
    assert!(row["silent_minutes"].as_i64().unwrap() > 60 * 24 * 100, "{row}");
    let seconds = row["silent_seconds"].as_f64().unwrap();
    assert_eq!((seconds / 60.0).floor() as i64, row["silent_minutes"].as_i64().unwrap(), "{row}");
    for key in ["healthy", "timestamp", "statistics", "zombie_task_details"] {
        assert!(doc.get(key).is_some(), "the seed's key {key} is missing");
    }
    for key in ["total_users", "active_syncs", "zombie_tasks", "inconsistent_tasks", "recent_completed_syncs"] {
        assert!(doc["statistics"].get(key).is_some(), "statistics.{key} is missing");
    }
    for key in ["task_id", "user_id", "started_at", "last_update", "silent_minutes"] {
        assert!(row.get(key).is_some(), "zombie_task_details[].{key} is missing");
    }

    let out = syncctl(&db).arg("health").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("CRITICAL"));
}

#[test]
fn clean_data_is_ok_with_the_constraints_and_a_warning_without() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);

    let out = syncctl(&db).args(["health", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "WARNING: {}", String::from_utf8_lossy(&out.stdout));
    let doc = json(&out.stdout);
    assert_eq!(doc["healthy"], true);
    assert_eq!(doc["status"], "WARNING");
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 3, "one per missing object: {doc:#}");
    assert_eq!(doc["statistics"]["active_syncs"], CLEAN_RUNNING);
    assert_eq!(doc["statistics"]["recent_completed_syncs"], CLEAN_RECENT_COMPLETED);

    db.execute(PLAIN_CONSTRAINTS);
    let out = syncctl(&db).args(["health", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "OK: {}", String::from_utf8_lossy(&out.stdout));
    let doc = json(&out.stdout);
    assert_eq!(doc["status"], "OK");
    assert!(doc["warnings"].as_array().unwrap().is_empty());

    // A CHECK that is NOT VALID is a warning again.
    db.execute(
        "ALTER TABLE user_sync_status DROP CONSTRAINT chk_sync_state_consistency;
         ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (
            (is_syncing AND progress_percentage BETWEEN 0 AND 99)
         OR (NOT is_syncing AND progress_percentage IN (0, 100))) NOT VALID;",
    );
    let out = syncctl(&db).args(["health", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(json(&out.stdout)["warnings"][0].as_str().unwrap().contains("NOT VALID"));
}

#[test]
fn an_unreachable_server_is_unknown_and_still_answers() {
    // Port 1 on loopback: nothing listens there.
    let out = syncctl_bare()
        .env("DATABASE_URL", "postgres://postgres:hunter2secret@127.0.0.1:1/postgres")
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "UNKNOWN");
    let doc = json(&out.stdout);
    assert_eq!(doc["healthy"], false);
    assert_eq!(doc["status"], "UNKNOWN");
    assert!(doc["error"].as_str().unwrap().contains("cannot connect"), "{doc:#}");
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("hunter2secret"));

    let out = syncctl_bare()
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres")
        .args(["health", "--format", "prometheus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("syncctl_up{table=\"user_sync_status\"} 0"), "{text}");
    assert!(text.contains("syncctl_health_status{table=\"user_sync_status\"} 3"), "{text}");
}

#[test]
fn prometheus_text_is_written_atomically_to_a_file() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syncctl.prom");

    let out =
        syncctl(&db).args(["health", "--format", "prometheus", "--output", path.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "the report goes to the file");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# TYPE syncctl_zombie_tasks gauge"), "{text}");
    assert!(text.contains("syncctl_zombie_tasks{table=\"public.user_sync_status\"} 1"), "{text}");
    assert!(text.contains("syncctl_total_users{table=\"public.user_sync_status\"} 6"), "{text}");
    assert!(text.contains("syncctl_constraint_valid{table=\"public.user_sync_status\",name=\"uniq_task_id\"} 0"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
}

/// A monitor reads exit 2 as CRITICAL, so every usage error under `health` is UNKNOWN (3): a
/// flag that does not exist, a bad duration (flag or environment), and an `--output` that is
/// not a regular file (refused before any work, nothing changed). Other commands keep 2.
#[test]
fn usage_errors_are_unknown_and_output_refuses_what_is_not_a_regular_file() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute(PLAIN_CONSTRAINTS);
    for args in [&["health", "--bogus"][..], &["health", "--heartbeat-timeout", "5x"], &["health", "--format", "xml"]] {
        let out = syncctl(&db).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = syncctl(&db).env("SYNCCTL_HEARTBEAT_TIMEOUT", "soon").arg("health").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let out = syncctl(&db).args(["inspect", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "other commands keep exit 2");

    let stdout = crate::support::output_refusals(&db, "health", 3);
    assert_eq!(json(&stdout)["status"], "OK");
}

/// The first line is a monitoring plugin's status line: the verdict, the table and the counts
/// behind it, then Nagios performance data after `|` (`label=value;warn;crit;min`), the same
/// figures as the JSON report. Past five zombies the list says how many it leaves out.
#[test]
fn the_first_line_says_why_and_carries_perfdata() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT md5('zombie' || n)::uuid, 'zombie-' || n, true, 10, now() - interval '2 hours', now() - interval '70 minutes'
         FROM generate_series(1, 6) AS n",
    );
    let doc = json(&syncctl(&db).args(["health", "--json"]).output().unwrap().stdout);
    let stat = |key: &str| doc["statistics"][key].as_i64().unwrap();
    let zombies = stat("zombie_tasks");
    assert!(zombies > 5, "{doc:#}");

    let out = syncctl(&db).arg("health").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "CRITICAL");
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    let (status, perfdata) = first.split_once(" | ").expect("perfdata after |");
    let inconsistent = stat("inconsistent_tasks");
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let warnings = doc["warnings"].as_array().unwrap().len() as i64;
    assert_eq!(
        status,
        format!(
            "CRITICAL public.user_sync_status: {}, {}, {} running of {}, {}",
            plural(zombies, "zombie"),
            plural(inconsistent, "inconsistent row"),
            stat("active_syncs"),
            plural(stat("total_users"), "row"),
            plural(warnings, "warning"),
        )
    );
    let fields: std::collections::BTreeMap<&str, Vec<&str>> = perfdata
        .split(' ')
        .map(|field| {
            let (label, rest) = field.split_once('=').expect("label=value");
            assert!(label.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "a label that needs no quotes: {label}");
            (label, rest.split(';').collect())
        })
        .collect();
    for key in ["total_users", "active_syncs", "zombie_tasks", "inconsistent_tasks", "recent_completed_syncs"] {
        let value = &fields[key];
        assert_eq!(value[0].parse::<i64>().unwrap(), stat(key), "{key} in {perfdata}");
        assert_eq!(value[3], "0", "{key}: min 0");
    }
    assert_eq!(fields["zombie_tasks"][2], "0", "critical above zero zombies");
    assert_eq!(fields["inconsistent_tasks"][2], "0", "critical above zero inconsistent rows");
    assert_eq!(fields["warnings"][..2], [warnings.to_string().as_str(), "0"], "warning above zero warnings");
    assert!(text.lines().nth(1).unwrap().starts_with("checked at "), "{text}");
    assert!(text.contains(&format!("\n… and {} more (syncctl inspect --state zombie)\n", zombies - 5)), "{text}");
    assert!(!text.contains(" min "), "silence reads as a duration: {text}");
}

/// health reports what the heartbeats cost the table: its updates, how many were HOT, its dead
/// row versions, and a warning (JSON, Prometheus) for each index on a column heartbeats rewrite,
/// by key, expression or predicate, since any of them keeps every heartbeat from being HOT.
#[test]
fn the_heartbeats_cost_is_reported_and_an_index_they_rewrite_is_a_warning() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    db.execute(PLAIN_CONSTRAINTS);
    let health = |args: &[&str]| {
        let out = syncctl(&db).arg("health").args(args).output().unwrap();
        (out.status.code(), out.stdout)
    };
    let cost = || json(&health(&["--json"]).1)["heartbeat_cost"].clone();
    // Heartbeats of the running rows, each its own transaction, as the application sends them.
    let beat = || {
        for _ in 0..20 {
            db.execute("UPDATE user_sync_status SET updated_at = now() WHERE is_syncing");
        }
    };
    beat();
    let counted = 20 * CLEAN_RUNNING;
    let first = crate::support::wait::poll("the statistics to count the heartbeats", || {
        Some(cost()).filter(|c| c["updates"].as_i64() >= Some(counted))
    });
    assert!(first["hot_updates"].as_i64().unwrap() > 0, "with only the three constraint objects they are HOT: {first}");
    assert!(first["hot_ratio"].as_f64().unwrap() > 0.0, "{first}");
    assert_eq!(first["rewritten_indexes"], serde_json::json!([]));
    let (code, _) = health(&[]);
    assert_eq!(code, Some(0), "nothing to warn of");

    db.execute(
        "CREATE INDEX ix_sync_updated_at ON user_sync_status (updated_at) WHERE is_syncing;
         CREATE INDEX ix_by_stats ON user_sync_status ((current_stats->>'new'));
         CREATE INDEX ix_unfinished ON user_sync_status (user_id) WHERE progress_percentage < 100;
         CREATE INDEX ix_harmless ON user_sync_status (sync_type) WHERE is_syncing;",
    );
    beat();
    let then = crate::support::wait::poll("the statistics to count the new heartbeats", || {
        Some(cost()).filter(|c| c["updates"].as_i64() >= Some(2 * counted))
    });
    assert_eq!(then["hot_updates"], first["hot_updates"], "none of the new heartbeats is HOT: {then}");
    assert_eq!(then["rewritten_indexes"], serde_json::json!(["ix_by_stats", "ix_sync_updated_at", "ix_unfinished"]));
    let (code, stdout) = health(&["--json"]);
    assert_eq!(code, Some(1), "a WARNING");
    let warnings = json(&stdout)["warnings"].clone();
    for index in ["ix_by_stats", "ix_sync_updated_at", "ix_unfinished"] {
        assert!(
            warnings.as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains(&format!("index {index} covers"))),
            "{index}: {warnings:#}"
        );
    }
    let (_, text) = health(&["--format", "prometheus"]);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            "syncctl_heartbeat_rewritten_index{table=\"public.user_sync_status\",name=\"ix_sync_updated_at\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("syncctl_hot_update_ratio{table=\"public.user_sync_status\"} 0."), "{text}");
    let (_, human) = health(&[]);
    assert!(String::from_utf8(human).unwrap().contains("% of "), "the summary says the HOT share");
}

/// health's statistics are the classifier's states counted, in one scan with its own
/// aggregates (sql/health/report.sql): on a table holding every state, with live shifted
/// writers among its rows, each count equals the rows `inspect` gives that state, and the
/// shifted writers' warning names the offsets and the count of inspect's rows with one.
#[test]
fn the_statistics_count_the_states_inspect_gives_every_row() {
    let db = TestDb::new();
    let _writers = shifted_writers(&db);
    mixed(&db, REFERENCE_TABLE, true);
    let inspect =
        json(&syncctl(&db).args(["inspect", "--state", "all", "--limit", "100000", "--json"]).output().unwrap().stdout);
    let health = json(&syncctl(&db).args(["health", "--json"]).output().unwrap().stdout);
    let rows = inspect["rows"].as_array().unwrap();
    let has = |r: &serde_json::Value, state: &str| r["states"].as_array().unwrap().iter().any(|s| s == state);
    let with = |state: &str| rows.iter().filter(|r| has(r, state)).count() as i64;
    let statistics = &health["statistics"];
    assert_eq!(statistics["total_users"], rows.len() as i64, "{health}");
    assert_eq!(statistics["active_syncs"], rows.iter().filter(|r| r["is_syncing"] == true).count() as i64);
    assert_eq!(statistics["zombie_tasks"], with("zombie"), "{health}");
    assert_eq!(statistics["inconsistent_tasks"], with("inconsistent"), "{health}");
    assert_eq!(health["skewed_tasks"], with("skewed"), "{health}");
    let warnings: Vec<&str> = health["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    let live_half_released = rows.iter().filter(|r| has(r, "half-released") && !has(r, "zombie")).count();
    assert_eq!(
        warnings.iter().any(|w| w.contains("carry an error message") || w.contains("carries an error message")),
        live_half_released > 0,
        "{warnings:#?}"
    );
    // The three shifted writers, 8 hours behind, and the mixed table's skewed row, written
    // just now with a timestamp 8 hours ahead: both masks of health's aggregate are used.
    let mut offsets: Vec<i64> = rows.iter().filter_map(|r| r["skew_offset_seconds"].as_i64()).collect();
    offsets.sort();
    assert_eq!(offsets, [-28_800, -28_800, -28_800, 28_800], "inspect's offsets");
    let shifted: Vec<&&str> = warnings.iter().filter(|w| w.contains("heartbeats shifted by")).collect();
    assert_eq!(shifted.len(), 1, "{warnings:#?}");
    assert!(
        shifted[0].starts_with("4 running rows are still written but with heartbeats shifted by -8h, +8h ("),
        "{}",
        shifted[0]
    );
    assert_eq!(with("skewed"), 4, "every skewed row has an offset here");
}
