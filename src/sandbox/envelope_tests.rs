//! Pins the server-side envelopes to requests made by Keeper's own Python clients.

use prost::Message;
use serde_json::Value;

use super::*;
use crate::keeper::crypto::{b64url_decode, ecies_encrypt};
use crate::keeper::proto::authentication::StartLoginRequest;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../tests/data/keeper-vectors.json")).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    b64url_decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn commander_start_login_request_opens_with_the_server_key() {
    let v = &vectors()["rest_start_login"];
    let key = EcPrivateKey::from_bytes(&bytes(&v["server_private_key"])).unwrap();
    let request = open_rest(&key, &bytes(&v["api_request"])).unwrap();
    assert_eq!(
        request.transmission_key.as_bytes().to_vec(),
        bytes(&v["expect_transmission_key"])
    );
    let login = StartLoginRequest::decode(request.payload.payload.as_slice()).unwrap();
    let expect = &v["expect_start_login"];
    assert_eq!(
        login.client_version,
        expect["clientVersion"].as_str().unwrap()
    );
    assert_eq!(login.username, expect["username"].as_str().unwrap());
    assert_eq!(
        login.encrypted_device_token,
        bytes(&expect["encryptedDeviceToken"])
    );
    assert_eq!(
        login.message_session_uid,
        bytes(&expect["messageSessionUid"])
    );
    assert_eq!(
        i64::from(login.login_type),
        expect["loginType"].as_i64().unwrap()
    );
    assert_eq!(
        i64::from(login.login_method),
        expect["loginMethod"].as_i64().unwrap()
    );
}

#[test]
fn start_login_request_under_another_server_key_is_refused_as_undecryptable() {
    let v = &vectors()["rest_start_login"];
    let err = open_rest(&EcPrivateKey::generate(), &bytes(&v["api_request"])).unwrap_err();
    assert_eq!(err, EnvelopeError::TransmissionKey);
}

#[test]
fn request_naming_another_key_id_is_refused() {
    let key = EcPrivateKey::generate();
    let request = ApiRequest {
        encrypted_transmission_key: ecies_encrypt(&key.public_key(), &[7u8; 32]),
        public_key_id: 8,
        ..Default::default()
    };
    let err = open_rest(&key, &request.encode_to_vec()).unwrap_err();
    assert_eq!(err, EnvelopeError::WrongKeyId(8));
}

#[test]
fn garbage_body_is_malformed_not_a_panic() {
    let err = open_rest(&EcPrivateKey::generate(), b"\xff\xff\xff garbage").unwrap_err();
    assert!(matches!(err, EnvelopeError::Malformed(_)));
}

fn ksm_vector_parts(v: &Value) -> (EcPrivateKey, Vec<u8>, String, String, String) {
    let key = EcPrivateKey::from_bytes(&bytes(&v["server_private_key"])).unwrap();
    (
        key,
        bytes(&v["body"]),
        v["public_key_id_header"].as_str().unwrap().to_string(),
        v["transmission_key_header_std_b64"]
            .as_str()
            .unwrap()
            .to_string(),
        v["authorization_header"].as_str().unwrap().to_string(),
    )
}

#[test]
fn ksm_sdk_get_secret_request_opens_and_its_signature_verifies() {
    let v = &vectors()["ksm_get_secret_request"];
    let (key, body, key_id, tk, auth) = ksm_vector_parts(v);
    let headers = KsmHeaders {
        public_key_id: Some(&key_id),
        transmission_key: Some(&tk),
        authorization: Some(&auth),
    };
    let request = open_ksm(&key, headers, &body).unwrap();
    assert_eq!(
        request.transmission_key.as_bytes().to_vec(),
        bytes(&v["expect_transmission_key"])
    );
    let json: Value = serde_json::from_slice(&request.payload).unwrap();
    assert_eq!(json["clientId"], v["expect_client_id_std_b64"]);
    let public_key = b64_std_decode(json["publicKey"].as_str().unwrap()).unwrap();
    request.verify(&public_key).unwrap();
}

#[test]
fn ksm_request_with_a_tampered_body_fails_signature_verification() {
    let v = &vectors()["ksm_get_secret_request"];
    let (key, body, key_id, tk, auth) = ksm_vector_parts(v);
    let headers = KsmHeaders {
        public_key_id: Some(&key_id),
        transmission_key: Some(&tk),
        authorization: Some(&auth),
    };
    let request = open_ksm(&key, headers, &body).unwrap();
    let json: Value = serde_json::from_slice(&request.payload).unwrap();
    let public_key = b64_std_decode(json["publicKey"].as_str().unwrap()).unwrap();
    let forged = KsmRequest {
        signed: [request.signed.as_slice(), b"x"].concat(),
        ..request
    };
    assert_eq!(forged.verify(&public_key), Err(EnvelopeError::BadSignature));
}

#[test]
fn ksm_request_without_a_signature_header_is_refused() {
    let v = &vectors()["ksm_get_secret_request"];
    let (key, body, key_id, tk, _) = ksm_vector_parts(v);
    let headers = KsmHeaders {
        public_key_id: Some(&key_id),
        transmission_key: Some(&tk),
        authorization: None,
    };
    let err = open_ksm(&key, headers, &body).unwrap_err();
    assert_eq!(err, EnvelopeError::MissingHeader("Authorization"));
}

#[test]
fn ksm_request_under_key_id_10_is_refused_with_the_key_id() {
    let v = &vectors()["ksm_get_secret_request"];
    let (key, body, _, tk, auth) = ksm_vector_parts(v);
    let headers = KsmHeaders {
        public_key_id: Some("10"),
        transmission_key: Some(&tk),
        authorization: Some(&auth),
    };
    assert_eq!(
        open_ksm(&key, headers, &body).unwrap_err(),
        EnvelopeError::WrongKeyId(10)
    );
}
