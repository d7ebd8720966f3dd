//! Unit tests of `cli::config`: resolution order, Commander's keys and mode kept, atomic
//! writes through symlinks, values never echoed.
use super::*;

fn credentials() -> DeviceCredentials {
    DeviceCredentials {
        server: "eu".parse().unwrap(),
        device_token: DeviceToken::new(vec![1, 2, 3]),
        device_private_key: EcPrivateKey::generate(),
        username: Some("admin@example.com".into()),
        clone_code: Some(CloneCode::new(b"clone-1".to_vec())),
    }
}

fn commander_fixture(device: &DeviceCredentials) -> String {
    serde_json::json!({
        "server": "https://keepersecurity.eu/api/v2/",
        "user": "admin@example.com",
        "device_token": b64url_encode(device.device_token.as_bytes()),
        "private_key": b64url_encode(&device.device_private_key.to_bytes()),
        "clone_code": "Y2xvbmUtMQ",
        "password": "fixture-password",
        "debug": false,
        "commands": ["sync-down"],
        "logout_timer": 60
    })
    .to_string()
}

fn file(path: &Path, kind: ConfigKind) -> ConfigSource {
    ConfigSource::File {
        path: path.to_path_buf(),
        kind,
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn explicit_choices_win_then_existing_files_then_our_default() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.json");
    let commander = dir.path().join("commander.json");
    let mut choice = ConfigChoice {
        default_path: Some(ours.clone()),
        commander_default: Some(commander.clone()),
        ..ConfigChoice::default()
    };
    assert_eq!(resolve(&choice), Some(file(&ours, ConfigKind::GwProvision)));
    std::fs::write(&commander, "{}").unwrap();
    assert_eq!(
        resolve(&choice),
        Some(file(&commander, ConfigKind::Commander))
    );
    std::fs::write(&ours, "{}").unwrap();
    assert_eq!(resolve(&choice), Some(file(&ours, ConfigKind::GwProvision)));
    choice.config_b64 = true;
    assert_eq!(resolve(&choice), Some(ConfigSource::Env));
    choice.config = Some(dir.path().join("explicit.json"));
    assert_eq!(
        resolve(&choice),
        Some(file(
            &dir.path().join("explicit.json"),
            ConfigKind::GwProvision
        ))
    );
    choice.keeper_config = Some(commander.clone());
    assert_eq!(
        resolve(&choice),
        Some(file(&commander, ConfigKind::Commander))
    );
}

#[test]
fn commander_config_yields_its_device_and_keeps_every_other_key_on_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let device = credentials();
    std::fs::write(&path, commander_fixture(&device)).unwrap();
    let mut config = AccountConfig::load(file(&path, ConfigKind::Commander)).unwrap();

    let loaded = config.device_credentials().unwrap();
    assert_eq!(loaded.server, "EU".parse().unwrap());
    assert_eq!(loaded.device_token, device.device_token);
    assert_eq!(loaded.clone_code.unwrap().as_bytes(), b"clone-1");
    assert_eq!(config.password(), Some("fixture-password"));

    let mut rotated = device.clone();
    rotated.clone_code = Some(CloneCode::new(b"clone-2".to_vec()));
    config.update(&rotated);
    config.save().unwrap();

    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["clone_code"], b64url_encode(b"clone-2"));
    assert_eq!(
        saved["server"], "https://keepersecurity.eu/api/v2/",
        "unchanged server kept verbatim"
    );
    assert_eq!(saved["password"], "fixture-password");
    assert_eq!(saved["commands"], serde_json::json!(["sync-down"]));
    assert_eq!(saved["logout_timer"], 60);
    assert_eq!(saved["debug"], false);
}

