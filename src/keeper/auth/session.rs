//! A logged-in session: the session token plus the user's decrypted keys
//! (protocol-transport-login.md §4.7–§4.8).

use prost::Message;

use super::device::DeviceCredentials;
use super::AuthError;
use crate::keeper::crypto::{
    aes_cbc_decrypt, aes_gcm_decrypt, ecies_encrypt, AesKey, EcPrivateKey, EcPublicKey,
    RsaPrivateKey,
};
use crate::keeper::proto::account_summary::{AccountSummaryElements, AccountSummaryRequest};
use crate::keeper::proto::authentication::{RegisterDeviceDataKeyRequest, UserSettingRequest};
use crate::keeper::server::Server;
use crate::keeper::transport::{SessionToken, Transport, TransportError};

/// `summaryVersion` of `login/account_summary`; the Python SDK's value (Commander sends 3).
const ACCOUNT_SUMMARY_VERSION: i32 = 1;

/// The pieces a [`Session`] is made of; lets tests and tools that already hold the keys build one.
pub struct SessionParts {
    /// Transport pointed at the account's server.
    pub transport: Transport,
    /// Session token from `LoginResponse.encryptedSessionToken`.
    pub session_token: SessionToken,
    /// Canonical account email (`LoginResponse.primaryUsername`).
    pub username: String,
    /// `LoginResponse.accountUid` (may be empty).
    pub account_uid: Vec<u8>,
    /// The user's data key.
    pub data_key: AesKey,
    /// The user's RSA private key, when the account has one.
    pub rsa_private_key: Option<RsaPrivateKey>,
    /// The user's ECC private key, when the account has one.
    pub ecc_private_key: Option<EcPrivateKey>,
    /// The user's ECC public key, when the account has one.
    pub ecc_public_key: Option<EcPublicKey>,
    /// The device this session runs on (with the latest clone code), when known.
    pub device: Option<DeviceCredentials>,
    /// The account summary, with its wrapped keys removed.
    pub account_summary: AccountSummaryElements,
}

/// Logs the same user in again when the server ends the session in the middle of a run (its
/// logout timer, an admin's "expire sessions"), so the run goes on from the step it was on.
pub trait SessionRenewal: Send + Sync {
    /// A fresh session token for the same account and keys.
    fn renew(
        &self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<SessionToken, AuthError>> + Send + '_>,
    >;
}

/// A logged-in user: what every vault/KSM/PAM call needs.
pub struct Session {
    parts: SessionParts,
    server: Server,
    /// The token a renewal brought, replacing `parts.session_token`.
    renewed: std::sync::RwLock<Option<SessionToken>>,
    renewal: Option<std::sync::Arc<dyn SessionRenewal>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.server)
            .field("username", &self.parts.username)
            .field("session_token", &self.parts.session_token)
            .field("data_key", &self.parts.data_key)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Assembles a session from already-decrypted parts.
    pub fn from_parts(mut parts: SessionParts) -> Session {
        parts.account_summary.keys_info = None;
        let server = parts.transport.server();
        Session {
            parts,
            server,
            renewed: std::sync::RwLock::new(None),
            renewal: None,
        }
    }

    /// Lets the session log in again once when the server answers `session_token_expired`.
    pub fn with_renewal(mut self, renewal: std::sync::Arc<dyn SessionRenewal>) -> Session {
        self.renewal = Some(renewal);
        self
    }

    /// Sends with the current token; when the server says the session ended, renews it once and
    /// sends again — the refused request was not carried out, so repeating it is safe.
    async fn with_token<T, F, Fut>(&self, call: F) -> Result<T, TransportError>
    where
        F: Fn(SessionToken) -> Fut,
        Fut: std::future::Future<Output = Result<T, TransportError>>,
    {
        let result = call(self.session_token()).await;
        let (Err(TransportError::SessionExpired), Some(renewal)) = (&result, &self.renewal) else {
            return result;
        };
        tracing::info!("the session ended in the middle of the run; logging in again");
        match renewal.renew().await {
            Ok(fresh) => {
                if let Ok(mut slot) = self.renewed.write() {
                    *slot = Some(fresh.clone());
                }
                call(fresh).await
            }
            Err(error) => {
                tracing::info!("logging in again failed: {error}");
                result
            }
        }
    }

    /// The transport, already pointed at this account's server.
    pub fn transport(&self) -> &Transport {
        &self.parts.transport
    }

    /// The session token to send with every authenticated request (a renewed one once the
    /// server ended the first).
    pub fn session_token(&self) -> SessionToken {
        self.renewed
            .read()
            .ok()
            .and_then(|t| t.clone())
            .unwrap_or_else(|| self.parts.session_token.clone())
    }

    /// The canonical account email.
    pub fn username(&self) -> &str {
        &self.parts.username
    }

    /// `accountUid` from the login response (may be empty).
    pub fn account_uid(&self) -> &[u8] {
        &self.parts.account_uid
    }

