//! KSM `sm/v1` JSON DTOs and the v2 JSON reply: what the client reads from Keeper (and the
//! sandbox reads from KSM SDKs), plus the client's reading of the binding reply.
#![no_main]

use gw_provision::fuzzing::{ksm_binding_reply, v2_reply};
use gw_provision::keeper::crypto::{AesKey, EcPrivateKey};
use gw_provision::keeper::ksm::OneTimeToken;
use gw_provision::keeper::proto::ksm_json::{
    CompleteTransactionPayload, CreatePayload, GetFoldersResponse, GetPayload,
    SecretsManagerResponse, UpdatePayload,
};
use gw_provision::keeper::proto::v2::{FolderAddCommand, V2Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 8 {
        0 => {
            if let Ok(reply) = serde_json::from_slice::<SecretsManagerResponse>(body) {
                let json = serde_json::to_vec(&reply).expect("a reply serializes");
                let again: SecretsManagerResponse =
                    serde_json::from_slice(&json).expect("a serialized reply parses");
                assert_eq!(again, reply);
            }
        }
        1 => drop(serde_json::from_slice::<GetFoldersResponse>(body)),
        2 => drop(serde_json::from_slice::<GetPayload>(body)),
        3 => drop(serde_json::from_slice::<CreatePayload>(body)),
        4 => drop(serde_json::from_slice::<UpdatePayload>(body)),
        5 => {
            drop(serde_json::from_slice::<CompleteTransactionPayload>(body));
            drop(serde_json::from_slice::<FolderAddCommand>(body));
        }
        6 => {
            drop(serde_json::from_slice::<V2Response>(body));
            drop(v2_reply(body));
        }
        _ => {
            // The seed corpus's binding replies are sealed for this token secret (32 × 0x11).
            let (Ok(secret), Ok(client_key)) = (
                AesKey::from_slice(&[0x11; 32]),
                EcPrivateKey::from_bytes(&[9; 32]),
            ) else {
                return;
            };
            let token = OneTimeToken::from_parts(Some("US".to_owned()), secret);
            drop(ksm_binding_reply(&token, client_key, body));
        }
    }
});
