use super::*;
use crate::sandbox::state::{App, SharedFolder};
use rusqlite::OptionalExtension;

fn row(dir: &Path, kind: &str, key: &str) -> Option<String> {
    let db = Connection::open(dir.join(DATABASE_FILE)).unwrap();
    db.query_row(
        "SELECT json FROM objects WHERE kind = ?1 AND key = ?2",
        params![kind, key],
        |row| row.get(0),
    )
    .optional()
    .unwrap()
}

fn folder(revision: i64, name: &[u8]) -> SharedFolder {
    SharedFolder {
        revision,
        parent: None,
        key: vec![1; 32],
        key_type: 1,
        data: name.to_vec(),
        name: name.to_vec(),
        default_manage_records: false,
        default_manage_users: false,
        default_can_edit: true,
        default_can_reshare: false,
    }
}

#[test]
fn second_open_of_a_locked_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, _state) = StateStore::open(dir.path()).unwrap();
    let err = StateStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, PersistError::Locked(_)), "{err}");
}

#[test]
fn reopened_directory_keeps_the_server_key_and_account() {
    let dir = tempfile::tempdir().unwrap();
    let (key, password) = {
        let (_store, state) = StateStore::open(dir.path()).unwrap();
        (
            state.server.ec_private_key.to_vec(),
            state.accounts[0].password.to_string(),
        )
    };
    let (_store, state) = StateStore::open(dir.path()).unwrap();
    assert_eq!(state.server.ec_private_key.to_vec(), key);
    assert_eq!(*state.accounts[0].password, password);
}

#[test]
fn written_objects_read_back_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (folder_uid, app_uid) = (Uid::generate(), Uid::generate());
    let (records, session_count) = {
        let (store, mut state) = StateStore::open(dir.path()).unwrap();
        let account = &mut state.accounts[0];
        account.seed_records(3).unwrap();
        let revision = account.vault.bump();
        account
            .vault
            .shared_folders
            .insert(folder_uid, folder(revision, b"kept"));
        account.vault.apps.insert(app_uid, App::default());
        account
            .settings
            .insert("persistent_login".into(), "1".into());
        store.write_changes(&mut state).unwrap();
        let records = to_json(&*state.accounts[0].vault.records);
        (records, state.accounts[0].sessions.len())
    };
    let (_store, state) = StateStore::open(dir.path()).unwrap();
    let vault = &state.accounts[0].vault;
    assert_eq!(to_json(&*vault.records), records);
    assert_eq!(vault.shared_folders[&folder_uid].data, b"kept");
    assert!(vault.apps.contains_key(&app_uid));
    assert_eq!(vault.revision, 2);
    assert_eq!(state.accounts[0].settings["persistent_login"], "1");
    assert_eq!(state.accounts[0].sessions.len(), session_count);
}

#[test]
fn a_pam_configurations_binding_and_settings_are_a_row_of_their_own_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (config, gateway) = (Uid::generate(), Uid::generate());
    {
        let (store, mut state) = StateStore::open(dir.path()).unwrap();
        let owner = state.accounts[0].account_uid;
        let mut entry = crate::sandbox::state::PamConfiguration {
            controller: Some(gateway),
            ..Default::default()
        };
        entry
            .allowed_settings
            .insert("portForwards".into(), serde_json::Value::Bool(true));
        state.accounts[0]
            .vault
            .pam_configurations
            .insert(config, entry);
        store.write_changes(&mut state).unwrap();
        assert!(row(
            dir.path(),
            "pam_configuration",
            &format!("{owner}/{config}")
        )
        .is_some());
    }
    let (_store, state) = StateStore::open(dir.path()).unwrap();
    let entry = &state.accounts[0].vault.pam_configurations[&config];
    assert_eq!(entry.controller, Some(gateway));
    assert_eq!(entry.allowed_settings["portForwards"], true);
}