    /// The user's data key, which wraps record, folder and application keys.
    pub fn data_key(&self) -> &AesKey {
        &self.parts.data_key
    }

    /// The user's RSA private key (legacy shares), when the account has one.
    pub fn rsa_private_key(&self) -> Option<&RsaPrivateKey> {
        self.parts.rsa_private_key.as_ref()
    }

    /// The user's ECC private key, when the account has one.
    pub fn ecc_private_key(&self) -> Option<&EcPrivateKey> {
        self.parts.ecc_private_key.as_ref()
    }

    /// The user's ECC public key, when the account has one.
    pub fn ecc_public_key(&self) -> Option<&EcPublicKey> {
        self.parts.ecc_public_key.as_ref()
    }

    /// The server this session was established with (after any region redirect).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The device credentials to persist (carries the new clone code), when known.
    pub fn device_credentials(&self) -> Option<&DeviceCredentials> {
        self.parts.device.as_ref()
    }

    /// The account summary (settings, license, enforcements), without the wrapped keys.
    pub fn account_summary(&self) -> &AccountSummaryElements {
        &self.parts.account_summary
    }

    /// The account's enterprise role enforcements, with Keeper's clients' semantics.
    pub fn policy(&self) -> super::AccountPolicy {
        super::AccountPolicy::from_summary(&self.parts.account_summary)
    }

