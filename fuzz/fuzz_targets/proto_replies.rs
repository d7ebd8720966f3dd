//! The protobuf replies the client reads (after the envelope is opened), and what it does with
//! them: prost decoding, then the same conversions the client code applies.
#![no_main]

use gw_provision::fuzzing::account_keys;
use gw_provision::keeper::crypto::{AesKey, EcPrivateKey};
use gw_provision::keeper::ksm::apps::AppInfo;
use gw_provision::keeper::pam::{check_removal, Gateway};
use gw_provision::keeper::proto::account_summary::AccountSummaryElements;
use gw_provision::keeper::proto::authentication::{
    Device, DeviceVerificationResponse, GetAppInfoResponse, GetApplicationsSummaryResponse,
    LoginResponse, TwoFactorValidateResponse,
};
use gw_provision::keeper::proto::pam::{PamControllersResponse, PamRemoveControllerResponse};
use gw_provision::keeper::proto::vault::SyncDownResponse;
use gw_provision::keeper::uid::Uid;
use gw_provision::keeper::vault::{SyncBuilder, VaultKeys};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (Ok(data_key), Ok(ecc)) = (
        AesKey::from_slice(&[3; 32]),
        EcPrivateKey::from_bytes(&[5; 32]),
    ) else {
        return;
    };
    match selector % 9 {
        0 => drop(LoginResponse::decode(body)),
        1 => drop(TwoFactorValidateResponse::decode(body)),
        2 => drop(Device::decode(body)),
        3 => {
            if let Ok(page) = SyncDownResponse::decode(body) {
                let mut builder = SyncBuilder::new();
                builder.apply(&page);
                builder.apply(&page);
                let keys = VaultKeys {
                    data_key: &data_key,
                    rsa_private_key: None,
                    ecc_private_key: Some(&ecc),
                };
                drop(builder.finish(&keys));
            }
        }
        4 => {
            if let Ok(reply) = GetAppInfoResponse::decode(body) {
                for row in &reply.app_info {
                    drop(AppInfo::from_proto(row));
                }
            }
        }
        5 => drop(GetApplicationsSummaryResponse::decode(body)),
        6 => {
            if let Ok(reply) = PamControllersResponse::decode(body) {
                for row in &reply.controllers {
                    drop(Gateway::from_proto(row));
                }
            }
        }
        7 => {
            if let Ok(reply) = PamRemoveControllerResponse::decode(body) {
                for uid in [Uid::from_slice(&[0; 16]), Uid::from_slice(&[1; 16])] {
                    if let Ok(uid) = uid {
                        drop(check_removal(&uid, &reply));
                    }
                }
            }
        }
        _ => {
            if let Ok(summary) = AccountSummaryElements::decode(body) {
                drop(account_keys(&summary, &data_key));
            }
            drop(DeviceVerificationResponse::decode(body));
        }
    }
});
