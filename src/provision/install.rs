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

/// Keeper's seccomp profile for the gateway container, which its docker-compose example names
/// (docs.keeper.io KeeperPAM "Docker Installation"; shared/docs/landscape-and-users.md §1.4).
pub const DOCKER_SECCOMP_URL: &str =
    "https://raw.githubusercontent.com/Keeper-Security/KeeperPAM/main/gateway/docker-seccomp.json";

/// Where Windows users get the installer (docs.keeper.io, KeeperPAM "Windows Installation").
pub const WINDOWS_INSTALLER_SOURCE: &str = "the Keeper Gateway download page (Keeper Admin \
     Console, or docs.keeper.io: KeeperPAM > Gateways > Windows Installation)";

/// The installer's download address, as that page gives it.
pub const WINDOWS_INSTALLER_URL: &str =
    "https://keepersecurity.com/pam/gateway/keeper-gateway_windows_x86_64.exe";

/// What the gateway host needs, rendered for one target.
#[derive(Clone, PartialEq, Eq)]
pub struct InstallInstructions {
    /// What to run on the gateway host: one command, or for docker and kubernetes a few lines
    /// in order (each line a whole command). `None` for Windows: there the operator runs the
    /// installer, which asks for the token — a token is never something to run.
    pub command: Option<String>,
    /// What the operator does when there is no command (Windows), in words.
    pub steps: Option<String>,
    /// Windows only: the installer's unattended mode, an option to the steps above.
    pub windows_silent_install_command: Option<String>,
    /// Further text for the operator: a docker-compose service, a Secret manifest.
    pub extras: Vec<InstallExtra>,
}

impl InstallInstructions {
    fn command(command: String, extras: Vec<InstallExtra>) -> InstallInstructions {
        InstallInstructions {
            command: Some(command),
            steps: None,
            windows_silent_install_command: None,
            extras,
        }
    }

    fn windows(steps: String, silent: String) -> InstallInstructions {
        InstallInstructions {
            command: None,
            steps: Some(steps),
            windows_silent_install_command: Some(silent),
            extras: vec![],
        }
    }
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
        (TargetOs::Linux | TargetOs::Macos, GatewayCredential::Existing) => {
            InstallInstructions::command(
                format!("curl -fsSL {INSTALL_SCRIPT_URL} | sudo bash -s --"),
                vec![],
            )
        }
        (TargetOs::Linux | TargetOs::Macos, GatewayCredential::Token(token))
        | (TargetOs::Linux | TargetOs::Macos, GatewayCredential::Config(token)) => {
            InstallInstructions::command(
                format!("curl -fsSL {INSTALL_SCRIPT_URL} | sudo bash -s -- --token {token}"),
                vec![],
            )
        }
        (TargetOs::Windows, GatewayCredential::Existing) => InstallInstructions::windows(
            format!(
                "Download the newest Windows installer from {WINDOWS_INSTALLER_SOURCE} \
                 ({WINDOWS_INSTALLER_URL}) and run it on the gateway host, leaving \"Enter a \
                 Keeper One-Time Access Token\" unticked: it upgrades the gateway and keeps its \
                 configuration."
            ),
            format!(
                "{WINDOWS_INSTALLER} /verysilent /suppressmsgboxes /norestart /existingconfig=1"
            ),
        ),
        (TargetOs::Windows, GatewayCredential::Token(token))
        | (TargetOs::Windows, GatewayCredential::Config(token)) => InstallInstructions::windows(
            // As Keeper's Vault does for Windows: the token is shown, and the installer asks
            // for it.
            format!(
                "Download the Windows installer from {WINDOWS_INSTALLER_SOURCE} \
                 ({WINDOWS_INSTALLER_URL}) and run it on the gateway host; tick \"Enter a \
                 Keeper One-Time Access Token\" and paste the One-Time Access Token above when \
                 the installer asks for it."
            ),
            format!("{WINDOWS_INSTALLER} /verysilent /suppressmsgboxes /norestart /token={token}"),
        ),
        // The config is a long-lived credential: it appears once, in the variable both the
        // `docker run` line and the compose file read.
        (TargetOs::Docker, credential) => {
            let config = credential_text(credential);
            InstallInstructions::command(
                format!(
                    "export GATEWAY_CONFIG=\"{config}\"\n\
                     docker run -d --name keeper-gateway -e GATEWAY_CONFIG -e ACCEPT_EULA=Y --shm-size=2g --restart unless-stopped {DOCKER_IMAGE}"
                ),
                vec![
                    InstallExtra {
                        title: "or with docker compose, in the same shell (compose reads GATEWAY_CONFIG from it, or from a .env file beside docker-compose.yml)",
                        body: docker_compose_service(),
                    },
                    InstallExtra {
                        title: "the compose file's docker-seccomp.json is Keeper's seccomp profile for the gateway; download it beside docker-compose.yml",
                        body: format!("curl -fsSLO {DOCKER_SECCOMP_URL}"),
                    },
                ],
            )
        }
        (TargetOs::Kubernetes, credential) => {
            render_kubernetes(credential_text(credential), &KubernetesNames::single())
        }
    }
}

