//! HTTPS plumbing: TLS accept loop, per-connection fault handling, routing and the `api/rest` dispatch.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::context::{ApiError, Reply, Shared};
use super::envelope::{open_rest, RestRequest};
use super::faults::{Fault, FaultPlan};
use super::{admin, ksm, login, login_steps, pam, pam_config, router, sm, two_factor, vault};

/// Largest request body accepted (a sync of thousands of records is a response, not a request).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long a `hang` fault holds a request before closing the connection anyway: far past any
/// client's read timeout, yet a long-running sandbox does not keep hung connections forever.
const HANG_LIMIT: Duration = Duration::from_secs(300);

/// The address of the peer of the current connection.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// Serves HTTPS on `listener` until `shutdown` turns true, then drains connections.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = Router::new()
        .fallback(handle)
        .with_state(Arc::clone(&shared));
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        tracing::warn!(%error, "sandbox accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                connections.spawn(connection(
                    tcp,
                    peer,
                    acceptor.clone(),
                    router.clone(),
                    Arc::clone(&shared),
                    shutdown.clone(),
                ));
            }
            _ = shutdown.changed() => break,
        }
    }
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        connections.abort_all();
    }
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    router: Router,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            tracing::debug!(%error, %peer, "TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    // `drop` and `lost_reply` need to kill the connection itself, which only this task owns.
    let kill = Arc::new(Notify::new());
    // Set while a `hang` fault holds a request: shutdown then need not wait for it.
    let hung = Arc::new(AtomicBool::new(false));
    let service = {
        let kill = Arc::clone(&kill);
        let hung = Arc::clone(&hung);
        tower::service_fn(move |mut request: Request<hyper::body::Incoming>| {
            let router = router.clone();
            let shared = Arc::clone(&shared);
            let kill = Arc::clone(&kill);
            let hung = Arc::clone(&hung);
            async move {
                request.extensions_mut().insert(Peer(peer));
                if let Some(endpoint) = request.uri().path().strip_prefix("/api/rest/") {
                    shared.stats().count(endpoint);
                }
                if let Some(endpoint) = api_endpoint(request.uri().path()) {
                    let fault = shared.faults().take(endpoint);
                    match fault {
                        Some(Fault::Drop) => {
                            kill.notify_one();
                            return std::future::pending().await;
                        }
                        Some(Fault::LostReply) => {
                            // The handler runs to the end (`finish` saves its change); the reply
                            // is then thrown away with the connection.
                            let _ = router.oneshot(request.map(Body::new)).await;
                            kill.notify_one();
                            return std::future::pending().await;
                        }
                        Some(Fault::Hang) => {
                            hung.store(true, Ordering::Relaxed);
                            tokio::time::sleep(HANG_LIMIT).await;
                            kill.notify_one();
                            return std::future::pending().await;
                        }
                        Some(fault) => {
                            request.extensions_mut().insert(fault);
                        }
                        None => {}
                    }
                }
                router.oneshot(request.map(Body::new)).await
            }
        })
    };
    // A client that never finishes its headers is cut off instead of holding a task forever.
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = kill.notified() => {}
        _ = shutdown.changed() => {
            if hung.load(Ordering::Relaxed) {
                return;
            }
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection.as_mut()).await;
        }
    }
}

/// The endpoint name of an API path: what follows `/api/rest/` (or `/api/user/` for the router).
fn api_endpoint(path: &str) -> Option<&str> {
    path.strip_prefix("/api/rest/")
        .or_else(|| path.strip_prefix("/api/user/"))
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let fault = request.extensions().get::<Fault>().copied();
    let peer = request.extensions().get::<Peer>().copied();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    if path == "/__sandbox/faults" {
        return admin_faults(&shared, peer, &parts.method, body).await;
    }
    if let Some(route) = path.strip_prefix("/__sandbox/") {
        if !peer.is_some_and(|Peer(addr)| addr.ip().is_loopback()) {
            return ApiError::access_denied("the sandbox admin routes are loopback-only")
                .into_response();
        }
        let response = admin::handle(&shared, route, &parts.method, &parts.uri, body)
            .await
            .unwrap_or_else(|| ApiError::unknown_endpoint(&path).into_response());
        return finish(&shared, response).await;
    }
    let Some(endpoint) = api_endpoint(&path) else {
        return ApiError::unknown_endpoint(&path).into_response();
    };
    if parts.method != Method::POST {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_request",
            format!("{endpoint} takes POST"),
        )
        .into_response();
    }
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    if let Some(fault) = fault {
        return ApiError::from_fault(fault).into_response();
    }
    if let Some(router_path) = path.strip_prefix("/api/user/") {
        let response = router::handle(&shared, router_path, &parts.headers, &bytes);
        return finish(&shared, response).await;
    }
    if let Some(sm_endpoint) = endpoint.strip_prefix("sm/v1/") {
        let response = sm::handle(&shared, sm_endpoint, &parts.headers, peer, &bytes).await;
        return finish(&shared, response).await;
    }
    let request = match open_rest(&shared.server_key, &bytes) {
        Ok(request) => request,
        Err(error) => return ApiError::from(error).into_response(),
    };
    // Keeper's regions are host names: the login gates compare against the host asked for.
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let response = match dispatch(&shared, endpoint, &host, &request).await {
        Ok(reply) => reply.into_response(&request.transmission_key),
        Err(error) => error.into_response(),
    };
    finish(&shared, response).await
}

