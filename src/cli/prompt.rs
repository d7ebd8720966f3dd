//! The terminal questions (a list, yes/no, a line of text, a secret), drawn on stderr.
//!
//! Each question is redrawn in place on every key, so it must know how many terminal rows its
//! last drawing took: a prompt longer than the terminal is wide wraps onto more rows than it
//! has lines. dialoguer counts lines, not rows, and at 40 columns left a stale copy of the
//! prompt for every key typed; here every drawing is measured against the terminal's width
//! when it is made, and exactly those rows are cleared before the next. Esc goes back one
//! question where the caller allows it; Ctrl-C is an `Interrupted` error (console reports it
//! so in raw mode).

use console::{measure_text_width, style, Key, Term};
use std::io;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// The rows of each answered question still on screen, oldest first: going back erases the
/// answers it re-asks, so the screen shows each question once, with its latest answer.
static ANSWERS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn answers() -> std::sync::MutexGuard<'static, Vec<usize>> {
    ANSWERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many answered questions are on screen: the mark to [`take_back_answers`] to.
pub fn answers_shown() -> usize {
    answers().len()
}

/// Erases the answers shown since `mark`, newest first. Call it only right after a question
/// was left with Esc (nothing else printed since those answers).
pub fn take_back_answers(mark: usize) -> io::Result<()> {
    let term = Term::stderr();
    let mut answers = answers();
    while answers.len() > mark {
        if let Some(rows) = answers.pop() {
            term.clear_last_lines(rows)?;
        }
    }
    Ok(())
}

/// What the person did at a text prompt.
pub enum Typed {
    /// Pressed Enter on valid text (the default when nothing was typed).
    Text(String),
    /// Pressed Esc: go back.
    Back,
}

/// Terminal rows that `line` takes at `width` columns: a line that fills the width exactly
/// still takes one row (the cursor waits at its end), an empty one takes one.
pub fn rows_for(line: &str, width: usize) -> usize {
    let columns = measure_text_width(line);
    columns.div_ceil(width.max(1)).max(1)
}

/// What a question has on screen: the rows of its last drawing, to clear before the next.
struct Frame {
    term: Term,
    rows: usize,
    /// The last drawing, not drawn again while nothing in it changed (a secret's prompt is
    /// drawn once: redrawn on every key, it would look like a new question each time).
    shown: Vec<String>,
    cursor_hidden: bool,
}

impl Frame {
    /// A question on stderr, which must be a terminal: console reads no key from one that is
    /// not (it reports `Unknown` at once), and a question nobody sees cannot be answered.
    fn new() -> io::Result<Frame> {
        let term = Term::stderr();
        if !term.is_term() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "stderr is not a terminal",
            ));
        }
        Ok(Frame {
            term,
            rows: 0,
            shown: Vec::new(),
            cursor_hidden: false,
        })
    }

    fn width(&self) -> usize {
        self.term
            .size_checked()
            .map(|(_, columns)| usize::from(columns))
            .filter(|columns| *columns > 0)
            .unwrap_or(80)
    }

    fn height(&self) -> usize {
        self.term
            .size_checked()
            .map(|(rows, _)| usize::from(rows))
            .filter(|rows| *rows > 0)
            .unwrap_or(24)
    }

    /// Replaces the last drawing with `lines`; the cursor stays after the last line's text.
    fn draw(&mut self, lines: &[String]) -> io::Result<()> {
        if self.rows > 0 && self.shown == lines {
            return Ok(());
        }
        self.clear()?;
        let width = self.width();
        self.term.write_str(&lines.join("\n"))?;
        self.rows = lines.iter().map(|line| rows_for(line, width)).sum();
        self.shown = lines.to_vec();
        self.term.flush()
    }

    /// Clears every row of the last drawing; the cursor ends at the start of its first row.
    fn clear(&mut self) -> io::Result<()> {
        if self.rows > 0 {
            self.term.clear_line()?;
            self.term.clear_last_lines(self.rows - 1)?;
            self.rows = 0;
        }
        Ok(())
    }

    /// Leaves `line` in place of the question: what was answered.
    fn settle(&mut self, line: &str) -> io::Result<()> {
        self.clear()?;
        self.term.write_line(line)?;
        answers().push(rows_for(line, self.width()));
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.cursor_hidden = true;
        self.term.hide_cursor()
    }

    fn read_key(&mut self) -> io::Result<Key> {
        match self.term.read_key() {
            // Ctrl-C: the error is printed next, on a line of its own.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                let _ = self.term.write_line("");
                Err(e)
            }
            other => other,
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if self.cursor_hidden {
            let _ = self.term.show_cursor();
        }
    }
}

