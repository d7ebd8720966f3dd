//! The fleet manifest (`gw-provision apply -f gateways.toml`): `[defaults]` and one
//! `[[gateway]]` table per gateway, validated as a whole before any request.
//!
//! Every error names the file, the line and the key (`gateways.toml:12: gateway.os: …`), so a
//! manifest of a thousand gateways can be fixed without guessing. Parsing keeps `toml`'s spans
//! for exactly that.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::inputs::{InputError, TOKEN_EXPIRY_RANGE};
use super::inputs::{Name, ProvisionInputs, TargetOs, DEFAULT_TOKEN_EXPIRY_MINUTES};
use super::pam_config::PamConfigInputs;
use crate::keeper::pam::Environment;
use crate::keeper::router::AllowedSettings;

/// A manifest that parsed but does not describe a fleet we can provision.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct ManifestError {
    /// The manifest's path as given.
    pub file: String,
    /// 1-based line of the offending key or value (0 = the file as a whole).
    pub line: usize,
    /// What is wrong, starting with the key (`gateway.os: unknown OS 'solaris' …`).
    pub message: String,
}

/// Keys both `[defaults]` and `[[gateway]]` take.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommon {
    folder: Option<Spanned<String>>,
    app: Option<Spanned<String>>,
    os: Option<Spanned<String>>,
    token_expiry: Option<Spanned<i64>>,
    existing: Option<Spanned<bool>>,
    pam_config: Option<Spanned<String>>,
    pam_environment: Option<Spanned<String>>,
    connections: Option<Spanned<bool>>,
    tunneling: Option<Spanned<bool>>,
    rotation: Option<Spanned<bool>>,
    recording: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGateway {
    name: Option<Spanned<String>>,
    folder: Option<Spanned<String>>,
    app: Option<Spanned<String>>,
    os: Option<Spanned<String>>,
    token_expiry: Option<Spanned<i64>>,
    existing: Option<Spanned<bool>>,
    pam_config: Option<Spanned<String>>,
    pam_environment: Option<Spanned<String>>,
    connections: Option<Spanned<bool>>,
    tunneling: Option<Spanned<bool>>,
    rotation: Option<Spanned<bool>>,
    recording: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    defaults: Option<RawCommon>,
    #[serde(default)]
    gateway: Vec<Spanned<RawGateway>>,
}

/// One gateway the manifest asks for, with the line it was declared on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredGateway {
    /// The inputs the single-gateway flow takes (`replace` is set from `--replace NAME`).
    pub inputs: ProvisionInputs,
    /// Line of its `[[gateway]]` table.
    pub line: usize,
}

/// A validated manifest: every gateway with its defaults applied, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The gateways.
    pub gateways: Vec<DesiredGateway>,
}

