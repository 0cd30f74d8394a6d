"""One attempt: the request a delivery becomes, sent through the SSRF guard, and what came of it.

A subscription is either an HTTP receiver (the signed envelope, POSTed to its URL) or a GitHub
repository (a `repository_dispatch`: `{"event_type", "client_payload": envelope}` POSTed to
`/repos/{owner}/{repo}/dispatches` with the subscription's token). Both count only 2xx as success;
a 3xx is a failure and is never followed.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3

from registry.domain.webhook_settings import WebhookSettings
from registry.domain.webhooks import Kind
from webhooks import envelope, signing
from webhooks.retry import parse_retry_after
from webhooks.ssrf import USER_AGENT, Deadlines, ForbiddenAddress

EXCERPT_BYTES = 1024
GITHUB_API_VERSION = "2022-11-28"


@dataclass(frozen=True)
class Job:
    """Everything one attempt needs, read when the delivery was claimed."""

    delivery_id: int
    claim: str
    number: int
    round_attempts: int
    redelivery: bool
    test: bool
    webhook_id: int
    kind: Kind
    url: str
    message_id: str
    document: dict[str, Any]
    secrets: tuple[str, ...] = ()
    credential: str | None = None
    github_event_type: str | None = None
    # Set when the dispatcher cannot make the attempt (e.g. it cannot decrypt the secret).
    problem: str | None = None


@dataclass(frozen=True)
class Result:
    started_at: int  # ms since the epoch
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None
    # The attempt failed for a reason on Podium's side, not the receiver's.
    dispatcher_fault: bool = False

    @property
    def success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def _request(job: Job) -> tuple[bytes, dict[str, str]]:
    if job.kind is Kind.GITHUB:
        payload = {
            "event_type": job.github_event_type or job.document["type"],
            "client_payload": job.document,
        }
        return envelope.body(payload), {
            "Content-Type": "application/json",
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {job.credential}",
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
        }
    body = envelope.body(job.document)
    headers = signing.headers(job.message_id, int(time.time()), body, job.secrets)
    headers["X-Podium-Delivery"] = str(job.delivery_id)
    headers["X-Podium-Attempt"] = str(job.number)
    if job.redelivery:
        headers["X-Podium-Redelivery"] = "true"
    return body, headers


def _cause(exc: BaseException) -> str:
    """A short reason from urllib3's nested exceptions (the innermost OS error says it best)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return "cannot resolve the host"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError | BrokenPipeError):
            return "connection reset by the receiver"
        if isinstance(current, ForbiddenAddress):
            return f"refused by the SSRF guard: {current.reason}"
        for nested in (
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            *current.args,
        ):
            if isinstance(nested, BaseException):
                stack.append(nested)
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def send(job: Job, pool: urllib3.PoolManager, deadlines: Deadlines, settings: WebhookSettings) -> Result:
    """Make one attempt. Never raises for anything the receiver or the network does."""
    started_at = time.time_ns() // 1_000_000
    t0 = time.monotonic()

    def result(**kwargs: Any) -> Result:
        return Result(started_at=started_at, duration_ms=int((time.monotonic() - t0) * 1000), **kwargs)

    if job.problem is not None:
        return result(error=job.problem, dispatcher_fault=True)
    if urlsplit(job.url).scheme.lower() not in settings.schemes:
        return result(error="the URL's scheme is no longer allowed (PODIUM_WEBHOOK_ALLOWED_SCHEMES)")
    body, headers = _request(job)
    headers["User-Agent"] = USER_AGENT
    with deadlines.attempt(settings.policy, settings.timeout) as watch:
        try:
            response = pool.request(
                "POST",
                job.url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=min(settings.timeout, 10.0), read=settings.timeout),
                redirect=False,
                retries=False,
                preload_content=False,
            )
            complete = False
            try:
                raw = response.read(EXCERPT_BYTES, decode_content=True) or b""
                complete = response.read(1) == b""
            finally:
                if not complete:
                    response.close()  # never drain an unbounded body: drop the connection instead
                response.release_conn()
        except ForbiddenAddress as exc:
            return result(error=f"refused by the SSRF guard: {exc.reason}")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.expired or isinstance(exc, urllib3.exceptions.TimeoutError):
                return result(error=f"timeout: no complete answer within {settings.timeout:g} s")
            return result(error=_cause(exc))
    if watch.expired:
        return result(error=f"timeout: no complete answer within {settings.timeout:g} s")
    code = response.status
    excerpt = raw.decode("utf-8", errors="replace")
    error: str | None = None
    if 300 <= code < 400:
        location = response.headers.get("Location", "")[:200]
        error = f"HTTP {code}: redirects are not followed (Location: {location or 'none'})"
    elif code == 410:
        error = "HTTP 410 Gone: the receiver asked to stop; the subscription is disabled"
    elif not 200 <= code < 300:
        error = f"HTTP {code}"
    return result(
        status_code=code,
        error=error,
        excerpt=excerpt or None,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )
