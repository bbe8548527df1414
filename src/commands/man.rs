//! `man [COMMAND]`: the man pages, `syncctl.1` and one per subcommand (`syncctl-repair.1`, …).
//! clap writes NAME, SYNOPSIS, DESCRIPTION and OPTIONS from the CLI definition; this module adds
//! what clap does not know: EXIT STATUS, ENVIRONMENT, EXAMPLES and SEE ALSO. The pages are
//! checked in under `man/`, with a test (in completions.rs) that fails when one is stale or
//! missing.

use anyhow::Result;
use clap::CommandFactory;
use roff::{Roff, bold, roman};

use crate::Ctx;
use crate::cli::{CONNECTION, Cli, ManArgs, OUTPUT, TABLE};
use crate::error::UsageError;
use crate::exit::ExitStatus;

/// One man page.
pub(crate) struct Page {
    /// The subcommand it documents (None: the top page).
    pub(crate) command: Option<String>,
    /// The page in roff.
    pub(crate) roff: String,
}

impl Page {
    /// Its file name under `man/`, e.g. `syncctl-repair.1`.
    #[cfg(test)]
    pub(crate) fn file(&self) -> String {
        self.command.as_ref().map_or("syncctl.1".into(), |name| format!("syncctl-{name}.1"))
    }
}

/// Prints the top page, or the page of one subcommand.
pub(crate) fn run(args: ManArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let pages = pages();
    let Some(page) = pages.iter().find(|p| p.command == args.command) else {
        let names: Vec<&str> = pages.iter().filter_map(|p| p.command.as_deref()).collect();
        return Err(UsageError::with_hint(
            format!("there is no man page for '{}'", args.command.unwrap_or_default()),
            format!("name a subcommand: {}", names.join(", ")),
        ));
    };
    ctx.printer.data(page.roff.trim_end())?;
    Ok(ExitStatus::Success)
}

/// Every page: the top one first, then one per subcommand.
pub(crate) fn pages() -> Vec<Page> {
    // No `help` subcommand: its page would be one more name for `--help`.
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let mut pages = vec![page(&top, None)];
    pages.extend(top.get_subcommands().map(|sub| page(sub, Some(sub.get_name()))));
    pages
}

