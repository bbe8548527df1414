//! Smoke tests of the test harness itself, against the real server: fresh databases and
//! roles come and go, the fixtures hold what their constants say, the variant table holds
//! naive UTC, and throwaway clusters authenticate, restart and clean up.

use std::ffi::OsStr;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use postgres::error::SqlState;
use postgres::{Client, NoTls};

use crate::support::cluster::process_alive;
use crate::support::fixtures::{self, REFERENCE_TABLE, VARIANT_TABLE};
use crate::support::{Cluster, ClusterOptions, TestDb, admin_client, readonly_role, syncctl, table_digest};

/// What each rule of DESIGN.md ("Row states", heartbeat timeout 60 s) and each health
/// statistic counts in a table, computed independently of the fixture constants.
#[derive(Debug, PartialEq, Eq)]
struct RuleCounts {
    rows: i64,
    completed: i64,
    recent_completed: i64,
    idle: i64,
    failed: i64,
    running: i64,
    zombies: i64,
    half_released: i64,
    check_violations: i64,
    null_states: i64,
    repeated_task_rows: i64,
    duplicate_user_rows: i64,
    skewed: i64,
    active: i64,
    problem_rows: i64,
}

fn rule_counts(db: &TestDb, table: &str) -> RuleCounts {
    let mut client = db.client();
    // Naive columns hold UTC: compare them with now() in UTC.
    client.batch_execute("SET TIME ZONE 'UTC'").unwrap();
    let zombie = "is_syncing AND (updated_at < now() - interval '60 seconds' OR updated_at IS NULL)";
    let half = "is_syncing AND error_message IS NOT NULL";
    let violation = "NOT ((is_syncing AND progress_percentage BETWEEN 0 AND 99) \
                     OR (NOT is_syncing AND progress_percentage IN (0, 100)))";
    let null_state = "(is_syncing IS NULL OR progress_percentage IS NULL)";
    let repeated = format!("task_id IN (SELECT task_id FROM {table} GROUP BY task_id HAVING count(*) > 1)");
    let dup_user = format!(
        "is_syncing AND user_id IN (SELECT user_id FROM {table} WHERE is_syncing \
         GROUP BY user_id HAVING count(*) > 1)"
    );
    let skewed = "(updated_at > now() + interval '1 minute' OR started_at > now() + interval '1 minute')";
    let problem = format!(
        "({zombie}) OR ({half}) OR coalesce({violation}, true) OR {null_state} OR ({repeated}) \
         OR ({dup_user}) OR {skewed}"
    );
    let mut count = |condition: &str| -> i64 {
        let sql = format!("SELECT count(*) FROM {table} WHERE {condition}");
        client.query_one(&sql, &[]).unwrap().get(0)
    };
    RuleCounts {
        rows: count("true"),
        completed: count("NOT is_syncing AND progress_percentage = 100"),
        recent_completed: count(
            "NOT is_syncing AND progress_percentage = 100 AND updated_at > now() - interval '1 hour'",
        ),
        idle: count("NOT is_syncing AND progress_percentage = 0 AND error_message IS NULL"),
        failed: count("NOT is_syncing AND progress_percentage = 0 AND error_message IS NOT NULL"),
        running: count(
            "is_syncing AND progress_percentage BETWEEN 0 AND 99 \
             AND updated_at >= now() - interval '60 seconds'",
        ),
        zombies: count(zombie),
        half_released: count(half),
        check_violations: count(violation),
        null_states: count(null_state),
        repeated_task_rows: count(&repeated),
        duplicate_user_rows: count(&dup_user),
        skewed: count(skewed),
        active: count("is_syncing"),
        problem_rows: count(&problem),
    }
}