/// The Kubernetes names one gateway's install uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesNames {
    /// The Secret holding the gateway config (the chart's `gateway.existingSecret`).
    pub secret: String,
    /// The Helm release.
    pub release: String,
    /// Whether other gateways' installs share the namespace: then each one's namespace line
    /// must succeed when the namespace exists already.
    pub shared_namespace: bool,
}

impl KubernetesNames {
    /// Keeper's names, for the one gateway `new` makes.
    pub fn single() -> KubernetesNames {
        KubernetesNames {
            secret: K8S_SECRET_NAME.to_owned(),
            release: "keeper-gateway".to_owned(),
            shared_namespace: false,
        }
    }

    /// One gateway of a fleet, by its `slug` (lower-case letters, digits, `-`; unique in the
    /// run): with Keeper's names two gateways would overwrite one Secret and the second `helm
    /// install` would fail on the first's release.
    pub fn for_gateway(slug: &str) -> KubernetesNames {
        KubernetesNames {
            secret: format!("{K8S_SECRET_NAME}-{slug}"),
            release: format!("keeper-gateway-{slug}"),
            shared_namespace: true,
        }
    }
}

/// The Kubernetes install with `names`, for a gateway config already redeemed.
///
/// The chart reads the Secret, so the namespace and the Secret come first. The Secret is made
/// by `kubectl create secret --dry-run=client -o yaml | kubectl apply -f -`: one line each, so
/// an indented copy from the terminal still runs (a heredoc's end marker would not), and a
/// re-run updates the Secret instead of failing.
pub fn render_kubernetes(config: &str, names: &KubernetesNames) -> InstallInstructions {
    let KubernetesNames {
        secret,
        release,
        shared_namespace,
    } = names;
    let namespace = if *shared_namespace {
        format!("kubectl create namespace {K8S_NAMESPACE} --dry-run=client -o yaml | kubectl apply -f -")
    } else {
        format!("kubectl create namespace {K8S_NAMESPACE}")
    };
    InstallInstructions::command(
        format!(
            "{namespace}\n\
             kubectl create secret generic {secret} --namespace {K8S_NAMESPACE} --from-literal={K8S_SECRET_KEY}=\"{config}\" --dry-run=client -o yaml | kubectl apply -f -\n\
             helm repo add keeper https://keeper-security.github.io/helm-charts && helm repo update\n\
             helm install {release} keeper/keeper-gateway --namespace {K8S_NAMESPACE} --set gateway.acceptEula=Y --set gateway.existingSecret={secret}"
        ),
        vec![],
    )
}

fn credential_text(credential: GatewayCredential<'_>) -> &str {
    match credential {
        GatewayCredential::Token(text) | GatewayCredential::Config(text) => text,
        GatewayCredential::Existing => "",
    }
}

