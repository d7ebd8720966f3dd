//! `completions` and `man`: generated from the flag definitions in `cli::args`.

use crate::cli::args::Cli;
use crate::cli::exit::{CliError, ExitStatus};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;

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
}
