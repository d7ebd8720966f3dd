//! The `--output json` contract shared by every command: exactly one JSON object on stdout per
//! run, carrying `schema_version`; typed values; timestamps in one RFC 3339 form; the server as
//! an object; a failure as `{"error": {…}}`. The schemas are published in docs/json-schema/.
//!
//! Scripts parse stdout as one document (`jq`, `ConvertFrom-Json`), so a second object, or none
//! on failure, breaks them: [`print`] remembers that the run's document went out, and the
//! failure report prints its own object only when none did.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Value};

use super::exit::{CliError, ExitStatus};
use crate::keeper::server::Server;

/// Raised when the document changes incompatibly (a field renamed, removed or retyped); adding
/// a field does not raise it.
pub const SCHEMA_VERSION: u64 = 1;

static PRINTED: AtomicBool = AtomicBool::new(false);

/// Prints `doc` (an object) with `schema_version` as the run's one JSON document.
pub fn print(doc: Value) {
    println!("{}", with_version(doc));
    PRINTED.store(true, Ordering::SeqCst);
}

/// True once the run's document has been printed.
pub fn printed() -> bool {
    PRINTED.load(Ordering::SeqCst)
}

fn with_version(mut doc: Value) -> Value {
    if let Some(object) = doc.as_object_mut() {
        object.insert("schema_version".into(), json!(SCHEMA_VERSION));
    }
    doc
}

/// The server as `{region, host, sandbox}`: `region` is Keeper's code (`US`, `EU`, …) or null
/// for another host; `sandbox` says the server is gw-provision's emulator, whose tokens are not
/// valid on Keeper.
pub fn server(server: &Server, sandbox: bool) -> Value {
    json!({
        "region": server.region().map(|r| r.code()),
        "host": server.host(),
        "sandbox": sandbox,
    })
}

/// The document of a failed run: `{"error": {code, exit, message, hint}}`; a declined
/// confirmation (exit 0, the user's choice) is `{"cancelled": true, "message"}` instead.
pub fn failure(error: &CliError) -> Value {
    if error.status == ExitStatus::Ok {
        return with_version(json!({ "cancelled": true, "message": error.message }));
    }
    with_version(json!({
        "error": {
            "code": error.code().as_str(),
            "exit": error.status as u8,
            "message": error.message,
            "hint": error.hint,
        }
    }))
}

/// RFC 3339 in UTC with exactly three fractional digits (`2026-11-30T21:01:32.671Z`), the one
/// form every timestamp in the output takes, so scripts can compare them as strings.
pub fn timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// A timestamp in Unix milliseconds (Keeper's form), as [`timestamp`]; `None` when out of range.
pub fn timestamp_ms(ms: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::exit::ErrorCode;

    #[test]
    fn timestamps_have_fixed_milliseconds_in_utc() {
        assert_eq!(
            timestamp_ms(1_796_072_492_000).as_deref(),
            Some("2026-11-30T21:01:32.000Z")
        );
        assert_eq!(
            timestamp_ms(1_796_072_492_671).as_deref(),
            Some("2026-11-30T21:01:32.671Z")
        );
    }

    #[test]
    fn a_failure_names_its_code_and_exit() {
        let error = CliError::new(ExitStatus::Refused, "slow down")
            .hint("wait")
            .with_code(ErrorCode::Throttled);
        let doc = failure(&error);
        assert_eq!(doc["error"]["code"], "throttled");
        assert_eq!(doc["error"]["exit"], 7);
        assert_eq!(doc["error"]["hint"], "wait");
        assert_eq!(doc["schema_version"], SCHEMA_VERSION);
    }

    #[test]
    fn a_region_server_names_its_region() {
        let doc = server(&Server::DEFAULT, false);
        assert_eq!(
            doc,
            json!({"region": "US", "host": "keepersecurity.com", "sandbox": false})
        );
    }
}
