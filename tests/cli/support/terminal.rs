//! The built `syncctl` binary on a terminal of a given width: run under a pseudo-terminal
//! (`script` from util-linux) with `COLUMNS` set, as a person sees it.

use super::{SYNCCTL_TIMEOUT, TestDb};

/// What `syncctl <args> --color never` wrote to a terminal `columns` wide (stdout and stderr,
/// as the terminal shows them, `\r` removed), and its exit code.
pub(crate) fn on_terminal(db: &TestDb, args: &[&str], columns: usize) -> (Option<i32>, String) {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
    let command = format!("'{}' {} --color never", env!("CARGO_BIN_EXE_syncctl"), quoted.join(" "));
    let out = assert_cmd::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("COLUMNS", columns.to_string())
        .env("DATABASE_URL", db.url())
        .timeout(SYNCCTL_TIMEOUT)
        .output()
        .expect("script (util-linux) runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).replace('\r', ""))
}

/// The lines of `text` wider than `columns` characters.
pub(crate) fn too_wide(text: &str, columns: usize) -> Vec<&str> {
    text.lines().filter(|l| l.chars().count() > columns).collect()
}
