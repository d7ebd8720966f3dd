//! Hand-built `SyncDownResponse` pages for every key path, placement rule and removal.
//! (The official Commander-made sync page is pinned in `tests/vectors_vault.rs`.)

use super::*;
use crate::keeper::crypto::{
    aes_cbc_encrypt, aes_gcm_encrypt, b64_std_decode, ecies_encrypt, rsa_encrypt, AesKey,
    EcPrivateKey, RsaPrivateKey,
};
use crate::keeper::proto::records::RecordKeyType;
use crate::keeper::proto::vault::{
    CacheStatus, Record, RecordMetaData, SharedFolder as SharedFolderRow, SharedFolderKey,
    SyncDownResponse, Team, UserFolderSharedFolder,
};
use crate::keeper::uid::Uid;
use crate::keeper::vault::{Application, SharedFolder, VaultSnapshot};

/// A throwaway RSA-2048 key (PKCS#1 DER, std b64): generating one in a debug test takes too long.
const TEST_RSA_PKCS1: &str = "MIIEpAIBAAKCAQEAnz0z8yxZe2W1uNMNishABKAONrwOM67b7zQYJrOfWpEtNHGoV1d6OIqtCnP3VdueHMIIM2zgC3tMFhV9kSyBZCSDYW6J60ZNiiid9EB0jcSgohhKkXG3RGwjjvTfkP0mYHud3cvdK4MF8/6Br70UQ3NGEkICXv1mtvO2iJp35aXYXQbvhZkYM5Q/jtxTTjp9fY9uuH8bpuNnPJyynli1Lwb9JkpaT/rzH98A6sYk8KpPjXzVYJMQGZbsyjRcpqRLT/T8LlJ7RCSBbA9oEhIPqZtqWKAq8PujXT5O6VP1p3kme5pDqqJ/Q8r7fm27FpzcgLRNHoPs3y1ItCv+qvHZqwIDAQABAoIBABs8M4tu1WsmjTssVc+byl9AJM41wdQTHyi9ZzgPVrz9wZaLrfgqTQwoo8n65Z24r0VJ5m8tOvCbyPqp+E0BKKxBFntulYY5AwATTFi/QXAR5ktzDiXsJiU8vaQwu6AnvA2advi9anmLslP1/qZZF4MlzyFGSvOGMbAu5NReXw1W191wh0vg0NYS/sXegyoTKsPwZXNyQ588GmbeqHEqs7bbFOpLrzFfZpjqhvHNKvua1CaxIWdqTbuAVgqdYRRXdy80Gq7rGP0/DqjPG5CUhJ94tboaZBaHXXVbDMI+OncihQlTbTHMzTGBt6d/tfPHSqUzCzLkAs4I8ZlfGFiUOzECgYEA3SmtS3gaEkzadI1MZvAznB92amI/XPzbhcSCT0Ii64HlqghAzubVoZIWd0mV7HpRs5+NzmTwLkRnrzScixBEcIHcJuREGDesDMmo6RUIUQcD9ZnbTZmVk4tP/BpkAXDo3LwLpt1VjPr37UNJQ/4S5JgPu3AxVBzza2p7dTlLZqMCgYEAuFJ4bv0p9IApHN0JVWO0x05brKmSSFkM+2olr6spF5bppiCyG0Vd3jvKDFQa2S8dwlUXD72XBoQsfM2hPDpj4pnESVsB8R74CQVjlkSudBET/c4XVMRrtAmN/KGC4e8OQ0+unuAHScuxV4QJGBNHy3QI+20RQwstyoHVln4J2VkCgYEArj7Ry+36DIUEcGOK2GdTIiQftb1mUqrdgczLJgrjXE1hVs9d0CVKFxv0G1OcjU3p5O1GWmBoYut+DSoUU/QjF8kYXIPnqnTiVsjjDZCGluBCHFR11fO1RyOxhtx8Ai6lKJP3UiZ76rEoeIRUyv74f6XWb0T7eFu+5NhmIHtdjqUCgYAVZnXXJQuO+KZNVJh10oq1rTJVnKaAQd6Q/iT7/VpbA8mC4T7sjaQ1Xim6PrWTS7YfzvNLf46eUhA8OT+kF39rWsEAZ1GVZiwUGA0U8Ep07Vqt2BS7YcbDc2yJzVK92pyEUicLCSWverfPWmQX6H0ocQNt9Z7QcubRITvkKiQImQKBgQCQlCXTROB9U0WKkvz2DP5kHK6j+2QdDji58v8NqH2Oio4aqTBeWuCoc2HeBRKPwXs7fIimJOE3Q03aZsJ1216n6qySAM8ncsuifg6n3UimB1Zl02YbUHMMEC2aCyH40JWI9RP9kL5tKqNBkTMQ6xImBW5aAQV9CBhbLby+LhROQw==";

