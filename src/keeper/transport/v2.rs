//! The legacy JSON command channel `vault/execute_v2_command` (protocol-transport-login.md §2).

use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use super::error::{ErrorBody, TransportError};
use super::{SessionToken, Transport};
use crate::keeper::proto::v2::V2Response;

/// The endpoint that carries JSON commands inside the normal envelope.
pub const V2_COMMAND_ENDPOINT: &str = "vault/execute_v2_command";

/// Commander waits this long once when a JSON command answers `result_code: throttled`.
const V2_THROTTLE_WAIT: Duration = Duration::from_secs(10);

impl Transport {
    /// Runs a JSON command (`{"command": "folder_add", …}`) and returns the server's JSON reply.
    ///
    /// Adds `client_version`, `session_token` (b64url) and `username`, and also sends the token as
    /// `encryptedSessionToken`, as the Python SDK does. A reply whose `result` is not `success`
    /// becomes an error carrying `result_code` and `message`.
    pub async fn execute_v2_command(
        &self,
        session_token: &SessionToken,
        username: &str,
        command: Value,
    ) -> Result<Value, TransportError> {
        let Value::Object(mut object) = command else {
            return Err(TransportError::InvalidRequest(
                "a v2 command must be a JSON object".to_owned(),
            ));
        };
        let name = object
            .get("command")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        object.insert(
            "client_version".to_owned(),
            Value::String(self.client_version().to_owned()),
        );
        object.insert(
            "session_token".to_owned(),
            Value::String(session_token.to_b64url().to_string()),
        );
        object.insert(
            "username".to_owned(),
            Value::String(username.to_lowercase()),
        );
        let payload = serde_json::to_vec(&Value::Object(object)).map_err(|e| {
            TransportError::InvalidRequest(format!("cannot serialize v2 command: {e}"))
        })?;
        let payload = Zeroizing::new(payload);

        let mut retried = false;
        loop {
            let body = self
                .execute_rest(
                    V2_COMMAND_ENDPOINT,
                    Some(payload.to_vec()),
                    Some(session_token),
                )
                .await?;
            let error = match read_v2_reply(&name, &body)? {
                Ok(reply) => return Ok(reply),
                Err(error) => error,
            };
            tracing::debug!(command = %name, result_code = %error.code, "v2 command failed");
            if error.code == "throttled" && !retried {
                retried = true;
                tokio::time::sleep(V2_THROTTLE_WAIT.min(self.options().max_throttle_wait)).await;
                continue;
            }
            return Err(match error.into_error() {
                TransportError::Throttled { .. } => TransportError::Throttled { retries: 1 },
                other => other,
            });
        }
    }
}

/// Reads a v2 reply body: the JSON when `result` is `success`, else the failure it describes.
/// A body that is not JSON at all is a `BadResponse` naming the command.
pub(crate) fn read_v2_reply(
    name: &str,
    body: &[u8],
) -> Result<Result<Value, ErrorBody>, TransportError> {
    let reply: Value = serde_json::from_slice(body).map_err(|_| {
        TransportError::BadResponse(format!("v2 command {name}: reply is not JSON"))
    })?;
    if reply.get("result").and_then(Value::as_str) == Some("success") {
        return Ok(Ok(reply));
    }
    Ok(Err(serde_json::from_value::<V2Response>(reply)
        .map(ErrorBody::from_v2)
        .unwrap_or_default()))
}
