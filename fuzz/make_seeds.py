#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from real inputs: the Keeper vectors in
tests/data/keeper-vectors.json plus sample configs, tokens and descriptors in the shapes the
official clients write. Deterministic apart from the CA certificate signature; needs `cryptography`.

Run from the repository root: python3 fuzz/make_seeds.py
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
V = json.load(open(os.path.join(ROOT, "tests/data/keeper-vectors.json")))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64std(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write(target: str, name: str, data) -> None:
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(ROOT, "fuzz/corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def ec_key(scalar_byte: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(bytes([scalar_byte]) * 32, "big"), ec.SECP256R1())


def uncompressed(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


login = V["rest_start_login"]
proto = V["proto"]
ksm_req = V["ksm_get_secret_request"]

# --- rest_envelope: a real encrypted start_login reply, and its plaintext.
write("rest_envelope", "start_login_response_body", unb64url(login["response_body"]))
write("rest_envelope", "login_response_plaintext", unb64url(login["response_plaintext_login_response"]))

# --- proto_replies: selector byte, then the message bytes (see the target's match).
write("proto_replies", "login_response", b"\x00" + unb64url(login["response_plaintext_login_response"]))
write("proto_replies", "sync_down", b"\x03" + unb64url(V["sync_down"]["response"]))
write("proto_replies", "pam_controllers", b"\x06" + unb64url(proto["pam_controllers_response"]))
for selector in (1, 2, 4, 5, 7, 8):
    # These replies share field shapes with the requests Keeper's classes serialized.
    write("proto_replies", f"request_shape_{selector}", bytes([selector]) + unb64url(proto["add_app_client_request"]))

# --- error_bodies: what Keeper's servers answer (protocol-transport-login.md §1.5–§1.6).
for i, body in enumerate([
    {"error": "key", "key_id": 8},
    {"error": "key", "key_id": "2"},
    {"error": "throttled", "message": "Please try again in 1 minute", "retry_after": 60},
    {"error": "region_redirect", "message": "moved", "region_host": "keepersecurity.eu"},
    {"error": "device_not_registered", "additional_info": "invalid device token"},
    {"error": "session_token_expired", "message": "Session token expired"},
    {"path": "https://x/api/rest/sm/v1/get_secret, POST, python-requests/2.25.1", "additional_info": "",
     "location": "default exception manager - api validation exception", "error": "access_denied",
     "message": "Signature is invalid"},
    {"result_code": "invalid_client_version", "message": "Client version is not supported"},
]):
    write("error_bodies", f"body_{i}", json.dumps(body))

# --- ksm_json: selector byte, then JSON.
app_key = unb64url(proto["app_key"])
token_secret = b"\x11" * 32
encrypted_app_key = b64url(bytes(12) + AESGCM(token_secret).encrypt(bytes(12), app_key, None))
owner = uncompressed(ec_key(0x55))
record = {"recordUid": proto["app_uid"], "recordKey": b64std(b"r" * 60), "data": b64std(b"x" * 48),
          "revision": 3, "isEditable": True, "files": [{"fileUid": "f", "fileKey": "k", "url": "https://u"}]}
folder = {"folderUid": proto["shared_folder_uid"], "folderKey": b64std(b"k" * 60), "records": [record]}
binding = {"encryptedAppKey": encrypted_app_key, "appOwnerPublicKey": b64url(owner),
           "appData": b64url(b"d" * 40), "records": [record], "folders": [folder], "expiresOn": 1767225600000,
           "warnings": ["w"]}
get_payload = json.loads(AESGCM(unb64url(ksm_req["expect_transmission_key"])).decrypt(
    unb64url(ksm_req["body"])[:12], unb64url(ksm_req["body"])[12:], None))
create = {"clientVersion": "mp17.3.0", "clientId": get_payload["clientId"], "recordUid": proto["app_uid"],
          "recordKey": b64std(b"r" * 97), "folderUid": proto["shared_folder_uid"], "folderKey": b64std(b"f" * 60),
          "data": b64std(b"d" * 60), "subFolderUid": None}
update = {"clientVersion": "mp17.3.0", "clientId": get_payload["clientId"], "recordUid": proto["app_uid"],
          "data": b64std(b"d" * 60), "revision": 4, "transactionType": "general", "links2Remove": None}
complete = {"clientVersion": "mp17.3.0", "clientId": get_payload["clientId"], "recordUid": proto["app_uid"]}
folder_add = {"command": "folder_add", "folder_uid": proto["shared_folder_uid"], "folder_type": "shared_folder",
              "key": "k", "data": "d", "name": "n", "can_edit": True}
write("ksm_json", "secrets_manager_response", b"\x00" + json.dumps(binding).encode())
write("ksm_json", "get_folders_response", b"\x01" + json.dumps(
    {"folders": [{"folderUid": "a", "folderKey": "b", "data": "c", "parent": "d"}]}).encode())
write("ksm_json", "get_payload", b"\x02" + json.dumps(get_payload).encode())
write("ksm_json", "create_payload", b"\x03" + json.dumps(create).encode())
write("ksm_json", "update_payload", b"\x04" + json.dumps(update).encode())
write("ksm_json", "complete_and_folder_add", b"\x05" + json.dumps(folder_add).encode())
write("ksm_json", "v2_success", b"\x06" + b'{"result":"success","revision":5}')
write("ksm_json", "v2_failure", b"\x06" + b'{"result":"fail","result_code":"exists","message":"Folder exists"}')
write("ksm_json", "binding_reply", b"\x07" + json.dumps(binding).encode())

# --- one_time_token
write("one_time_token", "us", V["ksm_client_id"]["token"])
write("one_time_token", "bare", V["ksm_client_id"]["token_secret"])
write("one_time_token", "host_port", "127.0.0.1:8443:" + V["ksm_client_id"]["token_secret"])
write("one_time_token", "eu_padded", "EU:" + V["ksm_client_id"]["token_secret"] + "=\n")

# --- account_config: selector bit 0 = Commander, bit 1 = GW_PROVISION_CONFIG_B64 form.
device = {"server": "keepersecurity.com", "user": "admin@example.com",
          "device_token": b64url(hashlib.sha256(b"device").digest() * 2),
          "private_key": b64url(b"\x22" * 32), "clone_code": b64url(b"c" * 16)}
ours = dict(device)
commander = dict(device, last_login="admin@example.com", proxy=None, debug=False, login_v3=True,
                 device_id="AbCdEf", sso_master_password=False, commands=[])
write("account_config", "gw_provision", b"\x00" + json.dumps(ours, indent=2).encode())
write("account_config", "commander", b"\x01" + json.dumps(commander, indent=2).encode())
write("account_config", "commander_keychain", b"\x01" + json.dumps(
    {"user": "admin@example.com", "config_storage": "keychain:keeper"}).encode())
write("account_config", "b64_env", b"\x02" + b64std(json.dumps(ours).encode()).encode())
write("account_config", "b64url_env_commander", b"\x03" + b64url(json.dumps(commander).encode()).encode())
write("account_config", "sandbox_host", b"\x00" + json.dumps(dict(ours, server="127.0.0.1:8443")).encode())

# --- ksm_config: as `--config-init json` / `b64` print it.
client_key = ec_key(0x66).private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
ksm_config = {"hostname": "keepersecurity.com", "clientId": ksm_req["expect_client_id_std_b64"],
              "privateKey": b64std(client_key), "serverPublicKeyId": "10", "appKey": b64std(app_key),
              "appOwnerPublicKey": b64std(owner)}
write("ksm_config", "json", json.dumps(ksm_config, indent=4))
write("ksm_config", "b64", b64std(json.dumps(ksm_config).encode()))
write("ksm_config", "sandbox", json.dumps(dict(ksm_config, hostname="127.0.0.1:8443", serverPublicKeyId="7",
                                               serverPublicKey=b64url(uncompressed(ec_key(0x22))))))

# --- sandbox_descriptor: the JSON `sandbox serve --descriptor FILE` writes.
from cryptography import x509
from cryptography.x509.oid import NameOID
import datetime
ca_key = ec_key(0x77)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gw-provision sandbox CA")])
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(datetime.datetime(2026, 1, 1))
        .not_valid_after(datetime.datetime(2036, 1, 1)).sign(ca_key, __import__("cryptography.hazmat.primitives.hashes", fromlist=["SHA256"]).SHA256()))
descriptor = {"url": "https://127.0.0.1:8443", "host": "127.0.0.1:8443",
              "ca_cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode(), "server_key_id": 7,
              "server_public_key": b64url(uncompressed(ec_key(0x22))), "user": "demo@sandbox.test",
              "password": "demo-password"}
write("sandbox_descriptor", "descriptor", json.dumps(descriptor, indent=2))

# --- sandbox_envelope: selector % 4 — 0 raw ApiRequest, 1 inner ApiRequestPayload,
#     2 raw sm/v1 headers + body, 3 sm/v1 JSON payload.
write("sandbox_envelope", "raw_start_login", b"\x00" + unb64url(login["api_request"]))
write("sandbox_envelope", "inner_payload", b"\x01" + b"\x0a\x05hello\x12\x05token\x20\x03")
write("sandbox_envelope", "raw_ksm", b"\x02" + "\n".join([
    ksm_req["public_key_id_header"], ksm_req["transmission_key_header_std_b64"],
    ksm_req["authorization_header"]]).encode() + b"\n" + unb64url(ksm_req["body"]))
write("sandbox_envelope", "ksm_payload", b"\x03" + json.dumps(get_payload).encode())

# --- sandbox_sm_request: selector picks the endpoint (0 get_secret, 2 create, 3 update, 4 finalize).
write("sandbox_sm_request", "get_secret", b"\x00" + json.dumps(get_payload).encode())
write("sandbox_sm_request", "get_folders", b"\x01" + json.dumps(dict(get_payload, publicKey=None)).encode())
write("sandbox_sm_request", "create_secret", b"\x02" + json.dumps(create).encode())
write("sandbox_sm_request", "update_secret", b"\x03" + json.dumps(update).encode())
write("sandbox_sm_request", "finalize", b"\x04" + json.dumps(complete).encode())
print("seed corpora written under fuzz/corpus/", file=sys.stderr)