/// The account keys of a synthetic account: data key, RSA and ECC key pairs.
struct Account {
    data_key: AesKey,
    rsa: RsaPrivateKey,
    ecc: EcPrivateKey,
}

impl Account {
    fn new() -> Self {
        Account {
            data_key: AesKey::generate(),
            rsa: RsaPrivateKey::from_pkcs1_der(&b64_std_decode(TEST_RSA_PKCS1).unwrap()).unwrap(),
            ecc: EcPrivateKey::generate(),
        }
    }

    fn keys(&self) -> VaultKeys<'_> {
        VaultKeys {
            data_key: &self.data_key,
            rsa_private_key: Some(&self.rsa),
            ecc_private_key: Some(&self.ecc),
        }
    }
}

fn folder_row(
    uid: &Uid,
    encrypted_key: Vec<u8>,
    key_type: RecordKeyType,
    sf_key: &AesKey,
    name: &str,
) -> SharedFolderRow {
    SharedFolderRow {
        shared_folder_uid: uid.as_bytes().to_vec(),
        shared_folder_key: encrypted_key,
        key_type: key_type as i32,
        name: aes_cbc_encrypt(sf_key, name.as_bytes()),
        ..Default::default()
    }
}

fn at_root(uid: &Uid) -> UserFolderSharedFolder {
    UserFolderSharedFolder {
        shared_folder_uid: uid.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn app_record(
    uid: &Uid,
    app_key: &AesKey,
    data_key: &AesKey,
    json: &str,
) -> (Record, RecordMetaData) {
    let record = Record {
        record_uid: uid.as_bytes().to_vec(),
        version: 5,
        revision: 1,
        data: aes_gcm_encrypt(app_key, json.as_bytes()),
        ..Default::default()
    };
    let meta = RecordMetaData {
        record_uid: uid.as_bytes().to_vec(),
        owner: true,
        record_key: aes_gcm_encrypt(data_key, app_key.as_bytes()),
        record_key_type: RecordKeyType::EncryptedByDataKeyGcm as i32,
        ..Default::default()
    };
    (record, meta)
}

fn build(account: &Account, pages: &[SyncDownResponse]) -> VaultSnapshot {
    let mut builder = SyncBuilder::new();
    for page in pages {
        builder.apply(page);
    }
    builder.finish(&account.keys())
}

fn find_folder<'a>(folders: &'a [SharedFolder], uid: &Uid) -> &'a SharedFolder {
    folders
        .iter()
        .find(|f| f.uid == *uid)
        .expect("shared folder in snapshot")
}

// ---- shared folder key types ------------------------------------------------------------------

#[test]
fn shared_folder_keys_of_every_account_key_type_decrypt() {
    let account = Account::new();
    let keys: Vec<(Uid, AesKey)> = (0..4)
        .map(|_| (Uid::generate(), AesKey::generate()))
        .collect();
    let wrapped = [
        (
            aes_cbc_encrypt(&account.data_key, keys[0].1.as_bytes()),
            RecordKeyType::EncryptedByDataKey,
        ),
        (
            rsa_encrypt(&account.rsa.public_key(), keys[1].1.as_bytes()).unwrap(),
            RecordKeyType::EncryptedByPublicKey,
        ),
        (
            aes_gcm_encrypt(&account.data_key, keys[2].1.as_bytes()),
            RecordKeyType::EncryptedByDataKeyGcm,
        ),
        (
            ecies_encrypt(&account.ecc.public_key(), keys[3].1.as_bytes()),
            RecordKeyType::EncryptedByPublicKeyEcc,
        ),
    ];
    let page = SyncDownResponse {
        shared_folders: keys
            .iter()
            .zip(wrapped)
            .enumerate()
            .map(|(i, ((uid, sf_key), (bytes, key_type)))| {
                folder_row(uid, bytes, key_type, sf_key, &format!("folder {i}"))
            })
            .collect(),
        ..Default::default()
    };

    let snapshot = build(&account, &[page]);

    assert_eq!(snapshot.shared_folders.len(), 4);
    for (i, (uid, sf_key)) in keys.iter().enumerate() {
        let folder = find_folder(&snapshot.shared_folders, uid);
        assert_eq!(&folder.key, sf_key, "key type {}", i + 1);
        assert_eq!(folder.name, format!("folder {i}"));
    }
}

