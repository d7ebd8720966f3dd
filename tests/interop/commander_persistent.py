"""Log Keeper Commander in to a sandbox account: with the password (through any device approval,
authenticator code, SSO master password or region redirect the account requires), or by resuming
the persistent session stored in a Commander config.json, which gw-provision may have written.

Usage:
    commander_persistent.py --descriptor SB.json --user EMAIL --mode password
        [--config FILE] [--persistent-login] [--sso-master-password]
    commander_persistent.py --descriptor SB.json --mode resume --config FILE

The password comes from GW_INTEROP_PASSWORD and an authenticator secret (base32) from
GW_INTEROP_TOTP_SECRET, never from argv. Device approval by e-mail reads the code the sandbox
"sent" from its admin route `GET /__sandbox/device-approvals`.

`--mode password` uses Commander's own login (`api.login` with a LoginUi that answers each step
the way a person would). With `--config FILE` Commander writes its config.json there (device,
clone code) as the `keeper` shell does; `--persistent-login` then runs `this-device
persistent-login on` (user setting + device data key). `--mode resume` loads FILE with
`get_params_from_config`, logs in with no password (a prompt fails the run) and lets Commander
write the rotated clone code back. Prints one JSON object: the account, the server Commander
ended on, and every REST endpoint Commander called, in order.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import ssl
import struct
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import PeerFailure, load_descriptor, run_main, step  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", required=True)
    parser.add_argument("--mode", required=True, choices=["password", "resume"])
    parser.add_argument("--user", help="account e-mail (password mode)")
    parser.add_argument("--config", help="Commander config.json to write (password) or resume from")
    parser.add_argument("--persistent-login", action="store_true",
                        help="after logging in, run `this-device persistent-login on`")
    parser.add_argument("--sso-master-password", action="store_true",
                        help="answer an SSO redirect with the account's master password")
    return parser.parse_args()


def totp_now(secret_base32):
    """RFC 6238 (HMAC-SHA1, 30 s, 6 digits), written here so the sandbox's own code is not reused."""
    padded = secret_base32.upper() + "=" * (-len(secret_base32) % 8)
    key = base64.b32decode(padded)
    now = time.time()
    if now % 30 > 27:  # keep the code valid until the sandbox sees it
        time.sleep(31 - now % 30)
        now = time.time()
    digest = hmac.new(key, struct.pack(">Q", int(now // 30)), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def email_code(descriptor, email):
    """The newest e-mail code the sandbox holds for `email` (loopback admin route)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    url = "%s/__sandbox/device-approvals?email=%s" % (descriptor["url"], urllib.parse.quote(email))
    with urllib.request.urlopen(url, context=context, timeout=30) as reply:
        pending = json.load(reply)["pending"]
    codes = [p["email_code"] for p in pending if p.get("email_code")]
    if not codes:
        raise PeerFailure("commander-device-approval", "the sandbox lists no e-mail code", pending=pending)
    return codes[-1]


def make_ui(descriptor, args, answers):
    """A LoginUi answering every step without a terminal; `answers` records what it did."""
    from keepercommander.auth import login_steps

    class ScriptUi(login_steps.LoginUi):
        def on_device_approval(self, step_):
            if args.mode == "resume":
                raise PeerFailure("commander-resume", "Commander asked to approve the device again")
            step_.send_push(login_steps.DeviceApprovalChannel.Email)
            step_.send_code(login_steps.DeviceApprovalChannel.Email, email_code(descriptor, step_.username))
            answers.append("device_approval_email")

        def on_two_factor(self, step_):
            if args.mode == "resume":
                raise PeerFailure("commander-resume", "Commander asked for a two-factor code")
            secret = os.environ.get("GW_INTEROP_TOTP_SECRET")
            if not secret:
                raise PeerFailure("commander-two-factor", "two-factor asked but GW_INTEROP_TOTP_SECRET is unset")
            channels = [c for c in step_.get_channels()
                        if c.channel_type == login_steps.TwoFactorChannel.Authenticator]
            if not channels:
                raise PeerFailure("commander-two-factor", "no authenticator channel offered")
            step_.send_code(channels[0].channel_uid, totp_now(secret))
            answers.append("two_factor_totp")

        def on_password(self, step_):
            raise PeerFailure("commander-" + args.mode, "Commander asked for the master password")

        def on_sso_redirect(self, step_):
            if not args.sso_master_password:
                raise PeerFailure("commander-sso", "Commander was sent to SSO", url=step_.sso_login_url)
            answers.append("sso_master_password")
            step_.login_with_password()

        def on_sso_data_key(self, step_):
            raise PeerFailure("commander-sso", "Commander asked for an SSO device data key")

    return ScriptUi()


def main():
    args = parse_args()
    descriptor = load_descriptor(args.descriptor)
    # A config.json stays a plain file: no keychain (notes 04 §4).
    os.environ["KEEPER_CONFIG_STORAGE"] = "file"

    from keepercommander import api, crypto, rest_api, utils
    from keepercommander.__main__ import get_params_from_config
    from keepercommander.params import KeeperParams

    with step("commander-patch-server-key"):
        point = utils.base64_url_decode(descriptor["server_public_key"])
        rest_api.SERVER_PUBLIC_KEYS[int(descriptor["server_key_id"])] = crypto.load_ec_public_key(point)

    endpoints = []
    real_execute_rest = rest_api.execute_rest

    def recording_execute_rest(context, endpoint, payload, *rest, **kwargs):
        endpoints.append(endpoint)
        return real_execute_rest(context, endpoint, payload, *rest, **kwargs)

    rest_api.execute_rest = recording_execute_rest

    with step("commander-config"):
        if args.mode == "resume":
            if not args.config or not os.path.isfile(args.config):
                raise PeerFailure("commander-config", "resume needs an existing --config")
            params = get_params_from_config(args.config)
            before = dict(params.config)
            if not params.clone_code:
                raise PeerFailure("commander-config", "the config holds no clone_code")
        else:
            if not args.user:
                raise PeerFailure("commander-config", "password mode needs --user")
            params = get_params_from_config(args.config) if args.config else KeeperParams()
            before = dict(params.config or {})
            params.server = descriptor["host"]
            params.user = args.user
            params.password = os.environ.get("GW_INTEROP_PASSWORD", "")
            if not params.password:
                raise PeerFailure("commander-config", "GW_INTEROP_PASSWORD is unset")
        params.rest_context.certificate_check = False

    answers = []
    with step("commander-login"):
        api.login(params, login_ui=make_ui(descriptor, args, answers))
    if not params.session_token:
        raise PeerFailure("commander-login", "api.login returned without a session token", endpoints=endpoints)

    with step("commander-sync-down"):
        api.sync_down(params)

    persistent = None
    if args.persistent_login:
        from keepercommander.commands.utils import ThisDeviceCommand

        with step("commander-persistent-login"):
            ThisDeviceCommand().execute(params, ops=["persistent-login", "on"])
            summary, this_device = ThisDeviceCommand.get_account_summary_and_this_device(params)
            persistent = {
                "setting": summary.get("settings", {}).get("persistentLogin", False),
                "device_data_key": bool(this_device and this_device.get("encryptedDataKeyPresent")),
            }

    after = {}
    if args.config and os.path.isfile(args.config):
        with open(args.config, encoding="utf-8") as handle:
            after = json.load(handle)
    return {
        "user": params.user,
        "server": params.server,
        "endpoints": endpoints,
        "answers": answers,
        "persistent_login": persistent,
        "config_keys": sorted(after),
        "clone_code_rotated": bool(after.get("clone_code")) and after.get("clone_code") != before.get("clone_code"),
        "device_token_kept": bool(before.get("device_token")) and after.get("device_token") == before.get("device_token"),
    }


if __name__ == "__main__":
    run_main(main)
