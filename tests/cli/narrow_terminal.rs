//! The wizard on a terminal 40 columns wide, read back through a terminal emulator: prompts
//! longer than a row are redrawn in place (no stale rows), going back erases the answer it
//! re-asks, and the plan and the result box fit the width.
#![cfg(unix)]

use crate::support::login::Pty;
use crate::support::ServedSandbox;

const COLUMNS: u16 = 40;
/// Tall enough that nothing scrolls off: the screen is the whole run.
const ROWS: u16 = 200;
const ESC: &str = "\x1b";

/// Types `keys` (no Enter) once the prompt had a moment to start reading: keys that come
/// while it draws would be echoed onto the screen by the terminal.
fn key(p: &mut Pty, keys: &str) {
    std::thread::sleep(std::time::Duration::from_millis(150));
    p.send(keys);
}

/// Rows that start with `start`.
fn count(screen: &[String], start: &str) -> usize {
    screen.iter().filter(|row| row.starts_with(start)).count()
}

#[test]
fn at_40_columns_wrapped_prompts_leave_no_stale_rows_and_the_result_fits() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(&sandbox.descriptor_path, home.path(), &[], &["new"]);
    p.resize(COLUMNS, ROWS);

    // "? Shared folder for the gateway's records ›" is 43 columns: two rows.
    p.choose("+ Create a new shared folder", 0);
    // Typed a key at a time, each redrawing a prompt of two rows; then Esc goes back to the
    // list, which must erase the list's answer as well as the half-typed name.
    p.expect("New shared folder name");
    key(&mut p, "half typed");
    p.expect("half typed");
    key(&mut p, ESC);
    p.choose("+ Create a new shared folder", 0);
    p.expect("New shared folder name");
    // Spaces only: refused, the reason shown above the prompt, asked again.
    p.line("   ");
    p.expect("must not be empty");
    p.line("Shared folder for the lab gateways");
    p.choose("+ Create a new KSM application", 0);
    p.expect("New application title");
    p.line("Application for the lab gateways");
    p.expect("Gateway name");
    p.line("gateway-with-a-rather-long-name");
    p.choose("Kubernetes (Helm)", 0); // Linux
    p.expect("Create a PAM configuration for this gateway?");
    key(&mut p, "y");
    p.expect("PAM configuration title");
    p.line(""); // the default: "<gateway> Configuration"
    p.expect("Go ahead?");
    key(&mut p, "y");
    p.expect("sudo bash -s -- --token");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    let screen = p.screen(COLUMNS, ROWS);
    let shown = screen.join("\n");
    // Every question was settled: no open "? " prompt is left, and each answer shows once
    // (the first folder answer was erased by going back).
    assert_eq!(count(&screen, "? "), 0, "{shown}");
    for answer in [
        "✔ Shared folder for the gateway's",
        "✔ New shared folder name",
        "✔ KSM application ·",
        "✔ New application title",
        "✔ Gateway name",
        "✔ Where will the gateway run?",
        "✔ Create a PAM configuration for",
        "✔ PAM configuration title",
        "✔ Go ahead?",
    ] {
        assert_eq!(count(&screen, answer), 1, "{answer:?} once in\n{shown}");
    }
    assert!(!shown.contains("half typed"), "{shown}");
    // A wrapped answer's second row follows its first, not a stale copy of the prompt.
    let folder = screen
        .iter()
        .position(|row| row.starts_with("✔ Shared folder for the gateway's"))
        .expect("the folder answer");
    assert_eq!(
        screen[folder + 1],
        "s · + Create a new shared folder…",
        "{shown}"
    );
    // The refusal was part of the prompt's drawing, gone once a name was accepted.
    assert_eq!(count(&screen, "✘"), 0, "{shown}");

    // The plan and the result are stacked to fit: label and action, then the name.
    assert!(
        screen.iter().any(|r| r == "  Shared folder · would create"),
        "{shown}"
    );
    assert!(
        screen.iter().any(|r| r == "  Shared folder · created"),
        "{shown}"
    );
    assert!(
        screen
            .iter()
            .any(|r| r == "    Shared folder for the lab gateways"),
        "{shown}"
    );

    // Progress and prose are filled at spaces: no word is broken across rows.
    let step = screen
        .iter()
        .position(|row| row.starts_with("✔ Shared folder") && row.contains("created"))
        .expect("the shared folder's progress line");
    assert_eq!(
        screen[step], "✔ Shared folder created Shared folder",
        "{shown}"
    );
    assert_eq!(screen[step + 1], "for the lab gateways", "{shown}");
    assert!(
        screen.iter().any(|r| r == "One-Time Access Token (expires"),
        "{shown}"
    );

    // The result box: every row of it is whole, as wide as the others, and within the width.
    let boxed: Vec<&String> = screen
        .iter()
        .filter(|r| r.starts_with(['╭', '│', '╰']))
        .collect();
    assert!(boxed.len() >= 4, "a title wrapped in its box:\n{shown}");
    let width = boxed[0].chars().count();
    assert!(width <= usize::from(COLUMNS), "{shown}");
    for row in &boxed {
        assert_eq!(row.chars().count(), width, "{shown}");
        let last = row.chars().last();
        match row.chars().next() {
            Some('╭') => assert_eq!(last, Some('╮'), "{shown}"),
            Some('│') => assert_eq!(last, Some('│'), "{shown}"),
            _ => assert_eq!(last, Some('╯'), "{shown}"),
        }
    }
    assert!(
        boxed
            .iter()
            .any(|r| r.contains("'gateway-with-a-rather-long-name'")),
        "the gateway's name is not cut inside the box:\n{shown}"
    );
}

#[test]
fn a_list_taller_than_a_short_narrow_terminal_scrolls_without_leaving_rows_behind() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    // Twelve shared folders: with "+ Create…" a list of 13 on a terminal of 8 rows.
    let manifest = dir.path().join("folders.toml");
    let groups: String = (1..=12)
        .map(|i| {
            format!(
                "[[gateway]]\nname = \"g-{i}\"\nos = \"linux\"\nfolder = \"Folder {i:02}\"\napp = \"App\"\n\n"
            )
        })
        .collect();
    std::fs::write(&manifest, groups).unwrap();
    let out = crate::support::run({
        let mut c = sandbox.command();
        c.args(["apply", "-f"]).arg(&manifest);
        c
    });
    assert!(out.status.success(), "{}", crate::support::stderr(&out));

    // At 20 columns the list's prompt takes three rows: a drawing that forgot them would be
    // taller than the screen, scroll, and leave rows it can no longer clear.
    let (columns, rows) = (20, 8);
    let home = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(&sandbox.descriptor_path, home.path(), &[], &["new"]);
    p.resize(columns, rows);
    p.expect("Folder 01");
    for _ in 0..7 {
        key(&mut p, "\x1b[B");
    }
    key(&mut p, "\r");
    p.expect("KSM application");
    key(&mut p, "\x03");
    assert_eq!(p.finish(), 130, "{}", p.transcript);

    let history = p.history(columns, rows);
    let shown = history.join("\n");
    // The answer is there once; of the list, nothing but the answer is left.
    assert_eq!(count(&history, "✔ Shared folder"), 1, "{shown}");
    assert!(shown.contains("s · Folder 08"), "{shown}");
    assert_eq!(count(&history, "? Shared folder"), 0, "{shown}");
    assert_eq!(count(&history, "  Folder"), 0, "{shown}");
    assert_eq!(count(&history, "❯ Folder"), 0, "{shown}");
}