#[test]
fn team_held_shared_folder_keys_decrypt_through_the_team_key() {
    let account = Account::new();
    let team_key = AesKey::generate();
    let team_ecc = EcPrivateKey::generate();
    let (cbc_uid, cbc_key) = (Uid::generate(), AesKey::generate());
    let (ecc_uid, ecc_key) = (Uid::generate(), AesKey::generate());
    let team = Team {
        team_uid: Uid::generate().as_bytes().to_vec(),
        team_key: ecies_encrypt(&account.ecc.public_key(), team_key.as_bytes()),
        team_key_type: RecordKeyType::EncryptedByPublicKeyEcc as i32,
        team_ecc_private_key: aes_gcm_encrypt(&team_key, &team_ecc.to_bytes()),
        shared_folder_keys: vec![
            SharedFolderKey {
                shared_folder_uid: cbc_uid.as_bytes().to_vec(),
                shared_folder_key: aes_cbc_encrypt(&team_key, cbc_key.as_bytes()),
                key_type: RecordKeyType::EncryptedByDataKey as i32,
            },
            SharedFolderKey {
                shared_folder_uid: ecc_uid.as_bytes().to_vec(),
                shared_folder_key: ecies_encrypt(&team_ecc.public_key(), ecc_key.as_bytes()),
                key_type: RecordKeyType::EncryptedByPublicKeyEcc as i32,
            },
        ],
        ..Default::default()
    };
    // The folders themselves arrive without a key of their own, on a later page.
    let pages = [
        SyncDownResponse {
            teams: vec![team],
            has_more: true,
            ..Default::default()
        },
        SyncDownResponse {
            shared_folders: vec![
                folder_row(
                    &cbc_uid,
                    Vec::new(),
                    RecordKeyType::NoKey,
                    &cbc_key,
                    "via team (CBC)",
                ),
                folder_row(
                    &ecc_uid,
                    Vec::new(),
                    RecordKeyType::NoKey,
                    &ecc_key,
                    "via team (ECC)",
                ),
            ],
            ..Default::default()
        },
    ];

    let snapshot = build(&account, &pages);

    assert_eq!(find_folder(&snapshot.shared_folders, &cbc_uid).key, cbc_key);
    assert_eq!(
        find_folder(&snapshot.shared_folders, &ecc_uid).name,
        "via team (ECC)"
    );
    assert_eq!(find_folder(&snapshot.shared_folders, &ecc_uid).key, ecc_key);
}

#[test]
fn team_keys_wrapped_with_gcm_or_rsa_unlock_their_shared_folder_keys() {
    let account = Account::new();
    let gcm_team_key = AesKey::generate();
    let rsa_team_key = AesKey::generate();
    let (gcm_uid, gcm_key) = (Uid::generate(), AesKey::generate());
    let (rsa_uid, rsa_key) = (Uid::generate(), AesKey::generate());
    let team_rsa = RsaPrivateKey::from_pkcs1_der(&b64_std_decode(TEST_RSA_PKCS1).unwrap()).unwrap();
    let teams = vec![
        // Team key GCM-wrapped by the data key; the folder key GCM-wrapped by the team key.
        Team {
            team_uid: Uid::generate().as_bytes().to_vec(),
            team_key: aes_gcm_encrypt(&account.data_key, gcm_team_key.as_bytes()),
            team_key_type: RecordKeyType::EncryptedByDataKeyGcm as i32,
            shared_folder_keys: vec![SharedFolderKey {
                shared_folder_uid: gcm_uid.as_bytes().to_vec(),
                shared_folder_key: aes_gcm_encrypt(&gcm_team_key, gcm_key.as_bytes()),
                key_type: RecordKeyType::EncryptedByDataKeyGcm as i32,
            }],
            ..Default::default()
        },
        // Team key RSA-wrapped for the account; the folder key RSA-wrapped for the team.
        Team {
            team_uid: Uid::generate().as_bytes().to_vec(),
            team_key: rsa_encrypt(&account.rsa.public_key(), rsa_team_key.as_bytes()).unwrap(),
            team_key_type: RecordKeyType::EncryptedByPublicKey as i32,
            team_private_key: aes_cbc_encrypt(&rsa_team_key, &team_rsa.to_pkcs1_der().unwrap()),
            shared_folder_keys: vec![SharedFolderKey {
                shared_folder_uid: rsa_uid.as_bytes().to_vec(),
                shared_folder_key: rsa_encrypt(&team_rsa.public_key(), rsa_key.as_bytes()).unwrap(),
                key_type: RecordKeyType::EncryptedByPublicKey as i32,
            }],
            ..Default::default()
        },
    ];
    let page = SyncDownResponse {
        teams,
        shared_folders: vec![
            folder_row(
                &gcm_uid,
                Vec::new(),
                RecordKeyType::NoKey,
                &gcm_key,
                "team GCM",
            ),
            folder_row(
                &rsa_uid,
                Vec::new(),
                RecordKeyType::NoKey,
                &rsa_key,
                "team RSA",
            ),
        ],
        ..Default::default()
    };

    let snapshot = build(&account, &[page]);

    assert_eq!(find_folder(&snapshot.shared_folders, &gcm_uid).key, gcm_key);
    assert_eq!(find_folder(&snapshot.shared_folders, &rsa_uid).key, rsa_key);
}

