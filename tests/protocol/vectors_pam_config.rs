//! The PAM configuration messages against bytes made by Keeper Commander 18.1.8's own code
//! (`tests/data/pam-config-vectors.json`, written by `tests/data/make_pam_config_vectors.py`):
//! each decodes into our prost structs and re-encodes to the same bytes, and what our builders
//! make for the same inputs is byte-identical where no random nonce is involved.

use gw_provision::keeper::crypto::{aes_gcm_decrypt, b64url_decode, AesKey};
use gw_provision::keeper::pam::configuration::{configuration_add_request, configuration_data};
use gw_provision::keeper::pam::Environment;
use gw_provision::keeper::proto::pam::{
    ConfigurationAddRequest, PamConfigurationController, PamGenericUidRequest,
};
use gw_provision::keeper::proto::router::{
    PamNetworkConfigurationRequest, RouterResponse, RouterResponseCode,
};
use gw_provision::keeper::router::{network_configuration_request, AllowedSettings};
use gw_provision::keeper::uid::Uid;
use prost::Message;
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pam-config-vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors file")).expect("JSON")
}

fn bytes(v: &Value, group: &str, name: &str) -> Vec<u8> {
    b64url_decode(v[group][name].as_str().expect("vector")).expect("b64url")
}

fn uid(v: &Value, name: &str) -> Uid {
    Uid::from_slice(&bytes(v, "keys", name)).unwrap()
}

fn decode_exact<M: Message + Default>(encoded: &[u8]) -> M {
    let message = M::decode(encoded).expect("decodes");
    assert_eq!(message.encode_to_vec(), encoded, "re-encoding differs");
    message
}

#[test]
fn configuration_add_request_from_commander_decodes_and_its_keys_unwrap() {
    let v = vectors();
    let request: ConfigurationAddRequest =
        decode_exact(&bytes(&v, "proto", "configuration_add_request"));
    let data_key = AesKey::from_slice(&bytes(&v, "keys", "data_key")).unwrap();
    let record_key = AesKey::from_slice(&bytes(&v, "keys", "record_key")).unwrap();
    assert_eq!(request.configuration_uid, bytes(&v, "keys", "config_uid"));
    assert_eq!(
        aes_gcm_decrypt(&data_key, &request.record_key).unwrap(),
        record_key.as_bytes().to_vec()
    );
    let commander = aes_gcm_decrypt(&record_key, &request.data).unwrap();
    let ours = configuration_data(
        "Lab Config",
        Environment::Local,
        &uid(&v, "controller_uid"),
        &uid(&v, "folder_uid"),
    );
    // The same padding rule: both are 384 bytes of JSON and spaces.
    assert_eq!(
        commander.len(),
        v["record_json_len"].as_u64().unwrap() as usize
    );
    assert_eq!(ours.len(), commander.len());
    let parse = |b: &[u8]| serde_json::from_slice::<Value>(b.trim_ascii_end()).unwrap();
    let (commander, ours) = (parse(&commander), parse(&ours));
    for key in ["type", "title", "notes"] {
        assert_eq!(ours[key], commander[key], "{key}");
    }
    let resources = |doc: &Value| doc["fields"][0]["value"][0].clone();
    assert_eq!(ours["fields"][0]["type"], commander["fields"][0]["type"]);
    assert_eq!(
        resources(&ours)["controllerUid"],
        resources(&commander)["controllerUid"]
    );
    assert_eq!(
        resources(&ours)["folderUid"],
        resources(&commander)["folderUid"]
    );

    // Our builder wraps the same way (GCM under the data key, then under the record key).
    let built = configuration_add_request(&uid(&v, "config_uid"), &record_key, b"{}", &data_key);
    assert_eq!(built.configuration_uid, request.configuration_uid);
    assert_eq!(
        aes_gcm_decrypt(&data_key, &built.record_key).unwrap(),
        record_key.as_bytes().to_vec()
    );
}

#[test]
fn binding_and_uid_requests_are_byte_identical_to_commanders() {
    let v = vectors();
    let binding = PamConfigurationController {
        configuration_uid: bytes(&v, "keys", "config_uid"),
        controller_uid: bytes(&v, "keys", "controller_uid"),
    };
    assert_eq!(
        binding.encode_to_vec(),
        bytes(&v, "proto", "configuration_controller")
    );
    let get = PamGenericUidRequest {
        uid: bytes(&v, "keys", "config_uid"),
    };
    assert_eq!(
        get.encode_to_vec(),
        bytes(&v, "proto", "generic_uid_request")
    );
}

#[test]
fn settings_request_is_byte_identical_to_commanders_for_connections_tunneling_rotation_on() {
    let v = vectors();
    let expected = bytes(&v, "proto", "network_configuration_request");
    let _: PamNetworkConfigurationRequest = decode_exact(&expected);
    let settings = AllowedSettings {
        connections: Some(true),
        tunneling: Some(true),
        rotation: Some(true),
        recording: None,
    };
    let ours = network_configuration_request(&uid(&v, "config_uid"), &settings);
    assert_eq!(ours.encode_to_vec(), expected);
}

#[test]
fn router_refusal_decodes_with_its_code_and_message() {
    let v = vectors();
    let response: RouterResponse = decode_exact(&bytes(&v, "proto", "router_response_not_allowed"));
    assert_eq!(
        response.response_code,
        RouterResponseCode::RrcNotAllowed as i32
    );
    assert_eq!(response.error_message, "not allowed");
}
