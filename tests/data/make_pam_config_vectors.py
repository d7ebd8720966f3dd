"""Writes tests/data/pam-config-vectors.json with Keeper Commander 18.1.8's own code.

Run with the interop Python (keepercommander==18.1.8 installed):
    python tests/data/make_pam_config_vectors.py > tests/data/pam-config-vectors.json

Every message is built the way Commander builds it for `pam config new` (see the functions named
beside each entry); keys and UIDs are fixed so the Rust side can decrypt and rebuild them.
"""

import json

from keepercommander import api, crypto, utils, vault, vault_extensions
from keepercommander.commands.discoveryrotation import PamConfigurationEditMixin
from keepercommander.commands.record_edit import RecordEditMixin
from keepercommander.proto import pam_pb2, router_pb2

b64 = utils.base64_url_encode
config_uid = bytes(range(16))
controller_uid = bytes(range(16, 32))
folder_uid = bytes(range(32, 48))
record_key = bytes(range(100, 132))
data_key = bytes(range(200, 232))

# PAMConfigurationNewCommand.execute: a TypedRecord(version=6) with pamResources and the default
# schedule (parse_properties, verify_required), extracted and padded by Commander.
record = vault.TypedRecord(version=6)
record.type_name = "pamNetworkConfiguration"
record.title = "Lab Config"
field = vault.TypedField.new_field("pamResources", {})
record.fields.append(field)
field.value[0]["controllerUid"] = b64(controller_uid)
field.value[0]["folderUid"] = b64(folder_uid)
mixin = PamConfigurationEditMixin()
mixin.assign_typed_fields(record, [RecordEditMixin.parse_field("schedule.defaultRotationSchedule=On-Demand")])
mixin.verify_required(record)
json_data = api.get_record_data_json_bytes(vault_extensions.extract_typed_record_data(record))

# config_helper.pam_configuration_create_record_v6
car = pam_pb2.ConfigurationAddRequest()
car.configurationUid = config_uid
car.recordKey = crypto.encrypt_aes_v2(record_key, data_key)
car.data = crypto.encrypt_aes_v2(json_data, record_key)

# PAMConfigurationNewCommand.execute: the binding
pcc = pam_pb2.PAMConfigurationController()
pcc.configurationUid = config_uid
pcc.controllerUid = controller_uid

# config_helper.configuration_controller_get
uid_rq = pam_pb2.PAMGenericUidRequest()
uid_rq.uid = config_uid

# TunnelGraph.TunnelDAG.edit_tunneling_config for --connections on --tunneling on --rotation on
allowed = {}
allowed["connections"] = True
allowed["portForwards"] = True
allowed["rotation"] = True
network = router_pb2.PAMNetworkConfigurationRequest(
    recordUid=config_uid,
    networkSettings=router_pb2.PAMNetworkSettings(allowedSettings=json.dumps(allowed).encode()),
)

refused = router_pb2.RouterResponse()
refused.responseCode = router_pb2.RRC_NOT_ALLOWED
refused.errorMessage = "not allowed"

print(json.dumps({
    "keys": {
        "config_uid": b64(config_uid),
        "controller_uid": b64(controller_uid),
        "folder_uid": b64(folder_uid),
        "record_key": b64(record_key),
        "data_key": b64(data_key),
    },
    "record_json_len": len(json_data),
    "proto": {
        "configuration_add_request": b64(car.SerializeToString()),
        "configuration_controller": b64(pcc.SerializeToString()),
        "generic_uid_request": b64(uid_rq.SerializeToString()),
        "network_configuration_request": b64(network.SerializeToString()),
        "router_response_not_allowed": b64(refused.SerializeToString()),
    },
}, indent=2, sort_keys=True))
