//! Text laid out for the terminal it is printed on: the result's title box and the summary
//! rows of a plan or a result.
//!
//! At 40 columns the aligned table (label, name, action, UID) wraps mid-word and the box's
//! right edge lands on the next row. When a terminal's width is known and the wide layout
//! does not fit, each row is stacked instead and the title is wrapped inside its box. Output
//! that is not a terminal keeps the wide layout whatever its length: it is read by scripts
//! and pasted into tickets, not fitted to a window.

use console::{measure_text_width, Term};

/// The columns of stdout when it is a terminal (`tty`), else `None`.
pub fn stdout_width(tty: bool) -> Option<usize> {
    tty.then(|| usize::from(Term::stdout().size().1))
}

/// The columns of stderr when it is a terminal (`tty`), else `None`.
pub fn stderr_width(tty: bool) -> Option<usize> {
    tty.then(|| usize::from(Term::stderr().size().1))
}

/// A title in a box, wrapped to fit `width` columns; plain (`== title ==`) when `width` is
/// `None` (not a terminal).
pub fn boxed(title: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return format!("== {title} ==\n");
    };
    // "│ " and " │" take four columns.
    let lines = wrap(title, width.saturating_sub(4).max(8));
    let inner = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let bar = "─".repeat(inner + 2);
    let mut out = format!("╭{bar}╮\n");
    for line in &lines {
        let pad = inner - line.chars().count();
        out.push_str(&format!("│ {line}{:pad$} │\n", ""));
    }
    out.push_str(&format!("╰{bar}╯\n"));
    out
}

/// One row of a plan or a result: what it is, its name, what happens (or would), its UID.
pub struct SummaryRow {
    /// "Shared folder", "Application", …
    pub label: &'static str,
    /// The item's name (with its detail, e.g. "edge-1 (linux)").
    pub name: String,
    /// "created", "would create", "reused", …; empty when the row has none.
    pub action: String,
    /// The item's UID, when it has one.
    pub uid: Option<String>,
}

/// The rows as an aligned table, or stacked when the table is wider than `width`:
///
/// ```text
///   Shared folder · created
///     Another very long shared folder name
///     L_BDnHudehY_15ZduwKx_A
/// ```
pub fn summary_rows(rows: &[SummaryRow], width: Option<usize>) -> String {
    let name_width = rows
        .iter()
        .filter(|r| !r.action.is_empty() || r.uid.is_some())
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let action_width = rows
        .iter()
        .map(|r| r.action.chars().count())
        .max()
        .unwrap_or(0);
    let wide: Vec<String> = rows
        .iter()
        .map(|row| {
            let line = match (&row.uid, row.action.is_empty()) {
                (None, true) => format!("  {:<16}{}", row.label, row.name),
                (None, false) => format!(
                    "  {:<16}{:<name_width$}  {}",
                    row.label, row.name, row.action
                ),
                (Some(uid), _) => format!(
                    "  {:<16}{:<name_width$}  {:<action_width$}  {uid}",
                    row.label, row.name, row.action
                ),
            };
            line.trim_end().to_owned()
        })
        .collect();
    let fits = |width: usize| wide.iter().all(|l| l.chars().count() <= width);
    if width.is_none_or(fits) {
        return wide.iter().map(|l| format!("{l}\n")).collect();
    }
    let width = width.unwrap_or(80);
    let mut out = String::new();
    for row in rows {
        match row.action.as_str() {
            "" => out.push_str(&format!("  {}\n", row.label)),
            action => out.push_str(&format!("  {} · {action}\n", row.label)),
        }
        for line in wrap(&row.name, width.saturating_sub(4).max(8)) {
            out.push_str(&format!("    {line}\n"));
        }
        if let Some(uid) = &row.uid {
            out.push_str(&format!("    {uid}\n"));
        }
    }
    out
}

