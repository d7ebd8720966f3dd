//! Keeper regions and the server a client talks to (`keepersecurity.com`, `keepersecurity.eu`, …).
//!
//! Facts: protocol-transport-login.md §3.1 (region ↔ host table) and
//! protocol-vault-ksm-gateway.md §4.2 (one-time-token prefix).

use std::fmt;
use std::str::FromStr;

/// One of Keeper's public data-center regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// United States, `keepersecurity.com` (the default).
    Us,
    /// Europe, `keepersecurity.eu`.
    Eu,
    /// Australia, `keepersecurity.com.au`.
    Au,
    /// Canada, `keepersecurity.ca`.
    Ca,
    /// Japan, `keepersecurity.jp`.
    Jp,
    /// US GovCloud, `govcloud.keepersecurity.us`.
    Gov,
}

impl Region {
    /// Every region, in the order Keeper's clients list them.
    pub const ALL: [Region; 6] = [
        Region::Us,
        Region::Eu,
        Region::Au,
        Region::Ca,
        Region::Jp,
        Region::Gov,
    ];

    /// The region's vault host name.
    pub fn host(self) -> &'static str {
        match self {
            Region::Us => "keepersecurity.com",
            Region::Eu => "keepersecurity.eu",
            Region::Au => "keepersecurity.com.au",
            Region::Ca => "keepersecurity.ca",
            Region::Jp => "keepersecurity.jp",
            Region::Gov => "govcloud.keepersecurity.us",
        }
    }

    /// The upper-case region code Keeper uses in one-time tokens (`US`, `EU`, …).
    pub fn code(self) -> &'static str {
        match self {
            Region::Us => "US",
            Region::Eu => "EU",
            Region::Au => "AU",
            Region::Ca => "CA",
            Region::Jp => "JP",
            Region::Gov => "GOV",
        }
    }

    /// Looks a region up by its code, case-insensitively.
    pub fn from_code(code: &str) -> Option<Region> {
        Region::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code))
    }

    /// Looks a region up by its exact public host name (case-insensitive, no port).
    pub fn from_host(host: &str) -> Option<Region> {
        Region::ALL
            .into_iter()
            .find(|r| r.host().eq_ignore_ascii_case(host))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The Keeper server a client talks to: a public region or any other `host[:port]`
/// (QA/dev hosts, a sandbox).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Server {
    /// One of Keeper's public regions.
    Region(Region),
    /// Any other host, stored lower-case as `host` or `host:port`.
    Host(String),
}

/// Why a server string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerParseError {
    /// Nothing was given.
    #[error("server is empty: give a region (US, EU, AU, CA, JP, GOV) or a host name")]
    Empty,
    /// The text contained whitespace or control characters.
    #[error("server {0:?} contains spaces or control characters")]
    InvalidCharacters(String),
    /// A bare host carried a path; give a host (and port), or a full `https://` URL.
    #[error("server {0:?} must be a host name, optionally with a port, without a path (or a full https:// URL)")]
    HasPath(String),
    /// A URL carried a user name or password, which Keeper servers never use.
    #[error("server {0:?} must not contain a user name or password")]
    HasUserInfo(String),
    /// The URL scheme was not `https`.
    #[error("server {0:?} must use https://")]
    UnsupportedScheme(String),
    /// The host part was empty or not a valid host name.
    #[error("server {0:?} is not a valid host name")]
    InvalidHost(String),
    /// The port was not a number between 1 and 65535.
    #[error("server {0:?} has an invalid port")]
    InvalidPort(String),
}

impl Server {
    /// The default server, Keeper's US region.
    pub const DEFAULT: Server = Server::Region(Region::Us);

    /// The `host[:port]` to connect to.
    pub fn host(&self) -> &str {
        match self {
            Server::Region(region) => region.host(),
            Server::Host(host) => host,
        }
    }

    /// The region, when this is one of Keeper's public hosts.
    pub fn region(&self) -> Option<Region> {
        match self {
            Server::Region(region) => Some(*region),
            Server::Host(_) => None,
        }
    }

    /// The prefix Keeper puts in front of one-time access tokens: the region code for
    /// public hosts, otherwise the lower-case `host[:port]` (protocol-vault-ksm-gateway.md §4.2).
    pub fn token_prefix(&self) -> String {
        match self {
            Server::Region(region) => region.code().to_owned(),
            Server::Host(host) => host.clone(),
        }
    }

