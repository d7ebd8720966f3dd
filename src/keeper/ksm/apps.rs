//! KSM applications: create one (`vault/application_add`) and read its shares and clients
//! (`vault/get_app_info`, `vault/get_applications_summary`).
//! Facts: protocol-vault-ksm-gateway.md §2.1, §2.2, §3.2.

use serde::Serialize;

use super::KsmError;
use crate::keeper::auth::Session;
use crate::keeper::crypto::{aes_gcm_encrypt, AesKey};
use crate::keeper::proto::authentication::{
    AppClient as AppClientRow, AppInfo as AppInfoRow, AppShare as AppShareRow,
    ApplicationShareType, GetAppInfoRequest, GetAppInfoResponse, GetApplicationsSummaryResponse,
};
use crate::keeper::proto::enterprise::AppClientType;
use crate::keeper::proto::records::ApplicationAddRequest;
use crate::keeper::uid::Uid;
use crate::keeper::vault::Application;

/// The JSON inside an application record's `data`; exactly these two keys (CMD `add_new_v5_app`).
#[derive(Serialize)]
struct AppData<'a> {
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// Builds the `ApplicationAddRequest` for a new application with the given UID and key.
///
/// `record_key` = GCM(appKey, dataKey); `data` = GCM(`{"title":..,"type":"app"}`, appKey), unpadded
/// like the Python SDK. No audit block: neither official client sends one for applications.
pub fn application_add_request(
    app_uid: &Uid,
    app_key: &AesKey,
    title: &str,
    data_key: &AesKey,
    client_modified_time_ms: i64,
) -> ApplicationAddRequest {
    // Serializing two strings cannot fail.
    let json = serde_json::to_vec(&AppData { title, kind: "app" }).unwrap_or_default();
    ApplicationAddRequest {
        app_uid: app_uid.as_bytes().to_vec(),
        record_key: aes_gcm_encrypt(data_key, app_key.as_bytes()),
        client_modified_time: client_modified_time_ms,
        data: aes_gcm_encrypt(app_key, &json),
        audit: None,
    }
}

/// Creates a KSM application and returns it with its freshly generated key.
pub async fn add_application(session: &Session, title: &str) -> Result<Application, KsmError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(KsmError::InvalidInput(
            "the application title is empty".into(),
        ));
    }
    let app = Application {
        uid: Uid::generate(),
        title: title.to_owned(),
        key: AesKey::generate(),
    };
    let request = application_add_request(&app.uid, &app.key, title, session.data_key(), now_ms());
    session
        .execute_proto::<_, ()>("vault/application_add", &request)
        .await?;
    Ok(app)
}

/// One secret (shared folder or record) shared with an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppShare {
    /// The shared folder or record UID.
    pub secret_uid: Uid,
    /// Folder or record share.
    pub share_type: ShareType,
    /// "Can Edit": whether KSM clients may modify the shared records.
    pub editable: bool,
    /// When the share was made (ms since the epoch; 0 if unknown).
    pub created_on: i64,
}

/// What kind of secret a share points at (`ApplicationShareType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareType {
    /// A single record.
    Record,
    /// A shared folder and everything in it.
    Folder,
}

/// One client device (KSM client or gateway) of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClient {
    /// The client's name (`id`); for gateways the gateway name.
    pub name: String,
    /// The 64-byte client id (HMAC of the token secret); what `app_client_remove` takes.
    pub client_id: Vec<u8>,
    /// Keeper's `AppClientType` number (1 general, 2 gateway, 3 KCM controller, …).
    pub app_client_type: i32,
    /// When the client was added (ms since the epoch).
    pub created_on: i64,
    /// When the token was redeemed (ms since the epoch); 0 = never, i.e. not yet bound.
    pub first_access: i64,
    /// Deadline for redeeming the token (ms since the epoch).
    pub first_access_expire_on: i64,
}

impl AppClient {
    /// True for PAM gateways (`DISCOVERY_AND_ROTATION_CONTROLLER`).
    pub fn is_gateway(&self) -> bool {
        self.app_client_type == AppClientType::DiscoveryAndRotationController as i32
    }

    /// True once a device has redeemed the one-time token.
    pub fn is_bound(&self) -> bool {
        self.first_access > 0
    }
}

