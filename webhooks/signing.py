"""Signature headers: Standard Webhooks' and MLflow's, over the same id, timestamp and body.

Both schemes sign `{id}.{timestamp}.{body}` with HMAC-SHA256 and send `v1,<base64>`. They differ in
the key (registry.domain.webhook_targets.signing_keys): Standard Webhooks decodes a `whsec_` secret,
MLflow uses the secret's UTF-8 bytes as they are. The id is the event's (stable across retries and
redeliveries); the timestamp is the attempt's (new each time), so receivers can refuse replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from registry.domain.webhook_targets import signing_keys


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(message_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """Headers for one attempt. `secrets` is the current secret first, then one being rotated out
    (sent in `webhook-signature` only: MLflow receivers check a single signature)."""
    out = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "X-MLflow-Delivery-Id": message_id,
        "X-MLflow-Timestamp": str(timestamp),
    }
    if secrets:
        keys = [signing_keys(s) for s in secrets]
        out["webhook-signature"] = " ".join(signature(k.standard, message_id, timestamp, body) for k in keys)
        out["X-MLflow-Signature"] = signature(keys[0].mlflow, message_id, timestamp, body)
    return out
