"""Create a PAM configuration with Keeper Commander's own `pam config new`, in the sandbox.

Usage:
    commander_pam_config_new.py --descriptor SB.json --title TITLE --gateway NAME --folder NAME

Runs exactly `pam config new --environment local --title TITLE --gateway NAME --shared-folder
NAME --connections on --tunneling on --rotation on` through Commander 18.1.8's command line, so
the sandbox must answer every call Commander makes for it (`pam/get_controllers`,
`pam/add_configuration_record`, sync, v2 `move`, the router's DAG `sync` and
`configure_network_graph`, `pam/set_configuration_controller`). Prints the new record's UID.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import PeerFailure, commander_login, load_descriptor, run_main, step  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", required=True)
    parser.add_argument("--title", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--folder", required=True)
    return parser.parse_args()


def main():
    args = parse_args()
    for value in (args.title, args.gateway, args.folder):
        if '"' in value:
            raise PeerFailure("args", "names with double quotes are not supported")
    descriptor = load_descriptor(args.descriptor)
    os.environ["VERIFY_SSL"] = "false"
    params = commander_login(descriptor)

    from keepercommander import cli

    with step("commander-pam-config-new"):
        uid = cli.do_command(
            params,
            'pam config new --environment local --title "%s" --gateway "%s" --shared-folder "%s" '
            "--connections on --tunneling on --rotation on" % (args.title, args.gateway, args.folder),
        )
    if not uid:
        raise PeerFailure("commander-pam-config-new", "pam config new returned no record UID")
    return {"config_uid": uid}


if __name__ == "__main__":
    run_main(main)
