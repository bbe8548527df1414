//! Output: the [`Printer`] (data to stdout, diagnostics to stderr, colour per `--color` and
//! `NO_COLOR`) and the small formatting pieces every renderer shares. Diagnostics go through
//! [`stream`], so a stderr nobody reads never blocks a command.

pub(crate) mod add_constraints;
pub(crate) mod health;
pub(crate) mod inspect;
pub(crate) mod reap;
pub(crate) mod repair;
pub(crate) mod start;
pub(crate) mod stream;
pub(crate) mod validate;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anstyle::AnsiColor;
use chrono::{DateTime, SecondsFormat, Utc};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::cli::ColorChoice;

/// Styles used across the output.
pub(crate) mod style {
    use super::*;
    use anstyle::Style;
    /// Problems and errors.
    pub(crate) const BAD: Style = AnsiColor::Red.on_default().bold();
    /// Warnings.
    pub(crate) const WARN: Style = AnsiColor::Yellow.on_default().bold();
    /// Good news.
    pub(crate) const GOOD: Style = AnsiColor::Green.on_default().bold();
    /// Secondary text.
    pub(crate) const DIM: Style = Style::new().dimmed();
}

/// What a renderer needs to know of the terminal: whether to paint, and how wide it is.
/// Renderers take this, not the command's context, so a snapshot test renders them with or
/// without colour, at any width or as for a pipe.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Style {
    /// Paint with ANSI colours.
    pub(crate) color: bool,
    /// The terminal's width in columns; `None` for a pipe or a file, which get full values.
    pub(crate) width: Option<usize>,
}

impl Style {
    /// `text` in `style`, when painting.
    pub(crate) fn paint(self, style: anstyle::Style, text: &str) -> String {
        paint(self.color, style, text)
    }
}

// One vocabulary for time, in every output:
// - people read durations as [`human_seconds`] (`45s`, `16m 20s`, `5h 3m`, `483d 2h`) and
//   timestamps as [`timestamp_short`] (RFC 3339 to the second);
// - JSON and CSV carry durations as seconds to the millisecond ([`seconds`], [`serde_seconds`])
//   and timestamps as RFC 3339 to the microsecond ([`timestamp`], [`serde_time`]).

/// Seconds to the millisecond, for JSON and CSV: `43047806.123`.
pub(crate) fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

/// Serialises a duration in seconds as a JSON number rounded to the millisecond ([`seconds`]).
pub(crate) mod serde_seconds {
    /// Seconds.
    pub(crate) fn serialize<S: serde::Serializer>(s: &f64, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_f64((s * 1000.0).round() / 1000.0)
    }

    /// Seconds or null.
    pub(crate) mod optional {
        /// Seconds or null.
        pub(crate) fn serialize<S: serde::Serializer>(s: &Option<f64>, ser: S) -> Result<S::Ok, S::Error> {
            match s {
                Some(s) => super::serialize(s, ser),
                None => ser.serialize_none(),
            }
        }
    }
}

/// Serialises timestamps as RFC 3339 with an offset, to the microsecond ([`timestamp`]).
pub(crate) mod serde_time {
    use chrono::{DateTime, Utc};

    /// A timestamp.
    pub(crate) fn serialize<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::timestamp(t))
    }

    /// A timestamp or null.
    pub(crate) mod optional {
        use chrono::{DateTime, Utc};

        /// A timestamp or null.
        pub(crate) fn serialize<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }
    }
}

/// Where output goes, and whether it is coloured.
#[derive(Debug, Clone)]
pub struct Printer {
    color_out: bool,
    color_err: bool,
    width_out: Option<usize>,
    quiet: bool,
    verbose: u8,
}

impl Printer {
    /// A printer following `--color`, NO_COLOR, `-q` and `-v`.
    pub fn new(choice: ColorChoice, quiet: bool, verbose: u8) -> Printer {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let auto = |tty: bool| tty && !no_color && !dumb;
        let (color_out, color_err) = match choice {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (auto(std::io::stdout().is_terminal()), auto(std::io::stderr().is_terminal())),
        };
        let width_out = std::io::stdout().is_terminal().then(terminal_width);
        Printer { color_out, color_err, width_out, quiet, verbose }
    }

    /// Writes data to stdout. A closed pipe comes back as `BrokenPipe`, a clean end.
    pub fn data(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') && !text.is_empty() {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Paints text for stdout.
    pub fn paint(&self, style: anstyle::Style, text: &str) -> String {
        paint(self.color_out, style, text)
    }

    /// How renderers paint for stdout.
    pub(crate) fn style(&self) -> Style {
        Style { color: self.color_out, width: self.width_out }
    }

    /// A note on stderr, unless `-q`.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            stream::stderr_line(&paint(self.color_err, style::DIM, text));
        }
    }

    /// A detail on stderr with `-v`.
    pub fn debug(&self, text: &str) {
        if self.verbose > 0 {
            stream::stderr_line(&paint(self.color_err, style::DIM, text));
        }
    }

    /// A warning on stderr, unless `-q`.
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            stream::stderr_line(&format!("{} {text}", paint(self.color_err, style::WARN, "warning:")));
        }
    }

    /// An error on stderr, with what to do next.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        stream::stderr_line(&format!("{} {message}", paint(self.color_err, style::BAD, "syncctl: error:")));
        if let Some(hint) = hint {
            stream::stderr_line(&format!("  {} {hint}", paint(self.color_err, style::DIM, "hint:")));
        }
    }
}

/// The width of the terminal on stdout: `COLUMNS` when set (as shells and tests set it), else
/// what the terminal says, else 80.
fn terminal_width() -> usize {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()).filter(|&c| c > 0) {
        return columns;
    }
    // SAFETY: TIOCGWINSZ only fills the winsize it is given.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let asked = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    if asked == 0 && size.ws_col > 0 { usize::from(size.ws_col) } else { 80 }
}