#[cfg(unix)]
#[test]
fn commander_file_keeps_its_mode_and_ours_is_always_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let device = credentials();
    let commander = dir.path().join("commander.json");
    let ours = dir.path().join("ours.json");
    for path in [&commander, &ours] {
        std::fs::write(path, commander_fixture(&device)).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    for (path, kind) in [
        (&commander, ConfigKind::Commander),
        (&ours, ConfigKind::GwProvision),
    ] {
        let mut config = AccountConfig::load(file(path, kind)).unwrap();
        config.update(&device);
        config.save().unwrap();
    }
    assert_eq!(mode(&commander), 0o640);
    assert_eq!(mode(&ours), 0o600);
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_is_rewritten_at_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::fs::write(&target, "{}").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mut config = AccountConfig::load(file(&link, ConfigKind::Commander)).unwrap();
    config.update(&credentials());
    config.save().unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("device_token"));
}

#[test]
fn a_missing_file_is_an_empty_config_that_save_creates_with_the_new_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("config.json");
    let mut config = AccountConfig::load(file(&path, ConfigKind::GwProvision)).unwrap();
    assert!(!config.exists() && config.device_credentials().is_none());
    config.update(&credentials());
    config.set_sso_master_password();
    config.save().unwrap();
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["server"], "keepersecurity.eu");
    assert_eq!(saved["user"], "admin@example.com");
    assert_eq!(saved["sso_master_password"], true);
    assert!(saved.get("password").is_none());
}

#[test]
fn forgetting_the_session_drops_only_the_clone_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let mut config = AccountConfig::load(file(&path, ConfigKind::GwProvision)).unwrap();
    config.update(&credentials());
    config.forget_session();
    config.save().unwrap();
    let reloaded = AccountConfig::load(file(&path, ConfigKind::GwProvision)).unwrap();
    assert!(!reloaded.has_session());
    assert!(reloaded.device_credentials().is_some());
}

#[test]
fn broken_values_are_named_but_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let cases = [
        (
            r#"{"device_token":"AQID","private_key":"c2VjcmV0LWtleS12YWx1ZQ"}"#,
            "private_key",
        ),
        (r#"{"device_token":"AQID"}"#, "go together"),
        (r#"{"clone_code":"not base64 !!"}"#, "clone_code"),
        (r#"{"server":"not a host/"}"#, "server"),
        (r#"["c2VjcmV0LWtleS12YWx1ZQ"]"#, "JSON object"),
        (r#""c2VjcmV0LWtleS12YWx1ZQ""#, "JSON object"),
    ];
    for (text, expected) in cases {
        std::fs::write(&path, text).unwrap();
        let error = AccountConfig::load(file(&path, ConfigKind::GwProvision))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
        assert!(
            !error.contains("c2VjcmV0") && !error.contains("not base64 !!"),
            "{error}"
        );
    }
}

#[test]
fn commander_keychain_storage_is_reported_as_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(
        &path,
        r#"{"config_storage":"os-keychain://0123abcd","encrypted_data":"x"}"#,
    )
    .unwrap();
    let error = AccountConfig::load(file(&path, ConfigKind::Commander)).unwrap_err();
    assert!(
        matches!(error, ConfigError::ExternalStorage { .. }),
        "{error}"
    );
}

#[test]
fn base64_config_accepts_standard_urlsafe_wrapped_and_plain_json() {
    let json = r#"{"user":"ci@example.com","server":"eu"}"#;
    let standard = crate::keeper::crypto::b64_std_encode(json.as_bytes());
    let wrapped = format!("{}\n{}", &standard[..8], &standard[8..]);
    for raw in [
        standard.as_str(),
        &b64url_encode(json.as_bytes()),
        &wrapped,
        json,
    ] {
        assert_eq!(decode_b64_config(raw).unwrap().as_str(), json);
    }
    assert!(decode_b64_config("%%%").is_err());
}

/// Found by the `account_config` fuzz target: without correctly rounded float parsing, each save
/// changed the last digit of a large number in a key we only carry through.
#[test]
fn a_large_number_in_another_key_survives_repeated_saves_unchanged() {
    let path = PathBuf::from("config.json");
    let text = r#"{"usep":4444444444444444444444444444444444}"#;
    let first = AccountConfig::from_text(file(&path, ConfigKind::Commander), text)
        .unwrap()
        .render()
        .unwrap();
    let second = AccountConfig::from_text(file(&path, ConfigKind::Commander), &first)
        .unwrap()
        .render()
        .unwrap();
    assert_eq!(second.as_str(), first.as_str());
}
