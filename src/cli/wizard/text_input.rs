//! A one-line text prompt that Esc leaves: dialoguer's `Input` ignores Esc, and the wizard
//! promises that Esc goes back one question wherever it is asked.

use console::{style, Key, Term};

/// What the person did at the prompt.
pub enum Typed {
    /// Pressed Enter on valid text (the default when nothing was typed).
    Text(String),
    /// Pressed Esc: go back.
    Back,
}

/// Asks `prompt` on stderr, offering `default`, until `validate` accepts the text or Esc is
/// pressed. Ctrl-C is an `Interrupted` error (console reports it so in raw mode).
pub fn ask(
    prompt: &str,
    default: Option<&str>,
    validate: impl Fn(&str) -> Result<(), String>,
) -> std::io::Result<Typed> {
    let term = Term::stderr();
    let shown_default = default.map(|d| format!(" ({d})")).unwrap_or_default();
    loop {
        let mut text = String::new();
        let draw = |text: &str| -> std::io::Result<()> {
            term.clear_line()?;
            term.write_str(&format!(
                "{} {prompt}{shown_default} {} {text}",
                style("?").yellow(),
                style("›").dim()
            ))
        };
        draw(&text)?;
        loop {
            match term.read_key()? {
                Key::Escape => {
                    term.clear_line()?;
                    return Ok(Typed::Back);
                }
                Key::Enter => break,
                Key::Backspace => {
                    text.pop();
                }
                Key::Char(c) if !c.is_control() => text.push(c),
                _ => continue,
            }
            draw(&text)?;
        }
        let value = match (text.is_empty(), default) {
            (true, Some(default)) => default.to_owned(),
            _ => text,
        };
        term.clear_line()?;
        match validate(&value) {
            Ok(()) => {
                term.write_line(&format!(
                    "{} {prompt} {} {value}",
                    style("✔").green(),
                    style("·").dim()
                ))?;
                return Ok(Typed::Text(value));
            }
            Err(why) => term.write_line(&format!("{} {why}", style("✘").red()))?,
        }
    }
}
