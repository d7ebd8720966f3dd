//! The vault/KSM/PAM client layer pinned to vectors made by Keeper's official clients
//! (`tests/data/keeper-vectors.json`), plus hand-built sync pages for every key path.

use gw_provision::keeper::crypto::{
    aes_cbc_encrypt, aes_gcm_decrypt, aes_gcm_encrypt, b64_std_decode, b64url_decode,
    ecies_encrypt, rsa_encrypt, AesKey, EcPrivateKey, RsaPrivateKey,
};
use gw_provision::keeper::ksm::{self, KsmConfig, OneTimeToken};
use gw_provision::keeper::proto::authentication::{
    AddAppClientRequest, AddAppSharesRequest, ApplicationShareType,
};
use gw_provision::keeper::proto::enterprise::AppClientType;
use gw_provision::keeper::proto::pam::PamControllersResponse;
use gw_provision::keeper::proto::records::{ApplicationAddRequest, RecordKeyType};
use gw_provision::keeper::proto::vault::{
    CacheStatus, Record, RecordMetaData, SharedFolder as SharedFolderRow, SharedFolderKey,
    SyncDownResponse, Team, UserFolderSharedFolder,
};
use gw_provision::keeper::uid::Uid;
use gw_provision::keeper::vault::{Application, SharedFolder, SyncBuilder, VaultKeys};
use prost::Message;
use serde_json::Value;

/// A throwaway RSA-2048 key (PKCS#1 DER, std b64): generating one in a debug test takes too long.
const TEST_RSA_PKCS1: &str = "MIIEpAIBAAKCAQEAnz0z8yxZe2W1uNMNishABKAONrwOM67b7zQYJrOfWpEtNHGoV1d6OIqtCnP3VdueHMIIM2zgC3tMFhV9kSyBZCSDYW6J60ZNiiid9EB0jcSgohhKkXG3RGwjjvTfkP0mYHud3cvdK4MF8/6Br70UQ3NGEkICXv1mtvO2iJp35aXYXQbvhZkYM5Q/jtxTTjp9fY9uuH8bpuNnPJyynli1Lwb9JkpaT/rzH98A6sYk8KpPjXzVYJMQGZbsyjRcpqRLT/T8LlJ7RCSBbA9oEhIPqZtqWKAq8PujXT5O6VP1p3kme5pDqqJ/Q8r7fm27FpzcgLRNHoPs3y1ItCv+qvHZqwIDAQABAoIBABs8M4tu1WsmjTssVc+byl9AJM41wdQTHyi9ZzgPVrz9wZaLrfgqTQwoo8n65Z24r0VJ5m8tOvCbyPqp+E0BKKxBFntulYY5AwATTFi/QXAR5ktzDiXsJiU8vaQwu6AnvA2advi9anmLslP1/qZZF4MlzyFGSvOGMbAu5NReXw1W191wh0vg0NYS/sXegyoTKsPwZXNyQ588GmbeqHEqs7bbFOpLrzFfZpjqhvHNKvua1CaxIWdqTbuAVgqdYRRXdy80Gq7rGP0/DqjPG5CUhJ94tboaZBaHXXVbDMI+OncihQlTbTHMzTGBt6d/tfPHSqUzCzLkAs4I8ZlfGFiUOzECgYEA3SmtS3gaEkzadI1MZvAznB92amI/XPzbhcSCT0Ii64HlqghAzubVoZIWd0mV7HpRs5+NzmTwLkRnrzScixBEcIHcJuREGDesDMmo6RUIUQcD9ZnbTZmVk4tP/BpkAXDo3LwLpt1VjPr37UNJQ/4S5JgPu3AxVBzza2p7dTlLZqMCgYEAuFJ4bv0p9IApHN0JVWO0x05brKmSSFkM+2olr6spF5bppiCyG0Vd3jvKDFQa2S8dwlUXD72XBoQsfM2hPDpj4pnESVsB8R74CQVjlkSudBET/c4XVMRrtAmN/KGC4e8OQ0+unuAHScuxV4QJGBNHy3QI+20RQwstyoHVln4J2VkCgYEArj7Ry+36DIUEcGOK2GdTIiQftb1mUqrdgczLJgrjXE1hVs9d0CVKFxv0G1OcjU3p5O1GWmBoYut+DSoUU/QjF8kYXIPnqnTiVsjjDZCGluBCHFR11fO1RyOxhtx8Ai6lKJP3UiZ76rEoeIRUyv74f6XWb0T7eFu+5NhmIHtdjqUCgYAVZnXXJQuO+KZNVJh10oq1rTJVnKaAQd6Q/iT7/VpbA8mC4T7sjaQ1Xim6PrWTS7YfzvNLf46eUhA8OT+kF39rWsEAZ1GVZiwUGA0U8Ep07Vqt2BS7YcbDc2yJzVK92pyEUicLCSWverfPWmQX6H0ocQNt9Z7QcubRITvkKiQImQKBgQCQlCXTROB9U0WKkvz2DP5kHK6j+2QdDji58v8NqH2Oio4aqTBeWuCoc2HeBRKPwXs7fIimJOE3Q03aZsJ1216n6qySAM8ncsuifg6n3UimB1Zl02YbUHMMEC2aCyH40JWI9RP9kL5tKqNBkTMQ6xImBW5aAQV9CBhbLby+LhROQw==";

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keeper-vectors.json"
    ))
    .expect("vectors file");
    serde_json::from_str(&text).expect("vectors JSON")
}