fn expected_mixed(with_duplicate_user: bool) -> RuleCounts {
    let pair = if with_duplicate_user { fixtures::MIXED_DUPLICATE_USER_ROWS } else { 0 };
    RuleCounts {
        rows: fixtures::MIXED_ROWS + pair,
        completed: fixtures::MIXED_COMPLETED,
        recent_completed: fixtures::MIXED_RECENT_COMPLETED,
        idle: fixtures::MIXED_IDLE,
        failed: fixtures::MIXED_FAILED,
        running: fixtures::MIXED_RUNNING + pair,
        zombies: fixtures::MIXED_ZOMBIES,
        half_released: fixtures::MIXED_HALF_RELEASED,
        check_violations: fixtures::MIXED_CHECK_VIOLATIONS,
        null_states: fixtures::MIXED_NULL_STATES,
        repeated_task_rows: fixtures::MIXED_REPEATED_TASK_ROWS,
        duplicate_user_rows: pair,
        skewed: fixtures::MIXED_SKEWED,
        active: fixtures::MIXED_ACTIVE_SYNCS + pair,
        problem_rows: fixtures::MIXED_PROBLEM_ROWS + pair,
    }
}

fn database_exists(name: &str) -> bool {
    admin_client().query_one("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", &[&name]).unwrap().get(0)
}

fn role_exists(name: &str) -> bool {
    admin_client().query_one("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", &[&name]).unwrap().get(0)
}

#[test]
fn each_test_db_is_fresh_and_dropped_with_its_roles() {
    let db = TestDb::new();
    let other = TestDb::new();
    assert_ne!(db.name(), other.name());
    assert!(db.name().starts_with(&format!("syncctl_t_{}_", std::process::id())), "{}", db.name());
    assert_eq!(db.scalar::<String>("SELECT current_database()::text"), db.name());
    assert_eq!(
        db.scalar::<i64>(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public'"
        ),
        0,
        "a fresh database is empty"
    );

    fixtures::reference_table(&db, REFERENCE_TABLE);
    let role = readonly_role(&db, REFERENCE_TABLE);
    let name = db.name().to_owned();
    assert!(database_exists(&name) && role_exists(&role));

    // Dropping works even while a session is still connected.
    let lingering = db.client();
    drop(db);
    drop(lingering);
    assert!(!database_exists(&name), "{name} was not dropped");
    assert!(!role_exists(&role), "{role} was not dropped");
    assert!(database_exists(other.name()), "dropping one TestDb left the other alone");
}

#[test]
fn urls_swap_user_and_escape_passwords() {
    let db = TestDb::new();
    let url = db.url_as("bob", Some("p@ss:w/rd"));
    assert!(url.contains("://bob:p%40ss%3Aw%2Frd@"), "{url}");
    assert!(url.ends_with(&format!("/{}", db.name())) || url.contains('?'), "{url}");
    assert!(db.url().contains(&format!("/{}", db.name())), "{}", db.url());
}

#[test]
fn readonly_role_reads_but_cannot_write() {
    let db = TestDb::new();
    let table = fixtures::variant_table(&db);
    fixtures::incident(&db, table);
    let role = readonly_role(&db, table);

    let mut client = Client::connect(&db.role_url(&role), NoTls).unwrap();
    let user: String = client.query_one("SELECT current_user::text", &[]).unwrap().get(0);
    assert_eq!(user, role);
    let rows: i64 = client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).unwrap().get(0);
    assert_eq!(rows, fixtures::INCIDENT_ROWS);
    let err = client.batch_execute(&format!("UPDATE {table} SET is_syncing = false")).unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{err}");
}

