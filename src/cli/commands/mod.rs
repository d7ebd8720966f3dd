//! One function per command; each returns `Ok` or a [`CliError`] carrying its exit code.

mod account;
mod apply;
mod docs;
pub(crate) mod lists;
mod new;
mod sandbox;
mod sandbox_serve;

use super::args::{AppCommand, Cli, Command, GatewayCommand};
use super::exit::CliError;
use super::Ui;

/// Dispatches the parsed command line.
pub async fn run(cli: Cli, ui: Ui) -> Result<(), CliError> {
    let global = cli.global;
    match cli.command {
        Command::New(args) => new::run(&global, ui, args).await,
        Command::Apply(args) => apply::run(&global, ui, args).await,
        Command::Plan(args) => apply::run(&global, ui, args.into()).await,
        Command::Login(args) => account::login(&global, ui, args).await,
        Command::Logout => account::logout(&global, ui).await,
        Command::Whoami => account::whoami(&global, ui).await,
        Command::Gateway(GatewayCommand::List) => lists::gateway_list(&global, ui).await,
        Command::Gateway(GatewayCommand::Remove { gateway, yes }) => {
            lists::gateway_remove(&global, ui, &gateway, yes).await
        }
        Command::App(AppCommand::List) => lists::app_list(&global, ui).await,
        Command::Sandbox(command) => sandbox::run(&global, ui, command).await,
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir.as_deref()),
    }
}