fn b64(value: &Value) -> Vec<u8> {
    b64url_decode(value.as_str().expect("string")).expect("b64url")
}

fn key(value: &Value) -> AesKey {
    AesKey::from_slice(&b64(value)).expect("32-byte key")
}

fn uid(value: &Value) -> Uid {
    value.as_str().expect("string").parse().expect("uid")
}

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

fn build(
    account: &Account,
    pages: &[SyncDownResponse],
) -> gw_provision::keeper::vault::VaultSnapshot {
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

// ---- the official vector ----------------------------------------------------------------------

#[test]
fn official_sync_down_yields_the_shared_folder_and_app_with_their_keys() {
    let v = vectors();
    let sync = &v["sync_down"];
    let expect = &sync["expect"];
    let response = SyncDownResponse::decode(b64(&sync["response"]).as_slice()).expect("decodes");
    let data_key = key(&sync["data_key"]);

    let mut builder = SyncBuilder::new();
    builder.apply(&response);
    let snapshot = builder.finish(&VaultKeys {
        data_key: &data_key,
        rsa_private_key: None,
        ecc_private_key: None,
    });

    let folder = snapshot
        .find_shared_folder(expect["shared_folder_name"].as_str().unwrap())
        .expect("shared folder found by its non-ASCII name");
    assert_eq!(folder.uid, uid(&expect["shared_folder_uid"]));
    assert_eq!(folder.key, key(&expect["shared_folder_key"]));

    let app = snapshot
        .find_application(expect["app_title"].as_str().unwrap())
        .expect("application found by title");
    assert_eq!(app.uid, uid(&expect["app_uid"]));
    assert_eq!(app.key, key(&expect["app_key"]));
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

// ---- KSM request building against the official encodings --------------------------------------

/// The application and shared folder the `proto` vectors were built with.
fn proto_app_and_folder(v: &Value) -> (Application, SharedFolder) {
    let p = &v["proto"];
    let app = Application {
        uid: uid(&p["app_uid"]),
        title: "PAM Lab App".into(),
        key: key(&p["app_key"]),
    };
    let folder = SharedFolder {
        uid: uid(&p["shared_folder_uid"]),
        name: "PAM Lab — Ressources ✓".into(),
        key: key(&p["shared_folder_key"]),
        at_root: true,
    };
    (app, folder)
}

#[test]
fn application_add_request_matches_commander_field_by_field() {
    let v = vectors();
    let p = &v["proto"];
    let (app, _) = proto_app_and_folder(&v);
    let data_key = key(&p["data_key"]);
    let official =
        ApplicationAddRequest::decode(b64(&p["application_add_request"]).as_slice()).unwrap();

    let ours = ksm::application_add_request(
        &app.uid,
        &app.key,
        &app.title,
        &data_key,
        official.client_modified_time,
    );

    assert_eq!(ours.app_uid, official.app_uid);
    assert_eq!(ours.client_modified_time, official.client_modified_time);
    assert_eq!(ours.audit, official.audit);
    // Ciphertexts differ by nonce; what they decrypt to must not.
    assert_eq!(
        aes_gcm_decrypt(&data_key, &ours.record_key).unwrap(),
        aes_gcm_decrypt(&data_key, &official.record_key).unwrap()
    );
    let json = |data: &[u8]| -> Value {
        serde_json::from_slice(&aes_gcm_decrypt(&app.key, data).unwrap()).unwrap()
    };
    assert_eq!(json(&ours.data), json(&official.data));
    assert_eq!(
        json(&ours.data),
        serde_json::json!({"title": "PAM Lab App", "type": "app"})
    );
}

#[test]
fn app_share_add_request_matches_commander_byte_for_byte_apart_from_the_nonce() {
    let v = vectors();
    let (app, folder) = proto_app_and_folder(&v);
    let official_bytes = b64(&v["proto"]["add_app_shares_request"]);
    let official = AddAppSharesRequest::decode(official_bytes.as_slice()).unwrap();

    let mut ours = ksm::app_share_add_request(&app, &folder, true);

    let (share, official_share) = (&ours.shares[0], &official.shares[0]);
    assert_eq!(
        share.share_type,
        ApplicationShareType::ShareTypeFolder as i32
    );
    assert!(share.editable);
    assert_eq!(
        aes_gcm_decrypt(&app.key, &share.encrypted_secret_key).unwrap(),
        aes_gcm_decrypt(&app.key, &official_share.encrypted_secret_key).unwrap()
    );
    ours.shares[0].encrypted_secret_key = official_share.encrypted_secret_key.clone();
    assert_eq!(ours.encode_to_vec(), official_bytes);
}

#[test]
fn add_app_client_request_matches_commander_byte_for_byte_apart_from_the_nonce() {
    let v = vectors();
    let p = &v["proto"];
    let (app, _) = proto_app_and_folder(&v);
    let official_bytes = b64(&p["add_app_client_request"]);
    let official = AddAppClientRequest::decode(official_bytes.as_slice()).unwrap();
    let token = OneTimeToken::from_parts(Some("US".into()), key(&p["token_secret"]));

    let mut ours =
        ksm::add_app_client_request(&app, &token, &official.id, official.first_access_expire_on);

    assert_eq!(ours.id, "lab-gw-1");
    assert_eq!(ours.client_id, official.client_id);
    assert_eq!(
        ours.app_client_type,
        AppClientType::DiscoveryAndRotationController as i32
    );
    assert!(!ours.lock_ip);
    assert_eq!(ours.access_expire_on, 0);
    assert_eq!(
        aes_gcm_decrypt(token.secret(), &ours.encrypted_app_key).unwrap(),
        app.key.as_bytes()
    );
    ours.encrypted_app_key = official.encrypted_app_key.clone();
    assert_eq!(ours.encode_to_vec(), official_bytes);
}

#[test]
fn official_pam_controllers_response_lists_the_gateway_of_the_app() {
    let v = vectors();
    let p = &v["proto"];
    let response =
        PamControllersResponse::decode(b64(&p["pam_controllers_response"]).as_slice()).unwrap();

    let gateways: Vec<_> = response
        .controllers
        .iter()
        .filter_map(gw_provision::keeper::pam::Gateway::from_proto)
        .collect();

    assert_eq!(gateways.len(), 1);
    assert_eq!(gateways[0].name, "lab-gw-1");
    assert_eq!(gateways[0].application_uid, uid(&p["app_uid"]));
    assert_eq!(
        gateways[0].device_token,
        b64_std_decode(&response.controllers[0].device_token).unwrap()
    );
}

// ---- tokens and configs -----------------------------------------------------------------------

#[test]
fn official_token_parses_to_the_official_client_id() {
    let v = vectors();
    let vector = &v["ksm_client_id"];

    let token: OneTimeToken = vector["token"].as_str().unwrap().parse().unwrap();

    assert_eq!(token.prefix(), Some("US"));
    assert_eq!(
        token.secret().as_bytes().as_slice(),
        b64(&vector["token_secret"])
    );
    assert_eq!(token.client_id().to_vec(), b64(&vector["client_id"]));
    assert_eq!(token.expose(), vector["token"].as_str().unwrap());
}

#[test]
fn sandbox_host_token_keeps_the_port_in_its_prefix() {
    let secret = AesKey::generate();
    let token = OneTimeToken::from_parts(Some("127.0.0.1:8443".into()), secret.clone());

    let parsed: OneTimeToken = token.expose().parse().unwrap();

    assert_eq!(parsed.prefix(), Some("127.0.0.1:8443"));
    assert_eq!(parsed.secret(), &secret);
}

#[test]
fn ksm_config_json_uses_sdk_key_names_and_std_base64() {
    let config = KsmConfig {
        hostname: "127.0.0.1:8443".into(),
        client_id: [9u8; 64],
        private_key: EcPrivateKey::generate(),
        server_public_key_id: 10,
        app_key: AesKey::generate(),
        app_owner_public_key: None,
        server_public_key: Some(EcPrivateKey::generate().public_key()),
    };

    let json: Value = serde_json::from_str(&config.to_json()).unwrap();

    assert_eq!(json["hostname"], "127.0.0.1:8443");
    assert_eq!(json["serverPublicKeyId"], "10");
    assert_eq!(
        b64_std_decode(json["clientId"].as_str().unwrap()).unwrap(),
        vec![9u8; 64]
    );
    assert_eq!(
        b64_std_decode(json["appKey"].as_str().unwrap()).unwrap(),
        config.app_key.as_bytes()
    );
    let private = EcPrivateKey::from_pkcs8_der(
        &b64_std_decode(json["privateKey"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(private.to_bytes(), config.private_key.to_bytes());
    assert!(json.get("appOwnerPublicKey").is_none());
    assert_eq!(
        b64url_decode(json["serverPublicKey"].as_str().unwrap())
            .unwrap()
            .len(),
        65
    );
}
