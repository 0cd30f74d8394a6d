"""Recording what attempts came to, in one short transaction per batch after the HTTP calls.

Per delivery: 2xx → delivered; otherwise the next attempt from the retry schedule (jitter, and a
longer Retry-After wins), or failed when the schedule is exhausted, when the receiver answered 410,
or for a test ping (one attempt only). Each attempt appends a log row. Per subscription: a success
ends its run of failures; the first failure after a success starts one; a subscription whose run
of failures lasts `disable_after`, or whose receiver answered 410, is disabled, and the
`webhook.disabled` event says why (it goes to the audit history and to subscribers of
`webhook.*`, the owner's other channel). An outcome is only recorded by the dispatcher still holding
the delivery's lease: one whose lease another dispatcher took is left to that one.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from registry.db.engine import Database
from registry.db.repositories.deliveries import DELIVERED, FAILED, PENDING, DeliveryRepository, Finished
from registry.db.repositories.webhooks import WebhookRepository
from registry.db.tables import WebhookRow
from registry.db.uow import UnitOfWork
from registry.domain import webhooks as wh
from registry.domain.events import Event
from registry.domain.webhook_settings import WebhookSettings
from webhooks.envelope import iso_timestamp
from webhooks.retry import next_delay
from webhooks.sender import Job, Result

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    job: Job
    result: Result


def _period(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


class Recorder:
    def __init__(self, database: Database, settings: WebhookSettings, name: str, rng: random.Random) -> None:
        self.database = database
        self.settings = settings
        self.name = name
        self.rng = rng

    def record(self, uow: UnitOfWork, outcomes: list[Outcome]) -> None:
        """Record `outcomes` inside `uow` (an open writing unit of work)."""
        if not outcomes:
            return
        repo = DeliveryRepository(uow.session, self.database.dialect)
        # Subscriptions first, then deliveries: the order deleting a subscription takes them in
        # (its row, then its deliveries by cascade), so the two never wait on each other in a cycle.
        subscriptions = WebhookRepository(uow.session, self.database.dialect).lock_many(
            sorted({o.job.webhook_id for o in outcomes})
        )
        runs: dict[int, list[tuple[int, bool]]] = {}
        gone: set[int] = set()
        attempts: list[dict[str, object]] = []
        finished_rows: list[Finished] = []
        ordered = sorted(outcomes, key=lambda o: o.result.started_at + o.result.duration_ms)
        for outcome in ordered:
            job, result = outcome.job, outcome.result
            finished = result.started_at + result.duration_ms
            attempts.append(
                {
                    "delivery_id": job.delivery_id,
                    "number": job.number,
                    "redelivery": job.redelivery,
                    "started_at": result.started_at,
                    "duration_ms": result.duration_ms,
                    "status_code": result.status_code,
                    "error": result.error,
                    "response_excerpt": result.excerpt,
                    "dispatcher": self.name,
                }
            )
            finished_rows.append(self._next(job, result, uow.now))
            if not job.test and not result.dispatcher_fault:
                runs.setdefault(job.webhook_id, []).append((finished, result.success))
                if result.gone:
                    gone.add(job.webhook_id)
        if not repo.finish_many(finished_rows):
            # A subscription deleted meanwhile took its deliveries along: their attempts go unlogged.
            existing = repo.existing([a.delivery_id for a in finished_rows])
            attempts = [a for a in attempts if a["delivery_id"] in existing]
        repo.add_attempts(attempts)
        self._update_subscriptions(uow, repo, [s for s in subscriptions if s.id in runs], runs, gone)

    def _next(self, job: Job, result: Result, now: int) -> Finished:
        """The delivery after this attempt: delivered, due again later, or failed for good."""
        status, next_at, delivered = DELIVERED, now, None
        if result.success:
            delivered = now
        else:
            delay = None
            if not job.test and not result.gone:
                delay = next_delay(self.settings, job.round_attempts, result.retry_after, self.rng)
            if delay is None:
                status = FAILED
            else:
                status, next_at = PENDING, now + int(delay * 1000)
        return Finished(
            delivery_id=job.delivery_id,
            claim=job.claim,
            status=status,
            next_attempt_at=next_at,
            attempted_at=result.started_at,
            status_code=result.status_code,
            error=result.error,
            delivered_at=delivered,
        )

    def _update_subscriptions(
        self,
        uow: UnitOfWork,
        repo: DeliveryRepository,
        rows: list[WebhookRow],
        runs: dict[int, list[tuple[int, bool]]],
        gone: set[int],
    ) -> None:
        limit_ms = self.settings.disable_after * self.settings.time_scale * 1000
        for row in rows:
            failing = row.failing_since
            for finished, ok in runs[row.id]:
                failing = None if ok else (failing or finished)
            row.failing_since = failing
            if not row.active:
                continue
            if row.id in gone:
                self._disable(uow, repo, row, "the receiver answered 410 Gone", 410)
            elif failing is not None and uow.now - failing >= limit_ms:
                period = _period(self.settings.disable_after)
                reason = f"every attempt failed since {iso_timestamp(failing)} (the limit is {period})"
                self._disable(uow, repo, row, reason, None)

    def _disable(
        self, uow: UnitOfWork, repo: DeliveryRepository, row: WebhookRow, reason: str, code: int | None
    ) -> None:
        log.warning("webhook %s (%s) disabled: %s", row.public_id, row.url, reason)
        row.active = False
        row.disabled_reason = reason
        row.disabled_at = uow.now
        row.updated_at = uow.now
        data = {
            "id": row.public_id,
            "name": row.name,
            "url": row.url,
            "reason": reason,
            "failing_since": iso_timestamp(row.failing_since) if row.failing_since else None,
            "status_code": code,
        }
        uow.record(Event(wh.DISABLED_EVENT, None, data, after={"active": False, "reason": reason}))
        repo.fail_pending_of(row.id, uow.now, f"not sent: the subscription is disabled ({reason})")
