"""Check with Keeper Commander what gw-provision made in the sandbox.

Usage:
    commander_check.py --descriptor SB.json --folder NAME --app NAME --gateway NAME
        [--folder-uid UID] [--app-uid UID] [--gateway-uid UID]
        [--readonly-folder-uid UID] [--record-uid UID]

Logs in with Commander 18.1.8's own API (`KeeperParams`, `api.login`, `api.sync_down`) and checks:
  * the shared folder, found by name in the synced vault (and placed in the folder tree);
  * the KSM application (a v5 record, found by `KSMCommand.get_app_record`) and, through
    `secrets-manager app get`'s implementation (`vault/get_app_info`), its editable share of the
    folder (and, if given, the read-only share of the other folder);
  * the gateway, through `gateway_helper.get_all_gateways` (`pam/get_controllers`) and through
    the `pam gateway list` command (router + vault), bound to the application;
  * if given, a record created through KSM, decrypted by Commander inside the shared folder.
Prints one JSON object; exits 1 with `{"ok": false, "step": ...}` on any failure.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import PeerFailure, commander_login, load_descriptor, run_main, shared_folder_by_name, step  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", required=True)
    parser.add_argument("--folder", required=True, help="shared folder name")
    parser.add_argument("--app", required=True, help="KSM application title")
    parser.add_argument("--gateway", required=True, help="gateway name")
    parser.add_argument("--folder-uid", help="expected shared folder UID")
    parser.add_argument("--app-uid", help="expected application UID")
    parser.add_argument("--gateway-uid", help="expected gateway (controller) UID")
    parser.add_argument("--readonly-folder-uid", help="a folder the app must hold read-only")
    parser.add_argument("--record-uid", help="a record created through KSM in the shared folder")
    return parser.parse_args()


def expect_equal(step_name, what, expected, actual):
    if expected is not None and expected != actual:
        raise PeerFailure(step_name, "%s: expected %s, Commander sees %s" % (what, expected, actual))


def check_folder(params, args):
    uid, entry = shared_folder_by_name(params, args.folder)
    expect_equal("commander-shared-folder", "shared folder UID", args.folder_uid, uid)
    # In the folder tree (not only in the cache), at the vault root: `ls`, mkdir's duplicate
    # check and name lookups go through it (notes 04 §2.7).
    node = params.folder_cache.get(uid)
    if node is None or node.type != "shared_folder":
        raise PeerFailure("commander-shared-folder", "shared folder is not in Commander's folder tree")
    if node.parent_uid:
        raise PeerFailure("commander-shared-folder", "shared folder is not at the vault root", parent=node.parent_uid)
    owner = [u for u in entry.get("users", []) if u.get("username") == params.user]
    return {
        "uid": uid,
        "name": entry.get("name_unencrypted"),
        "owner_manages_users": bool(owner and owner[0].get("manage_users")),
        "owner_manages_records": bool(owner and owner[0].get("manage_records")),
    }


def check_app(params, args, folder_uid):
    from keepercommander.commands.ksm import KSMCommand

    with step("commander-app-record"):
        app = KSMCommand.get_app_record(params, args.app)
    if not app:
        raise PeerFailure("commander-app-record", "no KSM application titled %r after sync" % args.app)
    app_uid = app.get("record_uid")
    expect_equal("commander-app-record", "application UID", args.app_uid, app_uid)
    if app.get("version") != 5:
        raise PeerFailure("commander-app-record", "application record is not version 5", version=app.get("version"))

    # `secrets-manager app get --format json` is this call; it reads vault/get_app_info.
    with step("commander-app-info"):
        info_json = KSMCommand.get_and_print_app_info(params, app_uid, format_type="json")
        info = json.loads(info_json)
    if "error" in info:
        raise PeerFailure("commander-app-info", info["error"])
    shares = {s["uid"]: s for s in info.get("shares", [])}
    share = shares.get(folder_uid)
    if share is None:
        raise PeerFailure("commander-app-info", "the app has no share of the shared folder", shares=sorted(shares))
    if share.get("share_type") != "SHARE_TYPE_FOLDER" or share.get("editable") is not True:
        raise PeerFailure("commander-app-info", "the folder share is not an editable folder share", share=share)
    if share.get("title") != args.folder:
        raise PeerFailure("commander-app-info", "the share's title is not the folder name", title=share.get("title"))
    result = {
        "uid": app_uid,
        "title": info.get("app_name"),
        "share": {"uid": folder_uid, "editable": share["editable"], "title": share["title"]},
        "users": info.get("users", []),
    }
    if args.readonly_folder_uid:
        readonly = shares.get(args.readonly_folder_uid)
        if readonly is None:
            raise PeerFailure("commander-app-info", "the app has no share of the read-only folder")
        if readonly.get("editable") is not False:
            raise PeerFailure("commander-app-info", "the read-only share is editable", share=readonly)
        result["readonly_share"] = {"uid": args.readonly_folder_uid, "editable": readonly["editable"]}
    return result


def check_gateway(params, args, app_uid):
    from keepercommander import utils
    from keepercommander.commands.discoveryrotation import PAMGatewayListCommand
    from keepercommander.commands.pam import gateway_helper

    gateway_helper.invalidate_gateway_cache()
    with step("commander-get-controllers"):
        controllers = list(gateway_helper.get_all_gateways(params))
    named = [c for c in controllers if c.controllerName == args.gateway]
    if len(named) != 1:
        raise PeerFailure(
            "commander-get-controllers",
            "expected one gateway named %r, found %d" % (args.gateway, len(named)),
            names=[c.controllerName for c in controllers],
        )
    controller = named[0]
    gateway_uid = utils.base64_url_encode(controller.controllerUid)
    expect_equal("commander-get-controllers", "gateway UID", args.gateway_uid, gateway_uid)
    expect_equal(
        "commander-get-controllers", "gateway's application", app_uid, utils.base64_url_encode(controller.applicationUid)
    )

    # `pam gateway list --format json`: router (online list) first, then pam/get_controllers.
    gateway_helper.invalidate_gateway_cache()
    with step("commander-pam-gateway-list"):
        listed_json = PAMGatewayListCommand().execute(params, format="json")
    if not listed_json:
        raise PeerFailure("commander-pam-gateway-list", "`pam gateway list` printed nothing (router or vault refused)")
    listed = json.loads(listed_json)
    rows = [g for g in listed.get("gateways", []) if g.get("gateway_uid") == gateway_uid]
    if len(rows) != 1:
        raise PeerFailure("commander-pam-gateway-list", "`pam gateway list` does not show the gateway", listed=listed)
    row = rows[0]
    expect_equal("commander-pam-gateway-list", "listed application UID", app_uid, row.get("ksm_app_uid"))
    expect_equal("commander-pam-gateway-list", "listed gateway name", args.gateway, row.get("gateway_name"))
    return {
        "uid": gateway_uid,
        "name": controller.controllerName,
        "app_uid": row.get("ksm_app_uid"),
        "app_name": row.get("ksm_app_name"),
        "status": row.get("status"),
        "app_client_type": int(controller.appClientType),
    }


def check_record(params, record_uid, folder_uid):
    """A record created through KSM must reach Commander decrypted, inside the shared folder."""
    entry = params.record_cache.get(record_uid)
    if entry is None:
        raise PeerFailure("commander-ksm-record", "the record created through KSM is not in Commander's vault")
    with step("commander-ksm-record"):
        data = json.loads(entry["data_unencrypted"].decode("utf-8"))
    if folder_uid not in params.subfolder_record_cache or record_uid not in params.subfolder_record_cache[folder_uid]:
        raise PeerFailure("commander-ksm-record", "the record created through KSM is not inside the shared folder")
    return {"uid": record_uid, "title": data.get("title"), "type": data.get("type")}


def main():
    args = parse_args()
    descriptor = load_descriptor(args.descriptor)
    params = commander_login(descriptor)
    result = {"user": params.user}
    with step("commander-shared-folder"):
        result["shared_folder"] = check_folder(params, args)
    folder_uid = result["shared_folder"]["uid"]
    result["application"] = check_app(params, args, folder_uid)
    result["gateway"] = check_gateway(params, args, result["application"]["uid"])
    if args.record_uid:
        result["ksm_record"] = check_record(params, args.record_uid, folder_uid)
    return result


if __name__ == "__main__":
    run_main(main)
