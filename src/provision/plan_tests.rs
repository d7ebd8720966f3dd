//! Tests of `plan`: observed vaults and the plans made from them.

use super::*;

fn inputs() -> ProvisionInputs {
    ProvisionInputs::for_test("Gateway Lab", "Gateway Lab App")
}

fn folder(name: &str, at_root: bool) -> ObservedFolder {
    ObservedFolder {
        uid: Uid::generate(),
        name: name.to_string(),
        at_root,
        revision: 1,
    }
}

fn app(title: &str) -> ObservedApplication {
    ObservedApplication {
        uid: Uid::generate(),
        title: title.to_string(),
        revision: 1,
    }
}

fn gateway(name: &str) -> ObservedGateway {
    ObservedGateway {
        name: name.to_string(),
        controller_uid: Some(Uid::generate()),
        client_id: None,
        initialized: false,
        created_ms: 0,
    }
}

#[test]
fn empty_vault_creates_everything() {
    let plan = make_plan(&inputs(), &Observed::default()).unwrap();
    assert_eq!(plan.shared_folder, Step::Create);
    assert_eq!(plan.application, Step::Create);
    assert_eq!(plan.share, Action::Created);
    assert_eq!(plan.gateway, GatewayStep::Create);
}

#[test]
fn existing_folder_and_app_with_editable_share_are_reused() {
    let f = folder("Gateway Lab", true);
    let a = app("Gateway Lab App");
    let observed = Observed {
        folders: vec![f.clone()],
        applications: vec![a.clone()],
        share_editable: Some(true),
        gateways: vec![],
        ..Observed::default()
    };
    let plan = make_plan(&inputs(), &observed).unwrap();
    assert_eq!(plan.shared_folder, Step::Reuse(f.uid));
    assert_eq!(plan.application, Step::Reuse(a.uid));
    assert_eq!(plan.share, Action::Reused);
}

#[test]
fn read_only_share_is_updated() {
    let observed = Observed {
        folders: vec![folder("Gateway Lab", true)],
        applications: vec![app("Gateway Lab App")],
        share_editable: Some(false),
        gateways: vec![],
        ..Observed::default()
    };
    assert_eq!(
        make_plan(&inputs(), &observed).unwrap().share,
        Action::Updated
    );
}

#[test]
fn folder_not_at_root_is_not_reused() {
    let observed = Observed {
        folders: vec![folder("Gateway Lab", false)],
        ..Observed::default()
    };
    assert_eq!(
        make_plan(&inputs(), &observed).unwrap().shared_folder,
        Step::Create
    );
}

#[test]
fn folder_name_match_is_exact() {
    let observed = Observed {
        folders: vec![folder("gateway lab", true)],
        ..Observed::default()
    };
    assert_eq!(
        make_plan(&inputs(), &observed).unwrap().shared_folder,
        Step::Create
    );
}

#[test]
fn of_two_root_folders_with_the_name_the_oldest_is_used_with_a_warning() {
    let mut older = folder("Gateway Lab", true);
    older.revision = 1;
    let mut newer = folder("Gateway Lab", true);
    newer.revision = 2;
    let observed = Observed {
        folders: vec![newer, older.clone()],
        ..Observed::default()
    };
    let plan = make_plan(&inputs(), &observed).unwrap();
    assert_eq!(plan.shared_folder, Step::Reuse(older.uid));
    assert!(plan.warnings.iter().any(|w| w.contains("using the oldest")));
}

#[test]
fn of_two_applications_with_the_title_the_oldest_then_lowest_uid_is_used() {
    let (a, b) = (app("Gateway Lab App"), app("Gateway Lab App"));
    let lowest = a.uid.min(b.uid);
    let observed = Observed {
        applications: vec![a, b],
        ..Observed::default()
    };
    let plan = make_plan(&inputs(), &observed).unwrap();
    assert_eq!(plan.application, Step::Reuse(lowest));
}

#[test]
fn existing_gateway_without_replace_is_a_conflict() {
    let observed = Observed {
        folders: vec![],
        applications: vec![app("Gateway Lab App")],
        share_editable: None,
        gateways: vec![gateway("EDGE-1")],
        ..Observed::default()
    };
    assert!(matches!(
        make_plan(&inputs(), &observed),
        Err(PlanError::GatewayExists { .. })
    ));
}

#[test]
fn existing_gateway_with_replace_is_replaced() {
    let g = gateway("edge-1");
    let observed = Observed {
        applications: vec![app("Gateway Lab App")],
        gateways: vec![g.clone()],
        ..Observed::default()
    };
    let plan = make_plan(
        &ProvisionInputs {
            replace: true,
            ..inputs()
        },
        &observed,
    )
    .unwrap();
    assert_eq!(plan.gateway, GatewayStep::Replace(g));
}

#[test]
fn existing_flag_requires_the_gateway() {
    let result = make_plan(
        &ProvisionInputs {
            existing: true,
            ..inputs()
        },
        &Observed::default(),
    );
    assert!(matches!(result, Err(PlanError::GatewayMissing { .. })));
}

