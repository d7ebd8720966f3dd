//! Keeper Cloud SSO as the sandbox plays it (protocol-transport-login.md §4.10): a Cloud SSO
//! account's login gets REDIRECT_CLOUD_SSO with an identity-provider URL; the client appends
//! `payload=` (an `ApiRequest` sealed to the server key, carrying an `SsoCloudRequest`). After
//! the sign-in, SSO Connect shows a "login token": the `SsoCloudResponse` encrypted under that
//! request's transmission key. `POST /__sandbox/sso-login {"url"}` is that sign-in: it opens the
//! payload and answers the token, whose login token resumes the login with AFTER_SSO.

use crate::keeper::proto::sso_cloud::{SsoCloudRequest, SsoCloudResponse};
use prost::Message;

use crate::keeper::crypto::{aes_gcm_encrypt, b64url_decode, b64url_encode, random_bytes};

use super::context::{ApiError, PendingLogin, Shared};
use super::envelope::open_rest;
use super::login_steps::{remember_login, LoginProgress};

/// `SsoCloudResponse.providerName` the sandbox's identity provider signs with.
const PROVIDER_NAME: &str = "Sandbox IdP";

/// The URL REDIRECT_CLOUD_SSO sends a login of this sandbox to.
pub fn sso_url(host: &str) -> String {
    format!("https://{host}/api/rest/sso/saml/login/sandbox")
}

/// Signs the user of `url`'s payload in at the identity provider: returns their e-mail and the
/// login token SSO Connect would show. The token's login continues on whichever device resumes
/// it first (`start_login` with loginMethod AFTER_SSO).
pub fn sign_in(shared: &Shared, url: &str) -> Result<(String, String), ApiError> {
    let payload = url
        .split(['?', '&', '#'])
        .find_map(|pair| pair.strip_prefix("payload="))
        .ok_or_else(|| ApiError::bad_request("the URL has no payload= parameter"))?;
    let sealed = b64url_decode(payload)
        .map_err(|_| ApiError::bad_request("the payload is not base64url"))?;
    let opened = open_rest(&shared.server_key, &sealed)
        .map_err(|e| ApiError::bad_request(format!("the payload cannot be opened: {e}")))?;
    let request = SsoCloudRequest::decode(opened.payload.payload.as_slice())
        .map_err(|_| ApiError::bad_request("the payload is not an SsoCloudRequest"))?;
    let (account, email) = {
        let state = shared.read();
        let index = state
            .account_index(&request.username)
            .filter(|i| state.accounts[*i].policy.cloud_sso)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{:?} is not a Cloud SSO account of this sandbox",
                    request.username
                ))
            })?;
        (index, state.accounts[index].username.clone())
    };
    let login_token = random_bytes(32);
    remember_login(
        shared,
        login_token.clone(),
        PendingLogin {
            account,
            // Bound to the device that resumes with it (the token is the proof, not the device).
            device_token: Vec::new(),
            expires_ms: 0,
            progress: LoginProgress {
                sso: true,
                ..LoginProgress::default()
            },
        },
    )?;
    let response = SsoCloudResponse {
        command: "login".to_owned(),
        message_session_uid: request.message_session_uid,
        email: email.clone(),
        encrypted_login_token: login_token,
        provider_name: PROVIDER_NAME.to_owned(),
        ..SsoCloudResponse::default()
    };
    let token = b64url_encode(&aes_gcm_encrypt(
        &opened.transmission_key,
        &response.encode_to_vec(),
    ));
    tracing::info!(%email, "sandbox Cloud SSO sign-in");
    Ok((email, token))
}
