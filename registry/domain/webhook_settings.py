"""The webhook settings (PODIUM_WEBHOOK_*), parsed once into values both sides use.

The registry uses the URL rules and the test-ping wait; the dispatcher uses all of it. Parsing takes
a getter (`Settings.setting`), so this module reads no environment itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from registry.domain.errors import InvalidParameter, NotConfigured
from registry.domain.network import AddressPolicy, parse_networks, parse_ports
from registry.domain.webhook_targets import GITHUB_API_URL

# Svix's schedule: after the first attempt, retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later
# (8 attempts over about 27.6 hours), each with jitter.
DEFAULT_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h"
DEFAULT_DISABLE_AFTER = "5d"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")

Getter = Callable[[str], str | None]


def parse_duration(value: str, setting: str) -> float:
    """`250ms`, `5s`, `5m`, `2h`, `1d`, or a number of seconds."""
    match = _DURATION.match(value)
    if match is None:
        raise NotConfigured(f"{setting}={value!r}: expected a duration such as 30s, 5m, 2h or 1d.")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _float(get: Getter, name: str, default: float, minimum: float) -> float:
    raw = get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise NotConfigured(f"{name}={raw!r}: expected a number.") from None
    if value < minimum:
        raise NotConfigured(f"{name}={raw!r}: must be at least {minimum}.")
    return value


@dataclass(frozen=True)
class WebhookSettings:
    schemes: frozenset[str] = frozenset({"https"})
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    github_api_url: str = GITHUB_API_URL
    # Seconds an attempt may take in all (connect, send, answer), as Standard Webhooks suggests.
    timeout: float = 15.0
    # Seconds to wait before each retry (the first attempt is immediate).
    schedule: tuple[float, ...] = tuple(parse_duration(d, "") for d in DEFAULT_SCHEDULE.split(","))
    # A subscription whose attempts all fail for this long is disabled.
    disable_after: float = parse_duration(DEFAULT_DISABLE_AFTER, "")
    # Multiplies the schedule and disable_after (tests compress a day into seconds).
    time_scale: float = 1.0
    # Parallel HTTP attempts per dispatcher.
    concurrency: int = 32
    # Seconds between checks for new work when idle (None: 0.05 on SQLite, 0.25 on PostgreSQL,
    # where NOTIFY wakes dispatchers at once).
    poll_interval: float | None = None
    # `thread`: `podium server` runs a dispatcher; `off`: only `podium worker` processes do.
    dispatcher: str = "thread"
    # How long a claimed delivery is held (None: timeout + 30 s). After it, another dispatcher may
    # take the delivery over, so it must outlast any attempt.
    lease_seconds: float | None = None

    @classmethod
    def parse(cls, get: Getter) -> WebhookSettings:
        schemes_raw = get("PODIUM_WEBHOOK_ALLOWED_SCHEMES") or "https"
        schemes = frozenset(s.strip().lower() for s in schemes_raw.replace(",", " ").split())
        if not schemes or not schemes <= {"http", "https"}:
            raise NotConfigured(f"PODIUM_WEBHOOK_ALLOWED_SCHEMES={schemes_raw!r}: use https, or https,http.")
        try:
            policy = AddressPolicy(
                allowed_networks=tuple(parse_networks(get("PODIUM_WEBHOOK_ALLOWED_NETWORKS"))),
                allowed_ports=parse_ports(get("PODIUM_WEBHOOK_ALLOWED_PORTS")),
            )
        except InvalidParameter as exc:
            raise NotConfigured(exc.message) from None
        schedule_raw = get("PODIUM_WEBHOOK_RETRY_SCHEDULE") or DEFAULT_SCHEDULE
        schedule = tuple(
            parse_duration(part, "PODIUM_WEBHOOK_RETRY_SCHEDULE")
            for part in schedule_raw.replace(" ", "").split(",")
            if part
        )
        dispatcher = (get("PODIUM_WEBHOOK_DISPATCHER") or "thread").strip().lower()
        if dispatcher not in ("thread", "off"):
            raise NotConfigured(f"PODIUM_WEBHOOK_DISPATCHER={dispatcher!r}: use thread or off.")
        poll = get("PODIUM_WEBHOOK_POLL_INTERVAL")
        timeout = parse_duration(get("PODIUM_WEBHOOK_TIMEOUT") or "15s", "PODIUM_WEBHOOK_TIMEOUT")
        lease_raw = get("PODIUM_WEBHOOK_LEASE")
        lease = parse_duration(lease_raw, "PODIUM_WEBHOOK_LEASE") if lease_raw else None
        if lease is not None and lease < timeout + 1:
            raise NotConfigured(
                f"PODIUM_WEBHOOK_LEASE={lease_raw!r} must exceed PODIUM_WEBHOOK_TIMEOUT by at least 1 s, "
                "or two dispatchers could send one delivery at the same time."
            )
        return cls(
            schemes=schemes,
            policy=policy,
            github_api_url=(get("PODIUM_GITHUB_API_URL") or GITHUB_API_URL).rstrip("/"),
            timeout=timeout,
            schedule=schedule,
            disable_after=parse_duration(
                get("PODIUM_WEBHOOK_DISABLE_AFTER") or DEFAULT_DISABLE_AFTER, "PODIUM_WEBHOOK_DISABLE_AFTER"
            ),
            time_scale=_float(get, "PODIUM_WEBHOOK_TIME_SCALE", 1.0, 0.0),
            concurrency=int(_float(get, "PODIUM_WEBHOOK_CONCURRENCY", 32, 1)),
            poll_interval=parse_duration(poll, "PODIUM_WEBHOOK_POLL_INTERVAL") if poll else None,
            dispatcher=dispatcher,
            lease_seconds=lease,
        )

    @property
    def ping_wait(self) -> float:
        """How long a test ping request waits for the dispatcher's attempt."""
        return self.timeout + 10.0

    @property
    def lease(self) -> float:
        """How long a claim is held: longer than any attempt can take (attempts are cut off at
        `timeout`), so two dispatchers never hold one delivery at once."""
        return self.lease_seconds if self.lease_seconds is not None else self.timeout + 30.0
