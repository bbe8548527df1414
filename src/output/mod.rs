//! Output: the [`Printer`] (data to stdout, diagnostics to stderr, colour per `--color` and
//! `NO_COLOR`) and the small formatting pieces every renderer shares. Diagnostics go through
//! [`stream`], so a stderr nobody reads never blocks a command.

pub(crate) mod add_constraints;
pub(crate) mod guard;
pub(crate) mod health;
pub(crate) mod inspect;
#[cfg(test)]
mod matrix;
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
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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
    width_err: Option<usize>,
    quiet: bool,
    verbose: u8,
}

impl Printer {
    /// A printer following `--color`, NO_COLOR, `-q`, `-v` and `--wide` (full values on a
    /// terminal too, as for a pipe).
    pub fn new(choice: ColorChoice, quiet: bool, verbose: u8, wide: bool) -> Printer {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let auto = |tty: bool| tty && !no_color && !dumb;
        let (color_out, color_err) = match choice {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (auto(std::io::stdout().is_terminal()), auto(std::io::stderr().is_terminal())),
        };
        let width = |tty: bool, fd| (tty && !wide).then(|| terminal_width(fd));
        let width_out = width(std::io::stdout().is_terminal(), libc::STDOUT_FILENO);
        let width_err = width(std::io::stderr().is_terminal(), libc::STDERR_FILENO);
        Printer { color_out, color_err, width_out, width_err, quiet, verbose }
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

    /// How renderers paint for stderr (a listing shown beside a prompt).
    pub(crate) fn style_err(&self) -> Style {
        Style { color: self.color_err, width: self.width_err }
    }

    /// A note on stderr, unless `-q`.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            self.diagnostic(&paint(self.color_err, style::DIM, text));
        }
    }

    /// A detail on stderr with `-v`.
    pub fn debug(&self, text: &str) {
        if self.verbose > 0 {
            self.diagnostic(&paint(self.color_err, style::DIM, text));
        }
    }

    /// A warning on stderr, unless `-q`.
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            self.diagnostic(&format!("{} {text}", paint(self.color_err, style::WARN, "warning:")));
        }
    }

    /// An error on stderr, with what to do next. `error:` is clap's prefix for usage errors too,
    /// so every error of the run reads alike.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        self.diagnostic(&format!("{} {message}", paint(self.color_err, style::BAD, "error:")));
        if let Some(hint) = hint {
            let hint = wrap(hint, self.width_err.map(|w| w.saturating_sub(8)), HINT_INDENT);
            stream::stderr_line(&format!("  {} {hint}", paint(self.color_err, style::DIM, "hint:")));
        }
    }

    /// A line on stderr, wrapped to a terminal's width ([`DIAGNOSTIC_INDENT`]).
    fn diagnostic(&self, text: &str) {
        stream::stderr_line(&wrap(text, self.width_err, DIAGNOSTIC_INDENT));
    }
}

/// How a diagnostic wrapped on a terminal goes on: its next lines are indented this much.
pub(crate) const DIAGNOSTIC_INDENT: &str = "  ";
/// A hint's next lines line up under its text (`  hint: `).
const HINT_INDENT: &str = "        ";

/// The width of the terminal on `fd`: `COLUMNS` when set (as shells and tests set it), else
/// what the terminal says, else 80.
pub(crate) fn terminal_width(fd: libc::c_int) -> usize {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()).filter(|&c| c > 0) {
        return columns;
    }
    // SAFETY: TIOCGWINSZ only fills the winsize it is given.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let asked = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) };
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