#[test]
fn incident_fixture_holds_the_incident_row() {
    let db = TestDb::new();
    fixtures::reference_table(&db, REFERENCE_TABLE);
    fixtures::incident(&db, REFERENCE_TABLE);
    assert_eq!(db.count(REFERENCE_TABLE, "true"), fixtures::INCIDENT_ROWS);
    let row = db.query_one(
        "SELECT user_id::text, is_syncing, sync_type, progress_percentage, current_stats, \
         error_message, started_at, updated_at FROM user_sync_status WHERE task_id = $1",
        &[&fixtures::INCIDENT_TASK],
    );
    assert_eq!(row.get::<_, String>(0), fixtures::INCIDENT_USER);
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, String>(2), "incremental");
    assert_eq!(row.get::<_, i32>(3), 0);
    assert_eq!(row.get::<_, serde_json::Value>(4), serde_json::json!({}));
    assert_eq!(row.get::<_, String>(5), fixtures::INCIDENT_ERROR);
    let started: DateTime<Utc> = row.get(6);
    assert_eq!(started.timestamp(), fixtures::INCIDENT_STARTED_AT_UNIX);
    let updated: DateTime<Utc> = row.get(7);
    assert_eq!(updated.to_rfc3339(), "2025-07-22T05:27:50.842634+00:00", "13:27:50.842634+08:00 in UTC");
    assert_eq!(db.count(REFERENCE_TABLE, "NOT is_syncing AND progress_percentage = 100"), fixtures::INCIDENT_COMPLETED);
    assert_eq!(db.count(REFERENCE_TABLE, "NOT is_syncing AND progress_percentage = 0"), fixtures::INCIDENT_IDLE);
}

#[test]
fn mixed_fixture_counts_hold_in_the_reference_table() {
    let db = TestDb::new();
    fixtures::reference_table(&db, REFERENCE_TABLE);
    fixtures::mixed(&db, REFERENCE_TABLE, true);
    assert_eq!(rule_counts(&db, REFERENCE_TABLE), expected_mixed(true));

    let pair: Vec<String> = db
        .query(
            "SELECT task_id FROM user_sync_status WHERE user_id = $1::text::uuid \
             ORDER BY updated_at DESC",
            &[&fixtures::MIXED_DUP_USER],
        )
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(pair, [fixtures::MIXED_DUP_USER_A_TASK, fixtures::MIXED_DUP_USER_B_TASK], "-b is the older heartbeat");
    for task in fixtures::MIXED_ZOMBIE_TASKS.iter().chain(&[
        fixtures::MIXED_HALF_RELEASED_TASK,
        fixtures::MIXED_RUNNING_100_TASK,
        fixtures::MIXED_STOPPED_45_TASK,
        fixtures::MIXED_NULL_STATE_TASK,
        fixtures::MIXED_SKEWED_TASK,
    ]) {
        assert_eq!(db.count(REFERENCE_TABLE, &format!("task_id = '{task}'")), 1, "{task}");
    }
    // Every row but the duplicate pair has its own user.
    assert_eq!(db.scalar::<i64>("SELECT count(DISTINCT user_id) FROM user_sync_status"), fixtures::MIXED_ROWS + 1);
    // Ordinary task ids have the seed's shape.
    assert_eq!(
        db.count(REFERENCE_TABLE, "task_id ~ '^sync_[0-9a-f-]{36}_[0-9a-f]{8}_[0-9]+$'"),
        fixtures::MIXED_ROWS - 11 - 100,
        "all but the 11 special rows and the 100 idle rows without a task id"
    );
}

#[test]
fn mixed_fixture_counts_hold_in_the_variant_table() {
    let db = TestDb::new();
    let table = fixtures::variant_table(&db);
    fixtures::mixed(&db, table, false);
    assert_eq!(rule_counts(&db, table), expected_mixed(false));
}

#[test]
fn clean_fixture_breaks_no_rule() {
    let db = TestDb::new();
    fixtures::reference_table(&db, REFERENCE_TABLE);
    fixtures::clean(&db, REFERENCE_TABLE);
    let counts = rule_counts(&db, REFERENCE_TABLE);
    assert_eq!(
        counts,
        RuleCounts {
            rows: fixtures::CLEAN_ROWS,
            completed: fixtures::CLEAN_COMPLETED,
            recent_completed: fixtures::CLEAN_RECENT_COMPLETED,
            idle: fixtures::CLEAN_IDLE,
            failed: fixtures::CLEAN_FAILED,
            running: fixtures::CLEAN_RUNNING,
            zombies: 0,
            half_released: 0,
            check_violations: 0,
            null_states: 0,
            repeated_task_rows: 0,
            duplicate_user_rows: 0,
            skewed: 0,
            active: fixtures::CLEAN_RUNNING,
            problem_rows: 0,
        }
    );
    // The seed's constraints go on without complaint.
    db.execute(
        "ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (
           (is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99)
           OR (is_syncing = FALSE AND progress_percentage IN (0, 100)));
         CREATE UNIQUE INDEX uniq_user_running_sync ON user_sync_status(user_id)
           WHERE is_syncing = TRUE;
         CREATE UNIQUE INDEX uniq_task_id ON user_sync_status(task_id);",
    );
}

