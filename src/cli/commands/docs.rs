//! `completions` and `man`: generated from the flag definitions in `cli::args`.

use crate::cli::args::{Cli, EXIT_CODES_HELP, NEW_EXAMPLES};
use crate::cli::exit::{CliError, ExitStatus};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The binary's name, as shells see it.
const BIN: &str = "gw-provision";

/// Prints the completion script for `shell`.
pub fn completions(shell: Shell) -> Result<(), CliError> {
    let script = completion_script(shell);
    std::io::stdout()
        .write_all(&script)
        .map_err(|e| CliError::new(ExitStatus::Internal, format!("cannot write: {e}")))
}

/// The completion script for `shell`, with the bash script repaired (see [`repair_bash`]).
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    if shell == Shell::Bash {
        script = repair_bash(&String::from_utf8_lossy(&script)).into_bytes();
    }
    script
}

/// clap_complete's bash generator (up to at least 4.6.12, clap-rs/clap#6421 and #6529, unfixed
/// upstream) spells the state of a subcommand two ways when the binary name has a hyphen: the
/// loop over the words sets `gw__provision__subcmd__new`, the `case` arms test
/// `gw__subcmd__provision__subcmd__new`, so nothing after the first word ever completed. The
/// arms are renamed to the loop's spelling; a generator that already agrees is left alone.
fn repair_bash(script: &str) -> String {
    let loop_spelling = BIN.replace('-', "__");
    let arm_spelling = BIN.replace('-', "__subcmd__");
    script.replace(
        &format!("{arm_spelling}__subcmd__"),
        &format!("{loop_spelling}__subcmd__"),
    )
}

/// `man`: the top page on stdout, or with `dir` one page per command written there.
pub fn man(dir: Option<&Path>) -> Result<(), CliError> {
    let cannot = |e: std::io::Error| {
        CliError::new(
            ExitStatus::Internal,
            format!("cannot write the man pages: {e}"),
        )
    };
    match dir {
        None => std::io::stdout()
            .write_all(&man_page(&documented_command()).map_err(cannot)?)
            .map_err(cannot),
        Some(dir) => {
            for path in write_man_pages(dir).map_err(cannot)? {
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

/// The command tree as the man pages show it: `help` (clap's, not a command of ours) has no
/// page, and building names every subcommand's page (`gw-provision-gateway-remove`) and copies
/// the global options into each.
fn documented_command() -> clap::Command {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// One page: clap_mangen's sections, then EXAMPLES (where a command has them) and EXIT STATUS
/// as preformatted blocks (clap_mangen's EXTRA section would reflow them into one paragraph).
fn man_page(command: &clap::Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(command.clone())
        .source(format!("{BIN} {}", env!("CARGO_PKG_VERSION")));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    if command.has_subcommands() {
        man.render_subcommands_section(&mut page)?;
    }
    if command.get_name() == "new" {
        let examples = NEW_EXAMPLES.trim_start_matches("Examples:\n");
        page.extend(roff_block("EXAMPLES", examples).into_bytes());
    }
    let exit_codes = EXIT_CODES_HELP.trim_start_matches("Exit codes:\n");
    page.extend(roff_block("EXIT STATUS", exit_codes).into_bytes());
    Ok(once_preamble(&String::from_utf8_lossy(&page)).into_bytes())
}

/// Each `render_*` call starts with roff's apostrophe preamble; one at the top is enough.
fn once_preamble(page: &str) -> String {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    match page.strip_prefix(PREAMBLE) {
        Some(rest) => format!("{PREAMBLE}{}", rest.replace(PREAMBLE, "")),
        None => page.to_owned(),
    }
}

/// A section of preformatted lines, escaped for roff.
fn roff_block(heading: &str, text: &str) -> String {
    let body = text.replace('\\', "\\e").replace('-', "\\-");
    format!(".SH \"{heading}\"\n.nf\n{body}\n.fi\n")
}

/// Writes `gw-provision.1` and a page per command and subcommand into `dir`, mode 0644.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn pages(command: &clap::Command, out: &mut Vec<clap::Command>) {
        out.push(command.clone());
        for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
            pages(sub, out);
        }
    }
    let mut all = Vec::new();
    pages(&documented_command(), &mut all);
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for command in all {
        let path = dir.join(clap_mangen::Man::new(command.clone()).get_filename());
        std::fs::write(&path, man_page(&command)?)?;
        set_mode_0644(&path)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(unix)]
fn set_mode_0644(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_mode_0644(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_case_arms_use_the_state_the_word_loop_sets() {
        let script = String::from_utf8(completion_script(Shell::Bash)).unwrap();
        assert!(script.contains(r#"cmd="gw__provision__subcmd__new""#));
        assert!(script.contains("\n        gw__provision__subcmd__new)\n"));
        assert!(!script.contains("gw__subcmd__provision"));
    }

    #[test]
    fn every_command_has_a_man_page_ending_with_the_exit_codes() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_man_pages(dir.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for name in [
            "gw-provision.1",
            "gw-provision-new.1",
            "gw-provision-gateway-remove.1",
        ] {
            assert!(names.contains(&name.to_owned()), "{names:?}");
        }
        assert!(!names.iter().any(|name| name.contains("help")), "{names:?}");
        for path in written {
            let page = std::fs::read_to_string(&path).unwrap();
            assert!(page.contains(".SH \"EXIT STATUS\""), "{}", path.display());
            assert!(page.contains("130"), "{} has no exit codes", path.display());
        }
    }
}