    /// POSTs raw bytes to `endpoint` with this session's token.
    pub async fn execute_rest(
        &self,
        endpoint: &str,
        payload: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, TransportError> {
        self.with_token(|token| {
            let payload = payload.clone();
            async move {
                self.parts
                    .transport
                    .execute_rest(endpoint, payload, Some(&token))
                    .await
            }
        })
        .await
    }

    /// Sends a protobuf request to `endpoint` with this session's token and decodes the reply.
    pub async fn execute_proto<Rq, Rs>(
        &self,
        endpoint: &str,
        request: &Rq,
    ) -> Result<Rs, TransportError>
    where
        Rq: Message,
        Rs: Message + Default,
    {
        self.with_token(|token| async move {
            self.parts
                .transport
                .execute_proto(endpoint, request, Some(&token))
                .await
        })
        .await
    }

    /// Calls Keeper's router (`<router>/api/user/<path>`) as this user; see
    /// [`Transport::execute_router`].
    pub async fn execute_router(
        &self,
        path: &str,
        body: crate::keeper::transport::router::RouterBody<'_>,
    ) -> Result<Vec<u8>, TransportError> {
        self.with_token(|token| async move {
            self.parts
                .transport
                .execute_router(path, body, &token)
                .await
        })
        .await
    }

    /// Runs a JSON command on `vault/execute_v2_command` as this user.
    pub async fn execute_v2_command(
        &self,
        command: serde_json::Value,
    ) -> Result<serde_json::Value, TransportError> {
        self.with_token(|token| {
            let command = command.clone();
            async move {
                self.parts
                    .transport
                    .execute_v2_command(&token, &self.parts.username, command)
                    .await
            }
        })
        .await
    }

    /// Wraps the data key for this device so a clone code can resume the session later
    /// (`register_encrypted_data_key_for_device`); `device_data_key_exists` counts as success.
    pub async fn register_data_key_for_device(&self) -> Result<(), AuthError> {
        let device = self.parts.device.as_ref().ok_or(AuthError::NoDevice)?;
        let request = RegisterDeviceDataKeyRequest {
            encrypted_device_token: device.device_token.as_bytes().to_vec(),
            encrypted_device_data_key: ecies_encrypt(
                &device.device_public_key(),
                self.parts.data_key.as_bytes(),
            ),
        };
        match self
            .execute_rest(
                "authentication/register_encrypted_data_key_for_device",
                Some(request.encode_to_vec()),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(TransportError::Keeper { code, .. }) if code == "device_data_key_exists" => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Turns the account's `persistent_login` setting on or off (`setting/set_user_setting`).
    pub async fn set_persistent_login(&self, enabled: bool) -> Result<(), AuthError> {
        let request = UserSettingRequest {
            setting: "persistent_login".to_owned(),
            value: if enabled { "1" } else { "0" }.to_owned(),
        };
        self.execute_rest("setting/set_user_setting", Some(request.encode_to_vec()))
            .await?;
        Ok(())
    }

    /// Ends the session on the server (`vault/logout_v3`).
    pub async fn logout(self) -> Result<(), AuthError> {
        self.execute_rest("vault/logout_v3", None).await?;
        Ok(())
    }
}

/// The user's key pairs, decrypted from `AccountSummaryElements.keysInfo` with the data key.
pub(crate) struct AccountKeys {
    pub rsa_private_key: Option<RsaPrivateKey>,
    pub ecc_private_key: Option<EcPrivateKey>,
    pub ecc_public_key: Option<EcPublicKey>,
}

/// Fetches the account summary with a fresh session token.
pub(crate) async fn load_account_summary(
    transport: &Transport,
    session_token: &SessionToken,
) -> Result<AccountSummaryElements, AuthError> {
    let request = AccountSummaryRequest {
        summary_version: ACCOUNT_SUMMARY_VERSION,
        include_recent_activity: false,
    };
    Ok(transport
        .execute_proto("login/account_summary", &request, Some(session_token))
        .await?)
}

/// Decrypts the RSA key (AES-CBC → PKCS#1 DER) and the ECC key (AES-GCM → 32-byte scalar).
pub(crate) fn decrypt_account_keys(
    summary: &AccountSummaryElements,
    data_key: &AesKey,
) -> Result<AccountKeys, AuthError> {
    let Some(keys) = &summary.keys_info else {
        return Ok(AccountKeys {
            rsa_private_key: None,
            ecc_private_key: None,
            ecc_public_key: None,
        });
    };
    let rsa_private_key = if keys.encrypted_private_key.is_empty() {
        None
    } else {
        let der = zeroize::Zeroizing::new(
            aes_cbc_decrypt(data_key, &keys.encrypted_private_key).map_err(|source| {
                AuthError::Crypto {
                    what: "RSA private key",
                    source,
                }
            })?,
        );
        Some(
            RsaPrivateKey::from_pkcs1_der(&der).map_err(|source| AuthError::Crypto {
                what: "RSA private key",
                source,
            })?,
        )
    };
    let ecc_private_key = if keys.encrypted_ecc_private_key.is_empty() {
        None
    } else {
        let scalar = zeroize::Zeroizing::new(
            aes_gcm_decrypt(data_key, &keys.encrypted_ecc_private_key).map_err(|source| {
                AuthError::Crypto {
                    what: "ECC private key",
                    source,
                }
            })?,
        );
        Some(
            EcPrivateKey::from_bytes(&scalar).map_err(|source| AuthError::Crypto {
                what: "ECC private key",
                source,
            })?,
        )
    };
    let ecc_public_key = if keys.ecc_public_key.is_empty() {
        ecc_private_key.as_ref().map(EcPrivateKey::public_key)
    } else {
        Some(
            EcPublicKey::from_uncompressed(&keys.ecc_public_key).map_err(|source| {
                AuthError::Crypto {
                    what: "ECC public key",
                    source,
                }
            })?,
        )
    };
    Ok(AccountKeys {
        rsa_private_key,
        ecc_private_key,
        ecc_public_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::{aes_cbc_encrypt, aes_gcm_encrypt};
    use crate::keeper::proto::account_summary::KeysInfo;

    #[test]
    fn account_keys_decrypt_with_the_data_key() {
        let data_key = AesKey::generate();
        let ecc = EcPrivateKey::generate();
        let rsa = RsaPrivateKey::generate_2048().unwrap();
        let summary = AccountSummaryElements {
            keys_info: Some(KeysInfo {
                encrypted_private_key: aes_cbc_encrypt(&data_key, &rsa.to_pkcs1_der().unwrap()),
                encrypted_ecc_private_key: aes_gcm_encrypt(&data_key, &ecc.to_bytes()),
                ecc_public_key: ecc.public_key().to_uncompressed(),
                ..KeysInfo::default()
            }),
            ..AccountSummaryElements::default()
        };
        let keys = decrypt_account_keys(&summary, &data_key).unwrap();
        assert_eq!(
            keys.ecc_private_key.unwrap().to_bytes().as_slice(),
            ecc.to_bytes().as_slice()
        );
        assert_eq!(
            keys.ecc_public_key.unwrap().to_uncompressed(),
            ecc.public_key().to_uncompressed()
        );
        assert_eq!(
            keys.rsa_private_key
                .unwrap()
                .to_pkcs1_der()
                .unwrap()
                .as_slice(),
            rsa.to_pkcs1_der().unwrap().as_slice()
        );
    }

    #[test]
    fn account_without_keys_info_has_no_key_pairs() {
        let keys =
            decrypt_account_keys(&AccountSummaryElements::default(), &AesKey::generate()).unwrap();
        assert!(keys.rsa_private_key.is_none() && keys.ecc_private_key.is_none());
    }

    #[test]
    fn ecc_key_under_another_data_key_is_a_crypto_error() {
        let summary = AccountSummaryElements {
            keys_info: Some(KeysInfo {
                encrypted_ecc_private_key: aes_gcm_encrypt(&AesKey::generate(), &[7; 32]),
                ..KeysInfo::default()
            }),
            ..AccountSummaryElements::default()
        };
        let result = decrypt_account_keys(&summary, &AesKey::generate());
        assert!(matches!(
            result,
            Err(AuthError::Crypto {
                what: "ECC private key",
                ..
            })
        ));
    }
}