#[test]
fn variant_table_holds_naive_utc() {
    let db = TestDb::new();
    let table = fixtures::variant_table(&db);
    assert_eq!(table, VARIANT_TABLE);
    let types: Vec<(String, String, String)> = db
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text \
             FROM information_schema.columns \
             WHERE table_schema = 'Sync Ops' AND table_name = 'user_sync_status' \
             ORDER BY ordinal_position",
            &[],
        )
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let find = |name: &str| types.iter().find(|t| t.0 == name).cloned();
    assert_eq!(find("id"), None, "the variant has no id column");
    let naive = "timestamp without time zone".to_owned();
    assert_eq!(find("started_at").unwrap().1, naive);
    assert_eq!(find("updated_at").unwrap().1, naive);
    assert_eq!(find("is_syncing").unwrap().2, "YES");
    assert_eq!(find("progress_percentage").unwrap().2, "YES");

    fixtures::incident(&db, table);
    fixtures::mixed(&db, table, false);

    // Read in a far-off session time zone: naive values do not move with it.
    let mut client = db.client();
    client.batch_execute("SET TIME ZONE 'Asia/Shanghai'").unwrap();
    let row = client
        .query_one(
            &format!("SELECT started_at, updated_at FROM {table} WHERE task_id = $1"),
            &[&fixtures::INCIDENT_TASK],
        )
        .unwrap();
    let started: NaiveDateTime = row.get(0);
    let updated: NaiveDateTime = row.get(1);
    assert_eq!(started, DateTime::from_timestamp(fixtures::INCIDENT_STARTED_AT_UNIX, 0).unwrap().naive_utc());
    assert_eq!(
        updated,
        NaiveDateTime::parse_from_str(fixtures::INCIDENT_UPDATED_AT_UTC, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    );

    // Rows relative to now() hold now() in UTC: a zombie's heartbeat is 10 minutes old and
    // the skewed row's 8 hours ahead, measured against the UTC wall clock.
    let mut offset_seconds = |task: &str| -> f64 {
        let sql = format!(
            "SELECT extract(epoch FROM updated_at - (now() AT TIME ZONE 'UTC'))::float8 \
             FROM {table} WHERE task_id = $1"
        );
        client.query_one(&sql, &[&task]).unwrap().get(0)
    };
    let zombie = offset_seconds(fixtures::MIXED_ZOMBIE_TASKS[0]);
    assert!((zombie + 600.0).abs() < 5.0, "zombie offset {zombie}");
    let skewed = offset_seconds(fixtures::MIXED_SKEWED_TASK);
    assert!((skewed - 8.0 * 3600.0).abs() < 5.0, "skewed offset {skewed}");
}

#[test]
fn table_digest_sees_every_change() {
    let db = TestDb::new();
    fixtures::reference_table(&db, REFERENCE_TABLE);
    let empty = table_digest(&db, REFERENCE_TABLE);
    fixtures::incident(&db, REFERENCE_TABLE);
    let loaded = table_digest(&db, REFERENCE_TABLE);
    assert_ne!(empty, loaded);
    assert_eq!(loaded, table_digest(&db, REFERENCE_TABLE), "stable");
    db.execute(&format!(
        "UPDATE user_sync_status SET progress_percentage = 1 WHERE task_id = '{}'",
        fixtures::INCIDENT_TASK
    ));
    assert_ne!(loaded, table_digest(&db, REFERENCE_TABLE));
}

