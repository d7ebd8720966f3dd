//! PAM configurations: the version-6 record that tells a gateway where its resources live and
//! what it may do, and its binding to the gateway.
//!
//! Facts (Commander 18.1.8 `commands/discoveryrotation.py::PAMConfigurationNewCommand`,
//! `commands/pam/config_helper.py::pam_configuration_create_record_v6` and
//! `::configuration_controller_get`, `commands/pam/vault_target.py::create_pam_configuration_in_folder`):
//! the record is created with `pam/add_configuration_record` (`ConfigurationAddRequest`:
//! `configurationUid`, `recordKey` = GCM(record key, data key), `data` = GCM(padded JSON, record
//! key)); it lands at the vault root and is then moved into the shared folder (v2 `move`, see
//! `vault::move_record_to_shared_folder`); `pam/set_configuration_controller` binds it to the
//! gateway and `pam/get_configuration_controller` reads the binding back as a `PAMController`.

use serde_json::json;

use super::PamError;
use crate::keeper::auth::Session;
use crate::keeper::crypto::{aes_gcm_encrypt, AesKey};
use crate::keeper::proto::pam::{
    ConfigurationAddRequest, PamConfigurationController, PamController, PamGenericUidRequest,
};
use crate::keeper::uid::Uid;

/// Where the resources of a PAM configuration live (`pam config new --environment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    /// A local network: `pamNetworkConfiguration`, needs no cloud credentials.
    Local,
    /// AWS: `pamAwsConfiguration`.
    Aws,
    /// Azure: `pamAzureConfiguration`.
    Azure,
    /// Google Cloud: `pamGcpConfiguration`.
    Gcp,
    /// An Active Directory domain: `pamDomainConfiguration`.
    Domain,
    /// Oracle Cloud: `pamOciConfiguration`.
    Oci,
}

impl Environment {
    /// Every environment, in Commander's order.
    pub const ALL: [Environment; 6] = [
        Environment::Local,
        Environment::Aws,
        Environment::Azure,
        Environment::Gcp,
        Environment::Domain,
        Environment::Oci,
    ];

    /// The `--environment` word, e.g. `local`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Aws => "aws",
            Environment::Azure => "azure",
            Environment::Gcp => "gcp",
            Environment::Domain => "domain",
            Environment::Oci => "oci",
        }
    }

    /// The record type of its configuration record.
    pub fn record_type(self) -> &'static str {
        match self {
            Environment::Local => "pamNetworkConfiguration",
            Environment::Aws => "pamAwsConfiguration",
            Environment::Azure => "pamAzureConfiguration",
            Environment::Gcp => "pamGcpConfiguration",
            Environment::Domain => "pamDomainConfiguration",
            Environment::Oci => "pamOciConfiguration",
        }
    }

    /// The environment whose configuration records have this type.
    pub fn from_record_type(record_type: &str) -> Option<Environment> {
        Environment::ALL
            .into_iter()
            .find(|e| e.record_type() == record_type)
    }
}

impl std::fmt::Display for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON of a new configuration record, padded as Commander pads record data
/// (`api.get_record_data_json_bytes`: spaces up to at least 384 bytes, a multiple of 16, so
/// GCM does not leak the length).
///
/// Fields are those `pam config new` fills for a local network: `pamResources` with the
/// gateway and the shared folder (`resourceRef` empty, Keeper's field default), and the default
/// rotation schedule "on demand" (`verify_required` fills `[{"type": "ON_DEMAND"}]`).
pub fn configuration_data(
    title: &str,
    environment: Environment,
    controller: &Uid,
    folder: &Uid,
) -> Vec<u8> {
    let data = json!({
        "type": environment.record_type(),
        "title": title,
        "notes": "",
        "fields": [
            {
                "type": "pamResources",
                "value": [{
                    "controllerUid": controller.to_string(),
                    "folderUid": folder.to_string(),
                    "resourceRef": [],
                }],
            },
            {
                "type": "schedule",
                "label": "defaultRotationSchedule",
                "value": [{"type": "ON_DEMAND"}],
            },
        ],
        "custom": [],
    });
    pad_record_json(data.to_string().into_bytes())
}

/// Pads record JSON with spaces to max(384, len) rounded up to 16 bytes.
pub fn pad_record_json(mut json: Vec<u8>) -> Vec<u8> {
    let target = json.len().max(384).div_ceil(16) * 16;
    json.resize(target, b' ');
    json
}

/// The `pam/add_configuration_record` request for a record with this UID, key and JSON.
pub fn configuration_add_request(
    uid: &Uid,
    record_key: &AesKey,
    data_json: &[u8],
    data_key: &AesKey,
) -> ConfigurationAddRequest {
    ConfigurationAddRequest {
        configuration_uid: uid.as_bytes().to_vec(),
        record_key: aes_gcm_encrypt(data_key, record_key.as_bytes()),
        data: aes_gcm_encrypt(record_key, data_json),
        record_links: Vec::new(),
        audit: None,
    }
}

