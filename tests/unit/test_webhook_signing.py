"""Signature headers checked by independent verifiers: the `standardwebhooks` library and the
HMAC check a receiver written for MLflow does (reference/webhooks.md §6 test vectors)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from registry.domain.webhook_targets import new_secret, signing_keys
from tests.fixtures.receivers import Received, mlflow_signature_ok
from webhooks.signing import headers, signature

BODY = json.dumps({"id": "evt_" + "a" * 32, "type": "model_version.created", "data": {"name": "m"}}).encode()
MSG = "evt_" + "a" * 32


def _received(h: dict[str, str], body: bytes = BODY) -> Received:
    return Received("/hook", {k.lower(): v for k, v in h.items()}, body, 0.0, 0.0, 0.0)


def _standard(h: dict[str, str], body: bytes, secret: str) -> object:
    key: str | bytes = secret if secret.startswith("whsec_") else secret.encode()
    return Webhook(key).verify(body, {k.lower(): v for k, v in h.items()})


@pytest.mark.parametrize("secret", [new_secret(), "a-raw-secret-set-through-mlflow"])
def test_a_valid_delivery_verifies_with_both_schemes(secret: str) -> None:
    h = headers(MSG, int(time.time()), BODY, [secret])
    assert _standard(h, BODY, secret) == json.loads(BODY)
    assert mlflow_signature_ok(_received(h), secret)
    assert h["webhook-id"] == h["X-MLflow-Delivery-Id"] == MSG
    assert h["webhook-timestamp"] == h["X-MLflow-Timestamp"]
    assert "." not in h["webhook-id"] and "." not in h["webhook-timestamp"]


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    new, old = new_secret(), new_secret()
    h = headers(MSG, int(time.time()), BODY, [new, old])
    assert len(h["webhook-signature"].split(" ")) == 2
    _standard(h, BODY, new)
    _standard(h, BODY, old)
    # MLflow receivers check one signature: the current secret's.
    assert mlflow_signature_ok(_received(h), new)
    assert not mlflow_signature_ok(_received(h), old)


def test_a_tampered_body_fails_both_checks() -> None:
    secret = new_secret()
    h = headers(MSG, int(time.time()), BODY, [secret])
    tampered = BODY.replace(b'"m"', b'"x"')
    with pytest.raises(WebhookVerificationError):
        _standard(h, tampered, secret)
    assert not mlflow_signature_ok(_received(h, tampered), secret)


def test_a_wrong_secret_fails_both_checks() -> None:
    h = headers(MSG, int(time.time()), BODY, [new_secret()])
    other = new_secret()
    with pytest.raises(WebhookVerificationError):
        _standard(h, BODY, other)
    assert not mlflow_signature_ok(_received(h), other)


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamps_outside_five_minutes_are_refused_by_the_standard_library(skew: int) -> None:
    secret = new_secret()
    h = headers(MSG, int(time.time()) + skew, BODY, [secret])
    with pytest.raises(WebhookVerificationError, match=r"too old|too new"):
        _standard(h, BODY, secret)


def test_missing_headers_are_refused() -> None:
    secret = new_secret()
    h = headers(MSG, int(time.time()), BODY, [secret])
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in h.items() if k != name}
        with pytest.raises(WebhookVerificationError):
            _standard(partial, BODY, secret)
    without = {k: v for k, v in h.items() if k != "X-MLflow-Signature"}
    assert not mlflow_signature_ok(_received(without), secret)


def test_no_secret_no_signature() -> None:
    h = headers(MSG, 1, BODY, [])
    assert "webhook-signature" not in h and "X-MLflow-Signature" not in h


def test_the_keys_follow_the_secret_form() -> None:
    secret = new_secret()
    keys = signing_keys(secret)
    assert keys.mlflow == secret.encode() and len(keys.standard) == 32
    raw = signing_keys("plain-secret-text-1234")
    assert raw.standard == raw.mlflow == b"plain-secret-text-1234"
    # The same bytes as the reference library's own signer.
    when = datetime.fromtimestamp(1700000000, tz=UTC)
    assert signature(b"key", "msg_1", 1700000000, b"{}") == Webhook(b"key").sign("msg_1", when, "{}")
