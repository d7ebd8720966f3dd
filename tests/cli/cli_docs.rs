//! The man pages and `--help`: generated from the flag definitions, complete for every command.

use crate::support::{gw, run, stderr};

#[test]
fn man_dir_writes_a_page_per_command_with_every_flag_and_variable() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("man1");
    let output = run({
        let mut c = gw(home.path());
        c.args(["man", "--dir"]).arg(&dir);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));

    for page in [
        "gw-provision.1",
        "gw-provision-new.1",
        "gw-provision-login.1",
        "gw-provision-logout.1",
        "gw-provision-whoami.1",
        "gw-provision-gateway.1",
        "gw-provision-gateway-list.1",
        "gw-provision-gateway-remove.1",
        "gw-provision-app-list.1",
        "gw-provision-sandbox-serve.1",
        "gw-provision-completions.1",
    ] {
        let path = dir.join(page);
        assert!(path.exists(), "{page} was not written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644, "{page} mode {mode:o}");
        }
    }
    let new = std::fs::read_to_string(dir.join("gw-provision-new.1")).unwrap();
    assert!(new.contains(r"\-\-token\-expiry"), "{new}");
    assert!(new.contains("GW_PROVISION_TOKEN_EXPIRY"));
    assert!(new.contains(".SH \"EXIT STATUS\""));
    assert!(new.contains("130"));
    let top = std::fs::read_to_string(dir.join("gw-provision.1")).unwrap();
    assert!(
        top.contains("gw\\-provision\\-new(1)"),
        "the top page cites the new page"
    );
}

#[test]
fn man_without_a_directory_prints_the_top_page() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = run({
        let mut c = gw(home.path());
        c.arg("man");
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.contains(".TH gw-provision 1"), "{page}");
    assert!(page.contains(".SH \"EXIT STATUS\""));
}

#[test]
fn new_help_groups_the_global_options_and_shows_examples() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = run({
        let mut c = gw(home.path());
        c.args(["new", "--help"]);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let help = String::from_utf8_lossy(&output.stdout);
    let global = help
        .find("\nGlobal options:\n")
        .expect("a Global options heading");
    let own = help.find("--token-expiry").expect("new's own flags");
    let server = help.find("--server").expect("the global --server");
    assert!(own < global && global < server, "{help}");
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("gw-provision new --sandbox --os docker --dry-run"));
}
