"""Redeem a gw-provision one-time access token with Keeper's official KSM Python SDK.

Usage:
    ksm_redeem.py --descriptor SB.json --token TOKEN --folder-uid UID [--readonly-folder-uid UID]

Against `gw-provision sandbox serve`, with `keeper-secrets-manager-core` 17.3.0:
  1. bind the token (get_secret twice: binding, then bound) and list the secrets;
  2. list folders (get_folders) and find the shared folder;
  3. create a `login` record in the shared folder through the editable share, read it back;
  4. if a read-only shared folder is given: creating a record there must be refused.
Prints one JSON object; exits 1 with `{"ok": false, "step": ...}` on any failure.
"""

import argparse
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import PeerFailure, load_descriptor, run_main, split_token, step  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", required=True, help="sandbox descriptor JSON file")
    parser.add_argument("--token", help="one-time access token (or env GW_INTEROP_TOKEN)")
    parser.add_argument("--folder-uid", required=True, help="shared folder shared with the app as editable")
    parser.add_argument("--readonly-folder-uid", help="shared folder shared with the app read-only")
    return parser.parse_args()


def new_login_record(title):
    from keeper_secrets_manager_core.dto.dtos import RecordCreate, RecordField

    record = RecordCreate("login", title)
    record.fields = [
        RecordField(field_type="login", value="interop-user"),
        RecordField(field_type="password", value=uuid.uuid4().hex),
    ]
    record.notes = "created by tests/interop/ksm_redeem.py"
    return record


def main():
    args = parse_args()
    token = args.token or os.environ.get("GW_INTEROP_TOKEN")
    if not token:
        raise PeerFailure("args", "no token: pass --token or set GW_INTEROP_TOKEN")
    descriptor = load_descriptor(args.descriptor)
    host, secret = split_token(token)

    from keeper_secrets_manager_core import SecretsManager
    from keeper_secrets_manager_core.configkeys import ConfigKeys
    from keeper_secrets_manager_core.storage import InMemoryKeyValueStorage

    config = InMemoryKeyValueStorage()
    with step("ksm-construct"):
        sm = SecretsManager(
            token=secret,
            hostname=host,
            server_public_key=descriptor["server_public_key"],
            server_public_key_id=str(descriptor["server_key_id"]),
            verify_ssl_certs=False,
            config=config,
        )

    # 1. Redeem: the first get_secret binds, the SDK repeats it at once (notes 04 §3.1).
    with step("ksm-redeem"):
        response = sm.get_secrets(full_response=True)
    if not config.get(ConfigKeys.KEY_APP_KEY):
        raise PeerFailure("ksm-redeem", "no appKey in config after get_secrets: the token was not bound")
    if not config.get(ConfigKeys.KEY_OWNER_PUBLIC_KEY):
        raise PeerFailure("ksm-redeem", "binding reply lacked appOwnerPublicKey (create_secret needs it)")
    if response.bad_records or response.bad_folders:
        raise PeerFailure(
            "ksm-redeem",
            "the SDK could not decrypt part of the reply",
            bad_records=[b.get("err") for b in response.bad_records],
            bad_folders=[b.get("err") for b in response.bad_folders],
        )
    secret_folder_uids = sorted(f.uid for f in response.folders)
    for wanted in filter(None, (args.folder_uid, args.readonly_folder_uid)):
        # create_secret finds the folder key in this reply, so both folders must be listed, the
        # empty ones with `records: []` (notes 04 §3.3).
        if wanted not in secret_folder_uids:
            raise PeerFailure(
                "ksm-redeem", "get_secret did not list shared folder %s" % wanted, folders=secret_folder_uids
            )
    app_title = response.appData.title if response.appData else ""

    # 2. get_folders: the folder with its name.
    with step("ksm-get-folders"):
        folders = sm.get_folders()
    listed = {f.folder_uid: f.name for f in folders}
    if args.folder_uid not in listed:
        raise PeerFailure("ksm-get-folders", "get_folders did not list the shared folder", folders=sorted(listed))
    if args.readonly_folder_uid and args.readonly_folder_uid not in listed:
        raise PeerFailure(
            "ksm-get-folders", "get_folders did not list the read-only shared folder", folders=sorted(listed)
        )

    # 3. create_secret through the editable share, then read the record back.
    title = "interop-" + uuid.uuid4().hex[:8]
    with step("ksm-create-secret"):
        created_uid = sm.create_secret(args.folder_uid, new_login_record(title))
    with step("ksm-read-back"):
        read_back = sm.get_secrets([created_uid])
    if len(read_back) != 1 or read_back[0].uid != created_uid:
        raise PeerFailure(
            "ksm-read-back",
            "get_secrets([uid]) did not return exactly the created record",
            returned=[r.uid for r in read_back],
        )
    record = read_back[0]
    if record.title != title or record.type != "login":
        raise PeerFailure("ksm-read-back", "created record came back with another title or type")
    if record.folder_uid != args.folder_uid:
        raise PeerFailure("ksm-read-back", "created record is not in the shared folder", folder=record.folder_uid)
    with step("ksm-read-back"):
        login_value = record.get_standard_field_value("login", single=True)
    if login_value != "interop-user":
        raise PeerFailure("ksm-read-back", "created record's login field changed on the way", login=login_value)

    result = {
        "host": host,
        "app_title": app_title,
        "secret_folder_uids": secret_folder_uids,
        "folders": [{"uid": uid, "name": name} for uid, name in sorted(listed.items())],
        "record_count_before": len(response.records),
        "created_record_uid": created_uid,
        "created_record_title": title,
        "created_record_folder_uid": record.folder_uid,
        "created_record_is_editable": record.is_editable,
    }

    # 4. The read-only share must refuse create_secret.
    if args.readonly_folder_uid:
        refused_title = "interop-refused-" + uuid.uuid4().hex[:8]
        from keeper_secrets_manager_core.exceptions import KeeperError

        try:
            refused_uid = sm.create_secret(args.readonly_folder_uid, new_login_record(refused_title))
        except KeeperError as error:
            # The SDK turns the server's JSON error body into "Error: <code>, message=<text>"; any
            # other text means the SDK refused on its own before asking the server.
            if not str(error).startswith("Error: "):
                raise PeerFailure(
                    "ksm-readonly-refused", "refused by the SDK itself, not by the server: %s" % error
                ) from error
            result["readonly_refused"] = True
            result["readonly_error"] = str(error)
        else:
            raise PeerFailure(
                "ksm-readonly-refused",
                "create_secret in the read-only shared folder was accepted",
                created_record_uid=refused_uid,
            )
        with step("ksm-readonly-unchanged"):
            after = sm.get_secrets()
        if any(r.title == refused_title for r in after):
            raise PeerFailure("ksm-readonly-unchanged", "the refused record shows up anyway")

    return result


if __name__ == "__main__":
    run_main(main)