    /// Builds a server from a host name the Keeper server sent (e.g. a region redirect),
    /// normalising Keeper's public hosts to their region.
    pub fn from_host(host: &str) -> Result<Server, ServerParseError> {
        let host = host.trim();
        if host.is_empty() {
            return Err(ServerParseError::Empty);
        }
        parse_netloc(host, host)
    }
}

impl Default for Server {
    fn default() -> Self {
        Server::DEFAULT
    }
}

impl fmt::Display for Server {
    /// Shows the host; parsing it back yields the same server.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.host())
    }
}

impl FromStr for Server {
    type Err = ServerParseError;

    /// Accepts a region code (`US`, `eu`), a host (`qa.keepersecurity.com`, `localhost:8443`)
    /// or an `https://host[:port][/]` URL.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ServerParseError::Empty);
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ServerParseError::InvalidCharacters(text.to_owned()));
        }
        if let Some(region) = Region::from_code(trimmed) {
            return Ok(Server::Region(region));
        }
        let netloc = match trimmed.split_once("://") {
            Some((scheme, rest)) => {
                if !scheme.eq_ignore_ascii_case("https") {
                    return Err(ServerParseError::UnsupportedScheme(text.to_owned()));
                }
                // Like Commander and the Python SDK, a pasted URL (".../vault/#") is reduced to
                // its netloc.
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                &rest[..end]
            }
            None => trimmed,
        };
        if let Some((_, host)) = netloc.rsplit_once('@') {
            // The user info may hold a password: never echo it.
            let scheme = trimmed.split_once("://").map_or("", |(scheme, _)| scheme);
            let shown = match scheme {
                "" => format!("<user info>@{host}"),
                scheme => format!("{scheme}://<user info>@{host}"),
            };
            return Err(ServerParseError::HasUserInfo(shown));
        }
        // Without a scheme a path is ambiguous (a typo? a proxy prefix?): refuse it.
        if netloc.contains(['/', '?', '#']) {
            return Err(ServerParseError::HasPath(text.to_owned()));
        }
        parse_netloc(netloc, text)
    }
}

impl serde::Serialize for Server {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.host())
    }
}

impl<'de> serde::Deserialize<'de> for Server {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Validates `host[:port]` and normalises it; `original` is only used in error messages.
fn parse_netloc(netloc: &str, original: &str) -> Result<Server, ServerParseError> {
    if netloc.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ServerParseError::InvalidCharacters(original.to_owned()));
    }
    if netloc.contains(['/', '?', '#', '@']) {
        return Err(ServerParseError::HasPath(original.to_owned()));
    }
    if netloc.is_empty() {
        return Err(ServerParseError::InvalidHost(original.to_owned()));
    }
    let lower = netloc.to_ascii_lowercase();
    let (host, port) = split_port(&lower, original)?;
    if !is_valid_host(host) {
        return Err(ServerParseError::InvalidHost(original.to_owned()));
    }
    if port.is_none() {
        if let Some(region) = Region::from_host(host) {
            return Ok(Server::Region(region));
        }
    }
    Ok(Server::Host(lower))
}

/// Splits an optional `:port`, keeping IPv6 literals (`[::1]:8443`) intact.
fn split_port<'a>(
    netloc: &'a str,
    original: &str,
) -> Result<(&'a str, Option<u16>), ServerParseError> {
    let (host, port) = if let Some(rest) = netloc.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err(ServerParseError::InvalidHost(original.to_owned()));
        };
        let host = &netloc[..inside.len() + 2];
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(ServerParseError::InvalidHost(original.to_owned())),
            },
        }
    } else {
        match netloc.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (netloc, None),
        }
    };
    let port = match port {
        None => None,
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Some(port),
            _ => return Err(ServerParseError::InvalidPort(original.to_owned())),
        },
    };
    Ok((host, port))
}

