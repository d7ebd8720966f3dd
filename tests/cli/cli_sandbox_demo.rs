//! The README's first command, `new --sandbox`, run twice on a fresh home directory.

use crate::support::{gw, json, run, stderr};

#[test]
fn new_sandbox_completes_without_questions_and_again_on_rerun() {
    let home = tempfile::tempdir().unwrap();
    let first = run({
        let mut c = gw(home.path());
        c.args(["new", "--sandbox", "--output", "json"]);
        c
    });
    assert!(first.status.success(), "{}", stderr(&first));
    let first = json(&first);
    assert_eq!(first["shared_folder"]["name"], "Gateway Lab");
    assert_eq!(first["shared_folder"]["action"], "created");
    assert_eq!(first["application"]["name"], "Gateway Lab App");
    assert_eq!(first["gateway"]["os"], "linux");

    let second = run({
        let mut c = gw(home.path());
        c.args(["new", "--sandbox", "--output", "json"]);
        c
    });
    assert!(second.status.success(), "{}", stderr(&second));
    let second = json(&second);
    assert_eq!(second["shared_folder"]["action"], "reused");
    assert_eq!(
        second["shared_folder"]["uid"],
        first["shared_folder"]["uid"]
    );
    assert_eq!(second["application"]["action"], "reused");
    assert_eq!(second["share"]["action"], "reused");
    assert_eq!(second["gateway"]["action"], "created");
    assert_ne!(second["gateway"]["name"], first["gateway"]["name"]);
}

#[test]
fn new_sandbox_text_output_shows_the_install_command() {
    let home = tempfile::tempdir().unwrap();
    let output = run({
        let mut c = gw(home.path());
        c.args(["new", "--sandbox"]);
        c
    });
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "curl -fsSL https://keepersecurity.com/pam/install | sudo bash -s -- --token "
        ),
        "{stdout}"
    );
    // Progress lines go to stderr, not stdout.
    assert!(stderr(&output).contains("Shared folder"));
}

#[test]
fn help_lists_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let output = run({
        let mut c = gw(home.path());
        c.arg("--help");
        c
    });
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Exit codes:") && text.contains("130"),
        "{text}"
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    let home = tempfile::tempdir().unwrap();
    let bash = run({
        let mut c = gw(home.path());
        c.args(["completions", "bash"]);
        c
    });
    assert!(bash.status.success());
    assert!(String::from_utf8_lossy(&bash.stdout).contains("gw-provision"));
    let man = run({
        let mut c = gw(home.path());
        c.arg("man");
        c
    });
    assert!(man.status.success());
    assert!(String::from_utf8_lossy(&man.stdout).contains(".TH"));
}

#[test]
fn a_sandbox_token_is_marked_as_not_valid_on_keeper() {
    let sandbox = crate::support::ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.args([
            "new",
            "--non-interactive",
            "--folder",
            "F",
            "--app",
            "A",
            "--gateway",
            "edge-1",
            "--os",
            "linux",
        ]);
        c
    });
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let host = sandbox.descriptor["host"].as_str().unwrap();
    let token_line = text
        .lines()
        .position(|l| l.trim_start().starts_with(&format!("{host}:")))
        .expect("the token");
    assert_eq!(
        text.lines().nth(token_line + 1).map(str::trim),
        Some(format!("note: minted by the sandbox at {host}; not valid on Keeper").as_str()),
        "{text}"
    );
}