/// Prose for a person at a terminal `width` columns wide, broken at spaces so the terminal
/// does not break words (colour codes take no columns). A word longer than the width (a URL, a token) is left whole, and an
/// indented line (something to copy) is kept as it is.
pub fn fill(text: &str, width: usize) -> String {
    text.split('\n')
        .map(|line| {
            if line.starts_with(' ') || measure_text_width(line) <= width {
                return line.to_owned();
            }
            let mut lines: Vec<String> = Vec::new();
            for word in line.split_whitespace() {
                match lines.last_mut() {
                    Some(last)
                        if measure_text_width(last) + 1 + measure_text_width(word) <= width =>
                    {
                        last.push(' ');
                        last.push_str(word);
                    }
                    _ => lines.push(word.to_owned()),
                }
            }
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` broken into lines of at most `width` characters at spaces; a word longer than
/// `width` is cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        let word: String = word.into_iter().collect();
        match lines.last_mut() {
            Some(line)
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() <= width =>
            {
                line.push(' ');
                line.push_str(&word);
            }
            _ => lines.push(word),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(text: &str) -> Vec<usize> {
        text.lines().map(|l| l.chars().count()).collect()
    }

    #[test]
    fn a_box_is_plain_when_not_a_terminal() {
        assert_eq!(boxed("Done", None), "== Done ==\n");
    }

    #[test]
    fn a_box_fits_its_title_on_a_wide_terminal() {
        assert_eq!(boxed("Done", Some(80)), "╭──────╮\n│ Done │\n╰──────╯\n");
    }

    #[test]
    fn a_long_title_wraps_inside_a_narrow_box() {
        let text = boxed("Gateway 'gw-with-a-longer-name-2' provisioned", Some(40));
        let widths = columns(&text);
        assert!(widths.iter().all(|w| *w <= 40), "{text}");
        // Every row of the box is as wide as its edges.
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(
            text.contains("│ Gateway 'gw-with-a-longer-name-2' │"),
            "{text}"
        );
        assert!(text.contains("│ provisioned"), "{text}");
    }

    fn rows() -> Vec<SummaryRow> {
        vec![
            SummaryRow {
                label: "Shared folder",
                name: "Another very long shared folder name".into(),
                action: "created".into(),
                uid: Some("L_BDnHudehY_15ZduwKx_A".into()),
            },
            SummaryRow {
                label: "Share",
                name: "Can Edit".into(),
                action: "created".into(),
                uid: None,
            },
            SummaryRow {
                label: "PAM settings",
                name: "connections off, tunneling off".into(),
                action: String::new(),
                uid: None,
            },
        ]
    }

    #[test]
    fn rows_are_a_table_when_they_fit_or_are_not_on_a_terminal() {
        let table = summary_rows(&rows(), None);
        assert_eq!(
            table,
            "  Shared folder   Another very long shared folder name  created  L_BDnHudehY_15ZduwKx_A\n\
             \x20 Share           Can Edit                              created\n\
             \x20 PAM settings    connections off, tunneling off\n"
        );
        assert_eq!(summary_rows(&rows(), Some(120)), table);
    }

    #[test]
    fn rows_are_stacked_when_the_table_is_wider_than_the_terminal() {
        let stacked = summary_rows(&rows(), Some(40));
        assert_eq!(
            stacked,
            "  Shared folder · created\n\
             \x20   Another very long shared folder name\n\
             \x20   L_BDnHudehY_15ZduwKx_A\n\
             \x20 Share · created\n\
             \x20   Can Edit\n\
             \x20 PAM settings\n\
             \x20   connections off, tunneling off\n"
        );
        assert!(columns(&stacked).iter().all(|w| *w <= 40));
    }

    #[test]
    fn fill_breaks_prose_at_spaces_but_never_a_word_or_an_indented_line() {
        let url = "https://keepersecurity.com/api/rest/sso/saml/login/12345?payload=abcdefgh";
        let text = format!(
            "Sign in with your identity provider at:\n\n  {url}\n\nthen paste the token here."
        );
        let filled = fill(&text, 20);
        assert_eq!(
            filled,
            format!("Sign in with your\nidentity provider\nat:\n\n  {url}\n\nthen paste the token\nhere.")
        );
        assert_eq!(
            fill(&format!("see {url} now"), 20),
            format!("see\n{url}\nnow")
        );
        assert_eq!(fill("short", 20), "short");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_words_longer_than_the_line() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }
}