/// A configuration record this run creates: its UID and key are chosen by the client.
#[derive(Debug, Clone)]
pub struct NewConfiguration {
    /// The record UID.
    pub uid: Uid,
    /// The record key (what the shared folder's copy of the key wraps).
    pub key: AesKey,
}

/// Creates the configuration record at the vault root; the caller then moves it into the
/// shared folder and binds it.
pub async fn add_configuration_record(
    session: &Session,
    title: &str,
    environment: Environment,
    controller: &Uid,
    folder: &Uid,
) -> Result<NewConfiguration, PamError> {
    let created = NewConfiguration {
        uid: Uid::generate(),
        key: AesKey::generate(),
    };
    let data = zeroize::Zeroizing::new(configuration_data(title, environment, controller, folder));
    let request = configuration_add_request(&created.uid, &created.key, &data, session.data_key());
    session
        .execute_proto::<_, ()>("pam/add_configuration_record", &request)
        .await?;
    Ok(created)
}

/// Binds the configuration to the gateway (`pam/set_configuration_controller`).
pub async fn set_configuration_controller(
    session: &Session,
    configuration: &Uid,
    controller: &Uid,
) -> Result<(), PamError> {
    let request = PamConfigurationController {
        configuration_uid: configuration.as_bytes().to_vec(),
        controller_uid: controller.as_bytes().to_vec(),
    };
    session
        .execute_proto::<_, ()>("pam/set_configuration_controller", &request)
        .await?;
    Ok(())
}

/// The gateway a configuration is bound to; `None` when it is bound to none (Keeper answers
/// "not found" or an empty controller).
pub async fn get_configuration_controller(
    session: &Session,
    configuration: &Uid,
) -> Result<Option<Uid>, PamError> {
    let request = PamGenericUidRequest {
        uid: configuration.as_bytes().to_vec(),
    };
    let reply: Result<PamController, _> = session
        .execute_proto("pam/get_configuration_controller", &request)
        .await;
    match reply.map_err(PamError::from) {
        Ok(controller) if controller.controller_uid.is_empty() => Ok(None),
        Ok(controller) => Uid::from_slice(&controller.controller_uid)
            .map(Some)
            .map_err(|_| PamError::BadResponse("controller UID is not 16 bytes".into())),
        Err(PamError::NotFound(_)) => Ok(None),
        Err(PamError::Refused { code, .. }) if code.contains("doesnt_exist") => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::aes_gcm_decrypt;

    #[test]
    fn record_json_is_padded_to_384_then_multiples_of_16() {
        assert_eq!(pad_record_json(b"{}".to_vec()).len(), 384);
        assert_eq!(pad_record_json(vec![b'x'; 385]).len(), 400);
        assert_eq!(pad_record_json(vec![b'x'; 400]).len(), 400);
    }

    #[test]
    fn local_configuration_names_the_gateway_and_folder_in_pam_resources() {
        let (gateway, folder) = (Uid::generate(), Uid::generate());
        let data = configuration_data("Lab Config", Environment::Local, &gateway, &folder);
        let json: serde_json::Value = serde_json::from_slice(data.trim_ascii_end()).unwrap();
        assert_eq!(json["type"], "pamNetworkConfiguration");
        assert_eq!(json["title"], "Lab Config");
        let resources = &json["fields"][0];
        assert_eq!(resources["type"], "pamResources");
        assert_eq!(resources["value"][0]["controllerUid"], gateway.to_string());
        assert_eq!(resources["value"][0]["folderUid"], folder.to_string());
    }

    #[test]
    fn add_request_wraps_the_record_key_with_the_data_key_and_the_data_with_the_record_key() {
        let (uid, record_key, data_key) = (Uid::generate(), AesKey::generate(), AesKey::generate());
        let request = configuration_add_request(&uid, &record_key, b"{}", &data_key);
        assert_eq!(request.configuration_uid, uid.as_bytes().to_vec());
        assert_eq!(
            aes_gcm_decrypt(&data_key, &request.record_key).unwrap(),
            record_key.as_bytes().to_vec()
        );
        assert_eq!(aes_gcm_decrypt(&record_key, &request.data).unwrap(), b"{}");
    }

    #[test]
    fn environments_map_to_commanders_record_types() {
        for environment in Environment::ALL {
            assert_eq!(
                Environment::from_record_type(environment.record_type()),
                Some(environment)
            );
        }
        assert_eq!(Environment::Local.record_type(), "pamNetworkConfiguration");
    }
}