#[test]
fn syncctl_command_has_a_clean_environment() {
    let db = TestDb::new();
    let cmd = syncctl(&db);
    assert_eq!(Path::new(cmd.get_program()).file_name(), Some(OsStr::new("syncctl")));
    let mut envs: Vec<(String, Option<String>)> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
        .collect();
    envs.sort();
    let keys: Vec<&str> = envs.iter().map(|(k, _)| k.as_str()).collect();
    assert!(keys.iter().all(|k| ["DATABASE_URL", "HOME", "PATH"].contains(k)), "{keys:?}");
    assert!(envs.contains(&("DATABASE_URL".to_owned(), Some(db.url().to_owned()))));
}

#[test]
fn throwaway_cluster_checks_passwords_and_cleans_up() {
    let cluster = Cluster::start(ClusterOptions { password_auth: true, ..ClusterOptions::default() });
    let password = cluster.password().expect("a password").to_owned();
    let good = cluster.url("postgres");
    assert!(good.contains(&format!("127.0.0.1:{}/postgres", cluster.port())), "{good}");
    let mut client = Client::connect(&good, NoTls).expect("the right password is accepted");
    let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);

    let wrong = good.replace(&password, "not-the-password");
    let Err(err) = Client::connect(&wrong, NoTls) else {
        panic!("a wrong password was accepted");
    };
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD), "{err}");
    let without = good.replace(&format!(":{password}"), "");
    assert!(Client::connect(&without, NoTls).is_err(), "a missing password was accepted");

    let socket = cluster.socket_dir().join(format!(".s.PGSQL.{}", cluster.port()));
    assert!(socket.exists(), "{} missing", socket.display());
    assert!(cluster.pg_bin("pg_isready").is_file());

    let pid = cluster.postmaster_pid().expect("a postmaster pid");
    let data_dir = cluster.data_dir();
    drop(client);
    drop(cluster);
    assert!(!process_alive(pid), "postmaster {pid} outlived its Cluster");
    assert!(!data_dir.exists(), "{} was not removed", data_dir.display());
}

#[test]
fn throwaway_cluster_stops_and_restarts() {
    let cluster =
        Cluster::start(ClusterOptions { conf_lines: vec!["work_mem = '7MB'".to_owned()], ..ClusterOptions::default() });
    let url = cluster.url("postgres");
    let mut client = Client::connect(&url, NoTls).unwrap();
    let work_mem: String = client.query_one("SHOW work_mem", &[]).unwrap().get(0);
    assert_eq!(work_mem, "7MB", "extra conf lines apply");
    client.batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)").unwrap();

    cluster.stop_immediate();
    assert!(!cluster.is_running());
    assert!(client.query_one("SELECT 1", &[]).is_err(), "the session died");
    assert!(Client::connect(&url, NoTls).is_err(), "a stopped server accepted a connection");
    cluster.stop_immediate();

    cluster.restart();
    assert!(cluster.is_running());
    let mut client = Client::connect(&url, NoTls).unwrap();
    let n: i32 = client.query_one("SELECT n FROM kept", &[]).unwrap().get(0);
    assert_eq!(n, 42, "committed data survives a crash and restart");

    cluster.restart();
    assert!(client.query_one("SELECT 1", &[]).is_err(), "restart ends sessions");
    let mut client = Client::connect(&url, NoTls).unwrap();
    assert_eq!(client.query_one("SELECT 1", &[]).unwrap().get::<_, i32>(0), 1);
}

/// The version matrix of `.ci/run` names the major version it means to test in
/// `SYNCCTL_TEST_PG_MAJOR`: the server the tests reach must be that one, so a matrix run can
/// never pass on another version by mistake. Without the variable there is nothing to check.
#[test]
fn the_server_is_the_version_the_matrix_names() {
    let Some(major) = std::env::var("SYNCCTL_TEST_PG_MAJOR").ok().filter(|v| !v.is_empty()) else { return };
    let version: i32 =
        admin_client().query_one("SELECT current_setting('server_version_num')::int", &[]).unwrap().get(0);
    eprintln!("the tests run on PostgreSQL server_version_num {version}");
    assert_eq!(version / 10000, major.parse::<i32>().unwrap(), "SYNCCTL_TEST_PG_MAJOR={major}, server {version}");
}
