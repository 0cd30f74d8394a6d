"""Claiming due deliveries and turning them into jobs, in one short transaction before any HTTP.

The claim (registry.db.repositories.deliveries) leases the rows; this module adds what the attempts
need: the event and the subscription, its secrets opened with the server key. A subscription is
re-checked here, so a disabled one gets no further attempts: its due deliveries fail at once with
the reason (test pings excepted). A delivery whose previous holder died mid-attempt is logged as a
lost attempt before it is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.db.engine import Database
from registry.db.repositories.deliveries import FAILED, Claimed, DeliveryRepository
from registry.db.repositories.webhooks import WebhookRepository
from registry.db.secrets import SecretBox
from registry.db.tables import OutboxEventRow, WebhookRow
from registry.db.uow import UnitOfWork
from registry.domain.errors import PodiumError
from registry.domain.webhook_settings import WebhookSettings
from registry.domain.webhooks import Flavor, Kind
from webhooks import envelope
from webhooks.sender import Job

LOST = (
    "lost: the dispatcher holding this delivery stopped before recording an outcome (its lease "
    "expired); sending again with the same webhook-id"
)


@dataclass(frozen=True)
class Claimer:
    database: Database
    settings: WebhookSettings
    box: SecretBox
    # Names the dispatcher in the attempt log (host:pid).
    name: str

    def claim(self, uow: UnitOfWork, token: str, limit: int) -> list[Job]:
        """Claim up to `limit` due deliveries inside `uow` (an open writing unit of work, which
        must commit before any of the jobs is sent)."""
        repo = DeliveryRepository(uow.session, self.database.dialect)
        now = uow.now
        claimed = repo.claim(now, now + int(self.settings.lease * 1000), token, limit)
        if not claimed:
            return []
        repo.add_attempts([self._lost(c, now) for c in claimed if c.reclaimed])
        subscriptions = WebhookRepository(uow.session, self.database.dialect).by_ids(
            [c.webhook_id for c in claimed]
        )
        events = repo.events([c.event_id for c in claimed])
        opened: dict[int, tuple[tuple[str, ...], str | None, str | None]] = {}
        jobs: list[Job] = []
        for c in claimed:
            sub = subscriptions[c.webhook_id]
            if not sub.active and not c.test:
                repo.finish(
                    c.id,
                    token,
                    {
                        "status": FAILED,
                        "attempts": c.attempts - 1,
                        "round_attempts": c.round_attempts - 1,
                        "last_error": f"not sent: the subscription is disabled ({sub.disabled_reason})",
                    },
                )
                continue
            if sub.id not in opened:
                opened[sub.id] = self._open(sub, now)
            jobs.append(self._job(c, token, sub, events[c.event_id], opened[sub.id]))
        return jobs

    def _lost(self, c: Claimed, now: int) -> dict[str, object]:
        return {
            "delivery_id": c.id,
            "number": c.attempts - 1,
            "redelivery": c.redeliveries > 0,
            "started_at": now,
            "duration_ms": 0,
            "status_code": None,
            "error": LOST,
            "response_excerpt": None,
            "dispatcher": self.name,
        }

    def _open(self, sub: WebhookRow, now: int) -> tuple[tuple[str, ...], str | None, str | None]:
        """(signing secrets, GitHub token, problem): opened once per subscription and claim."""
        secrets: list[str] = []
        credential: str | None = None
        try:
            if sub.secret_sealed is not None:
                secrets.append(self.box.open(sub.secret_sealed))
            rotating = sub.previous_secret_until is not None and sub.previous_secret_until > now
            if sub.previous_secret_sealed is not None and rotating:
                secrets.append(self.box.open(sub.previous_secret_sealed))
            if sub.credential_sealed is not None:
                credential = self.box.open(sub.credential_sealed)
        except PodiumError as exc:
            return (), None, f"not sent: {exc.message}"
        return tuple(secrets), credential, None

    def _job(
        self,
        c: Claimed,
        token: str,
        sub: WebhookRow,
        event: OutboxEventRow,
        opened: tuple[tuple[str, ...], str | None, str | None],
    ) -> Job:
        secrets, credential, problem = opened
        target = sub.target or {}
        return Job(
            delivery_id=c.id,
            claim=token,
            number=c.attempts,
            round_attempts=c.round_attempts,
            redelivery=c.redeliveries > 0,
            test=c.test,
            webhook_id=sub.id,
            kind=Kind(sub.kind),
            url=sub.url,
            message_id=event.event_id,
            document=envelope.envelope(event, Flavor(sub.flavor)),
            secrets=secrets,
            credential=credential,
            github_event_type=target.get("event_type"),
            problem=problem,
        )