/// Parses and validates `text`, read from `file` (used in error messages only).
pub fn parse(file: &str, text: &str) -> Result<Manifest, ManifestError> {
    let at = |span: Option<Range<usize>>, message: String| ManifestError {
        file: file.to_owned(),
        line: span.map_or(0, |s| line_of(text, s.start)),
        message,
    };
    let raw: RawManifest = toml::from_str(text).map_err(|e| at(e.span(), e.message().into()))?;
    let defaults = raw.defaults.unwrap_or_default();
    let mut gateways = Vec::with_capacity(raw.gateway.len());
    // (application, lower-case name) → line of the first declaration.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    // PAM configuration title → line of the gateway that asks for it.
    let mut seen_pam: HashMap<String, usize> = HashMap::new();
    for table in raw.gateway {
        let line = line_of(text, table.span().start);
        let gateway = table.into_inner();
        let pick = |own: &Option<Spanned<String>>, default: &Option<Spanned<String>>| {
            own.as_ref().or(default.as_ref()).cloned()
        };
        let name = gateway.name.clone().ok_or_else(|| {
            at(
                Some(line_start(text, line)),
                "gateway.name: every [[gateway]] needs a name".into(),
            )
        })?;
        let parse_name = |key: &str, what: &'static str, value: &Spanned<String>| {
            Name::parse(what, value.get_ref())
                .map_err(|e| at(Some(value.span()), format!("{key}: {e}")))
        };
        let missing = |key: &str| {
            at(
                Some(line_start(text, line)),
                format!(
                    "gateway.{key}: gateway '{}' has no {key}; set it here or in [defaults]",
                    name.get_ref()
                ),
            )
        };
        let gateway_name = parse_name("gateway.name", "gateway name", &name)?;
        let folder = pick(&gateway.folder, &defaults.folder).ok_or_else(|| missing("folder"))?;
        let folder = parse_name("folder", "shared folder name", &folder)?;
        let app = pick(&gateway.app, &defaults.app).ok_or_else(|| missing("app"))?;
        let app = parse_name("app", "application title", &app)?;
        let os = pick(&gateway.os, &defaults.os).ok_or_else(|| missing("os"))?;
        let os_value = os
            .get_ref()
            .parse::<TargetOs>()
            .map_err(|e: InputError| at(Some(os.span()), format!("os: {e}")))?;
        let token_expiry = match gateway
            .token_expiry
            .as_ref()
            .or(defaults.token_expiry.as_ref())
        {
            None => DEFAULT_TOKEN_EXPIRY_MINUTES,
            Some(minutes) => u32::try_from(*minutes.get_ref())
                .ok()
                .filter(|m| TOKEN_EXPIRY_RANGE.contains(m))
                .ok_or_else(|| {
                    at(
                        Some(minutes.span()),
                        format!(
                            "token_expiry: must be between 1 and 1440 minutes, got {}",
                            minutes.get_ref()
                        ),
                    )
                })?,
        };
        let existing = gateway.existing.as_ref().or(defaults.existing.as_ref());
        if let Some(flag) = existing.filter(|e| *e.get_ref() && os_value.needs_config()) {
            return Err(at(
                Some(flag.span()),
                format!("existing: does not apply to {os_value}: a {os_value} gateway config needs a new one-time token"),
            ));
        }
        let pam_config = pam_config_inputs(&gateway, &defaults, &at, &line_start(text, line))?;
        if let Some(wanted) = &pam_config {
            // A configuration binds one gateway: two gateways cannot ask for the same title.
            if let Some(first) = seen_pam.insert(wanted.title.to_string(), line) {
                return Err(at(
                    Some(line_start(text, line)),
                    format!(
                        "pam_config: '{}' is asked for by two gateways (first on line {first}); a PAM configuration belongs to one gateway",
                        wanted.title
                    ),
                ));
            }
        }
        let key = (app.to_string(), gateway_name.as_str().to_lowercase());
        if let Some(first) = seen.insert(key, line) {
            return Err(at(
                Some(name.span()),
                format!(
                    "gateway.name: '{gateway_name}' is listed twice for application '{app}' (first on line {first}; names compare case-insensitively)"
                ),
            ));
        }
        gateways.push(DesiredGateway {
            inputs: ProvisionInputs {
                shared_folder: folder,
                application: app,
                gateway: gateway_name,
                os: os_value,
                existing: existing.is_some_and(|e| *e.get_ref()),
                replace: false,
                token_expiry_minutes: token_expiry,
                pam_config,
            },
            line,
        });
    }
    if gateways.is_empty() {
        return Err(at(None, "the manifest lists no [[gateway]]".into()));
    }
    Ok(Manifest { gateways })
}

/// The `pam_config` keys of a gateway (over `[defaults]`): a title, `pam_environment` (only
/// `local`, as `new --pam-environment`), and the four switches (unset = Keeper's default).
fn pam_config_inputs(
    gateway: &RawGateway,
    defaults: &RawCommon,
    at: &dyn Fn(Option<Range<usize>>, String) -> ManifestError,
    table: &Range<usize>,
) -> Result<Option<PamConfigInputs>, ManifestError> {
    let switch = |own: &Option<Spanned<bool>>, default: &Option<Spanned<bool>>| {
        own.as_ref().or(default.as_ref()).map(|s| *s.get_ref())
    };
    let settings = AllowedSettings {
        connections: switch(&gateway.connections, &defaults.connections),
        tunneling: switch(&gateway.tunneling, &defaults.tunneling),
        rotation: switch(&gateway.rotation, &defaults.rotation),
        recording: switch(&gateway.recording, &defaults.recording),
    };
    let Some(title) = gateway.pam_config.as_ref().or(defaults.pam_config.as_ref()) else {
        // Switches in [defaults] apply to the gateways that have a configuration; set on a
        // gateway without one, they are a mistake.
        let own = [
            &gateway.connections,
            &gateway.tunneling,
            &gateway.rotation,
            &gateway.recording,
        ];
        if own.iter().any(|s| s.is_some()) {
            return Err(at(
                Some(table.clone()),
                "pam_config: connections, tunneling, rotation and recording are a PAM configuration's switches; set pam_config (its title) too".into(),
            ));
        }
        return Ok(None);
    };
    let title = Name::parse("PAM configuration title", title.get_ref())
        .map_err(|e| at(Some(title.span()), format!("pam_config: {e}")))?;
    let environment = gateway
        .pam_environment
        .as_ref()
        .or(defaults.pam_environment.as_ref());
    let environment = match environment {
        None => Environment::Local,
        Some(value) if value.get_ref() == "local" => Environment::Local,
        Some(value) => {
            return Err(at(
                Some(value.span()),
                format!(
                    "pam_environment: '{}': gw-provision creates local-network PAM configurations only (the cloud environments need credentials it does not take)",
                    value.get_ref()
                ),
            ))
        }
    };
    Ok(Some(PamConfigInputs {
        title,
        environment,
        settings,
    }))
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count() + 1)
}

