"""Shared plumbing for the interop scripts that drive Keeper's official Python clients.

The scripts point `keepercommander` and `keeper-secrets-manager-core` at a running
`gw-provision sandbox serve` described by its descriptor JSON. Each script prints exactly one
JSON object on stdout (`{"ok": true, ...}` or `{"ok": false, "step": ..., "error": ...}`) and
exits non-zero on failure; everything else (Commander's own prints, tracebacks) goes to stderr.
Secrets (password, one-time token, keys) are never printed.
"""

import contextlib
import json
import logging
import os
import sys
import traceback


class PeerFailure(Exception):
    """A peer did not behave as the sandbox contract requires; `step` names where."""

    def __init__(self, step, message, **details):
        super().__init__(message)
        self.step = step
        self.details = details


def load_descriptor(path):
    """Reads the sandbox descriptor and checks the keys the scripts rely on."""
    with open(path, encoding="utf-8") as handle:
        descriptor = json.load(handle)
    missing = [
        key
        for key in ("url", "host", "server_key_id", "server_public_key", "user", "password")
        if key not in descriptor
    ]
    if missing:
        raise PeerFailure("descriptor", "descriptor lacks keys: " + ", ".join(missing))
    return descriptor


def split_token(token):
    """Splits a gw-provision token `HOST[:PORT]:SECRET` into (host, secret).

    The host may carry a port, so the secret is what follows the LAST colon. Keeper's SDKs
    split on the first colon, which would take the port for the secret.
    """
    token = token.strip()
    host, sep, secret = token.rpartition(":")
    if not sep or not host or not secret:
        raise PeerFailure("token", "token is not HOST:SECRET")
    return host, secret


class _ErrorCollector(logging.Handler):
    """Keeps the messages the peers log at ERROR or above.

    The clients swallow some failed calls and only log them (Commander's
    `vault/get_records_details`, for one); the harness treats such a log line as a failure.
    """

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append("%s: %s" % (record.name, record.getMessage()))


def run_main(main):
    """Runs `main()` (returns a dict), prints the one JSON line, and sets the exit status.

    The line carries `peer_errors`: what the official clients logged at ERROR level.
    """
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    errors = _ErrorCollector()
    logging.getLogger().addHandler(errors)
    real_stdout = sys.stdout
    try:
        # Commander prints tables and banners to stdout; keep stdout for our one JSON line.
        with contextlib.redirect_stdout(sys.stderr):
            result = main()
        result = dict(result)
        result.setdefault("ok", True)
        result["peer_errors"] = errors.messages
        print(json.dumps(result, sort_keys=True), file=real_stdout, flush=True)
        sys.exit(0)
    except PeerFailure as failure:
        traceback.print_exc(file=sys.stderr)
        body = {"ok": False, "step": failure.step, "error": str(failure), "peer_errors": errors.messages}
        body.update(failure.details)
        print(json.dumps(body, sort_keys=True, default=str), file=real_stdout, flush=True)
        sys.exit(1)
    except Exception as error:  # the peers raise many types; report them all the same way
        traceback.print_exc(file=sys.stderr)
        body = {
            "ok": False,
            "step": "unexpected",
            "error": "%s: %s" % (type(error).__name__, error),
            "peer_errors": errors.messages,
        }
        print(json.dumps(body, sort_keys=True, default=str), file=real_stdout, flush=True)
        sys.exit(1)


@contextlib.contextmanager
def step(name):
    """Turns any exception raised inside into a PeerFailure tagged with `name`."""
    try:
        yield
    except PeerFailure:
        raise
    except Exception as error:
        raise PeerFailure(name, "%s: %s" % (type(error).__name__, error)) from error


def commander_login(descriptor):
    """Logs Commander in to the sandbox as the seeded account and runs a full sync_down.

    Commander has no option for a custom server key, so its key table entry 7 is replaced by the
    sandbox's key (notes 04 §4/§5). A host outside Commander's QRC map keeps it on plain EC id 7.
    """
    # File-based config storage and no config file: login writes nothing and never touches an
    # OS keychain (notes 04 §4).
    os.environ["KEEPER_CONFIG_STORAGE"] = "file"
    # `pam gateway list` asks the router first; the sandbox answers /api/user/* itself.
    os.environ["KROUTER_URL"] = descriptor["url"]

    from keepercommander import api, crypto, rest_api, utils
    from keepercommander.params import KeeperParams

    with step("commander-patch-server-key"):
        point = utils.base64_url_decode(descriptor["server_public_key"])
        if len(point) != 65:
            raise PeerFailure("commander-patch-server-key", "server_public_key is not a 65-byte point")
        key_id = int(descriptor["server_key_id"])
        rest_api.SERVER_PUBLIC_KEYS[key_id] = crypto.load_ec_public_key(point)

    params = KeeperParams(server=descriptor["host"])
    params.rest_context.certificate_check = False
    params.user = descriptor["user"]
    params.password = descriptor["password"]

    with step("commander-login"):
        api.login(params)
    # A refused password makes api.login return quietly without a session (notes 04 §1.2).
    if not params.session_token:
        raise PeerFailure("commander-login", "api.login returned without a session token")

    with step("commander-sync-down"):
        api.sync_down(params)
    return params


def shared_folder_by_name(params, name):
    """Returns (uid, cache entry) of the shared folder called `name` in Commander's caches."""
    matches = [
        (uid, entry)
        for uid, entry in params.shared_folder_cache.items()
        if entry.get("name_unencrypted") == name
    ]
    if not matches:
        known = sorted(e.get("name_unencrypted") or uid for uid, e in params.shared_folder_cache.items())
        raise PeerFailure("commander-shared-folder", "no shared folder named %r after sync" % name, known=known)
    if len(matches) > 1:
        raise PeerFailure("commander-shared-folder", "%d shared folders named %r" % (len(matches), name))
    return matches[0]
