"""When to try a failed delivery again: the schedule, jitter, and the receiver's Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from registry.domain.webhook_settings import WebhookSettings

# A receiver may slow Podium down, not park a delivery for ever.
MAX_RETRY_AFTER = 24 * 3600.0
JITTER = 0.2


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date); None if absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def next_delay(
    settings: WebhookSettings,
    round_attempts: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next attempt after the `round_attempts`-th attempt failed, or None when the
    schedule is exhausted. The schedule's delay gets ±20 % jitter (so receivers recovering from an
    outage are not hit by every delivery at once); a Retry-After longer than that wins."""
    if round_attempts > len(settings.schedule):
        return None
    base = settings.schedule[round_attempts - 1] * settings.time_scale
    delay = base * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
