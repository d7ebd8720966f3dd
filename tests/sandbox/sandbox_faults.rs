//! Fault injection: plans from options and from the loopback admin route.

use crate::support::sandbox::{TestSandbox, Wire};
use gw_provision::sandbox::{start, Fault, FaultPlan, FaultRule, SandboxOptions};
use serde_json::json;

async fn sandbox_with(
    plan: FaultPlan,
) -> (gw_provision::sandbox::RunningSandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = SandboxOptions::new(dir.path());
    options.faults = Some(plan);
    (start(options).await.unwrap(), dir)
}

fn rule(endpoint: &str, count: u32, fault: Fault) -> FaultRule {
    FaultRule {
        endpoint: endpoint.into(),
        count,
        fault,
    }
}

#[tokio::test]
async fn http_500_fault_fails_exactly_the_next_n_calls() {
    let (sb, _dir) = sandbox_with(FaultPlan {
        rules: vec![rule("authentication/register_device", 2, Fault::Http500)],
    })
    .await;
    let wire = Wire::new(sb.descriptor());
    for _ in 0..2 {
        let err = wire
            .rest("authentication/register_device", b"", None)
            .await
            .unwrap_err();
        assert_eq!(err.status, 500);
        assert!(err.body["message"].is_string());
    }
    wire.register_device().await;
}

#[tokio::test]
async fn throttle_fault_sends_retry_after() {
    let (sb, _dir) = sandbox_with(FaultPlan {
        rules: vec![rule(
            "*",
            1,
            Fault::Throttle {
                retry_after_secs: 7,
            },
        )],
    })
    .await;
    let err = Wire::new(sb.descriptor())
        .rest("keep_alive", b"", None)
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (403, "throttled"));
    assert_eq!(err.retry_after.as_deref(), Some("7"));
    assert!(err.body["message"].as_str().unwrap().contains("7 seconds"));
}

#[tokio::test]
async fn session_expired_fault_rejects_a_valid_session_once() {
    let (sb, _dir) = sandbox_with(FaultPlan::default()).await;
    let wire = Wire::new(sb.descriptor());
    let login = wire.login(sb.descriptor()).await;
    set_plan(
        &wire,
        json!({"rules":[{"endpoint":"keep_alive","fault":"session_expired"}]}),
    )
    .await;
    let err = wire
        .rest("keep_alive", b"", Some(&login.session))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (401, "session_token_expired"));
    wire.rest("keep_alive", b"", Some(&login.session))
        .await
        .unwrap();
}

#[tokio::test]
async fn drop_fault_closes_the_connection_without_a_response() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    set_plan(
        &wire,
        json!({"rules":[{"endpoint":"vault/sync_down","fault":"drop"}]}),
    )
    .await;
    let result = wire
        .http
        .post(format!("{}/api/rest/vault/sync_down", wire.url))
        .body(vec![1, 2, 3])
        .send()
        .await;
    assert!(
        result.is_err(),
        "expected a dropped connection, got {result:?}"
    );
    let next = wire.post_raw("vault/sync_down", vec![1, 2, 3]).await;
    assert_eq!(next.status(), 400, "the fault fired once");
}

#[tokio::test]
async fn admin_route_reports_and_clears_the_plan() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    set_plan(
        &wire,
        json!({"rules":[{"endpoint":"x","count":3,"fault":"http_500"}]}),
    )
    .await;
    let url = format!("{}/__sandbox/faults", wire.url);
    let plan: FaultPlan = wire
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plan.rules, vec![rule("x", 3, Fault::Http500)]);
    let cleared = wire.http.delete(&url).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    let plan: FaultPlan = wire
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(plan.rules.is_empty());
}

#[tokio::test]
async fn invalid_plan_on_the_admin_route_is_bad_request() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let response = wire
        .http
        .post(format!("{}/__sandbox/faults", wire.url))
        .body(r#"{"rules":[{"endpoint":"x","fault":"explode"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn set_plan(wire: &Wire, plan: serde_json::Value) {
    let response = wire
        .http
        .post(format!("{}/__sandbox/faults", wire.url))
        .json(&plan)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}
