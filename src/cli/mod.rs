//! Command-line front end: flags, wizard, output and the exit-code mapping.
//!
//! `main` reads like the flow: parse, set up the terminal, run the command under a Ctrl-C
//! guard, print the error with its hint, exit with its documented code.

pub mod args;
mod commands;
pub(crate) mod config;
mod connect;
mod demo_logout;
pub mod errors;
pub mod exit;
mod fleet_output;
pub mod json_doc;
mod kept_tokens;
mod layout;
mod login;
pub mod output;
mod progress;
mod prompt;
mod suggest;
mod wizard;

use args::{Cli, ColorChoice, OutputFormat};
use clap::Parser;
use exit::{CliError, ExitStatus};
use std::io::IsTerminal;
use std::process::ExitCode;

/// How this run talks to the person (or program) that started it.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// `--output`.
    pub output: OutputFormat,
    /// Prompts are allowed.
    pub interactive: bool,
    /// stderr is a terminal: spinners and boxes.
    pub stderr_tty: bool,
    /// stdout is a terminal.
    pub stdout_tty: bool,
}

impl Ui {
    /// A run that must not prompt (e.g. logging in to a sandbox with known credentials).
    pub fn non_interactive() -> Ui {
        Ui {
            output: OutputFormat::Text,
            interactive: false,
            stderr_tty: false,
            stdout_tty: false,
        }
    }
}

/// Runs gw-provision with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let parsed = Cli::try_parse().and_then(|cli| cli.check_conflicts().map(|()| cli));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let e = suggest::add_hint(e, &<Cli as clap::CommandFactory>::command(), &args);
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            if e.use_stderr() && asks_for_json(&args) {
                let error = CliError::new(ExitStatus::Usage, usage_summary(&e));
                json_doc::print(json_doc::failure(&error));
            }
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let color = init_color(cli.global.color);
    init_logging(cli.global.verbose, color);
    let ui = Ui {
        output: cli.global.output,
        // Questions are drawn on stderr and read from stdin: both must be the terminal.
        interactive: !cli.global.non_interactive
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
            && !ci_forces_non_interactive(std::env::var_os("CI").as_deref()),
        stderr_tty: std::io::stderr().is_terminal(),
        stdout_tty: std::io::stdout().is_terminal(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return report(
                CliError::new(ExitStatus::Internal, format!("cannot start: {e}")),
                cli.global.output,
            )
        }
    };
    let output = cli.global.output;
    // `sandbox serve` stops on Ctrl-C as its normal end (exit 0, state saved): it handles the
    // signal itself, and must not be reported as an interrupted run.
    let own_signals = matches!(
        cli.command,
        args::Command::Sandbox(args::SandboxCommand::Serve(_))
    );
    let result = runtime.block_on(async {
        tokio::select! {
            result = commands::run(cli, ui) => result,
            _ = tokio::signal::ctrl_c(), if !own_signals => Err(CliError::interrupted()),
        }
    });
    // Prompts may be blocked reading the terminal; don't wait for them.
    runtime.shutdown_background();
    tracing::info!(
        "{} Keeper API requests",
        crate::keeper::transport::requests_sent()
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(error, output),
    }
}

/// True when a command line clap refused still said `--output json` (or `GW_PROVISION_OUTPUT`
/// did): a script that asked for JSON gets its error as JSON too.
fn asks_for_json(args: &[String]) -> bool {
    let mut words = args.iter().skip(1).map(String::as_str);
    let mut said = None;
    while let Some(word) = words.next() {
        match word {
            "--" => break,
            "--output" | "-o" => said = words.next(),
            _ => {
                if let Some(value) = word.strip_prefix("--output=") {
                    said = Some(value);
                }
            }
        }
    }
    match said {
        Some(value) => value == "json",
        None => std::env::var("GW_PROVISION_OUTPUT").is_ok_and(|v| v == "json"),
    }
}

/// clap's error as one line: its first line without the `error: ` prefix clap adds.
fn usage_summary(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let first = rendered.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

/// `CI` set to anything but an off word (`false`, `0`, `no`, `off`, empty) means no person is
/// there to answer. CI services set `CI=true` (or their own name); `CI=false` is how a user says
/// the opposite, and must not be read as "set".
pub fn ci_forces_non_interactive(ci: Option<&std::ffi::OsStr>) -> bool {
    match ci {
        None => false,
        Some(value) => args::EnvBool::parse_word(value) != Some(false),
    }
}

/// Reports a failed (or declined) run: the human line and hint on stderr, and with
/// `--output json` the error object on stdout, unless the run's document already went out
/// (`apply`'s exit 8 lists its failures in its own document).
fn report(error: CliError, output: OutputFormat) -> ExitCode {
    if output == OutputFormat::Json && !json_doc::printed() {
        json_doc::print(json_doc::failure(&error));
    }
    if error.status == ExitStatus::Ok {
        // The user's own choice (a declined confirmation): said plainly, not as an error.
        eprintln!("{}", error.message);
        return ExitCode::SUCCESS;
    }
    // A prompt or spinner interrupted mid-draw may have hidden the cursor.
    let term = console::Term::stderr();
    if term.is_term() {
        let _ = term.show_cursor();
        // A spinner cut short leaves its half-drawn line: clear it before the message.
        let _ = term.clear_line();
    }
    eprintln!(
        "{} {}",
        console::style("error:").red().bold(),
        error.message
    );
    if let Some(hint) = &error.hint {
        eprintln!("{} {}", console::style("hint:").cyan().bold(), hint);
    }
    ExitCode::from(error.status as u8)
}

fn init_color(choice: ColorChoice) -> bool {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    console::set_colors_enabled(enabled);
    console::set_colors_enabled_stderr(enabled);
    enabled
}

fn init_logging(verbose: u8, color: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // Only our own crate logs at the chosen level: dependencies' debug output (hyper, rustls)
    // could show header values.
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,gw_provision={level}"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(color)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::ci_forces_non_interactive;
    use std::ffi::OsStr;

    #[test]
    fn ci_variable_forces_non_interactive_unless_it_says_off() {
        let ci = |value: Option<&str>| ci_forces_non_interactive(value.map(OsStr::new));
        assert!(!ci(None));
        for off in ["", "false", "FALSE", "0", "no", "off"] {
            assert!(!ci(Some(off)), "CI={off:?} forced non-interactive mode");
        }
        for on in ["true", "1", "yes", "woodpecker"] {
            assert!(ci(Some(on)), "CI={on:?} did not force non-interactive mode");
        }
    }
}