/// Saves any state change before the reply leaves, so an acknowledged change survives `kill -9`.
async fn finish(shared: &Arc<Shared>, response: Response) -> Response {
    match shared.store.save(&shared.state).await {
        Ok(()) => response,
        Err(error) => {
            tracing::error!(%error, "sandbox state save failed");
            ApiError::internal("the sandbox could not save its state").into_response()
        }
    }
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "bad_request",
            format!("request body exceeds {MAX_BODY_BYTES} bytes or was cut off"),
        )),
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "bad_request",
            "request body was not received in time",
        )),
    }
}

async fn dispatch(
    shared: &Arc<Shared>,
    endpoint: &str,
    host: &str,
    request: &RestRequest,
) -> Result<Reply, ApiError> {
    let body = request.payload.payload.as_slice();
    match endpoint {
        "authentication/register_device" => login::register_device(shared, host, body),
        "authentication/register_device_in_region" => {
            login_steps::register_device_in_region(shared, host, body)
        }
        "authentication/start_login" => login::start_login(shared, host, body),
        "authentication/validate_auth_hash" => login::validate_auth_hash(shared, host, body),
        "authentication/request_device_verification" => {
            login_steps::request_device_verification(shared, body)
        }
        "authentication/validate_device_verification_code" => {
            login_steps::validate_device_verification_code(shared, body)
        }
        "authentication/request_device_admin_approval" => {
            login_steps::request_device_admin_approval(shared, body)
        }
        "authentication/2fa_send_push" => two_factor::send_push(shared, body),
        "authentication/2fa_validate" => two_factor::validate(shared, body),
        "authentication/register_encrypted_data_key_for_device" => {
            login::register_data_key_for_device(shared, session(shared, request)?, body)
        }
        "login/account_summary" => login::account_summary(shared, session(shared, request)?),
        "keep_alive" => session(shared, request).map(|_| Reply::Empty),
        "vault/logout_v3" => login::logout(shared, &request.payload.encrypted_session_token),
        "setting/set_user_setting" => {
            login::set_user_setting(shared, session(shared, request)?, body)
        }
        "vault/sync_down" => vault::sync_down(shared, session(shared, request)?, body),
        "vault/get_record_types" => session(shared, request).map(|_| Reply::Empty),
        "vault/execute_v2_command" => vault::execute_v2_command(shared, request),
        "vault/get_records_details" => {
            vault::get_records_details(shared, session(shared, request)?, body)
        }
        "vault/application_add" => ksm::application_add(shared, session(shared, request)?, body),
        "vault/get_applications_summary" => {
            ksm::applications_summary(shared, session(shared, request)?)
        }
        "vault/get_app_info" => ksm::get_app_info(shared, session(shared, request)?, body),
        "vault/app_share_add" => ksm::app_share_add(shared, session(shared, request)?, body),
        "vault/app_share_remove" => ksm::app_share_remove(shared, session(shared, request)?, body),
        "vault/app_client_add" => ksm::app_client_add(shared, session(shared, request)?, body),
        "vault/app_client_remove" => {
            ksm::app_client_remove(shared, session(shared, request)?, body)
        }
        "pam/get_controllers" => pam::get_controllers(shared, session(shared, request)?),
        "pam/remove_controller" => pam::remove_controller(shared, session(shared, request)?, body),
        "pam/add_configuration_record" => {
            pam_config::add_configuration_record(shared, session(shared, request)?, body)
        }
        "pam/set_configuration_controller" => {
            pam_config::set_configuration_controller(shared, session(shared, request)?, body)
        }
        "pam/get_configuration_controller" => {
            pam_config::get_configuration_controller(shared, session(shared, request)?, body)
        }
        "enterprise/get_enterprise_public_key" => {
            session(shared, request)?;
            Err(ApiError::bad_request(
                "the sandbox account is not an enterprise account",
            ))
        }
        _ => Err(ApiError::unknown_endpoint(endpoint)),
    }
}

fn session(shared: &Shared, request: &RestRequest) -> Result<usize, ApiError> {
    shared.session_account(&request.payload.encrypted_session_token)
}

async fn admin_faults(
    shared: &Arc<Shared>,
    peer: Option<Peer>,
    method: &Method,
    body: Body,
) -> Response {
    if !peer.is_some_and(|Peer(addr)| addr.ip().is_loopback()) {
        return ApiError::access_denied("the fault admin route is loopback-only").into_response();
    }
    match *method {
        Method::GET => axum::Json(shared.faults().clone()).into_response(),
        Method::DELETE => {
            *shared.faults() = FaultPlan::default();
            StatusCode::NO_CONTENT.into_response()
        }
        Method::POST | Method::PUT => {
            let bytes = match read_body(body).await {
                Ok(bytes) => bytes,
                Err(error) => return error.into_response(),
            };
            match serde_json::from_slice::<FaultPlan>(&bytes) {
                Ok(plan) => {
                    *shared.faults() = plan;
                    StatusCode::NO_CONTENT.into_response()
                }
                Err(error) => {
                    ApiError::bad_request(format!("invalid fault plan: {error}")).into_response()
                }
            }
        }
        _ => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_request",
            "use GET, POST or DELETE",
        )
        .into_response(),
    }
}