#[test]
fn removed_team_takes_its_shared_folders_with_it() {
    let account = Account::new();
    let team_key = AesKey::generate();
    let team_uid = Uid::generate();
    let (sf_uid, sf_key) = (Uid::generate(), AesKey::generate());
    let pages = [
        SyncDownResponse {
            teams: vec![Team {
                team_uid: team_uid.as_bytes().to_vec(),
                team_key: aes_cbc_encrypt(&account.data_key, team_key.as_bytes()),
                team_key_type: RecordKeyType::EncryptedByDataKey as i32,
                shared_folder_keys: vec![SharedFolderKey {
                    shared_folder_uid: sf_uid.as_bytes().to_vec(),
                    shared_folder_key: aes_cbc_encrypt(&team_key, sf_key.as_bytes()),
                    key_type: RecordKeyType::EncryptedByDataKey as i32,
                }],
                ..Default::default()
            }],
            shared_folders: vec![folder_row(
                &sf_uid,
                Vec::new(),
                RecordKeyType::NoKey,
                &sf_key,
                "via team",
            )],
            has_more: true,
            ..Default::default()
        },
        SyncDownResponse {
            removed_teams: vec![team_uid.as_bytes().to_vec()],
            ..Default::default()
        },
    ];

    assert!(build(&account, &pages).shared_folders.is_empty());
}

#[test]
fn shared_folder_whose_key_does_not_decrypt_is_left_out_without_error() {
    let account = Account::new();
    let (good_uid, good_key) = (Uid::generate(), AesKey::generate());
    let bad_uid = Uid::generate();
    let page = SyncDownResponse {
        shared_folders: vec![
            folder_row(
                &good_uid,
                aes_cbc_encrypt(&account.data_key, good_key.as_bytes()),
                RecordKeyType::EncryptedByDataKey,
                &good_key,
                "good",
            ),
            folder_row(
                &bad_uid,
                vec![0x55; 64],
                RecordKeyType::EncryptedByDataKey,
                &good_key,
                "bad",
            ),
        ],
        ..Default::default()
    };

    let snapshot = build(&account, &[page]);

    assert_eq!(snapshot.shared_folders.len(), 1);
    assert_eq!(snapshot.shared_folders[0].uid, good_uid);
}

// ---- names and placement ----------------------------------------------------------------------