/// A DNS name (letters, digits, `-`, `.`, `_`) or a bracketed IPv6 literal.
fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && !host.starts_with(['.', '-'])
        && !host.ends_with('-')
        && !host.contains("..")
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_parse_case_insensitively() {
        assert_eq!("US".parse::<Server>(), Ok(Server::Region(Region::Us)));
        assert_eq!("eu".parse::<Server>(), Ok(Server::Region(Region::Eu)));
        assert_eq!("Gov".parse::<Server>(), Ok(Server::Region(Region::Gov)));
    }

    #[test]
    fn every_region_maps_to_its_documented_host() {
        let hosts: Vec<_> = Region::ALL.iter().map(|r| r.host()).collect();
        assert_eq!(
            hosts,
            [
                "keepersecurity.com",
                "keepersecurity.eu",
                "keepersecurity.com.au",
                "keepersecurity.ca",
                "keepersecurity.jp",
                "govcloud.keepersecurity.us"
            ]
        );
    }

    #[test]
    fn public_host_normalises_to_its_region() {
        assert_eq!(
            "KeeperSecurity.com.au".parse::<Server>(),
            Ok(Server::Region(Region::Au))
        );
        assert_eq!(
            "https://keepersecurity.jp/".parse::<Server>(),
            Ok(Server::Region(Region::Jp))
        );
    }

    #[test]
    fn other_hosts_keep_their_port_and_are_lower_cased() {
        let server: Server = "https://Localhost:8443".parse().unwrap();
        assert_eq!(server, Server::Host("localhost:8443".into()));
        assert_eq!(server.host(), "localhost:8443");
        assert_eq!(
            "qa.keepersecurity.com".parse::<Server>().unwrap().host(),
            "qa.keepersecurity.com"
        );
        assert_eq!("[::1]:9443".parse::<Server>().unwrap().host(), "[::1]:9443");
    }

    #[test]
    fn pasted_urls_are_reduced_to_their_netloc() {
        assert_eq!(
            "https://keepersecurity.eu/vault/#".parse::<Server>(),
            Ok(Server::Region(Region::Eu))
        );
        assert_eq!(
            "https://qa.keepersecurity.com/api/rest/?x=1"
                .parse::<Server>()
                .unwrap()
                .host(),
            "qa.keepersecurity.com"
        );
    }

    #[test]
    fn public_host_with_explicit_port_is_not_a_region() {
        let server: Server = "keepersecurity.com:8443".parse().unwrap();
        assert_eq!(server.region(), None);
    }

    #[test]
    fn rejects_empty_spaces_control_chars_paths_and_bad_ports() {
        assert_eq!("".parse::<Server>(), Err(ServerParseError::Empty));
        assert_eq!("   ".parse::<Server>(), Err(ServerParseError::Empty));
        assert!(matches!(
            "keeper security.com".parse::<Server>(),
            Err(ServerParseError::InvalidCharacters(_))
        ));
        assert!(matches!(
            "host\u{7}.com".parse::<Server>(),
            Err(ServerParseError::InvalidCharacters(_))
        ));
        let error = "https://h:hunter2@keepersecurity.com/vault"
            .parse::<Server>()
            .unwrap_err();
        assert!(matches!(error, ServerParseError::HasUserInfo(_)));
        assert!(!format!("{error} {error:?}").contains("hunter2"), "{error}");
        assert!(error.to_string().contains("keepersecurity.com"), "{error}");
        assert!(matches!(
            "https:///vault".parse::<Server>(),
            Err(ServerParseError::InvalidHost(_))
        ));
        assert!(matches!(
            "keepersecurity.com/vault".parse::<Server>(),
            Err(ServerParseError::HasPath(_))
        ));
        assert!(matches!(
            "http://keepersecurity.com".parse::<Server>(),
            Err(ServerParseError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            "localhost:0".parse::<Server>(),
            Err(ServerParseError::InvalidPort(_))
        ));
        assert!(matches!(
            "localhost:99999".parse::<Server>(),
            Err(ServerParseError::InvalidPort(_))
        ));
        assert!(matches!(
            "-bad.example".parse::<Server>(),
            Err(ServerParseError::InvalidHost(_))
        ));
    }

    #[test]
    fn error_messages_say_what_is_accepted() {
        let message = "".parse::<Server>().unwrap_err().to_string();
        assert!(message.contains("US, EU"), "{message}");
    }

    #[test]
    fn token_prefix_is_region_code_or_lower_case_netloc() {
        assert_eq!(Server::Region(Region::Gov).token_prefix(), "GOV");
        assert_eq!(
            "https://QA.keepersecurity.com/"
                .parse::<Server>()
                .unwrap()
                .token_prefix(),
            "qa.keepersecurity.com"
        );
        assert_eq!(
            "keepersecurity.eu"
                .parse::<Server>()
                .unwrap()
                .token_prefix(),
            "EU"
        );
    }

    #[test]
    fn display_round_trips_through_from_str() {
        for text in ["US", "keepersecurity.ca", "sandbox.local:8443"] {
            let server: Server = text.parse().unwrap();
            assert_eq!(server.to_string().parse::<Server>(), Ok(server));
        }
    }

    #[test]
    fn from_host_accepts_redirect_hosts() {
        assert_eq!(
            Server::from_host("keepersecurity.eu"),
            Ok(Server::Region(Region::Eu))
        );
        assert!(Server::from_host("a b").is_err());
    }
}
