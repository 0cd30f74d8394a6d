"""Subscription rules: event patterns, model filters, MLflow's names, URLs, secrets, settings, the
retry schedule."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from registry.domain import webhooks as wh
from registry.domain.errors import InvalidParameter, MissingParameter, NotConfigured
from registry.domain.network import AddressPolicy
from registry.domain.webhook_settings import WebhookSettings, parse_duration
from registry.domain.webhook_targets import (
    new_secret,
    validate_github_target,
    validate_secret,
    validate_url,
)
from webhooks.envelope import names
from webhooks.retry import next_delay, parse_retry_after

HTTPS = frozenset({"https"})


def test_patterns() -> None:
    assert wh.validate_event_patterns(["model_version.*", "*", "model_version.*"]) == ["model_version.*", "*"]
    assert wh.wants(["model_version.*"], "model_version.stage_transitioned")
    assert not wh.wants(["model_version.*"], "model_version_alias.set")
    assert wh.wants(["*"], "promotion_request.applied")
    assert wh.wants(["promotion_request.approved"], "promotion_request.approved")
    with pytest.raises(InvalidParameter, match=re.escape("'model_versions.created'")):
        wh.validate_event_patterns(["model_versions.created"])
    with pytest.raises(InvalidParameter, match=re.escape("Unknown event type 'model.*'")):
        wh.validate_event_patterns(["model.*"])
    with pytest.raises(MissingParameter):
        wh.validate_event_patterns([])
    with pytest.raises(InvalidParameter):
        wh.validate_event_patterns("model_version.*")


def test_model_filters() -> None:
    assert wh.model_matches(None, "anything")
    assert wh.model_matches(None, None)
    assert wh.model_matches("fraud-*", "fraud-eu")
    assert not wh.model_matches("fraud-*", "churn")
    assert not wh.model_matches("fraud-*", None)  # server-wide events have no model
    assert wh.model_matches("fraud.v1", "fraud.v1") and not wh.model_matches("fraud.v1", "fraudxv1")
    with pytest.raises(InvalidParameter):
        wh.validate_model_filter("a/b")


def test_mlflow_names() -> None:
    assert wh.from_mlflow_event("MODEL_VERSION_ALIAS", "CREATED") == "model_version_alias.set"
    assert wh.to_mlflow_event("model_version_alias.set") == ("model_version_alias", "created")
    assert wh.to_mlflow_event("model_version.stage_transitioned") is None
    assert wh.mlflow_events(["model_version_tag.*"]) == [
        ("model_version_tag", "set"),
        ("model_version_tag", "deleted"),
    ]
    assert len(wh.mlflow_events(["*"])) == 6
    with pytest.raises(InvalidParameter, match=re.escape("prompt.created")):
        wh.from_mlflow_event("PROMPT", "CREATED")


def test_envelope_names_per_flavour() -> None:
    assert names("model_version_alias.set", {}, wh.Flavor.PODIUM) == ("model_version_alias", "set")
    assert names("model_version_alias.set", {}, wh.Flavor.MLFLOW) == ("model_version_alias", "created")
    assert names("model_version.deleted", {}, wh.Flavor.MLFLOW) == ("model_version", "deleted")
    ping = {"event_type": "model_version_alias.set"}
    assert names("webhook.test", ping, wh.Flavor.PODIUM) == ("webhook", "test")
    assert names("webhook.test", ping, wh.Flavor.MLFLOW) == ("model_version_alias", "created")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("ftp://hooks.example.com/x", "must use https"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https:///x", "no host"),
        ("https://hooks.example.com/x#frag", "fragment"),
        ("https://hooks.example.com/a b", "without spaces"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://2130706433/", "not a public address"),
        ("https://[::ffff:127.0.0.1]/", "not a public address"),
        ("https://hooks.example.com:99999/", "not a valid URL"),
        ("", "Missing value"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        validate_url(url, HTTPS, AddressPolicy())


def test_good_urls() -> None:
    assert validate_url("https://hooks.example.com/podium?x=1", HTTPS, AddressPolicy())
    assert validate_url("http://hooks.example.com/", frozenset({"http", "https"}), AddressPolicy())


def test_secrets() -> None:
    secret = new_secret()
    assert validate_secret(secret) == secret and secret.startswith("whsec_")
    assert validate_secret("x" * 16)
    for bad in ("whsec_" + "A" * 8, "whsec_not base64!", "short", "has space in the middle"):
        with pytest.raises(InvalidParameter):
            validate_secret(bad)


def test_github_targets() -> None:
    target = validate_github_target("acme", "deploy", None, None, HTTPS, AddressPolicy())
    assert target.api_url == "https://api.github.com" and target.event_type is None
    for owner, repo in (("-acme", "deploy"), ("acme", ".."), ("acme", "a/b")):
        with pytest.raises(InvalidParameter):
            validate_github_target(owner, repo, None, None, HTTPS, AddressPolicy())
    with pytest.raises(InvalidParameter, match="event_type"):
        validate_github_target("acme", "deploy", "x" * 101, None, HTTPS, AddressPolicy())


def test_settings_parse_and_explain_mistakes() -> None:
    env = {
        "PODIUM_WEBHOOK_ALLOWED_SCHEMES": "https,http",
        "PODIUM_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8",
        "PODIUM_WEBHOOK_RETRY_SCHEDULE": "1s, 30s,1m",
        "PODIUM_WEBHOOK_TIMEOUT": "20s",
        "PODIUM_WEBHOOK_DISABLE_AFTER": "2d",
        "PODIUM_WEBHOOK_TIME_SCALE": "0.5",
    }
    s = WebhookSettings.parse(env.get)
    assert s.schemes == {"http", "https"} and s.schedule == (1.0, 30.0, 60.0)
    assert s.timeout == 20.0 and s.disable_after == 172800.0 and s.time_scale == 0.5
    assert s.lease > s.timeout
    default = WebhookSettings.parse({}.get)
    assert default.schemes == {"https"} and len(default.schedule) == 7
    assert 24 * 3600 < sum(default.schedule) < 30 * 3600  # about a day
    for name, value in (
        ("PODIUM_WEBHOOK_TIMEOUT", "soon"),
        ("PODIUM_WEBHOOK_ALLOWED_SCHEMES", "gopher"),
        ("PODIUM_WEBHOOK_ALLOWED_NETWORKS", "everything"),
        ("PODIUM_WEBHOOK_DISPATCHER", "maybe"),
    ):
        with pytest.raises(NotConfigured, match=name):
            WebhookSettings.parse({name: value}.get)
    assert parse_duration("250ms", "X") == 0.25


def test_retry_schedule_with_jitter_and_retry_after() -> None:
    s = WebhookSettings(schedule=(5.0, 300.0), time_scale=1.0)
    rng = random.Random(7)
    first = next_delay(s, 1, rng=rng)
    assert first is not None and 4.0 <= first <= 6.0
    second = next_delay(s, 2, rng=rng)
    assert second is not None and 240.0 <= second <= 360.0
    assert next_delay(s, 3, rng=rng) is None  # exhausted
    assert next_delay(s, 1, retry_after=120.0, rng=rng) == 120.0
    compressed = WebhookSettings(schedule=(300.0,), time_scale=0.001)
    delay = next_delay(compressed, 1, rng=rng)
    assert delay is not None and delay < 1.0


def test_retry_after_header() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("9999999") == 24 * 3600.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
