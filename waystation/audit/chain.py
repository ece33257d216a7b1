"""The links of the audit chain: each row's MAC over the previous row's MAC and this row's fields
in canonical JSON. Written by ``services.record``, checked by ``verify``."""

import json

from waystation.core.keys import Purpose, mac


def canonical_json(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_mac(prev_mac: str, fields: dict) -> str:
    return mac(Purpose.AUDIT_MAC, bytes.fromhex(prev_mac) + canonical_json(fields)).hex()
