//! Keeper's router ("krouter"): the PAM configuration settings kept in the configuration's DAG.
//!
//! Facts (Commander 18.1.8): `pam config new` writes the connections / tunneling / rotation /
//! recording switches with the router's `configure_network_graph`
//! (`TunnelGraph.py::TunnelDAG.edit_tunneling_config`, `router_helper.py`), as the JSON object
//! `allowedSettings` (keys `connections`, `portForwards`, `rotation`, `sessionRecording`). A
//! switch left out means "Keeper's default": rotation on, the others off. `pam config list`
//! reads them back from the DAG (`keeper_dag` legacy `sync`, JSON): the configuration's vertex
//! carries a DATA edge at path `meta` whose content is `{"allowedSettings": {…}}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::keeper::auth::Session;
use crate::keeper::crypto::{b64_std_decode, b64url_encode, random_bytes};
use crate::keeper::proto::router::{PamNetworkConfigurationRequest, PamNetworkSettings};
use crate::keeper::refusal::Failure;
use crate::keeper::transport::router::RouterBody;
use crate::keeper::transport::TransportError;
use crate::keeper::uid::Uid;

/// Why a router call failed; carries Keeper's code and message, never keys or tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouterError {
    /// The router never answered (network, TLS, session, …).
    #[error("Keeper's router: {0}")]
    Transport(TransportError),
    /// The router refused the call (`RRC_NOT_ALLOWED`, …).
    #[error("Keeper's router refused the request: {code}: {message}")]
    Refused {
        /// The router's response code name or Keeper's error code.
        code: String,
        /// The router's message.
        message: String,
    },
    /// The router's answer was not what the protocol promises.
    #[error("unexpected answer from Keeper's router: {0}")]
    BadResponse(String),
}

impl From<TransportError> for RouterError {
    fn from(error: TransportError) -> Self {
        match Failure::from(error) {
            Failure::Transport(error) => RouterError::Transport(error),
            Failure::NotFound(message) => RouterError::Refused {
                code: "not_found".into(),
                message,
            },
            Failure::Conflict { code, message } | Failure::Refused { code, message } => {
                RouterError::Refused { code, message }
            }
        }
    }
}

/// The switches of a PAM configuration; `None` = not written, Keeper's default applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedSettings {
    /// `connections`: interactive sessions through the gateway (default off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<bool>,
    /// `portForwards`: tunneling (default off).
    #[serde(
        rename = "portForwards",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tunneling: Option<bool>,
    /// `rotation`: password rotation (default on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<bool>,
    /// `sessionRecording`: graphical session recording (default off).
    #[serde(
        rename = "sessionRecording",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recording: Option<bool>,
}

impl AllowedSettings {
    /// Whether rotation is on once Keeper's default (on) fills an unset switch.
    pub fn rotation_on(&self) -> bool {
        self.rotation.unwrap_or(true)
    }

