//! Tests of the flag definitions: parsing, environment variables, values.

use super::*;
use clap::CommandFactory;

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn token_expiry_out_of_range_is_a_usage_error() {
    let err = Cli::try_parse_from(["gw-provision", "new", "--token-expiry", "5000"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let err = Cli::try_parse_from(["gw-provision", "new", "--token-expiry", "0"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn existing_and_replace_are_exclusive() {
    let cli = Cli::try_parse_from(["gw-provision", "new", "--existing", "--replace"]).unwrap();
    assert_eq!(cli.check_conflicts().unwrap_err().exit_code(), 2);
    let cli = Cli::try_parse_from(["gw-provision", "new", "--existing"]).unwrap();
    assert!(cli.check_conflicts().is_ok());
}

#[test]
fn sandbox_and_sandbox_descriptor_are_exclusive() {
    let cli = Cli::try_parse_from([
        "gw-provision",
        "--sandbox",
        "--sandbox-descriptor",
        "sb.json",
        "whoami",
    ])
    .unwrap();
    assert_eq!(cli.check_conflicts().unwrap_err().exit_code(), 2);
}

#[test]
fn server_takes_a_region_or_a_host_name() {
    for text in [
        "eu",
        "GOV",
        "keepersecurity.eu",
        "localhost:8443",
        "127.0.0.1:9",
    ] {
        let cli = Cli::try_parse_from(["gw-provision", "--server", text, "whoami"]);
        assert!(cli.is_ok(), "--server {text}: {}", cli.unwrap_err());
    }
}

#[test]
fn server_word_that_is_no_region_is_a_usage_error_listing_the_regions() {
    let err = Cli::try_parse_from(["gw-provision", "--server", "europe", "whoami"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(text.contains("US, EU, AU, CA, JP, GOV"), "{text}");
    assert!(text.contains("did you mean EU?"), "{text}");
}

#[test]
fn server_and_a_sandbox_are_exclusive() {
    for sandbox in [&["--sandbox"][..], &["--sandbox-descriptor", "sb.json"][..]] {
        let mut args = vec!["gw-provision", "--server", "EU"];
        args.extend_from_slice(sandbox);
        args.push("whoami");
        let cli = Cli::try_parse_from(args).unwrap();
        assert_eq!(cli.check_conflicts().unwrap_err().exit_code(), 2);
    }
}

#[test]
fn keeper_config_and_config_are_exclusive() {
    let err = Cli::try_parse_from([
        "gw-provision",
        "--config",
        "a.json",
        "--keeper-config",
        "b.json",
        "whoami",
    ])
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn remember_device_takes_keeper_durations() {
    let cli = Cli::try_parse_from(["gw-provision", "login", "--remember-device", "30d"]).unwrap();
    assert_eq!(cli.global.remember_device, Some(RememberDevice::Days30));
    assert!(Cli::try_parse_from(["gw-provision", "login", "--remember-device", "1y"]).is_err());
}

/// Every boolean flag that reads a variable, in every command.
fn env_bool_flags(command: &clap::Command) -> Vec<(String, clap::Arg)> {
    let mut found: Vec<(String, clap::Arg)> = command
        .get_arguments()
        .filter(|arg| matches!(arg.get_action(), ArgAction::SetTrue) && arg.get_env().is_some())
        .map(|arg| (command.get_name().to_owned(), arg.clone()))
        .collect();
    for sub in command.get_subcommands() {
        found.extend(env_bool_flags(sub));
    }
    found
}

#[test]
fn every_boolean_flag_variable_takes_one_zero_yes_no_on_off() {
    let flags = env_bool_flags(&Cli::command());
    assert!(flags.len() >= 9, "found only {}", flags.len());
    for (command, arg) in flags {
        let values: Vec<String> = arg
            .get_value_parser()
            .possible_values()
            .map(|values| values.map(|v| v.get_name().to_owned()).collect())
            .unwrap_or_default();
        for word in ["1", "0", "true", "false", "yes", "no", "on", "off"] {
            assert!(
                values.iter().any(|v| v == word),
                "{command} --{}: {:?} does not take {word}",
                arg.get_id(),
                arg.get_env()
            );
        }
    }
}

#[test]
fn env_bool_words_are_case_insensitive_and_empty_is_off() {
    let word = |text: &str| EnvBool::parse_word(OsStr::new(text));
    assert_eq!(word("YES"), Some(true));
    assert_eq!(word("On"), Some(true));
    assert_eq!(word("1"), Some(true));
    assert_eq!(word("False"), Some(false));
    assert_eq!(word("0"), Some(false));
    assert_eq!(word(""), Some(false));
    assert_eq!(word("github-actions"), None);
}

#[test]
fn unknown_os_is_a_usage_error() {
    let err = Cli::try_parse_from(["gw-provision", "new", "--os", "solaris"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}