fn paint(on: bool, style: anstyle::Style, text: &str) -> String {
    if on { format!("{}{text}{}", style.render(), style.render_reset()) } else { text.to_string() }
}

/// A report as its JSON document, pretty-printed, newline-terminated.
pub(crate) fn json(report: &impl serde::Serialize) -> String {
    // A report is plain data: serialising it cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// An empty human table with these headers.
pub(crate) fn table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled).set_header(headers);
    table
}

/// RFC 3339 with an offset, to the microsecond (JSON, CSV).
pub(crate) fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// RFC 3339 with an offset, to the second (human tables).
pub(crate) fn timestamp_short(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A duration for people: `45s`, `16m 20s`, `5h 3m`, `483d 2h`. Negative (a future timestamp)
/// reads `in the future`.
pub(crate) fn human_seconds(seconds: f64) -> String {
    if seconds < 0.0 {
        return "in the future".into();
    }
    let s = seconds as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// Cuts text to `max` characters (not bytes), marking the cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    let one_line = text.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max.saturating_sub(1)).collect::<String>())
    }
}

/// A row of a report as CSV: its columns' names, and its values in that order.
pub(crate) trait CsvRecord {
    /// The header line's names.
    const HEADER: &[&str];
    /// The values, one per name.
    fn values(&self) -> Vec<String>;
}

/// CSV of `rows`: the header, then one line per row.
pub(crate) fn csv<R: CsvRecord>(rows: &[R]) -> String {
    let mut out = csv_line(R::HEADER);
    for row in rows {
        out.push_str(&csv_line(&row.values()));
    }
    out
}

/// One CSV line (RFC 4180 quoting), newline included.
pub(crate) fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            let f = f.as_ref();
            if f.contains([',', '"', '\n', '\r']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.to_string() }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Where `--output` sends a report: stdout for `-`, else a regular file replaced atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    /// `-`: stdout, like no `--output` at all.
    Stdout,
    /// A regular file (or one to create), with symbolic links followed, so a link stays a link.
    File(PathBuf),
}

impl Destination {
    /// Checks `--output PATH` before any work: the atomic rename would replace whatever is at
    /// the path, so only a regular file or a missing one in an existing directory is accepted.
    /// A device (`/dev/stdout`), a FIFO or a directory is a usage error, and nothing changes.
    pub(crate) fn of(path: &Path) -> anyhow::Result<Destination> {
        if path.as_os_str() == "-" {
            return Ok(Destination::Stdout);
        }
        let refuse = |what: &str| {
            crate::error::UsageError::with_hint(
                format!("--output {} is {what}, not a regular file: nothing was written", path.display()),
                "name a file (it is replaced atomically), or `--output -` (or no --output) for stdout",
            )
        };
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(Destination::File(std::fs::canonicalize(path)?)),
            Ok(m) => Err(refuse(kind_of(&m))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                if dir.is_dir() {
                    Ok(Destination::File(path.to_path_buf()))
                } else {
                    Err(crate::error::UsageError::with_hint(
                        format!("--output {}: the directory {} does not exist", path.display(), dir.display()),
                        "create the directory first, or name a file in an existing one",
                    ))
                }
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("looking at --output {}", path.display()))),
        }
    }

    /// The destination `--output` names (stdout without one), checked as [`Destination::of`].
    pub(crate) fn chosen(args: &crate::cli::OutputFileArgs) -> anyhow::Result<Destination> {
        args.file.as_deref().map_or(Ok(Destination::Stdout), Destination::of)
    }

    /// How renderers paint for this destination: a file gets no colour and full values.
    pub(crate) fn style(&self, printer: &Printer) -> Style {
        match self {
            Destination::Stdout => printer.style(),
            Destination::File(_) => Style::default(),
        }
    }

    /// Writes the report: to stdout through `printer`, or atomically to the file.
    pub(crate) fn write(&self, printer: &Printer, text: &str) -> anyhow::Result<()> {
        use anyhow::Context;
        match self {
            Destination::Stdout => Ok(printer.data(text)?),
            Destination::File(path) => {
                write_atomically(path, text).with_context(|| format!("writing the report to {}", path.display()))
            }
        }
    }
}

/// What a file that is not a regular one is, for a message.
fn kind_of(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, then a rename,
/// so a reader (node_exporter's textfile collector) never sees half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    // A leftover of a process that had this pid goes first; create_new then follows no link
    // someone may have put at the name.
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_seconds(5.2), "5s");
        assert_eq!(human_seconds(980.0), "16m 20s");
        assert_eq!(human_seconds(3.0 * 3600.0 + 120.0), "3h 2m");
        assert_eq!(human_seconds(-3.0), "in the future");
    }

    #[test]
    fn machine_seconds_stop_at_the_millisecond() {
        assert_eq!(seconds(43_047_806.122_605), "43047806.123");
        #[derive(serde::Serialize)]
        struct S {
            #[serde(with = "serde_seconds")]
            a: f64,
            #[serde(with = "serde_seconds::optional")]
            b: Option<f64>,
        }
        assert_eq!(
            serde_json::to_string(&S { a: 43_047_806.122_605, b: None }).unwrap(),
            r#"{"a":43047806.123,"b":null}"#
        );
    }

    #[test]
    fn cutting_counts_characters() {
        assert_eq!(cut("任务被管理员手动清理（修复后）", 6), "任务被管理…");
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_line(&["a", "b,c", "say \"hi\""]), "a,\"b,c\",\"say \"\"hi\"\"\"\n");
    }
}
