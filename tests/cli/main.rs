//! Tests that drive the real `gw-provision` binary (assert_cmd, pseudo-terminals): its
//! commands, errors and exit codes, the login flows against a served sandbox, and `sandbox serve`
//! as a process.

#[path = "../support/mod.rs"]
mod support;

mod account_respect;
mod cli_completions;
mod cli_docs;
mod cli_env_bools;
mod cli_errors;
mod cli_new;
mod cli_sandbox_demo;
mod cli_token_file;
mod cli_typos;
mod cli_wizard;
mod convergence;
mod faults_retries;
mod fleet;
mod json_contract;
mod login_accounts;
mod login_prompts;
mod login_secrets;
mod login_states;
mod login_terminal;
mod login_two_factor;
mod narrow_terminal;
mod pam_config;
mod sandbox_accounts_cli;
mod sandbox_process;
mod sandbox_two_factor_cli;
