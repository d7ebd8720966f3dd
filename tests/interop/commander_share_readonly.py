"""Make a second shared folder and share it READ-ONLY with a KSM app, using Keeper Commander.

Usage:
    commander_share_readonly.py --descriptor SB.json --folder NAME --app NAME

gw-provision only ever shares with Can Edit, so the interop tests need another client to make
a read-only share; Commander's own CLI commands do it exactly as a user would:
    mkdir -sf -a NAME
    secrets-manager share add --app APP --secret=<folder uid>      (no --editable)
The result is checked with `vault/get_app_info`. Prints `{"ok": true, "folder_uid": ...}`.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import PeerFailure, commander_login, load_descriptor, run_main, shared_folder_by_name, step  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", required=True)
    parser.add_argument("--folder", required=True, help="name of the shared folder to create")
    parser.add_argument("--app", required=True, help="KSM application title")
    return parser.parse_args()


def main():
    args = parse_args()
    if '"' in args.folder or '"' in args.app:
        raise PeerFailure("args", "names with double quotes are not supported")
    descriptor = load_descriptor(args.descriptor)
    params = commander_login(descriptor)

    from keepercommander import cli
    from keepercommander.commands.ksm import KSMCommand

    # do_command syncs after the command because mkdir sets params.sync_data (notes 04 §2.1).
    with step("commander-mkdir"):
        cli.do_command(params, 'mkdir -sf -a "%s"' % args.folder)
    folder_uid, _ = shared_folder_by_name(params, args.folder)

    app = KSMCommand.get_app_record(params, args.app)
    if not app:
        raise PeerFailure("commander-app-record", "no KSM application titled %r after sync" % args.app)
    app_uid = app["record_uid"]

    # `--secret=UID`: a UID may start with '-' (notes 04 §4).
    with step("commander-share-add"):
        cli.do_command(params, 'secrets-manager share add --app "%s" --secret=%s' % (args.app, folder_uid))

    with step("commander-app-info"):
        infos = KSMCommand.get_app_info(params, app_uid)
    shares = [s for info in infos for s in info.shares if s.secretUid and _b64(s.secretUid) == folder_uid]
    if len(shares) != 1:
        raise PeerFailure("commander-share-add", "get_app_info does not show the new share")
    if shares[0].editable:
        raise PeerFailure("commander-share-add", "the new share is editable; it was added without --editable")
    return {"folder_uid": folder_uid, "app_uid": app_uid, "editable": False}


def _b64(raw):
    from keepercommander import utils

    return utils.base64_url_encode(raw)


if __name__ == "__main__":
    run_main(main)