#[test]
fn existing_flag_refuses_docker() {
    let result = make_plan(
        &ProvisionInputs {
            existing: true,
            os: TargetOs::Docker,
            ..inputs()
        },
        &Observed::default(),
    );
    assert!(matches!(result, Err(PlanError::ExistingNeedsToken { .. })));
}

#[test]
fn gateway_listed_as_client_and_controller_is_merged() {
    let mut as_client = gateway("edge-1");
    as_client.controller_uid = None;
    as_client.client_id = Some(vec![1, 2, 3]);
    let as_controller = gateway("edge-1");
    let merged = find_gateway(&[as_client, as_controller.clone()], "edge-1").unwrap();
    assert_eq!(merged.client_id, Some(vec![1, 2, 3]));
    assert_eq!(merged.controller_uid, as_controller.controller_uid);
}

fn enterprise(allowed: &[&'static str]) -> AccountPolicy {
    AccountPolicy::from_booleans(
        allowed
            .iter()
            .map(|k| (*k, true))
            .chain([("some_other_enforcement", true)]),
    )
}

#[test]
fn enterprise_user_without_gateway_management_is_refused_before_any_change() {
    let observed = Observed {
        policy: enterprise(&[ALLOW_SECRETS_MANAGER]),
        ..Observed::default()
    };
    assert_eq!(
        make_plan(&inputs(), &observed),
        Err(PlanError::NotAllowed {
            what: "Gateway management",
            enforcement: ALLOW_PAM_GATEWAY
        })
    );
}

#[test]
fn enterprise_user_without_secrets_manager_is_refused() {
    let observed = Observed {
        policy: enterprise(&[ALLOW_PAM_GATEWAY]),
        ..Observed::default()
    };
    let err = make_plan(&inputs(), &observed).unwrap_err();
    assert!(matches!(
        err,
        PlanError::NotAllowed {
            enforcement: ALLOW_SECRETS_MANAGER,
            ..
        }
    ));
    assert!(err
        .admin_console_hint()
        .unwrap()
        .contains("ALLOW_SECRETS_MANAGER"));
}

#[test]
fn existing_gateway_needs_no_permission_to_change_nothing() {
    let observed = Observed {
        folders: vec![folder("Gateway Lab", true)],
        applications: vec![app("Gateway Lab App")],
        share_editable: Some(true),
        gateways: vec![gateway("edge-1")],
        policy: enterprise(&[]),
        ..Observed::default()
    };
    let plan = make_plan(
        &ProvisionInputs {
            existing: true,
            ..inputs()
        },
        &observed,
    )
    .unwrap();
    assert!(matches!(plan.gateway, GatewayStep::KeepExisting(_)));
}

#[test]
fn a_role_without_rotation_is_a_warning_not_a_refusal() {
    let observed = Observed {
        policy: enterprise(&[ALLOW_SECRETS_MANAGER, ALLOW_PAM_GATEWAY]),
        ..Observed::default()
    };
    let plan = make_plan(&inputs(), &observed).unwrap();
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.warnings[0].contains(ALLOW_ROTATE_CREDENTIALS));
    assert!(make_plan(&inputs(), &Observed::default())
        .unwrap()
        .warnings
        .is_empty());
}

fn with_kept(expired: bool, initialized: bool) -> Observed {
    let mut g = gateway("edge-1");
    g.client_id = Some(vec![7; 64]);
    g.initialized = initialized;
    Observed {
        applications: vec![app("Gateway Lab App")],
        gateways: vec![g],
        kept: Some(KeptGateway {
            client_id: vec![7; 64],
            expired,
        }),
        ..Observed::default()
    }
}

#[test]
fn a_gateway_whose_kept_token_was_never_shown_is_finished_not_a_conflict() {
    let plan = make_plan(&inputs(), &with_kept(false, false)).unwrap();
    assert!(matches!(plan.gateway, GatewayStep::Finish(_)));
    assert_eq!(plan.gateway.action(), Action::Created);
}

#[test]
fn an_expired_or_spent_kept_token_replaces_the_unshown_gateway() {
    for (expired, initialized) in [(true, false), (false, true)] {
        let plan = make_plan(&inputs(), &with_kept(expired, initialized)).unwrap();
        assert!(matches!(plan.gateway, GatewayStep::ReplaceUnshown(_)));
    }
}

#[test]
fn a_kept_token_of_another_client_does_not_claim_the_gateway() {
    let mut observed = with_kept(false, false);
    observed.kept = Some(KeptGateway {
        client_id: vec![9; 64],
        expired: false,
    });
    assert!(matches!(
        make_plan(&inputs(), &observed),
        Err(PlanError::GatewayExists { .. })
    ));
}

#[test]
fn dry_run_actions_use_the_would_forms() {
    assert_eq!(Action::Created.hypothetical(), Action::WouldCreate);
    assert_eq!(Action::Reused.hypothetical(), Action::WouldReuse);
    assert_eq!(
        serde_json::to_value(Action::WouldCreate).unwrap(),
        serde_json::json!("would-create")
    );
}
