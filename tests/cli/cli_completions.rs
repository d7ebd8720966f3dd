//! Shell completions, driven in the shell itself: bash must complete past the first word.

use crate::support::{gw, run, stderr};
use std::process::Command;

/// The generated script for `shell`.
fn script(shell: &str) -> String {
    let home = tempfile::tempdir().expect("tempdir");
    let output = run({
        let mut c = gw(home.path());
        c.args(["completions", shell]);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    String::from_utf8(output.stdout).expect("utf-8 script")
}

/// What bash's completion function offers for `words` (the last one is being completed), as
/// bash itself calls it: `_fn COMMAND CURRENT PREVIOUS` with COMP_WORDS and COMP_CWORD set.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gw-provision.bash");
    std::fs::write(&path, script("bash")).expect("write script");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let driver = format!(
        r#"source "$1" || exit 90
fn=$(complete -p gw-provision | sed -E 's/.*-F ([^ ]+).*/\1/')
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$fn" gw-provision "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = quoted.join(" ")
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver, "driver"])
        .arg(&path)
        .output()
        .expect("bash is installed");
    assert!(
        output.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn shell_installed(shell: &str) -> bool {
    Command::new(shell)
        .args(["-c", "true"])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[test]
fn bash_completes_the_flags_of_a_subcommand() {
    let offered = bash_complete(&["gw-provision", "new", "--o"]);
    assert!(offered.contains(&"--os".to_owned()), "offered: {offered:?}");
    assert!(
        offered.contains(&"--output".to_owned()),
        "offered: {offered:?}"
    );
}

#[test]
fn bash_completes_the_values_of_os() {
    let offered = bash_complete(&["gw-provision", "new", "--os", ""]);
    assert_eq!(
        offered,
        ["linux", "macos", "windows", "docker", "kubernetes"],
        "offered: {offered:?}"
    );
}

#[test]
fn bash_completes_nested_subcommands() {
    let offered = bash_complete(&["gw-provision", "gateway", "re"]);
    assert_eq!(offered, ["remove"]);
}

#[test]
fn zsh_completion_offers_the_os_values() {
    let script = script("zsh");
    assert!(script.contains("--os"), "{script}");
    assert!(script.contains("kubernetes"));
    if shell_installed("zsh") {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("_gw-provision");
        std::fs::write(&path, &script).expect("write");
        let status = Command::new("zsh")
            .args(["-n"])
            .arg(&path)
            .status()
            .expect("zsh");
        assert!(status.success(), "zsh cannot parse the script");
    }
}

#[test]
fn fish_completion_offers_the_os_values() {
    let script = script("fish");
    assert!(script.contains("-l os"), "{script}");
    assert!(script.contains("kubernetes"));
    if shell_installed("fish") {
        let output = Command::new("fish")
            .args([
                "-c",
                &format!("{script}\ncomplete -C 'gw-provision new --os '"),
            ])
            .output()
            .expect("fish");
        let offered = String::from_utf8_lossy(&output.stdout);
        assert!(offered.contains("linux"), "fish offered: {offered}");
    }
}