/// RFC 3339 with an offset, to the microsecond (JSON, CSV).
pub(crate) fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// RFC 3339 with an offset, to the second (human tables).
pub(crate) fn timestamp_short(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A duration for people: `400ms`, `45s`, `16m 20s`, `5h 3m`, `483d 2h` (under a second in
/// milliseconds, as the duration flags read). Negative (a future timestamp) reads `in the future`.
pub(crate) fn human_seconds(seconds: f64) -> String {
    if seconds < 0.0 {
        return "in the future".into();
    }
    if seconds < 1.0 {
        return format!("{}ms", (seconds * 1000.0).round().min(999.0) as u64);
    }
    let s = seconds as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// A clock offset for people, signed, in whole hours and minutes: `-8h`, `+5h30m`, `+45m`
/// (negative: behind the database clock).
pub(crate) fn offset(seconds: i64) -> String {
    let (sign, s) = (if seconds < 0 { '-' } else { '+' }, seconds.unsigned_abs());
    match (s / 3600, s % 3600 / 60) {
        (0, m) => format!("{sign}{m}m"),
        (h, 0) => format!("{sign}{h}h"),
        (h, m) => format!("{sign}{h}h{m}m"),
    }
}

/// A count with its noun, singular for one: `1 row`, `2 rows`, `0 rows`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How long ago, for people: `5h 3m ago` ([`human_seconds`]), or `in the future`.
pub(crate) fn human_ago(seconds: f64) -> String {
    if seconds < 0.0 { human_seconds(seconds) } else { format!("{} ago", human_seconds(seconds)) }
}

/// Cuts text to `max` terminal columns (a CJK character takes two), marking the cut with `…`:
/// an id keeps its recognisable prefix. Colour is dropped from text that is cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    let one_line = text.replace(['\n', '\r'], " ");
    if visible_width(&one_line) <= max {
        return one_line;
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in strip_ansi(&one_line).chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        kept.push(c);
    }
    kept.push('…');
    kept
}

/// Free text for people, broken between words to lines of at most `width` columns (a word longer
/// than that keeps its own line); a pipe (`None`) gets it on one line. Each line after the first
/// starts with `indent`.
pub(crate) fn wrap(text: &str, width: Option<usize>, indent: &str) -> String {
    let Some(width) = width else { return text.to_string() };
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in words(text) {
        let prefix = if lines.is_empty() { "" } else { indent };
        if !line.is_empty() && visible_width(prefix) + visible_width(&line) + 1 + visible_width(&word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    lines.push(line);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { l.clone() } else { format!("{indent}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// SQL as `sql/` writes it, for a terminal `width` columns wide: each run of `--` comment lines
/// with one of its lines wider than that is rewrapped, paragraph by paragraph (a paragraph is
/// the lines of one indent after the `--`; a list item, a parameter, a `Heading:` or a deeper
/// indent starts a new one);
/// code, and comments that fit, stay as written. A pipe (`None`) gets it all as written.
pub(crate) fn fit_sql_comments(sql: &str, width: Option<usize>) -> String {
    let Some(width) = width else { return sql.to_string() };
    let lines: Vec<&str> = sql.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let run = lines[i..].iter().take_while(|l| sql_comment(l).is_some()).count();
        if run == 0 {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        }
        let block = &lines[i..i + run];
        i += run;
        if block.iter().all(|l| visible_width(l) <= width) {
            out.extend(block.iter().map(|l| l.to_string()));
            continue;
        }
        let mut paragraph: Option<(&str, String)> = None;
        let flush = |paragraph: &mut Option<(&str, String)>, out: &mut Vec<String>| {
            if let Some((prefix, text)) = paragraph.take() {
                let room = width.saturating_sub(visible_width(prefix)).max(20);
                out.extend(wrap(&text, Some(room), "").lines().map(|l| format!("{prefix}{l}").trim_end().to_string()));
            }
        };
        for line in block {
            let (prefix, text) = sql_comment(line).expect("a comment line");
            // A list item, a parameter (`$2 …`) or a heading word (`Locks:`) starts a paragraph.
            let first = text.split(' ').next().unwrap_or_default();
            let item = text.is_empty()
                || ["- ", "* "].iter().any(|b| text.starts_with(b))
                || (first.starts_with('$') && first[1..].starts_with(|c: char| c.is_ascii_digit()))
                || first.ends_with(':');
            match &mut paragraph {
                Some((p, joined)) if *p == prefix && !item => {
                    joined.push(' ');
                    joined.push_str(text);
                }
                _ => {
                    flush(&mut paragraph, &mut out);
                    paragraph = Some((prefix, text.to_string()));
                }
            }
        }
        flush(&mut paragraph, &mut out);
    }
    let mut text = out.join("\n");
    if sql.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The prefix of a comment line (its indent, `--` and the spaces after it) and its text; None
/// for code, and for a `---` line.
fn sql_comment(line: &str) -> Option<(&str, &str)> {
    let body = line.trim_start().strip_prefix("--")?;
    let text = body.trim_start();
    (!body.starts_with('-')).then(|| (&line[..line.len() - text.len()], text))
}

/// The words of `text` for [`wrap`]: split at spaces, but a `quoted command` stays whole, so it
/// can be copied from the terminal.
fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for piece in text.split(' ') {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(piece);
            }
            _ => words.push(piece.to_string()),
        }
        open ^= piece.matches('`').count() % 2 == 1;
    }
    words
}

/// `text` without its ANSI escape sequences (`ESC [ … letter`).
pub(crate) fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // The CSI sequence ends at its first letter.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How many terminal columns `text` takes once painted: ANSI escapes take none, a CJK character two.
pub(crate) fn visible_width(text: &str) -> usize {
    UnicodeWidthStr::width(strip_ansi(text).as_str())
}

/// A column of a [`fit`] table: its header and how it gives way on a narrow terminal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    /// The header.
    pub(crate) header: &'static str,
    /// `None`: always shown whole (short values: states, percentages, durations); `Some(n)`:
    /// cut with `…` down to `n` columns when the row is too wide.
    cut_to: Option<usize>,
    /// Free text, cut before the ids: an id's prefix names the row, the rest of a sentence
    /// is on the pipe's output and in JSON.
    text: bool,
}

impl Column {
    /// A column shown whole.
    pub(crate) const fn whole(header: &'static str) -> Column {
        Column { header, cut_to: None, text: false }
    }

    /// An id (task, user, key): cut down to its first `min` columns, after the text columns.
    pub(crate) const fn id(header: &'static str, min: usize) -> Column {
        Column { header, cut_to: Some(min), text: false }
    }

    /// Free text (an error, a reason): the first to be cut, down to `min` columns.
    pub(crate) const fn text(header: &'static str, min: usize) -> Column {
        Column { header, cut_to: Some(min), text: true }
    }
}

/// The one way a human table meets the terminal: `rows` under `columns`, with full values for
/// a pipe (`width` None). On a terminal the text columns give way, the widest first, then the
/// ids, until the table fits `width`; when even their shortest forms do not fit, the rows come
/// in the expanded layout of psql's `\x`, one `field | value` line each. No trailing newline.
pub(crate) fn fit(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> String {
    let headers: Vec<&str> = columns.iter().map(|c| c.header).collect();
    let Some(width) = width else { return render_table(&headers, rows) };
    let natural: Vec<usize> = (0..columns.len())
        .map(|i| rows.iter().map(|r| visible_width(&r[i])).chain([visible_width(headers[i])]).max().unwrap_or(0))
        .collect();
    let least: Vec<usize> = columns
        .iter()
        .zip(&natural)
        .map(|(c, &n)| c.cut_to.map_or(n, |m| m.max(visible_width(c.header)).min(n)))
        .collect();
    // UTF8_FULL_CONDENSED: a border before each column and after the last, a space each side.
    let frame = 3 * columns.len() + 1;
    if frame + least.iter().sum::<usize>() > width {
        return expanded(&headers, rows, width);
    }
    let mut widths = natural.clone();
    while frame + widths.iter().sum::<usize>() > width {
        // The loop ends: the least widths fit, and each turn takes a column off one of them.
        let widest = |text: bool| {
            (0..widths.len()).filter(|&i| columns[i].text == text && widths[i] > least[i]).max_by_key(|&i| widths[i])
        };
        let Some(i) = widest(true).or_else(|| widest(false)) else { break };
        widths[i] -= 1;
    }
    let rows: Vec<Vec<String>> =
        rows.iter().map(|r| r.iter().zip(&widths).map(|(v, &w)| cut(v, w)).collect()).collect();
    render_table(&headers, &rows)
}

/// The table, every value whole.
fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled).set_header(headers);
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// psql's expanded layout: `-[ RECORD 1 ]----`, then `field | value` per column, each value cut
/// to what `width` leaves beside the field names.
fn expanded(headers: &[&str], rows: &[Vec<String>], width: usize) -> String {
    let label = headers.iter().map(|h| visible_width(h)).max().unwrap_or(0);
    let room = width.saturating_sub(label + 3).max(1);
    let records: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|v| cut(v, room)).collect()).collect();
    // One rule length for every record, as wide as the widest line.
    let widest = records.iter().flatten().map(|v| visible_width(v)).max().unwrap_or(0);
    let mut out = Vec::new();
    for (n, values) in records.iter().enumerate() {
        let title = format!("-[ RECORD {} ]", n + 1);
        let rule = (label + 3 + widest).min(width).saturating_sub(visible_width(&title));
        out.push(format!("{title}{}", "-".repeat(rule)));
        for (h, v) in headers.iter().zip(values) {
            let pad = label - visible_width(h);
            out.push(format!("{h}{} | {v}", " ".repeat(pad)).trim_end().to_string());
        }
    }
    out.join("\n")
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
    fn sql_comments_wider_than_the_terminal_are_rewrapped_by_paragraph() {
        let sql = "-- A first paragraph that is much too long for a narrow terminal, so it wraps.\n\
                   -- Parameters: $1 the first one;\n\
                   --   $2 the second one, also long enough to need a second line here.\n\
                   --- a note for maintainers, left alone\n\
                   SELECT 1 -- code is never touched, however long its line may be\n\
                   -- short\n";
        let fitted = fit_sql_comments(sql, Some(40));
        assert_eq!(
            fitted,
            "-- A first paragraph that is much too\n\
             -- long for a narrow terminal, so it\n\
             -- wraps.\n\
             -- Parameters: $1 the first one;\n\
             --   $2 the second one, also long enough\n\
             --   to need a second line here.\n\
             --- a note for maintainers, left alone\n\
             SELECT 1 -- code is never touched, however long its line may be\n\
             -- short\n"
        );
        assert_eq!(fit_sql_comments(sql, None), sql, "a pipe gets it as written");
        assert_eq!(fit_sql_comments(sql, Some(200)), sql, "comments that fit stay as written");
    }

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
    fn offsets_read_as_zones_do() {
        assert_eq!(offset(-28_800), "-8h");
        assert_eq!(offset(19_800), "+5h30m");
        assert_eq!(offset(2_700), "+45m");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "row", "rows"), "1 row");
        assert_eq!(count(2, "row", "rows"), "2 rows");
        assert_eq!(count(0, "attempt", "attempts"), "0 attempts");
    }

    #[test]
    fn cutting_counts_terminal_columns() {
        // Each of these characters takes two columns: two of them and the mark fit in 6.
        assert_eq!(cut("任务被管理员手动清理（修复后）", 6), "任务…");
        assert_eq!(cut("sync_60f2ccbd-d754", 10), "sync_60f2…");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(visible_width("\u{1b}[1m\u{1b}[31mzombie\u{1b}[0m"), 6);
    }

    #[test]
    fn sub_second_durations_read_in_milliseconds() {
        assert_eq!(human_seconds(0.4), "400ms");
        assert_eq!(human_seconds(0.004), "4ms");
        assert_eq!(human_seconds(2.5125), "2s");
    }

    #[test]
    fn wrapping_breaks_between_words() {
        assert_eq!(wrap("aa bb cc dd", Some(5), "  "), "aa bb\n  cc\n  dd");
        assert_eq!(wrap("aa bb cc dd", None, "  "), "aa bb cc dd");
        assert_eq!(wrap("run `syncctl add-constraints` now", Some(12), ""), "run\n`syncctl add-constraints`\nnow");
    }

    /// Three cuttable columns and a whole one: whole on a pipe, cut to fit, expanded when even
    /// the cut forms are too wide.
    #[test]
    fn a_table_fits_or_expands() {
        let columns = [Column::id("id", 6), Column::whole("state"), Column::text("note", 6)];
        let rows = vec![vec!["sync_0123456789abcdef".to_string(), "zombie".into(), "a long note about it".into()]];
        let pipe = fit(&columns, &rows, None);
        assert!(pipe.contains("sync_0123456789abcdef") && pipe.contains("a long note about it"), "{pipe}");
        let narrow = fit(&columns, &rows, Some(40));
        assert!(narrow.lines().all(|l| visible_width(l) <= 40), "{narrow}");
        assert!(narrow.contains("sync_0123") && narrow.contains('…') && narrow.contains("zombie"), "{narrow}");
        let tiny = fit(&columns, &rows, Some(24));
        assert_eq!(
            tiny,
            "-[ RECORD 1 ]-----------\nid    | sync_0123456789…\nstate | zombie\nnote  | a long note abo…"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_line(&["a", "b,c", "say \"hi\""]), "a,\"b,c\",\"say \"\"hi\"\"\"\n");
    }
}
