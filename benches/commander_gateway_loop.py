"""The best a Commander user can do for a fleet: log in once, then `pam gateway new` N times in
one process (Commander 18.1.8's PAMCreateGatewayCommand, as `pam gateway new -n NAME -a APP -r`
runs it). Used by benches/fleet.sh for the side-by-side with `gw-provision apply`.

Usage: commander_gateway_loop.py DESCRIPTOR APP COUNT
Prints one JSON line: {"ok": true, "gateways": COUNT, "seconds": wall time of the whole loop}.
The tokens are counted, never printed.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "interop"))
import peers  # noqa: E402


def main():
    descriptor_path, app, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    descriptor = peers.load_descriptor(descriptor_path)
    params = peers.commander_login(descriptor)
    from keepercommander.commands.discoveryrotation import PAMCreateGatewayCommand

    command = PAMCreateGatewayCommand()
    minted = 0
    started = time.monotonic()
    for index in range(count):
        with peers.step("commander-pam-gateway-new"):
            token = command.execute(
                params, gateway_name="cmd-%04d" % index, ksm_app=app, return_value=True, token_expire_in_min=60
            )
        if not token:
            raise peers.PeerFailure("commander-pam-gateway-new", "no token for gateway %d" % index)
        minted += 1
    return {"gateways": minted, "loop_seconds": round(time.monotonic() - started, 3)}


if __name__ == "__main__":
    peers.run_main(main)
