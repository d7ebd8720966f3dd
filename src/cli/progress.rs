//! Progress on stderr: a spinner per step on a terminal, one plain line per step otherwise.

use crate::provision::{Action, Progress, StepKind};
use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Spinners (stderr is a terminal).
    Spinner,
    /// One line per finished step (logs, CI).
    Lines,
    /// Nothing (JSON output).
    Quiet,
}

/// Draws the provisioning steps.
pub struct StepProgress {
    mode: ProgressMode,
    current: Mutex<Option<ProgressBar>>,
}

impl StepProgress {
    /// A progress display in `mode`.
    pub fn new(mode: ProgressMode) -> StepProgress {
        StepProgress {
            mode,
            current: Mutex::new(None),
        }
    }

    /// Stops a running spinner (on error or Ctrl-C) so the message that follows is readable.
    pub fn abandon(&self) {
        if let Ok(mut current) = self.current.lock() {
            if let Some(bar) = current.take() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Progress for StepProgress {
    fn started(&self, step: StepKind) {
        if self.mode != ProgressMode::Spinner {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner:.cyan} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("{}…", step.describe()));
        bar.enable_steady_tick(Duration::from_millis(90));
        if let Ok(mut current) = self.current.lock() {
            if let Some(previous) = current.replace(bar) {
                previous.finish_and_clear();
            }
        }
    }

    fn finished(&self, step: StepKind, action: Action, detail: &str) {
        let line = format!(
            "{} {:<16} {} {}",
            style("✔").green(),
            step.describe(),
            style(action.as_str()).bold(),
            detail
        );
        match self.mode {
            ProgressMode::Quiet => {}
            ProgressMode::Lines => eprintln!("{line}"),
            ProgressMode::Spinner => {
                if let Ok(mut current) = self.current.lock() {
                    if let Some(bar) = current.take() {
                        bar.finish_and_clear();
                    }
                    eprintln!("{line}");
                }
            }
        }
    }
}