/// Says `text` to the person at the terminal (on stderr, before a question), filled to the
/// terminal's width so no word is broken across rows.
pub fn say(text: &str) {
    let term = Term::stderr();
    let text = match term.size_checked() {
        Some((_, columns)) if term.is_term() => super::layout::fill(text, usize::from(columns)),
        _ => text.to_owned(),
    };
    eprintln!("{text}");
}

fn asking(prompt: &str) -> String {
    format!("{} {prompt}", style("?").yellow())
}

fn answered(prompt: &str, answer: &str) -> String {
    format!(
        "{} {prompt} {} {answer}",
        style("✔").green(),
        style("·").dim()
    )
}

/// One choice from `items` (`default` selected first): arrows, Tab, j/k move, Enter or Space
/// picks. `None` when Esc (or `q`) was pressed and `esc_goes_back`.
///
/// A list taller than the terminal scrolls, the prompt saying which item of how many is
/// selected.
pub fn select(
    prompt: &str,
    items: &[String],
    default: usize,
    esc_goes_back: bool,
) -> io::Result<Option<usize>> {
    if items.is_empty() {
        return Err(io::Error::other(format!(
            "{prompt}: nothing to choose from"
        )));
    }
    let mut frame = Frame::new()?;
    frame.hide_cursor()?;
    let mut selected = default.min(items.len() - 1);
    let mut top = 0;
    loop {
        let width = frame.width();
        // Below the prompt's rows (measured with the position it may show), with one row spare:
        // a drawing taller than the screen would scroll, and rows scrolled off cannot be cleared.
        let prompt_rows = rows_for(&format!("? {prompt} [{0}/{0}] ›", items.len()), width);
        let room = frame.height().saturating_sub(prompt_rows + 1).max(1);
        let item_line = |i: usize, item: &String| -> String {
            if i == selected {
                format!("{} {}", style("❯").green(), style(item).cyan())
            } else {
                format!("  {item}")
            }
        };
        let (first, last) = window(items, selected, top, room, |i| {
            rows_for(&format!("  {}", items[i]), width)
        });
        top = first;
        let position = if first > 0 || last < items.len() {
            format!(" [{}/{}]", selected + 1, items.len())
        } else {
            String::new()
        };
        let mut lines = vec![format!("{}{position} {}", asking(prompt), style("›").dim())];
        lines.extend((first..last).map(|i| item_line(i, &items[i])));
        frame.draw(&lines)?;
        match frame.read_key()? {
            Key::ArrowDown | Key::Tab | Key::Char('j') => selected = (selected + 1) % items.len(),
            Key::ArrowUp | Key::BackTab | Key::Char('k') => {
                selected = (selected + items.len() - 1) % items.len()
            }
            Key::Home => selected = 0,
            Key::End => selected = items.len() - 1,
            Key::Enter | Key::Char(' ') => {
                frame.settle(&answered(prompt, &items[selected]))?;
                return Ok(Some(selected));
            }
            Key::Escape | Key::Char('q') if esc_goes_back => {
                frame.clear()?;
                return Ok(None);
            }
            _ => {}
        }
    }
}

/// The items `[first, last)` to show: from `top` if `selected` is among those that fit in
/// `room` rows, else scrolled just far enough to show it.
fn window(
    items: &[String],
    selected: usize,
    top: usize,
    room: usize,
    rows: impl Fn(usize) -> usize,
) -> (usize, usize) {
    let fill_from = |first: usize| {
        let mut used = 0;
        let mut last = first;
        while last < items.len() && (last == first || used + rows(last) <= room) {
            used += rows(last);
            last += 1;
        }
        last
    };
    let mut first = top.min(selected);
    let mut last = fill_from(first);
    if selected >= last {
        // Scroll down: `selected` is the last shown.
        first = selected;
        let mut used = rows(selected);
        while first > 0 && used + rows(first - 1) <= room {
            first -= 1;
            used += rows(first);
        }
        last = fill_from(first);
    }
    (first, last)
}

/// Yes or no: `y`/`n`, or Enter for the `default`. `None` when Esc (or `q`) was pressed and
/// `esc_goes_back`.
pub fn confirm(
    prompt: &str,
    default: Option<bool>,
    esc_goes_back: bool,
) -> io::Result<Option<bool>> {
    let mut frame = Frame::new()?;
    let choices = match default {
        Some(true) => "(Y/n)",
        Some(false) => "(y/N)",
        None => "(y/n)",
    };
    frame.draw(&[format!(
        "{} {choices} {} ",
        asking(prompt),
        style("›").dim()
    )])?;
    loop {
        let answer = match frame.read_key()? {
            Key::Char('y' | 'Y') => Some(true),
            Key::Char('n' | 'N') => Some(false),
            Key::Enter => default,
            Key::Escape | Key::Char('q') if esc_goes_back => {
                frame.clear()?;
                return Ok(None);
            }
            _ => None,
        };
        if let Some(yes) = answer {
            frame.settle(&answered(prompt, if yes { "yes" } else { "no" }))?;
            return Ok(Some(yes));
        }
    }
}