#[test]
fn folder_name_falls_back_to_data_json_then_to_the_uid() {
    let account = Account::new();
    let (data_uid, data_key) = (Uid::generate(), AesKey::generate());
    let (bare_uid, bare_key) = (Uid::generate(), AesKey::generate());
    let mut from_data = folder_row(
        &data_uid,
        aes_cbc_encrypt(&account.data_key, data_key.as_bytes()),
        RecordKeyType::EncryptedByDataKey,
        &data_key,
        "",
    );
    from_data.name.clear();
    from_data.data = aes_cbc_encrypt(&data_key, br#"{"name":"Named in data","color":"blue"}"#);
    let mut bare = folder_row(
        &bare_uid,
        aes_cbc_encrypt(&account.data_key, bare_key.as_bytes()),
        RecordKeyType::EncryptedByDataKey,
        &bare_key,
        "",
    );
    bare.name.clear();
    let page = SyncDownResponse {
        shared_folders: vec![from_data, bare],
        ..Default::default()
    };

    let snapshot = build(&account, &[page]);

    assert_eq!(
        find_folder(&snapshot.shared_folders, &data_uid).name,
        "Named in data"
    );
    assert_eq!(
        find_folder(&snapshot.shared_folders, &bare_uid).name,
        bare_uid.to_string()
    );
}

#[test]
fn placement_with_empty_folder_uid_is_root_and_a_user_folder_is_not() {
    let account = Account::new();
    let (root_uid, root_key) = (Uid::generate(), AesKey::generate());
    let (nested_uid, nested_key) = (Uid::generate(), AesKey::generate());
    let page = SyncDownResponse {
        shared_folders: vec![
            folder_row(
                &root_uid,
                aes_cbc_encrypt(&account.data_key, root_key.as_bytes()),
                RecordKeyType::EncryptedByDataKey,
                &root_key,
                "Lab",
            ),
            folder_row(
                &nested_uid,
                aes_cbc_encrypt(&account.data_key, nested_key.as_bytes()),
                RecordKeyType::EncryptedByDataKey,
                &nested_key,
                "Lab",
            ),
        ],
        user_folder_shared_folders: vec![
            at_root(&root_uid),
            UserFolderSharedFolder {
                folder_uid: Uid::generate().as_bytes().to_vec(),
                shared_folder_uid: nested_uid.as_bytes().to_vec(),
                revision: 1,
            },
        ],
        ..Default::default()
    };

    let snapshot = build(&account, &[page]);

    assert!(find_folder(&snapshot.shared_folders, &root_uid).at_root);
    assert!(!find_folder(&snapshot.shared_folders, &nested_uid).at_root);
    assert_eq!(
        snapshot.find_shared_folder("Lab").unwrap().uid,
        root_uid,
        "root folder preferred"
    );
}

// ---- application records ----------------------------------------------------------------------

#[test]
fn padded_application_json_is_accepted() {
    let account = Account::new();
    let (app_uid, app_key) = (Uid::generate(), AesKey::generate());
    let padded = format!("{:<384}", r#"{"title": "Padded App", "type": "app"}"#);
    let (record, meta) = app_record(&app_uid, &app_key, &account.data_key, &padded);
    let page = SyncDownResponse {
        records: vec![record],
        record_meta_data: vec![meta],
        ..Default::default()
    };

    let snapshot = build(&account, &[page]);

    assert_eq!(
        snapshot.applications,
        vec![Application {
            uid: app_uid,
            title: "Padded App".into(),
            key: app_key
        }]
    );
}

#[test]
fn other_records_are_never_decrypted_even_when_their_data_is_garbage() {
    let account = Account::new();
    let v3_uid = Uid::generate();
    let (app_uid, app_key) = (Uid::generate(), AesKey::generate());
    let (app, app_meta) = app_record(
        &app_uid,
        &app_key,
        &account.data_key,
        r#"{"title":"App","type":"app"}"#,
    );
    let page = SyncDownResponse {
        records: vec![
            Record {
                record_uid: v3_uid.as_bytes().to_vec(),
                version: 3,
                data: vec![0xAB; 7],
                ..Default::default()
            },
            app,
        ],
        record_meta_data: vec![
            RecordMetaData {
                record_uid: v3_uid.as_bytes().to_vec(),
                record_key: vec![0xCD; 5],
                record_key_type: RecordKeyType::EncryptedByDataKeyGcm as i32,
                ..Default::default()
            },
            app_meta,
        ],
        ..Default::default()
    };

    let snapshot = build(&account, &[page]);

    assert_eq!(snapshot.applications.len(), 1);
    assert_eq!(snapshot.applications[0].uid, app_uid);
}

#[test]
fn a_v3_record_with_app_json_and_a_valid_key_is_not_an_application() {
    let account = Account::new();
    let (uid, record_key) = (Uid::generate(), AesKey::generate());
    let (mut record, meta) = app_record(
        &uid,
        &record_key,
        &account.data_key,
        r#"{"title":"Looks like an app","type":"app"}"#,
    );
    record.version = 3;
    let page = SyncDownResponse {
        records: vec![record],
        record_meta_data: vec![meta],
        ..Default::default()
    };

    assert!(build(&account, &[page]).applications.is_empty());
}

#[test]
fn record_that_stops_being_v5_on_a_later_page_is_dropped() {
    let account = Account::new();
    let (uid, app_key) = (Uid::generate(), AesKey::generate());
    let (record, meta) = app_record(
        &uid,
        &app_key,
        &account.data_key,
        r#"{"title":"App","type":"app"}"#,
    );
    let mut downgraded = record.clone();
    downgraded.version = 3;
    let pages = [
        SyncDownResponse {
            records: vec![record],
            record_meta_data: vec![meta],
            has_more: true,
            ..Default::default()
        },
        SyncDownResponse {
            records: vec![downgraded],
            ..Default::default()
        },
    ];

    assert!(build(&account, &pages).applications.is_empty());
}

#[test]
fn v5_record_that_is_not_an_app_is_ignored() {
    let account = Account::new();
    let (uid, record_key) = (Uid::generate(), AesKey::generate());
    let (record, meta) = app_record(
        &uid,
        &record_key,
        &account.data_key,
        r#"{"title":"x","type":"login"}"#,
    );
    let page = SyncDownResponse {
        records: vec![record],
        record_meta_data: vec![meta],
        ..Default::default()
    };

    assert!(build(&account, &[page]).applications.is_empty());
}

#[test]
fn metadata_on_an_earlier_page_than_its_record_still_resolves_the_app() {
    let account = Account::new();
    let (uid, app_key) = (Uid::generate(), AesKey::generate());
    let (record, meta) = app_record(
        &uid,
        &app_key,
        &account.data_key,
        r#"{"title":"Split","type":"app"}"#,
    );
    let pages = [
        SyncDownResponse {
            record_meta_data: vec![meta],
            has_more: true,
            ..Default::default()
        },
        SyncDownResponse {
            records: vec![record],
            ..Default::default()
        },
    ];

    let snapshot = build(&account, &pages);

    assert_eq!(snapshot.find_application("Split").map(|a| a.uid), Some(uid));
}

// ---- removals and cache status ----------------------------------------------------------------

#[test]
fn removed_records_and_shared_folders_disappear_from_the_snapshot() {
    let account = Account::new();
    let (sf_uid, sf_key) = (Uid::generate(), AesKey::generate());
    let (app_uid, app_key) = (Uid::generate(), AesKey::generate());
    let (record, meta) = app_record(
        &app_uid,
        &app_key,
        &account.data_key,
        r#"{"title":"Gone","type":"app"}"#,
    );
    let pages = [
        SyncDownResponse {
            shared_folders: vec![folder_row(
                &sf_uid,
                aes_cbc_encrypt(&account.data_key, sf_key.as_bytes()),
                RecordKeyType::EncryptedByDataKey,
                &sf_key,
                "Gone",
            )],
            user_folder_shared_folders: vec![at_root(&sf_uid)],
            records: vec![record],
            record_meta_data: vec![meta],
            has_more: true,
            ..Default::default()
        },
        SyncDownResponse {
            removed_shared_folders: vec![sf_uid.as_bytes().to_vec()],
            removed_records: vec![app_uid.as_bytes().to_vec()],
            ..Default::default()
        },
    ];

    let snapshot = build(&account, &pages);

    assert!(snapshot.shared_folders.is_empty());
    assert!(snapshot.applications.is_empty());
}

#[test]
fn cache_status_clear_drops_everything_seen_before() {
    let account = Account::new();
    let (old_uid, old_key) = (Uid::generate(), AesKey::generate());
    let (new_uid, new_key) = (Uid::generate(), AesKey::generate());
    let pages = [
        SyncDownResponse {
            shared_folders: vec![folder_row(
                &old_uid,
                aes_cbc_encrypt(&account.data_key, old_key.as_bytes()),
                RecordKeyType::EncryptedByDataKey,
                &old_key,
                "old",
            )],
            ..Default::default()
        },
        SyncDownResponse {
            cache_status: CacheStatus::Clear as i32,
            shared_folders: vec![folder_row(
                &new_uid,
                aes_cbc_encrypt(&account.data_key, new_key.as_bytes()),
                RecordKeyType::EncryptedByDataKey,
                &new_key,
                "new",
            )],
            ..Default::default()
        },
    ];

    let snapshot = build(&account, &pages);

    assert_eq!(snapshot.shared_folders.len(), 1);
    assert_eq!(snapshot.shared_folders[0].uid, new_uid);
}