fn docker_compose_service() -> String {
    format!(
        "services:\n  keeper-gateway:\n    platform: linux/amd64\n    image: {DOCKER_IMAGE}\n    shm_size: 2g\n    restart: unless-stopped\n    security_opt:\n      - \"seccomp:docker-seccomp.json\"\n    environment:\n      ACCEPT_EULA: \"Y\"\n      GATEWAY_CONFIG: ${{GATEWAY_CONFIG}}\n"
    )
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
            out.command.as_deref(),
            Some("curl -fsSL https://keepersecurity.com/pam/install | sudo bash -s -- --token US:abc")
        );
    }

    #[test]
    fn existing_gateway_command_has_no_token() {
        let out = render(TargetOs::Macos, GatewayCredential::Existing);
        assert_eq!(
            out.command.as_deref(),
            Some("curl -fsSL https://keepersecurity.com/pam/install | sudo bash -s --")
        );
    }

    #[test]
    fn windows_has_no_command_but_the_installer_steps_and_the_silent_install_option() {
        let out = render(TargetOs::Windows, GatewayCredential::Token("EU:xyz"));
        assert_eq!(out.command, None);
        let steps = out.steps.unwrap();
        assert!(steps.contains("Keeper Gateway download page"), "{steps}");
        assert!(steps.contains("asks for it"), "{steps}");
        assert!(
            !steps.contains("EU:xyz"),
            "the steps name the token, never quote it"
        );
        assert_eq!(
            out.windows_silent_install_command.as_deref(),
            Some("keeper-gateway_windows_x86_64.exe /verysilent /suppressmsgboxes /norestart /token=EU:xyz")
        );
    }

    /// Every place the config appears, across the command and the extras.
    fn config_count(out: &InstallInstructions, config: &str) -> usize {
        let extras: String = out.extras.iter().map(|e| e.body.as_str()).collect();
        out.command
            .as_deref()
            .unwrap_or_default()
            .matches(config)
            .count()
            + extras.matches(config).count()
    }

    #[test]
    fn docker_puts_the_config_in_gateway_config_once() {
        let out = render(TargetOs::Docker, GatewayCredential::Config("eyJjb25m"));
        let command = out.command.clone().unwrap();
        let lines: Vec<&str> = command.lines().collect();
        assert_eq!(lines[0], "export GATEWAY_CONFIG=\"eyJjb25m\"");
        assert!(lines[1].starts_with("docker run -d --name keeper-gateway -e GATEWAY_CONFIG "));
        assert!(command.ends_with("keeper/gateway:latest"));
        assert!(out.extras[0]
            .body
            .contains("GATEWAY_CONFIG: ${GATEWAY_CONFIG}"));
        assert_eq!(config_count(&out, "eyJjb25m"), 1);
    }

    #[test]
    fn docker_compose_says_where_the_seccomp_profile_comes_from() {
        let out = render(TargetOs::Docker, GatewayCredential::Config("eyJjb25m"));
        assert!(out.extras[0].body.contains("seccomp:docker-seccomp.json"));
        assert!(out.extras[1].title.contains("docker-seccomp.json"));
        assert_eq!(
            out.extras[1].body,
            "curl -fsSLO https://raw.githubusercontent.com/Keeper-Security/KeeperPAM/main/gateway/docker-seccomp.json"
        );
    }

    #[test]
    fn kubernetes_makes_the_namespace_then_the_secret_then_runs_helm() {
        let out = render(TargetOs::Kubernetes, GatewayCredential::Config("eyJjb25m"));
        let command = out.command.clone().unwrap();
        let lines: Vec<&str> = command.lines().collect();
        assert_eq!(lines[0], "kubectl create namespace keeper-gateway");
        assert!(lines[1].starts_with("kubectl create secret generic keeper-gateway-config --namespace keeper-gateway --from-literal=gateway-config=\"eyJjb25m\""));
        assert!(lines[1].ends_with("| kubectl apply -f -"));
        assert!(lines[2].starts_with("helm repo add keeper "));
        assert!(lines[3].starts_with("helm install keeper-gateway keeper/keeper-gateway"));
        assert!(lines[3].contains("gateway.existingSecret=keeper-gateway-config"));
        assert_eq!(lines.len(), 4);
        assert_eq!(config_count(&out, "eyJjb25m"), 1);
    }

    #[test]
    fn a_fleet_s_kubernetes_gateway_has_its_own_secret_and_release() {
        let names = KubernetesNames::for_gateway("edge-2");
        let out = render_kubernetes("eyJjb25m", &names);
        let command = out.command.unwrap();
        let lines: Vec<&str> = command.lines().collect();
        // The namespace may exist already (another gateway's install made it).
        assert_eq!(
            lines[0],
            "kubectl create namespace keeper-gateway --dry-run=client -o yaml | kubectl apply -f -"
        );
        assert!(lines[1].starts_with(
            "kubectl create secret generic keeper-gateway-config-edge-2 --namespace keeper-gateway "
        ));
        assert!(lines[3].starts_with("helm install keeper-gateway-edge-2 keeper/keeper-gateway"));
        assert!(lines[3].ends_with("--set gateway.existingSecret=keeper-gateway-config-edge-2"));
    }

    #[test]
    fn debug_does_not_show_the_token() {
        let out = render(TargetOs::Linux, GatewayCredential::Token("US:secret-token"));
        assert!(!format!("{out:?}").contains("secret-token"));
    }
}
