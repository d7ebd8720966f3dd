"""Check with Keeper Commander the PAM configuration gw-provision made in the sandbox.

Usage:
    commander_pam_config.py --descriptor SB.json --title TITLE --gateway-uid UID --folder-uid UID

Logs in with Commander 18.1.8's own API and checks, with Commander's own code:
  * exactly one version-6 record titled TITLE in the synced vault, of type
    pamNetworkConfiguration, whose `pamResources` names the gateway and the shared folder, and
    which sits inside that shared folder (`subfolder.find_folders`);
  * `pam config list` (PAMConfigurationListCommand, JSON) lists it with the gateway, and
    `pam config list --config UID --verbose` reads its settings from the DAG through the router;
  * `pam/get_configuration_controller` (config_helper.configuration_controller_get) returns the
    gateway.
Prints one JSON object with what it found (the settings as `pam config list` shows them).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import PeerFailure, commander_login, load_descriptor, run_main, step  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", required=True)
    parser.add_argument("--title", required=True)
    parser.add_argument("--gateway-uid", required=True)
    parser.add_argument("--folder-uid", required=True)
    return parser.parse_args()


def main():
    args = parse_args()
    descriptor = load_descriptor(args.descriptor)
    # The DAG client verifies TLS unless told otherwise (keeper_dag/connection/commander.py);
    # the sandbox's certificate is self-signed.
    os.environ["VERIFY_SSL"] = "false"
    params = commander_login(descriptor)

    from keepercommander import utils, vault
    from keepercommander.subfolder import find_folders
    from keepercommander.commands.discoveryrotation import PAMConfigurationListCommand
    from keepercommander.commands.pam.config_helper import configuration_controller_get

    with step("commander-find-configuration"):
        records = [vault.KeeperRecord.load(params, uid) for uid, r in params.record_cache.items()
                   if r.get("version") == 6]
        titled = [r for r in records if r and r.title == args.title]
    if len(titled) != 1:
        raise PeerFailure("commander-find-configuration",
                          "%d version-6 records titled %r" % (len(titled), args.title))
    config = titled[0]
    if not isinstance(config, vault.TypedRecord) or config.record_type != "pamNetworkConfiguration":
        raise PeerFailure("commander-find-configuration", "not a pamNetworkConfiguration typed record",
                          record_type=getattr(config, "record_type", None))
    field = config.get_typed_field("pamResources")
    resources = field.get_default_value(dict) if field else None
    if not resources:
        raise PeerFailure("commander-pam-resources", "the record has no pamResources value")
    if resources.get("controllerUid") != args.gateway_uid or resources.get("folderUid") != args.folder_uid:
        raise PeerFailure("commander-pam-resources", "pamResources names another gateway or folder",
                          resources=resources)
    folders = sorted(find_folders(params, config.record_uid))
    if args.folder_uid not in folders:
        raise PeerFailure("commander-placement", "the record is not in the shared folder", folders=folders)

    with step("commander-pam-config-list"):
        listing = json.loads(PAMConfigurationListCommand().execute(params, format="json"))
    listed = [c for c in listing.get("configurations", []) if c.get("uid") == config.record_uid]
    if len(listed) != 1:
        raise PeerFailure("commander-pam-config-list", "pam config list does not show it", listing=listing)
    if listed[0].get("gateway_uid") != args.gateway_uid:
        raise PeerFailure("commander-pam-config-list", "pam config list shows another gateway", row=listed[0])

    with step("commander-pam-config-details"):
        details = json.loads(PAMConfigurationListCommand().execute(
            params, pam_configuration=config.record_uid, format="json", verbose=True))

    with step("commander-get-configuration-controller"):
        controller = configuration_controller_get(params, utils.base64_url_decode(config.record_uid))
    bound = utils.base64_url_encode(controller.controllerUid)
    if bound != args.gateway_uid:
        raise PeerFailure("commander-get-configuration-controller", "bound to another gateway", bound=bound)

    return {
        "config_uid": config.record_uid,
        "record_type": config.record_type,
        "folders": folders,
        "listed_gateway_uid": listed[0].get("gateway_uid"),
        "listed_folder": listed[0].get("shared_folder"),
        "allowed_settings": details.get("allowed_settings"),
        "bound_gateway_uid": bound,
        "bound_gateway_name": controller.controllerName,
    }


if __name__ == "__main__":
    run_main(main)