#[test]
fn a_removed_object_is_deleted_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let app_uid = Uid::generate();
    let (store, mut state) = StateStore::open(dir.path()).unwrap();
    let owner = state.accounts[0].account_uid;
    state.accounts[0].vault.apps.insert(app_uid, App::default());
    store.write_changes(&mut state).unwrap();
    let key = format!("{owner}/{app_uid}");
    assert!(row(dir.path(), "app", &key).is_some());
    state.accounts[0].vault.apps.remove(&app_uid);
    store.write_changes(&mut state).unwrap();
    assert_eq!(row(dir.path(), "app", &key), None);
}

#[test]
fn a_change_writes_only_its_own_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut state) = StateStore::open(dir.path()).unwrap();
    state.accounts[0].seed_records(5_000).unwrap();
    assert!(store.write_changes(&mut state).unwrap() > 5_000);
    // Fold the seeding into the database file so the WAL holds only what comes next.
    store
        .writer()
        .db
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();

    let vault = &mut state.accounts[0].vault;
    let uid = *vault.records.keys().nth(2_500).unwrap();
    let revision = vault.bump();
    if let Some(record) = vault.records.get_mut(&uid) {
        record.data = b"changed".to_vec();
        record.revision = revision;
    }
    // The record, and the account row whose vault revision moved: nothing else.
    assert_eq!(store.write_changes(&mut state).unwrap(), 2);
    assert_eq!(store.write_changes(&mut state).unwrap(), 0);

    // Independently of the store's count: the WAL grew by a few pages, not by the vault.
    let db = &store.writer().db;
    let pages: i64 = db
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .unwrap();
    let (_, wal_frames, _): (i64, i64, i64) = db
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .unwrap();
    assert!(pages > 500, "the vault spans {pages} pages");
    assert!(wal_frames <= 12, "one change wrote {wal_frames} pages");
}

#[test]
fn a_legacy_state_json_is_imported_once_and_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    // The layout the JSON-file versions wrote: the whole state, vault maps inside each account.
    let mut legacy = State::create().unwrap();
    legacy.accounts[0].seed_records(10).unwrap();
    let mut json = serde_json::to_value(&legacy).unwrap();
    json["accounts"][0]["vault"]["records"] =
        serde_json::to_value(&*legacy.accounts[0].vault.records).unwrap();
    std::fs::write(dir.path().join(LEGACY_FILE), json.to_string()).unwrap();

    let (store, state) = StateStore::open(dir.path()).unwrap();
    assert_eq!(state.accounts[0].vault.records.len(), 10);
    assert_eq!(
        state.server.ec_private_key.to_vec(),
        legacy.server.ec_private_key.to_vec()
    );
    assert!(!dir.path().join(LEGACY_FILE).exists());
    assert!(dir.path().join(LEGACY_IMPORTED).exists());
    drop(store);

    let (_store, state) = StateStore::open(dir.path()).unwrap();
    assert_eq!(state.accounts[0].vault.records.len(), 10);
    assert_eq!(
        state.accounts[0].password.to_string(),
        legacy.accounts[0].password.to_string()
    );
}

#[test]
fn a_legacy_state_json_of_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LEGACY_FILE), b"{\"format\":99}").unwrap();
    let err = StateStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, PersistError::Format { found: 99, .. }),
        "{err}"
    );
    assert!(dir.path().join(LEGACY_FILE).exists());
}

#[test]
fn an_unreadable_row_is_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    drop(StateStore::open(dir.path()).unwrap());
    let db = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    db.execute(
        "UPDATE objects SET json = '{\"torn' WHERE kind = 'account'",
        [],
    )
    .unwrap();
    drop(db);
    let err = StateStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, PersistError::Corrupt { .. }), "{err}");
}

#[test]
fn a_database_of_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(StateStore::open(dir.path()).unwrap());
    let db = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let err = StateStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, PersistError::Format { found: 99, .. }),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn database_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (store, mut state) = StateStore::open(dir.path()).unwrap();
    state.accounts[0].seed_records(1).unwrap();
    store.write_changes(&mut state).unwrap();
    for name in [DATABASE_FILE, "state.sqlite3-wal", "state.sqlite3-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
}