/// A line of text, offering `default` (taken when Enter is pressed on nothing), asked again
/// with `validate`'s reason until it accepts. Esc gives [`Typed::Back`] when `esc_goes_back`.
pub fn text(
    prompt: &str,
    default: Option<&str>,
    esc_goes_back: bool,
    validate: impl Fn(&str) -> Result<(), String>,
) -> io::Result<Typed> {
    let mut frame = Frame::new()?;
    let shown_default = default.map(|d| format!(" ({d})")).unwrap_or_default();
    let mut refused: Option<String> = None;
    loop {
        let Some(typed) = read_line(&mut frame, esc_goes_back, |typed| {
            let mut lines: Vec<String> = refused
                .iter()
                .map(|why| format!("{} {why}", style("✘").red()))
                .collect();
            lines.push(format!(
                "{}{shown_default} {} {typed}",
                asking(prompt),
                style("›").dim()
            ));
            lines
        })?
        else {
            frame.clear()?;
            return Ok(Typed::Back);
        };
        let value = match (typed.is_empty(), default) {
            (true, Some(default)) => default.to_owned(),
            _ => typed.to_string(),
        };
        match validate(&value) {
            Ok(()) => {
                frame.settle(&answered(prompt, &value))?;
                return Ok(Typed::Text(value));
            }
            Err(why) => refused = Some(why),
        }
    }
}

/// A secret (a password, a token): nothing is shown as it is typed, and it is kept in memory
/// that is wiped when dropped. Asked again when nothing was typed.
pub fn secret(prompt: &str) -> io::Result<Zeroizing<String>> {
    let mut frame = Frame::new()?;
    loop {
        let typed = read_line(&mut frame, false, |_| {
            vec![format!("{} {} ", asking(prompt), style("›").dim())]
        })?;
        if let Some(typed) = typed.filter(|t| !t.is_empty()) {
            frame.settle(&answered(prompt, "********"))?;
            return Ok(typed);
        }
    }
}

/// Reads keys until Enter, redrawing `lines(typed so far)` after each; `None` on Esc when
/// `esc_goes_back`. The text grows in place (no reallocation leaves copies of a secret).
fn read_line(
    frame: &mut Frame,
    esc_goes_back: bool,
    lines: impl Fn(&str) -> Vec<String>,
) -> io::Result<Option<Zeroizing<String>>> {
    let mut typed = Zeroizing::new(String::with_capacity(1024));
    frame.draw(&lines(&typed))?;
    loop {
        match frame.read_key()? {
            Key::Enter => return Ok(Some(typed)),
            Key::Escape if esc_goes_back => return Ok(None),
            Key::Backspace => {
                typed.pop();
            }
            Key::Char(c) if !c.is_control() && typed.len() + c.len_utf8() <= typed.capacity() => {
                typed.push(c)
            }
            _ => continue,
        }
        frame.draw(&lines(&typed))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_wider_than_the_terminal_takes_more_rows() {
        assert_eq!(rows_for("", 40), 1);
        assert_eq!(rows_for(&"x".repeat(40), 40), 1);
        assert_eq!(rows_for(&"x".repeat(41), 40), 2);
        assert_eq!(rows_for(&"x".repeat(81), 40), 3);
        // Colour codes take no columns; "✔" takes one.
        assert_eq!(
            rows_for(&format!("\x1b[32m✔\x1b[0m {}", "x".repeat(38)), 40),
            1
        );
    }

    fn items(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("item {i}")).collect()
    }

    #[test]
    fn a_short_list_is_shown_whole() {
        let items = items(3);
        assert_eq!(window(&items, 2, 0, 10, |_| 1), (0, 3));
    }

    #[test]
    fn a_long_list_scrolls_to_keep_the_selection_in_view() {
        let items = items(20);
        assert_eq!(window(&items, 0, 0, 5, |_| 1), (0, 5));
        // Moving below the window scrolls it by as little as shows the selection.
        assert_eq!(window(&items, 5, 0, 5, |_| 1), (1, 6));
        // Moving back up within the window keeps it.
        assert_eq!(window(&items, 3, 1, 5, |_| 1), (1, 6));
        // Above it, the selection becomes the first.
        assert_eq!(window(&items, 0, 1, 5, |_| 1), (0, 5));
        // Wrapped items take their rows.
        assert_eq!(window(&items, 0, 0, 5, |_| 2), (0, 2));
        // One item taller than the room is still shown.
        assert_eq!(window(&items, 7, 0, 1, |_| 3), (7, 8));
    }
}
