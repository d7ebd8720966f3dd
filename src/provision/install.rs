//! The install commands Keeper documents for each platform (shared/docs/landscape-and-users.md §1).
//!
//! Pure text: given a token or a gateway config, say what the operator runs on the gateway host.

use super::inputs::TargetOs;

/// Keeper's install script for Linux (and, per the legacy Vault dialog, macOS).
pub const INSTALL_SCRIPT_URL: &str = "https://keepersecurity.com/pam/install";

/// The Windows installer, whose silent mode takes the token as `/token=`.
pub const WINDOWS_INSTALLER: &str = "keeper-gateway_windows_x86_64.exe";

/// The container image the Docker and Helm installs run.
pub const DOCKER_IMAGE: &str = "keeper/gateway:latest";

/// Name of the Kubernetes Secret we print; the chart reads it through `gateway.existingSecret`.
pub const K8S_SECRET_NAME: &str = "keeper-gateway-config";

/// Key inside that Secret; the chart's default `gateway.existingSecretKey`.
pub const K8S_SECRET_KEY: &str = "gateway-config";

/// Namespace used in the printed Kubernetes commands.
pub const K8S_NAMESPACE: &str = "keeper-gateway";

/// What the gateway host needs, rendered for one target.
#[derive(Clone, PartialEq, Eq)]
pub struct InstallInstructions {
    /// The one command to run (the primary output).
    pub command: String,
    /// Further text for the operator: a docker-compose service, a Secret manifest, a hint.
    pub extras: Vec<InstallExtra>,
}

impl std::fmt::Debug for InstallInstructions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The command embeds the token or the gateway config, both secrets.
        f.write_str("InstallInstructions(<redacted>)")
    }
}

/// One piece of supplementary output.
#[derive(Clone, PartialEq, Eq)]
pub struct InstallExtra {
    /// A short title, e.g. "docker-compose service".
    pub title: &'static str,
    /// The text, printed verbatim.
    pub body: String,
}

