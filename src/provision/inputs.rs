//! Validated inputs of the provisioning flow: what the wizard and the flags both fill in.

use std::fmt;
use std::str::FromStr;

/// Why an input was refused; the CLI shows it as a usage error (exit 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    /// A name was empty or only whitespace.
    #[error("{what} must not be empty")]
    EmptyName {
        /// Which input, e.g. "shared folder name".
        what: &'static str,
    },
    /// A name was longer than Keeper accepts comfortably.
    #[error("{what} is {len} bytes long; the limit is {MAX_NAME_BYTES} bytes")]
    NameTooLong {
        /// Which input.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A name contained a control character (newline, tab, escape …).
    #[error("{what} contains a control character; use printable characters only")]
    ControlCharacter {
        /// Which input.
        what: &'static str,
    },
    /// A name contained an invisible Unicode format character (general category Cf), such as
    /// U+202E RIGHT-TO-LEFT OVERRIDE or U+200B ZERO WIDTH SPACE.
    #[error("{what} contains the invisible format character U+{code_point:04X}; it makes a name look different from what it is")]
    FormatCharacter {
        /// Which input.
        what: &'static str,
        /// The offending character's code point.
        code_point: u32,
    },
    /// The first-access expiry was outside 1–1440 minutes.
    #[error("token expiry must be between 1 and 1440 minutes, got {0}")]
    TokenExpiry(u32),
    /// The operating system name is not one we can print an install command for.
    #[error("unknown OS '{0}': use linux, macos, windows, docker or kubernetes")]
    UnknownOs(String),
}

/// Longest name we accept, in bytes of UTF-8. Keeper's clients do not document a limit; 255 keeps
/// names printable in every UI and safe in file names.
pub const MAX_NAME_BYTES: usize = 255;

/// Shortest and longest first-access expiry Keeper allows for a one-time access token (Commander
/// `pam gateway new -e`, keepercli `MAX_TOKEN_EXPIRATION_MIN`).
pub const TOKEN_EXPIRY_RANGE: std::ops::RangeInclusive<u32> = 1..=1440;

/// Default first-access expiry in minutes, as in Commander and the Web Vault.
pub const DEFAULT_TOKEN_EXPIRY_MINUTES: u32 = 60;

/// A name for a shared folder, application or gateway that passed validation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// Validates `raw` as the input called `what` (used in the error message).
    pub fn parse(what: &'static str, raw: &str) -> Result<Name, InputError> {
        if raw.trim().is_empty() {
            return Err(InputError::EmptyName { what });
        }
        if raw.len() > MAX_NAME_BYTES {
            return Err(InputError::NameTooLong {
                what,
                len: raw.len(),
            });
        }
        if raw.chars().any(char::is_control) {
            return Err(InputError::ControlCharacter { what });
        }
        if let Some(c) = raw.chars().find(|&c| is_format_character(c)) {
            return Err(InputError::FormatCharacter {
                what,
                code_point: u32::from(c),
            });
        }
        Ok(Name(raw.to_string()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Unicode general category Cf (format characters), as of Unicode 16.0 (DerivedGeneralCategory.txt).
///
/// Names are shown to people in the Vault, the Admin Console and terminals, and are matched
/// exactly on re-runs. A bidi override (U+202E) makes `gw-1`, U+202E, `txt.exe` display as `gw-1exe.txt`,
/// and zero-width characters make two different names look identical, so none is accepted. This
/// also refuses the zero-width joiner of emoji sequences: a rare price for names that are what
/// they look like. The table is small and stable; a crate for it would be a dependency for 20 rows.
const FORMAT_CHARACTERS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// True for a character of general category Cf.
fn is_format_character(c: char) -> bool {
    FORMAT_CHARACTERS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// Validates a first-access expiry in minutes.
pub fn token_expiry(minutes: u32) -> Result<u32, InputError> {
    if TOKEN_EXPIRY_RANGE.contains(&minutes) {
        Ok(minutes)
    } else {
        Err(InputError::TokenExpiry(minutes))
    }
}

/// Where the gateway will run; decides what the flow prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetOs {
    /// Native Linux service installed by Keeper's install script.
    Linux,
    /// macOS, installed by the same script (legacy Vault dialog).
    Macos,
    /// Windows installer; the Vault shows only the token.
    Windows,
    /// The `keeper/gateway` container with a base64 config.
    Docker,
    /// The `keeper/keeper-gateway` Helm chart with a base64 config.
    Kubernetes,
}

impl TargetOs {
    /// Every target, in the order the wizard offers them.
    pub const ALL: [TargetOs; 5] = [
        TargetOs::Linux,
        TargetOs::Macos,
        TargetOs::Windows,
        TargetOs::Docker,
        TargetOs::Kubernetes,
    ];

    /// The flag value, e.g. `linux`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetOs::Linux => "linux",
            TargetOs::Macos => "macos",
            TargetOs::Windows => "windows",
            TargetOs::Docker => "docker",
            TargetOs::Kubernetes => "kubernetes",
        }
    }

    /// Whether the output is a gateway config redeemed from the token rather than the token.
    pub fn needs_config(self) -> bool {
        matches!(self, TargetOs::Docker | TargetOs::Kubernetes)
    }
}

impl fmt::Display for TargetOs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TargetOs {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "linux" => Ok(TargetOs::Linux),
            "macos" | "mac" | "darwin" => Ok(TargetOs::Macos),
            "windows" | "win" => Ok(TargetOs::Windows),
            "docker" => Ok(TargetOs::Docker),
            "kubernetes" | "k8s" | "helm" => Ok(TargetOs::Kubernetes),
            _ => Err(InputError::UnknownOs(s.to_string())),
        }
    }
}

