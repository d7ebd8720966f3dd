//! A word that is no command gets a "did you mean", as kubectl gives it, and exit 2.

use crate::support::{gw, run, stderr};

fn first_word(word: &str) -> (Option<i32>, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let output = run({
        let mut c = gw(home.path());
        c.arg(word);
        c
    });
    (output.status.code(), stderr(&output))
}

#[test]
fn a_typo_of_a_command_suggests_it() {
    let (code, stderr) = first_word("nwe");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("did you mean `new`?"), "{stderr}");
}

#[test]
fn a_nested_command_name_suggests_the_commands_it_belongs_to() {
    let (code, stderr) = first_word("list");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("did you mean `gateway list` or `app list`?"),
        "{stderr}"
    );
}