/// The byte span of the start of line `line`, so "missing key" errors point at the table.
fn line_start(text: &str, line: usize) -> Range<usize> {
    let offset: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    offset..offset
}

/// The JSON Schema of the manifest (draft 2020-12), for editors and CI linters.
pub fn json_schema() -> serde_json::Value {
    let common = |with_name: bool| {
        let mut properties = serde_json::json!({
            "folder": {"type": "string", "minLength": 1, "maxLength": 255,
                       "description": "shared folder at the vault root, matched by exact name"},
            "app": {"type": "string", "minLength": 1, "maxLength": 255,
                    "description": "KSM application, matched by exact title"},
            "os": {"enum": ["linux", "macos", "windows", "docker", "kubernetes"]},
            "token_expiry": {"type": "integer", "minimum": 1, "maximum": 1440, "default": 60,
                             "description": "minutes the one-time access token stays redeemable"},
            "existing": {"type": "boolean", "default": false,
                         "description": "the host already runs this gateway: mint no token"},
            "pam_config": {"type": "string", "minLength": 1, "maxLength": 255,
                           "description": "title of the PAM configuration to ensure for the gateway"},
            "pam_environment": {"enum": ["local"], "default": "local",
                                "description": "where its resources live; only local is provisioned"},
            "connections": {"type": "boolean", "description": "PAM configuration: connections (Keeper's default: off)"},
            "tunneling": {"type": "boolean", "description": "PAM configuration: tunneling (Keeper's default: off)"},
            "rotation": {"type": "boolean", "description": "PAM configuration: rotation (Keeper's default: on)"},
            "recording": {"type": "boolean", "description": "PAM configuration: session recording (Keeper's default: off)"}
        });
        if with_name {
            properties["name"] = serde_json::json!({"type": "string", "minLength": 1, "maxLength": 255,
                "description": "gateway name, unique per application (case-insensitive)"});
        }
        properties
    };
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "gw-provision fleet manifest",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "defaults": {"type": "object", "additionalProperties": false, "properties": common(false)},
            "gateway": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "additionalProperties": false, "required": ["name"],
                          "properties": common(true)}
            }
        },
        "required": ["gateway"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[defaults]
folder = "PAM Lab"
app = "PAM Lab App"
os = "linux"

[[gateway]]
name = "edge-1"

[[gateway]]
name = "edge-2"
os = "docker"
token_expiry = 30
"#;

    #[test]
    fn defaults_apply_and_each_gateway_may_override_them() {
        let manifest = parse("g.toml", GOOD).unwrap();
        let [one, two] = manifest.gateways.as_slice() else {
            panic!("two gateways")
        };
        assert_eq!(one.inputs.os, TargetOs::Linux);
        assert_eq!(one.inputs.token_expiry_minutes, 60);
        assert_eq!(one.line, 7);
        assert_eq!(two.inputs.os, TargetOs::Docker);
        assert_eq!(two.inputs.token_expiry_minutes, 30);
        assert_eq!(two.inputs.application.as_str(), "PAM Lab App");
    }

    fn error(text: &str) -> ManifestError {
        parse("g.toml", text).unwrap_err()
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let err = error("[[gateway]]\nname = \"a\"\ncolour = \"red\"\n");
        assert_eq!(err.line, 3, "{err}");
        assert!(err.to_string().starts_with("g.toml:3: "), "{err}");
        assert!(err.message.contains("colour"), "{err}");
    }

    #[test]
    fn a_bad_os_and_expiry_name_the_key_and_line() {
        let base = "[defaults]\nfolder = \"f\"\napp = \"a\"\n[[gateway]]\nname = \"g\"\n";
        let err = error(&format!("{base}os = \"solaris\"\n"));
        assert_eq!(
            (err.line, err.message.starts_with("os: ")),
            (6, true),
            "{err}"
        );
        let err = error(&format!("{base}os = \"linux\"\ntoken_expiry = 5000\n"));
        assert_eq!(err.line, 7, "{err}");
        assert!(err.message.starts_with("token_expiry: "), "{err}");
    }

    #[test]
    fn duplicate_names_in_one_application_are_refused_case_insensitively() {
        let text = "[defaults]\nfolder = \"f\"\napp = \"a\"\nos = \"linux\"\n[[gateway]]\nname = \"Edge\"\n[[gateway]]\nname = \"edge\"\n";
        let err = error(text);
        assert_eq!(err.line, 8, "{err}");
        assert!(err.message.contains("first on line 5"), "{err}");
        // The same name in another application is another gateway.
        let other = format!("{text}app = \"b\"\n");
        assert_eq!(parse("g.toml", &other).unwrap().gateways.len(), 2);
    }

    #[test]
    fn an_unnamed_gateway_and_a_missing_os_point_at_the_table() {
        let err = error("[defaults]\nfolder = \"f\"\napp = \"a\"\nos = \"linux\"\n\n[[gateway]]\nos = \"linux\"\n");
        assert_eq!(err.line, 6, "{err}");
        assert!(err.message.starts_with("gateway.name: "), "{err}");
        let err = error("[[gateway]]\nname = \"g\"\nfolder = \"f\"\napp = \"a\"\n");
        assert_eq!(err.line, 1, "{err}");
        assert!(err.message.starts_with("gateway.os: "), "{err}");
    }

    #[test]
    fn a_name_with_a_format_character_is_refused() {
        let err = error(
            "[[gateway]]\nname = \"gw\u{202E}1\"\nfolder = \"f\"\napp = \"a\"\nos = \"linux\"\n",
        );
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("U+202E"), "{err}");
    }

    #[test]
    fn existing_is_refused_for_container_targets() {
        let err = error("[[gateway]]\nname = \"g\"\nfolder = \"f\"\napp = \"a\"\nos = \"docker\"\nexisting = true\n");
        assert_eq!(err.line, 6, "{err}");
    }

    #[test]
    fn pam_config_keys_apply_per_gateway_over_defaults() {
        let text = "[defaults]\nfolder = \"f\"\napp = \"a\"\nos = \"linux\"\ntunneling = true\n[[gateway]]\nname = \"g1\"\npam_config = \"Lab 1\"\nrotation = false\n[[gateway]]\nname = \"g2\"\ntunneling = false\npam_config = \"Lab 2\"\n";
        let manifest = parse("g.toml", text).unwrap();
        let one = manifest.gateways[0].inputs.pam_config.as_ref().unwrap();
        assert_eq!(one.title.as_str(), "Lab 1");
        assert_eq!(one.settings.tunneling, Some(true));
        assert_eq!(one.settings.rotation, Some(false));
        let two = manifest.gateways[1].inputs.pam_config.as_ref().unwrap();
        assert_eq!(two.settings.tunneling, Some(false));
    }

    #[test]
    fn pam_config_errors_name_the_key_and_line() {
        let base = "[[gateway]]\nname = \"g\"\nfolder = \"f\"\napp = \"a\"\nos = \"linux\"\n";
        let err = error(&format!(
            "{base}pam_config = \"X\"\npam_environment = \"aws\"\n"
        ));
        assert_eq!(err.line, 7, "{err}");
        assert!(err.message.starts_with("pam_environment: "), "{err}");
        let err = error(&format!("{base}rotation = true\n"));
        assert!(err.message.starts_with("pam_config: "), "{err}");
        let twice = "[defaults]\nfolder = \"f\"\napp = \"a\"\nos = \"linux\"\npam_config = \"Shared\"\n[[gateway]]\nname = \"g1\"\n[[gateway]]\nname = \"g2\"\n";
        assert!(error(twice).message.contains("two gateways"));
    }

    #[test]
    fn the_schema_lists_every_key() {
        let schema = json_schema();
        let keys = schema["properties"]["gateway"]["items"]["properties"]
            .as_object()
            .unwrap();
        for key in [
            "name",
            "folder",
            "app",
            "os",
            "token_expiry",
            "existing",
            "pam_config",
            "pam_environment",
            "connections",
            "tunneling",
            "rotation",
            "recording",
        ] {
            assert!(keys.contains_key(key), "{key}");
        }
    }
}