/// Shares and clients of one application (`GetAppInfoResponse.appInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    /// The application UID.
    pub app_uid: Uid,
    /// Secrets shared with the application.
    pub shares: Vec<AppShare>,
    /// Devices and gateways that can use the application.
    pub clients: Vec<AppClient>,
}

impl AppInfo {
    /// The share of `secret`, if it is shared with the application.
    pub fn share_of(&self, secret: &Uid) -> Option<&AppShare> {
        self.shares.iter().find(|share| share.secret_uid == *secret)
    }

    /// Converts the wire form, skipping shares whose UID is malformed.
    pub fn from_proto(row: &AppInfoRow) -> Result<AppInfo, KsmError> {
        let app_uid = Uid::from_slice(&row.app_record_uid)
            .map_err(|_| KsmError::BadResponse("get_app_info: malformed application UID".into()))?;
        Ok(AppInfo {
            app_uid,
            shares: row.shares.iter().filter_map(share_from_proto).collect(),
            clients: row.clients.iter().map(client_from_proto).collect(),
        })
    }
}

fn share_from_proto(row: &AppShareRow) -> Option<AppShare> {
    let secret_uid = Uid::from_slice(&row.secret_uid).ok()?;
    let share_type = if row.share_type == ApplicationShareType::ShareTypeFolder as i32 {
        ShareType::Folder
    } else {
        ShareType::Record
    };
    Some(AppShare {
        secret_uid,
        share_type,
        editable: row.editable,
        created_on: row.created_on,
    })
}

fn client_from_proto(row: &AppClientRow) -> AppClient {
    AppClient {
        name: row.id.clone(),
        client_id: row.client_id.clone(),
        app_client_type: row.app_client_type,
        created_on: row.created_on,
        first_access: row.first_access,
        first_access_expire_on: row.first_access_expire_on,
    }
}

/// Reads an application's shares and clients.
///
/// A reply without an entry for `app` reads as "no shares, no clients", as Commander accepts it
/// (peer-call-sequences.md §2.3); a UID that is not an application fails on the next call instead.
pub async fn get_app_info(session: &Session, app: &Uid) -> Result<AppInfo, KsmError> {
    let request = GetAppInfoRequest {
        app_record_uid: vec![app.as_bytes().to_vec()],
    };
    let response: GetAppInfoResponse = session
        .execute_proto("vault/get_app_info", &request)
        .await?;
    match response
        .app_info
        .iter()
        .find(|info| info.app_record_uid == app.as_bytes())
    {
        Some(row) => AppInfo::from_proto(row),
        None => {
            tracing::debug!(%app, "get_app_info returned no entry for the application");
            Ok(AppInfo {
                app_uid: *app,
                shares: Vec::new(),
                clients: Vec::new(),
            })
        }
    }
}

/// One line of `vault/get_applications_summary`: an application UID with its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationSummary {
    /// The application UID (titles come from the vault sync).
    pub app_uid: Uid,
    /// Number of shared folders shared with it.
    pub folder_shares: i32,
    /// Number of records shared with it directly.
    pub record_shares: i32,
    /// Number of clients (devices and gateways).
    pub client_count: i32,
    /// Last time any client used it (ms since the epoch; 0 = never).
    pub last_access: i64,
}

/// Lists the UIDs of the applications the user can see, with their counters.
pub async fn list_applications(session: &Session) -> Result<Vec<ApplicationSummary>, KsmError> {
    let body = session
        .execute_rest("vault/get_applications_summary", None)
        .await?;
    let response = <GetApplicationsSummaryResponse as prost::Message>::decode(body.as_slice())
        .map_err(|e| KsmError::BadResponse(format!("get_applications_summary: {e}")))?;
    Ok(response
        .application_summary
        .iter()
        .filter_map(|row| {
            Some(ApplicationSummary {
                app_uid: Uid::from_slice(&row.app_record_uid).ok()?,
                folder_shares: row.folder_shares,
                record_shares: row.record_shares,
                client_count: row.client_count,
                last_access: row.last_access,
            })
        })
        .collect())
}

/// Milliseconds since the Unix epoch, Keeper's timestamp unit.
pub(crate) fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}