/// Everything the plan needs to know about what the user wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionInputs {
    /// Exact name of the shared folder at the vault root.
    pub shared_folder: Name,
    /// Exact title of the KSM application.
    pub application: Name,
    /// Name of the gateway (the KSM client's `id`).
    pub gateway: Name,
    /// Where the gateway runs.
    pub os: TargetOs,
    /// The machine already runs a gateway: print the upgrade command, mint no token.
    pub existing: bool,
    /// Remove a gateway of the same name and create a new one.
    pub replace: bool,
    /// First-access expiry of the one-time access token, in minutes.
    pub token_expiry_minutes: u32,
    /// The PAM configuration to make for the gateway, if any.
    pub pam_config: Option<super::pam_config::PamConfigInputs>,
}

#[cfg(test)]
impl ProvisionInputs {
    /// A new Linux gateway `edge-1` in `folder` and `app`, token valid 60 minutes, no PAM
    /// configuration: what planning tests start from.
    pub(crate) fn for_test(folder: &str, app: &str) -> ProvisionInputs {
        ProvisionInputs {
            shared_folder: Name::parse("f", folder).unwrap(),
            application: Name::parse("a", app).unwrap(),
            gateway: Name::parse("g", "edge-1").unwrap(),
            os: TargetOs::Linux,
            existing: false,
            replace: false,
            token_expiry_minutes: 60,
            pam_config: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rejects_empty_and_blank() {
        assert_eq!(
            Name::parse("gateway name", "  "),
            Err(InputError::EmptyName {
                what: "gateway name"
            })
        );
    }

    #[test]
    fn name_rejects_256_bytes_but_accepts_255() {
        assert!(Name::parse("x", &"a".repeat(255)).is_ok());
        assert!(matches!(
            Name::parse("x", &"a".repeat(256)),
            Err(InputError::NameTooLong { len: 256, .. })
        ));
    }

    #[test]
    fn name_limit_counts_bytes_not_characters() {
        // 128 two-byte characters = 256 bytes.
        assert!(Name::parse("x", &"é".repeat(128)).is_err());
    }

    #[test]
    fn name_rejects_control_characters() {
        assert!(Name::parse("x", "a\nb").is_err());
        assert!(Name::parse("x", "a\u{1b}[31m").is_err());
        assert!(Name::parse("x", "PAM Lab — Ressources ✓").is_ok());
    }

    #[test]
    fn name_rejects_unicode_format_characters_and_says_which() {
        for (text, code_point) in [
            ("gw-1\u{202E}txt.exe", 0x202E),
            ("edge\u{200B}1", 0x200B),
            ("\u{FEFF}edge", 0xFEFF),
            ("a\u{00AD}b", 0xAD),
            ("tag\u{E0041}", 0xE0041),
        ] {
            assert_eq!(
                Name::parse("gateway name", text),
                Err(InputError::FormatCharacter {
                    what: "gateway name",
                    code_point
                }),
                "{text:?}"
            );
        }
        let error = Name::parse("x", "a\u{202E}b").unwrap_err().to_string();
        assert!(error.contains("U+202E"), "{error}");
    }

    #[test]
    fn format_table_is_sorted_and_leaves_neighbours_alone() {
        assert!(FORMAT_CHARACTERS
            .windows(2)
            .all(|pair| pair[0].1 < pair[1].0 && pair[0].0 <= pair[0].1));
        for c in [
            '\u{00AC}', '\u{00AE}', '\u{2010}', '\u{2065}', '\u{FEFE}', 'é', '✓',
        ] {
            assert!(!is_format_character(c), "{c:?}");
        }
        assert!(Name::parse("x", "Ressources — café ✓ 日本").is_ok());
    }

    #[test]
    fn token_expiry_bounds() {
        assert_eq!(token_expiry(0), Err(InputError::TokenExpiry(0)));
        assert_eq!(token_expiry(1), Ok(1));
        assert_eq!(token_expiry(1440), Ok(1440));
        assert_eq!(token_expiry(5000), Err(InputError::TokenExpiry(5000)));
    }

    #[test]
    fn os_parses_case_insensitively_and_rejects_unknown() {
        assert_eq!("Linux".parse::<TargetOs>(), Ok(TargetOs::Linux));
        assert_eq!("k8s".parse::<TargetOs>(), Ok(TargetOs::Kubernetes));
        assert!(matches!(
            "solaris".parse::<TargetOs>(),
            Err(InputError::UnknownOs(_))
        ));
    }
}