    /// The effective switches: unset ones at Keeper's defaults (rotation on, the rest off).
    pub fn effective(&self) -> [(&'static str, bool); 4] {
        [
            ("connections", self.connections.unwrap_or(false)),
            ("tunneling", self.tunneling.unwrap_or(false)),
            ("rotation", self.rotation_on()),
            ("recording", self.recording.unwrap_or(false)),
        ]
    }

    /// Whether any switch is set explicitly (Commander writes nothing otherwise).
    pub fn any_set(&self) -> bool {
        *self != AllowedSettings::default()
    }

    /// Whether `observed` already holds every switch set here (unset ones are not compared).
    pub fn satisfied_by(&self, observed: &AllowedSettings) -> bool {
        let holds = |want: Option<bool>, have: Option<bool>| want.is_none() || want == have;
        holds(self.connections, observed.connections)
            && holds(self.tunneling, observed.tunneling)
            && holds(self.rotation, observed.rotation)
            && holds(self.recording, observed.recording)
    }

    /// The `allowedSettings` JSON exactly as Commander sends it: Python's `json.dumps` of the
    /// switches that are set, in Commander's order, with its `", "` and `": "` separators.
    pub fn to_commander_json(&self) -> Vec<u8> {
        let set = [
            ("connections", self.connections),
            ("portForwards", self.tunneling),
            ("rotation", self.rotation),
            ("sessionRecording", self.recording),
        ];
        let entries: Vec<String> = set
            .iter()
            .filter_map(|(key, value)| value.map(|on| format!("\"{key}\": {on}")))
            .collect();
        format!("{{{}}}", entries.join(", ")).into_bytes()
    }

    /// `observed` with the switches set here written over it (the router merges the same way).
    pub fn merged_over(&self, observed: &AllowedSettings) -> AllowedSettings {
        AllowedSettings {
            connections: self.connections.or(observed.connections),
            tunneling: self.tunneling.or(observed.tunneling),
            rotation: self.rotation.or(observed.rotation),
            recording: self.recording.or(observed.recording),
        }
    }
}

/// The `configure_network_graph` request for `settings` (only the switches that are set).
pub fn network_configuration_request(
    configuration: &Uid,
    settings: &AllowedSettings,
) -> PamNetworkConfigurationRequest {
    let json = settings.to_commander_json();
    PamNetworkConfigurationRequest {
        record_uid: configuration.as_bytes().to_vec(),
        network_settings: Some(PamNetworkSettings {
            allowed_settings: json,
            ..PamNetworkSettings::default()
        }),
    }
}

/// Writes a configuration's switches to its DAG through the router, as `pam config new` does.
pub async fn configure_network_graph(
    session: &Session,
    configuration: &Uid,
    settings: &AllowedSettings,
) -> Result<(), RouterError> {
    let request = network_configuration_request(configuration, settings);
    session
        .execute_router(
            "configure_network_graph",
            RouterBody::Proto(&prost::Message::encode_to_vec(&request)),
        )
        .await?;
    Ok(())
}

/// The DAG sync query (`keeper_dag` `SyncQuery`, JSON): the configuration's stream, graph 0 (PAM).
fn sync_query(configuration: &Uid, sync_point: i64) -> Value {
    serde_json::json!({
        "streamId": configuration.to_string(),
        "deviceId": b64url_encode(&random_bytes(16)),
        "syncPoint": sync_point,
        "graphId": 0,
    })
}

/// One page of a DAG sync (`keeper_dag` `SyncData`).
#[derive(Deserialize)]
struct SyncData {
    #[serde(rename = "syncPoint", default)]
    sync_point: i64,
    #[serde(default)]
    data: Vec<SyncItem>,
    #[serde(rename = "hasMore", default)]
    has_more: bool,
}

#[derive(Deserialize)]
struct SyncItem {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(rename = "ref")]
    reference: Option<SyncRef>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
struct SyncRef {
    #[serde(default)]
    value: String,
}

/// Most pages a DAG read follows before giving up on a router that keeps saying `hasMore`.
const MAX_DAG_PAGES: usize = 100;

/// Reads a configuration's switches back from its DAG; `None` when the DAG holds none.
pub async fn read_allowed_settings(
    session: &Session,
    configuration: &Uid,
) -> Result<Option<AllowedSettings>, RouterError> {
    let mut sync_point = 0;
    let mut found = None;
    for _ in 0..MAX_DAG_PAGES {
        let query = serde_json::to_vec(&sync_query(configuration, sync_point))
            .map_err(|e| RouterError::BadResponse(e.to_string()))?;
        let body = session
            .execute_router("sync", RouterBody::Json(&query))
            .await?;
        let page: SyncData = serde_json::from_slice(&body)
            .map_err(|e| RouterError::BadResponse(format!("DAG sync: {e}")))?;
        if page.sync_point == 0 {
            return Ok(found);
        }
        if let Some(settings) = settings_in(configuration, &page.data) {
            found = Some(settings);
        }
        if !page.has_more || page.sync_point <= sync_point {
            return Ok(found);
        }
        sync_point = page.sync_point;
    }
    Err(RouterError::BadResponse(
        "DAG sync still had more after 100 pages".into(),
    ))
}

/// The last `meta` DATA edge of the configuration's vertex, read as `{"allowedSettings": …}`.
/// Commander's DAG writes it unencrypted (`needs_encryption=False`), std-b64 in `content`.
fn settings_in(configuration: &Uid, items: &[SyncItem]) -> Option<AllowedSettings> {
    let uid = configuration.to_string();
    items
        .iter()
        .rev()
        .filter(|item| item.kind == "data")
        .filter(|item| item.reference.as_ref().is_some_and(|r| r.value == uid))
        .filter(|item| item.path.as_deref().is_none_or(|p| p == "meta"))
        .filter_map(|item| {
            let bytes = b64_std_decode(item.content.as_deref()?).ok()?;
            let meta: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
            serde_json::from_value(meta.get("allowedSettings")?.clone()).ok()
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::b64_std_encode;

    #[test]
    fn settings_serialize_to_commanders_allowed_settings_keys_and_skip_unset() {
        let settings = AllowedSettings {
            connections: Some(true),
            tunneling: Some(true),
            rotation: Some(true),
            recording: None,
        };
        assert_eq!(
            serde_json::to_string(&settings).unwrap(),
            r#"{"connections":true,"portForwards":true,"rotation":true}"#
        );
        assert!(!AllowedSettings::default().any_set());
    }

    #[test]
    fn unset_switches_take_keepers_defaults() {
        let effective = AllowedSettings::default().effective();
        assert_eq!(
            effective,
            [
                ("connections", false),
                ("tunneling", false),
                ("rotation", true),
                ("recording", false)
            ]
        );
    }

    #[test]
    fn wanted_switches_are_compared_only_where_set() {
        let want = AllowedSettings {
            rotation: Some(false),
            ..AllowedSettings::default()
        };
        let have = AllowedSettings {
            rotation: Some(false),
            connections: Some(true),
            ..AllowedSettings::default()
        };
        assert!(want.satisfied_by(&have));
        assert!(!want.satisfied_by(&AllowedSettings::default()));
    }

    #[test]
    fn the_last_meta_edge_of_the_configuration_vertex_wins() {
        let uid = Uid::generate();
        let edge = |value: &str, json: &str| SyncItem {
            kind: "data".into(),
            reference: Some(SyncRef {
                value: value.into(),
            }),
            content: Some(b64_std_encode(json.as_bytes()).trim_end_matches('=').into()),
            path: Some("meta".into()),
        };
        let items = vec![
            edge(&uid.to_string(), r#"{"allowedSettings":{"rotation":true}}"#),
            edge(
                "someone-else",
                r#"{"allowedSettings":{"connections":true}}"#,
            ),
            edge(
                &uid.to_string(),
                r#"{"allowedSettings":{"rotation":false}}"#,
            ),
        ];
        assert_eq!(
            settings_in(&uid, &items),
            Some(AllowedSettings {
                rotation: Some(false),
                ..AllowedSettings::default()
            })
        );
    }
}
