//! Progress on stderr: a spinner per step on a terminal, one plain line per step otherwise.

use crate::keeper::transport::retry::format_wait;
use crate::keeper::transport::{RetryHook, RetryNotice};
use crate::provision::{Action, Progress, StepKind};
use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    /// The running spinner and its step's own message (without any retry note).
    current: Mutex<Option<(ProgressBar, String)>>,
    /// `apply`'s gateways: done of total (the bar itself on a terminal).
    fleet: Mutex<Option<FleetProgress>>,
    /// Requests re-sent so far (shown on the fleet bar).
    retries: AtomicUsize,
}

/// Progress through one application's gateways in `apply`.
struct FleetProgress {
    bar: Option<ProgressBar>,
    done: usize,
    total: usize,
}

/// The fleet bar: done/total, rate, ETA, and retries in the message.
const FLEET_TEMPLATE: &str =
    "{spinner:.cyan} Gateways [{bar:30.cyan/blue}] {pos}/{len} · {per_sec} · ETA {eta} {msg}";

impl StepProgress {
    /// A progress display in `mode`.
    pub fn new(mode: ProgressMode) -> StepProgress {
        StepProgress {
            mode,
            current: Mutex::new(None),
            fleet: Mutex::new(None),
            retries: AtomicUsize::new(0),
        }
    }

    /// Stops a running spinner (on error or Ctrl-C) so the message that follows is readable.
    pub fn abandon(&self) {
        if let Ok(mut current) = self.current.lock() {
            if let Some((bar, _)) = current.take() {
                bar.finish_and_clear();
            }
        }
        if let Ok(mut fleet) = self.fleet.lock() {
            if let Some(bar) = fleet.take().and_then(|f| f.bar) {
                bar.finish_and_clear();
            }
        }
    }

    /// Shows a retry on the running spinner: "Checking the vault… retrying in 2 s (3/5)", or
    /// for throttling "… Keeper asked us to slow down; retrying in 8 s".
    /// Without a spinner the retry is only logged (`-v`), as the transport already does.
    pub fn retrying(&self, notice: &RetryNotice) {
        let retries = self.retries.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(fleet) = self.fleet.lock() {
            if let Some(bar) = fleet.as_ref().and_then(|f| f.bar.as_ref()) {
                bar.set_message(format!(
                    "· {retries} {} (now waiting {})",
                    if retries == 1 { "retry" } else { "retries" },
                    format_wait(notice.wait)
                ));
                return;
            }
        }
        if let Ok(current) = self.current.lock() {
            if let Some((bar, message)) = current.as_ref() {
                bar.set_message(if notice.throttled {
                    format!(
                        "{message} Keeper asked us to slow down; retrying in {}",
                        format_wait(notice.wait)
                    )
                } else {
                    format!(
                        "{message} retrying in {} ({}/{})",
                        format_wait(notice.wait),
                        notice.attempt,
                        notice.max_attempts
                    )
                });
            }
        }
    }

    /// A transport hook that forwards retries to [`StepProgress::retrying`].
    pub fn retry_hook(self: &Arc<Self>) -> RetryHook {
        let progress = Arc::clone(self);
        Arc::new(move |notice: &RetryNotice| progress.retrying(notice))
    }
}

impl Progress for StepProgress {
    fn gateways_started(&self, total: usize) {
        let bar = (self.mode == ProgressMode::Spinner).then(|| {
            if let Ok(mut current) = self.current.lock() {
                if let Some((spinner, _)) = current.take() {
                    spinner.finish_and_clear();
                }
            }
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(FLEET_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if let Ok(mut fleet) = self.fleet.lock() {
            if let Some(old) = fleet.replace(FleetProgress {
                bar,
                done: 0,
                total,
            }) {
                if let Some(bar) = old.bar {
                    bar.finish_and_clear();
                }
            }
        }
    }

    fn gateway_done(&self) {
        let Ok(mut guard) = self.fleet.lock() else {
            return;
        };
        let Some(fleet) = guard.as_mut() else {
            return;
        };
        fleet.done += 1;
        match (&fleet.bar, self.mode) {
            (Some(bar), _) => bar.inc(1),
            // Plain lines: every tenth, so a log shows the run moving without a line per gateway.
            (None, ProgressMode::Lines) => {
                let step = fleet.total.div_ceil(10).max(1);
                if fleet.done % step == 0 || fleet.done == fleet.total {
                    eprintln!("gateways: {}/{} done", fleet.done, fleet.total);
                }
            }
            (None, _) => {}
        }
        if fleet.done == fleet.total {
            if let Some(bar) = guard.take().and_then(|f| f.bar) {
                bar.finish_and_clear();
            }
        }
    }

    fn started(&self, step: StepKind) {
        if self.mode != ProgressMode::Spinner {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner:.cyan} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let message = format!("{}…", step.describe());
        bar.set_message(message.clone());
        bar.enable_steady_tick(Duration::from_millis(90));
        if let Ok(mut current) = self.current.lock() {
            if let Some((previous, _)) = current.replace((bar, message)) {
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
                    if let Some((bar, _)) = current.take() {
                        bar.finish_and_clear();
                    }
                    super::prompt::say(&line);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_shows_on_the_running_spinner_and_the_next_step_starts_clean() {
        let progress = Arc::new(StepProgress::new(ProgressMode::Spinner));
        progress.started(StepKind::Observe);
        let hook = progress.retry_hook();
        hook(&RetryNotice {
            endpoint: "vault/sync_down".into(),
            attempt: 3,
            max_attempts: 5,
            wait: Duration::from_secs(2),
            reason: "HTTP 500".into(),
            throttled: false,
        });
        let shown = |p: &StepProgress| {
            p.current
                .lock()
                .unwrap()
                .as_ref()
                .map(|(bar, _)| bar.message())
                .unwrap_or_default()
        };
        let message = shown(&progress);
        assert!(message.ends_with("… retrying in 2 s (3/5)"), "{message}");
        progress.started(StepKind::Observe);
        assert!(!shown(&progress).contains("retrying"));
        hook(&RetryNotice {
            endpoint: "vault/app_client_add".into(),
            attempt: 2,
            max_attempts: 4,
            wait: Duration::from_secs(8),
            reason: "throttled".into(),
            throttled: true,
        });
        let message = shown(&progress);
        assert!(
            message.ends_with("… Keeper asked us to slow down; retrying in 8 s"),
            "{message}"
        );
        progress.abandon();
    }
}