/// The page of `cmd` (`name`: the subcommand's name, None for the top page).
fn page(cmd: &clap::Command, name: Option<&str>) -> Page {
    let man = clap_mangen::Man::new(cmd.clone()).source(format!("syncctl {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    // The usage line of --help: clap_mangen's synopsis spells out every global option.
    let usage = cmd.clone().render_usage().to_string();
    let mut synopsis = Roff::new();
    synopsis.control("SH", ["SYNOPSIS"]).text([roman(usage.trim_start_matches("Usage: "))]);
    let _ = synopsis.to_writer(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let mut options = Vec::new();
    let _ = man.render_options_section(&mut options);
    let mut options = String::from_utf8_lossy(&options).into_owned();
    // clap makes each help heading a section of its own; they are parts of OPTIONS.
    for heading in [CONNECTION, TABLE, OUTPUT] {
        options = options.replace(&format!(".SH {}\n", heading.to_uppercase()), &format!(".SS {heading}\n"));
    }
    buf.extend_from_slice(options.as_bytes());
    if name.is_none() {
        let _ = man.render_subcommands_section(&mut buf);
    }
    let extra = Extra::of(name);
    let mut roff = Roff::new();
    section(&mut roff, "EXIT STATUS", extra.exit);
    section(&mut roff, "ENVIRONMENT", extra.environment);
    roff.control("SH", ["EXAMPLES"]);
    for (what, command) in extra.examples {
        roff.text([roman(*what)]);
        roff.control("PP", []).control("RS", ["4"]).control("nf", []).text([roman(*command)]);
        roff.control("fi", []).control("RE", []).control("PP", []);
    }
    roff.control("SH", ["SEE ALSO"]);
    let see_also = see_also(cmd, name);
    let last = see_also.len().saturating_sub(1);
    for (n, other) in see_also.iter().enumerate() {
        roff.text([bold(other.as_str()), roman(if n == last { "(1)" } else { "(1), " })]);
    }
    roff.text([roman("and the README of the syncctl repository.")]);
    let _ = roff.to_writer(&mut buf);
    Page { command: name.map(str::to_string), roff: String::from_utf8_lossy(&buf).into_owned() }
}

/// A section of tagged paragraphs: each term in bold, then its text.
fn section(roff: &mut Roff, title: &str, items: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (term, text) in items {
        roff.control("TP", []).text([bold(*term)]).text([roman(*text)]);
    }
}

/// The pages a page points to: the top page points to every subcommand's, a subcommand's page
/// to the top page and to the pages its own text names.
fn see_also(cmd: &clap::Command, name: Option<&str>) -> Vec<String> {
    let Some(name) = name else {
        return cmd.get_subcommands().map(|sub| format!("syncctl-{}", sub.get_name())).collect();
    };
    let related: &[&str] = match name {
        "inspect" => &["health", "repair"],
        "health" => &["inspect", "validate-constraints"],
        "validate-constraints" => &["repair", "add-constraints"],
        "repair" => &["inspect", "validate-constraints", "reap"],
        "reap" => &["repair", "start"],
        "add-constraints" => &["validate-constraints", "repair"],
        "start" => &["reap", "inspect"],
        "demo" => &["health", "repair", "add-constraints", "start"],
        "completions" => &["man"],
        _ => &["completions"],
    };
    std::iter::once("syncctl".to_string()).chain(related.iter().map(|r| format!("syncctl-{r}"))).collect()
}

/// The sections of a page that the CLI definition does not hold.
struct Extra {
    /// Each exit code and what it means.
    exit: &'static [(&'static str, &'static str)],
    /// Each variable read and what it does.
    environment: &'static [(&'static str, &'static str)],
    /// Each example: what it does, then the command line.
    examples: &'static [(&'static str, &'static str)],
}

/// The exit codes every command that reads the table shares (health has its own).
const USAGE: (&str, &str) =
    ("2", "Usage or configuration error: a bad flag or value, a missing table or column, a missing privilege.");
const DATABASE: (&str, &str) = ("3", "Cannot connect, or the database failed.");
const LOCKS: (&str, &str) = ("5", "Locks not obtained within --lock-timeout (and the retries).");
const SIGNALS: (&str, &str) = (
    "129, 130, 143",
    "Stopped by SIGHUP (the terminal or ssh session went away), SIGINT or SIGTERM, after cleaning up.",
);

/// The variables every command that connects reads.
const CONNECTING: &[(&str, &str)] = &[
    ("DATABASE_URL", "The connection, as --database-url: a URL or a key=value string."),
    (
        "PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGPASSFILE, PGCONNECT_TIMEOUT, PGOPTIONS",
        "As in libpq, for whatever the URL leaves out; without them libpq's defaults apply (the Unix \
         socket, the operating-system user, a database of the user's name, ~/.pgpass). \
         PGCONNECT_TIMEOUT defaults to 10 seconds.",
    ),
    (
        "PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY",
        "TLS as in libpq: disable, prefer, require, verify-ca or verify-full, the CA certificate, and \
         the client certificate and its key.",
    ),
    ("SYNCCTL_TABLE", "The default of --table."),
    ("SYNCCTL_HEARTBEAT_TIMEOUT", "The default of --heartbeat-timeout."),
    ("SYNCCTL_TIMESTAMP_ZONE", "The default of --timestamp-zone."),
    ("NO_COLOR", "When set and not empty, no colour under --color auto (as does TERM=dumb)."),
    ("COLUMNS", "The width tables are fitted to on a terminal (else the terminal's own width)."),
];

/// What `start`'s child gets, besides the variables of every command.
const START_ENVIRONMENT: &[(&str, &str)] = &[
    ("DATABASE_URL, PG*, SYNCCTL_TABLE, SYNCCTL_HEARTBEAT_TIMEOUT, SYNCCTL_TIMESTAMP_ZONE", "As for syncctl(1)."),
    ("NO_COLOR, COLUMNS", "As for syncctl(1): colour and width of the progress on a terminal."),
    (
        "SYNCCTL_TASK_ID, SYNCCTL_USER_ID, SYNCCTL_SYNC_TYPE",
        "Set for the child COMMAND: its task id, the user, and full or incremental.",
    ),
];

/// The sections of each page that the CLI definition does not hold (None: the top page).
const EXTRAS: &[(Option<&str>, Extra)] = &[
    (
        None,
        Extra {
            exit: &[
                ("0", "Done, or clean."),
                ("1", "Problems found, or the sync failed."),
                USAGE,
                DATABASE,
                ("4", "Lease lost: start was fenced out."),
                LOCKS,
                SIGNALS,
                ("0-3 (health)", "health uses the monitoring-plugin codes instead: see syncctl-health(1)."),
            ],
            environment: CONNECTING,
            examples: &[
                ("Try it on a throwaway cluster first:", "syncctl demo"),
                (
                    "Look at the problem rows, then fix them after seeing the plan:",
                    "syncctl inspect\nsyncctl repair --all --dry-run\nsyncctl repair --all",
                ),
            ],
        },
    ),
    (
        Some("inspect"),
        Extra {
            exit: &[("0", "No problem row listed."), ("1", "It listed a problem row."), USAGE, DATABASE, SIGNALS],
            environment: CONNECTING,
            examples: &[
                ("The problem rows of another table, worst first:", "syncctl --table ops.user_sync_status inspect"),
                ("One user's rows in every state, as JSON:", "syncctl inspect --user 42 --state all --json"),
            ],
        },
    ),
    (
        Some("health"),
        Extra {
            exit: &[
                ("0", "OK: no zombies, no inconsistent rows, the constraints installed and valid."),
                (
                    "1",
                    "WARNING: clean data, but a constraint is missing, NOT VALID or INVALID, or rows have skewed clocks \
                     or are half-released while live.",
                ),
                ("2", "CRITICAL: zombies or inconsistent rows."),
                ("3", "UNKNOWN: it could not ask (the report is still printed), including usage errors."),
            ],
            environment: CONNECTING,
            examples: &[
                ("A monitoring check:", "syncctl health"),
                (
                    "For node_exporter's textfile collector, written atomically:",
                    "syncctl health --format prometheus --output /var/lib/node_exporter/syncctl.prom",
                ),
            ],
        },
    ),
    (
        Some("validate-constraints"),
        Extra {
            exit: &[
                (
                    "0",
                    "The data would accept the three constraints (and, with --require-installed, they are installed and valid).",
                ),
                ("1", "It would not, or (--require-installed) a constraint is missing or not valid."),
                USAGE,
                DATABASE,
            ],
            environment: CONNECTING,
            examples: &[
                ("In CI, before a migration:", "syncctl validate-constraints --require-installed"),
                (
                    "Every check as JSON, with up to five sample rows each:",
                    "syncctl validate-constraints --limit 5 --json",
                ),
            ],
        },
    ),
    (
        Some("repair"),
        Extra {
            exit: &[
                ("0", "Done, nothing to repair, or the --dry-run plan shown."),
                ("1", "Declined at the prompt, or a planned row changed before it was applied; nothing else changed."),
                ("2", "Usage or configuration error, or no terminal to confirm on and no --yes."),
                DATABASE,
                LOCKS,
                SIGNALS,
            ],
            environment: CONNECTING,
            examples: &[
                ("See the plan, change nothing:", "syncctl repair --all --dry-run"),
                (
                    "Release one task even though it looks alive, without a prompt:",
                    "syncctl repair --task sync_42_0a1b2c3d_1700000000 --yes",
                ),
            ],
        },
    ),
    (
        Some("reap"),
        Extra {
            exit: &[("0", "It did its work, released or not."), USAGE, DATABASE, LOCKS, SIGNALS],
            environment: CONNECTING,
            examples: &[
                (
                    "From cron, every two minutes:",
                    "*/2 * * * * flock -n /run/lock/syncctl-reap.lock syncctl reap >> /var/log/syncctl-reap.log 2>&1",
                ),
                ("As a loop, for hosts without cron:", "syncctl reap --every 2m"),
            ],
        },
    ),
    (
        Some("add-constraints"),
        Extra {
            exit: &[
                ("0", "Installed (what existed and was valid was skipped), or the statements printed."),
                ("1", "The data would not accept the constraints (nothing changed), or declined at the prompt."),
                USAGE,
                DATABASE,
                LOCKS,
                SIGNALS,
            ],
            environment: CONNECTING,
            examples: &[
                ("See what the table's current state needs:", "syncctl add-constraints --dry-run"),
                (
                    "Hand the rollout to a migration tool as a psql script:",
                    "syncctl add-constraints --print-sql > rollout.sql\npsql -v ON_ERROR_STOP=1 -f rollout.sql",
                ),
            ],
        },
    ),
    (
        Some("start"),
        Extra {
            exit: &[
                ("0", "The sync completed, or a live task was reused (--if-running reuse)."),
                ("1", "The sync failed or stalled, or a live task exists under --if-running fail."),
                USAGE,
                DATABASE,
                (
                    "4",
                    "Lease lost: another process released or took over the task, or no heartbeat succeeded for the heartbeat timeout.",
                ),
                SIGNALS,
            ],
            environment: START_ENVIRONMENT,
            examples: &[
                (
                    "Run the application's sync job under a lease:",
                    "syncctl start --user 42 -- ./sync-mailbox --user 42",
                ),
                ("Try the protocol with the simulated sync:", "syncctl start --user 42 --demo --demo-items 200"),
            ],
        },
    ),
    (
        Some("guard"),
        Extra {
            exit: &[
                ("0", "Done (or nothing to do); for status, the guard is installed and current."),
                ("1", "status: the guard is missing or outdated; install or remove: it is still not as asked."),
                USAGE,
                DATABASE,
                LOCKS,
                SIGNALS,
            ],
            environment: CONNECTING,
            examples: &[
                ("Install the guard, then check it:", "syncctl guard install && syncctl guard status"),
                (
                    "Hand it to a migration tool as a script:",
                    "syncctl guard install --print-sql --table public.user_sync_status > V42__guard.sql",
                ),
            ],
        },
    ),
    (
        Some("demo"),
        Extra {
            exit: &[
                ("0", "The walk-through ended with a healthy table."),
                ("1", "It did not."),
                ("2, 3", "Usage error, or the throwaway cluster could not be started or loaded."),
                SIGNALS,
            ],
            environment: &[
                ("PATH", "Where initdb and pg_ctl are looked for first (then /usr/lib/postgresql/*/bin)."),
                ("NO_COLOR, TERM", "As for syncctl(1)."),
            ],
            examples: &[("Keep the cluster to practise on afterwards:", "syncctl demo --keep")],
        },
    ),
    (
        Some("completions"),
        Extra {
            exit: &[("0", "Printed."), ("2", "Usage error.")],
            environment: &[("(none)", "Nothing in the environment changes what it prints.")],
            examples: &[(
                "Install the bash completions:",
                "syncctl completions bash > ~/.local/share/bash-completion/completions/syncctl",
            )],
        },
    ),
    (
        Some("man"),
        Extra {
            exit: &[("0", "Printed."), ("2", "Usage error, or no page of that name.")],
            environment: &[("(none)", "Nothing in the environment changes what it prints.")],
            examples: &[
                ("Read the page of repair without installing it:", "syncctl man repair | man -l -"),
                ("Install every page from a checkout:", "install -m 644 man/*.1 /usr/local/share/man/man1/"),
            ],
        },
    ),
];

impl Extra {
    /// The sections of the page of `name` (None: the top page); a test checks that every
    /// subcommand has them.
    fn of(name: Option<&str>) -> &'static Extra {
        EXTRAS.iter().find(|(page, _)| *page == name).map(|(_, extra)| extra).expect("EXTRAS has every page")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One page per subcommand plus the top one, each with every section a reader looks for,
    /// and no SEE ALSO naming a page that does not exist.
    #[test]
    fn every_page_has_its_sections_and_points_only_to_pages_that_exist() {
        let pages = pages();
        let subcommands: Vec<String> = Cli::command().get_subcommands().map(|s| s.get_name().to_string()).collect();
        for name in &subcommands {
            assert!(pages.iter().any(|p| p.file() == format!("syncctl-{name}.1")), "no page for {name}");
        }
        for page in &pages {
            let mut at = 0;
            for heading in
                ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"]
            {
                let found = page.roff[at..]
                    .find(&format!(".SH {heading}"))
                    .or_else(|| page.roff[at..].find(&format!(".SH \"{heading}\"")));
                let found =
                    found.unwrap_or_else(|| panic!("{}: no {heading} section after the ones before", page.file()));
                at += found;
            }
            let see_also = &page.roff[page.roff.find("SEE ALSO").unwrap()..];
            for reference in see_also.split("\\fB").skip(1) {
                let name = reference.split("\\fR").next().unwrap().replace("\\-", "-");
                assert!(
                    pages.iter().any(|p| p.file() == format!("{name}.1")),
                    "{}: SEE ALSO names {name}(1)",
                    page.file()
                );
            }
            assert!(!page.roff.replace("\\-", "-").contains("syncctl-help"), "{}: names a help page", page.file());
        }
    }

    /// health's page tells a monitoring system that a usage error is UNKNOWN, not CRITICAL.
    #[test]
    fn health_has_the_monitoring_plugin_statuses() {
        let health = pages().into_iter().find(|p| p.command.as_deref() == Some("health")).unwrap();
        for status in ["OK", "WARNING", "CRITICAL", "UNKNOWN"] {
            assert!(health.roff.contains(status), "{status}");
        }
        assert!(health.roff.contains("including usage errors"));
    }
}
