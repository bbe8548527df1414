//! `guard`'s report: the verdict on the table's guard, then one line per object.

use super::{Style, style, wrap};
use crate::commands::guard::{GuardStatus, State};

/// The verdict's word, painted.
fn verdict(state: State, painter: Style) -> String {
    painter.paint(if state == State::Current { style::GOOD } else { style::WARN }, state.name())
}

/// The one line `health` and `validate-constraints` give the guard.
pub(crate) fn line(status: &GuardStatus, painter: Style) -> String {
    let what = match status.state {
        State::Current => "heartbeats on the database clock, late writes skipped",
        State::Outdated => "it differs from what install creates: run `syncctl guard install`",
        State::Missing => "`syncctl guard install` enforces the lease for every writer",
    };
    wrap(&format!("guard: {} ({what})", verdict(status.state, painter)), painter.width, "  ")
}

/// `guard status` for people: `guard on public.user_sync_status: current`, then each object
/// with its kind and whether it is as install creates it.
pub(crate) fn status(status: &GuardStatus, painter: Style) -> String {
    let mut out = format!("guard on {}: {}\n", status.table, verdict(status.state, painter));
    let width = status.objects.iter().map(|o| o.object.len()).max().unwrap_or(0);
    for o in &status.objects {
        let state = match (o.found, o.current) {
            (_, true) => painter.paint(style::GOOD, "current"),
            (true, false) => painter.paint(style::WARN, "differs from what install creates"),
            (false, _) => painter.paint(style::WARN, "missing"),
        };
        out.push_str(&format!("  {:<8}  {:<width$}  {state}\n", o.kind, o.object));
    }
    if status.state == State::Outdated {
        out.push_str("run `syncctl guard install` to bring it up to date\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::queries::guard::GuardObject;

    fn object(name: &str, kind: &str, found: bool, current: bool) -> GuardObject {
        GuardObject { object: name.into(), kind: kind.into(), found, current }
    }

    #[test]
    fn an_outdated_guard_names_what_differs() {
        let report = GuardStatus {
            table: "public.user_sync_status".into(),
            state: State::Outdated,
            objects: vec![
                object("user_sync_status_guard", "function", true, true),
                object("user_sync_status_claim", "function", true, false),
                object("user_sync_status_heartbeat", "function", false, false),
                object("user_sync_status_guard", "trigger", true, true),
            ],
        };
        insta::assert_snapshot!(status(&report, Style::default()));
        insta::assert_snapshot!(line(&report, Style::default()), @"guard: outdated (it differs from what install creates: run `syncctl guard install`)");
    }
}