/// The credential the gateway host receives.
#[derive(Clone, Copy)]
pub enum GatewayCredential<'a> {
    /// A one-time access token (`US:…`).
    Token(&'a str),
    /// A base64 gateway config (the token already redeemed).
    Config(&'a str),
    /// Nothing: the host already runs a gateway and keeps its config.
    Existing,
}

/// Renders the instructions for `os`. `Config` is expected for docker/kubernetes, `Token` or
/// `Existing` otherwise; the caller enforces that.
pub fn render(os: TargetOs, credential: GatewayCredential<'_>) -> InstallInstructions {
    match (os, credential) {
        (TargetOs::Linux | TargetOs::Macos, GatewayCredential::Existing) => InstallInstructions {
            command: format!("curl -fsSL {INSTALL_SCRIPT_URL} | sudo bash -s --"),
            extras: vec![],
        },
        (TargetOs::Linux | TargetOs::Macos, GatewayCredential::Token(token))
        | (TargetOs::Linux | TargetOs::Macos, GatewayCredential::Config(token)) => {
            InstallInstructions {
                command: format!(
                    "curl -fsSL {INSTALL_SCRIPT_URL} | sudo bash -s -- --token {token}"
                ),
                extras: vec![],
            }
        }
        (TargetOs::Windows, GatewayCredential::Existing) => InstallInstructions {
            command: format!(
                "{WINDOWS_INSTALLER} /verysilent /suppressmsgboxes /norestart /existingconfig=1"
            ),
            extras: vec![],
        },
        (TargetOs::Windows, GatewayCredential::Token(token))
        | (TargetOs::Windows, GatewayCredential::Config(token)) => InstallInstructions {
            // The Vault shows only the token for Windows; the silent-install line is a hint.
            command: token.to_string(),
            extras: vec![InstallExtra {
                title: "silent install",
                body: format!(
                    "{WINDOWS_INSTALLER} /verysilent /suppressmsgboxes /norestart /token={token}"
                ),
            }],
        },
        (TargetOs::Docker, credential) => {
            let config = credential_text(credential);
            InstallInstructions {
                command: format!(
                    "docker run -d --name keeper-gateway -e GATEWAY_CONFIG=\"{config}\" -e ACCEPT_EULA=Y --shm-size=2g --restart unless-stopped {DOCKER_IMAGE}"
                ),
                extras: vec![InstallExtra {
                    title: "docker-compose service",
                    body: docker_compose_service(config),
                }],
            }
        }
        (TargetOs::Kubernetes, credential) => {
            let config = credential_text(credential);
            InstallInstructions {
                command: format!(
                    "helm repo add keeper https://keeper-security.github.io/helm-charts && helm repo update && helm install keeper-gateway keeper/keeper-gateway --namespace {K8S_NAMESPACE} --create-namespace --set gateway.acceptEula=Y --set gateway.existingSecret={K8S_SECRET_NAME}"
                ),
                extras: vec![InstallExtra {
                    title: "Kubernetes Secret (kubectl apply -f - before helm install)",
                    body: kubernetes_secret(config),
                }],
            }
        }
    }
}

fn credential_text(credential: GatewayCredential<'_>) -> &str {
    match credential {
        GatewayCredential::Token(text) | GatewayCredential::Config(text) => text,
        GatewayCredential::Existing => "",
    }
}

fn docker_compose_service(config: &str) -> String {
    format!(
        "services:\n  keeper-gateway:\n    platform: linux/amd64\n    image: {DOCKER_IMAGE}\n    shm_size: 2g\n    restart: unless-stopped\n    security_opt:\n      - \"seccomp:docker-seccomp.json\"\n    environment:\n      ACCEPT_EULA: \"Y\"\n      GATEWAY_CONFIG: \"{config}\"\n"
    )
}

fn kubernetes_secret(config: &str) -> String {
    kubernetes_secret_named(K8S_SECRET_NAME, config)
}

/// The Kubernetes Secret manifest holding a gateway config, under Secret name `name` (one per
/// gateway when many share a namespace, as `apply --out-dir` writes them).
pub fn kubernetes_secret_named(name: &str, config: &str) -> String {
    // stringData keeps the value as the chart expects it (the base64 config text itself);
    // `data` would need it base64-encoded a second time.
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {K8S_NAMESPACE}\ntype: Opaque\nstringData:\n  {K8S_SECRET_KEY}: \"{config}\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_new_gateway_is_the_documented_curl_line_with_token() {
        let out = render(TargetOs::Linux, GatewayCredential::Token("US:abc"));
        assert_eq!(
            out.command,
            "curl -fsSL https://keepersecurity.com/pam/install | sudo bash -s -- --token US:abc"
        );
    }

    #[test]
    fn existing_gateway_command_has_no_token() {
        let out = render(TargetOs::Macos, GatewayCredential::Existing);
        assert_eq!(
            out.command,
            "curl -fsSL https://keepersecurity.com/pam/install | sudo bash -s --"
        );
    }

    #[test]
    fn windows_prints_the_token_and_the_silent_install_hint() {
        let out = render(TargetOs::Windows, GatewayCredential::Token("EU:xyz"));
        assert_eq!(out.command, "EU:xyz");
        assert_eq!(
            out.extras[0].body,
            "keeper-gateway_windows_x86_64.exe /verysilent /suppressmsgboxes /norestart /token=EU:xyz"
        );
    }

    #[test]
    fn docker_puts_the_config_in_gateway_config() {
        let out = render(TargetOs::Docker, GatewayCredential::Config("eyJjb25m"));
        assert!(out
            .command
            .starts_with("docker run -d --name keeper-gateway"));
        assert!(out.command.contains("-e GATEWAY_CONFIG=\"eyJjb25m\""));
        assert!(out.command.ends_with("keeper/gateway:latest"));
        assert!(out.extras[0].body.contains("GATEWAY_CONFIG: \"eyJjb25m\""));
    }

    #[test]
    fn kubernetes_prints_a_secret_and_helm_install() {
        let out = render(TargetOs::Kubernetes, GatewayCredential::Config("eyJjb25m"));
        assert!(out
            .command
            .contains("helm install keeper-gateway keeper/keeper-gateway"));
        assert!(out
            .command
            .contains("gateway.existingSecret=keeper-gateway-config"));
        assert!(out.extras[0].body.contains("kind: Secret"));
        assert!(out.extras[0].body.contains("gateway-config: \"eyJjb25m\""));
    }

    #[test]
    fn debug_does_not_show_the_token() {
        let out = render(TargetOs::Linux, GatewayCredential::Token("US:secret-token"));
        assert!(!format!("{out:?}").contains("secret-token"));
    }
}
