//! Planning of the PAM configuration step.
use super::*;
use crate::provision::plan::ObservedGateway;

fn inputs() -> ProvisionInputs {
    ProvisionInputs::for_test("PAM Lab", "PAM Lab App")
}

fn wanted(settings: AllowedSettings) -> PamConfigInputs {
    PamConfigInputs {
        title: Name::parse("t", "Lab Config").unwrap(),
        environment: Environment::Local,
        settings,
    }
}

fn found(bound: Option<Uid>, in_folder: bool) -> ObservedPamConfig {
    ObservedPamConfig {
        uid: Uid::generate(),
        record_type: "pamNetworkConfiguration".into(),
        bound,
        named: bound,
        shared_folder: in_folder.then(Uid::generate),
        settings: None,
        revision: 1,
    }
}

fn kept_gateway() -> GatewayStep {
    GatewayStep::KeepExisting(ObservedGateway {
        name: "edge-1".into(),
        controller_uid: None,
        client_id: None,
        initialized: true,
        created_ms: 0,
    })
}

fn step(
    inputs: &ProvisionInputs,
    settings: AllowedSettings,
    gateway: &GatewayStep,
    ours: Option<Uid>,
    found: &[ObservedPamConfig],
) -> Result<PamConfigStep, PlanError> {
    plan_pam_config(inputs, &wanted(settings), gateway, ours, found).map(|(s, _)| s)
}

#[test]
fn no_configuration_with_the_title_is_created() {
    let planned = step(
        &inputs(),
        AllowedSettings::default(),
        &GatewayStep::Create,
        None,
        &[],
    );
    assert_eq!(planned, Ok(PamConfigStep::Create));
}

#[test]
fn one_bound_to_our_gateway_is_reused_or_its_differing_switches_updated() {
    let ours = Uid::generate();
    let mut config = found(Some(ours), true);
    config.settings = Some(AllowedSettings {
        tunneling: Some(true),
        ..AllowedSettings::default()
    });
    let same = AllowedSettings {
        tunneling: Some(true),
        ..AllowedSettings::default()
    };
    let gateway = kept_gateway();
    let reuse = step(
        &inputs(),
        same,
        &gateway,
        Some(ours),
        std::slice::from_ref(&config),
    );
    assert_eq!(reuse, Ok(PamConfigStep::Reuse(config.clone())));
    let other = AllowedSettings {
        tunneling: Some(false),
        ..AllowedSettings::default()
    };
    let update = step(
        &inputs(),
        other,
        &gateway,
        Some(ours),
        std::slice::from_ref(&config),
    );
    assert_eq!(update, Ok(PamConfigStep::UpdateSettings(config)));
}

#[test]
fn one_bound_to_another_gateway_conflicts_unless_replace_or_existing() {
    let config = found(Some(Uid::generate()), true);
    let one = std::slice::from_ref(&config);
    let settings = AllowedSettings::default();
    assert!(matches!(
        step(&inputs(), settings, &GatewayStep::Create, None, one),
        Err(PlanError::PamConfigurationConflict { .. })
    ));
    let replace = ProvisionInputs {
        replace: true,
        ..inputs()
    };
    assert_eq!(
        step(&replace, settings, &GatewayStep::Create, None, one),
        Ok(PamConfigStep::Replace(config.clone()))
    );
    let existing = ProvisionInputs {
        existing: true,
        ..inputs()
    };
    assert_eq!(
        step(
            &existing,
            settings,
            &kept_gateway(),
            Some(Uid::generate()),
            one
        ),
        Ok(PamConfigStep::KeepExisting(config))
    );
}

#[test]
fn one_left_unbound_or_at_the_root_by_an_earlier_run_is_finished() {
    let unbound = found(None, false);
    assert_eq!(
        step(
            &inputs(),
            AllowedSettings::default(),
            &GatewayStep::Create,
            None,
            std::slice::from_ref(&unbound)
        ),
        Ok(PamConfigStep::Finish(unbound))
    );
    let ours = Uid::generate();
    let at_root = found(Some(ours), false);
    assert_eq!(
        step(
            &inputs(),
            AllowedSettings::default(),
            &kept_gateway(),
            Some(ours),
            std::slice::from_ref(&at_root)
        ),
        Ok(PamConfigStep::Finish(at_root))
    );
}

#[test]
fn one_of_another_environment_is_a_conflict() {
    let mut config = found(None, true);
    config.record_type = "pamAwsConfiguration".into();
    assert!(matches!(
        step(
            &inputs(),
            AllowedSettings::default(),
            &GatewayStep::Create,
            None,
            &[config]
        ),
        Err(PlanError::PamConfigurationConflict { .. })
    ));
}

#[test]
fn rotation_on_by_default_or_by_flag_is_refused_without_the_enforcement() {
    let no_rotation = AccountPolicy::from_booleans([("allow_pam_gateway", true)]);
    let default = wanted(AllowedSettings::default());
    assert!(matches!(
        check_rotation_policy(&default, &PamConfigStep::Create, &no_rotation),
        Err(PlanError::NotAllowed {
            enforcement: ALLOW_ROTATE_CREDENTIALS,
            ..
        })
    ));
    let off = wanted(AllowedSettings {
        rotation: Some(false),
        ..AllowedSettings::default()
    });
    assert!(check_rotation_policy(&off, &PamConfigStep::Create, &no_rotation).is_ok());
    assert!(
        check_rotation_policy(&default, &PamConfigStep::Create, &AccountPolicy::default()).is_ok()
    );
}
