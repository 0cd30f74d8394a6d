"""Concurrency of governance on real SQLite and PostgreSQL: approvals racing, moves racing a policy."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from registry.db.engine import Database, create_database
from registry.db.tables import AuditEventRow
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.errors import Conflict, PermissionDenied
from registry.domain.identity import LOCAL_OPERATOR, Actor, Role
from registry.domain.promotions import RequestStatus
from registry.services import aliases, history, models, policies, promotions, versions

CARL = Actor("carl", Role.CONTRIBUTOR)
ADA = Actor("ada", Role.ADMIN)


@pytest.fixture
def crowd(database: Database) -> Iterator[Database]:
    """Its own engine with a pool as large as the crowd: every thread holds its own connection."""
    engine = create_database(database.url.render_as_string(hide_password=False), pool_size=32)
    yield engine
    engine.dispose()


def race(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run work(0..n-1) in n threads released at the same moment."""
    start = threading.Barrier(n)
    results: list[Any] = []
    failures: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            results.append(work(i))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, failures


def rows(db: Database, action: str) -> list[AuditEventRow]:
    with UnitOfWork(db, LOCAL_OPERATOR).reading() as u:
        stmt = select(AuditEventRow).where(AuditEventRow.action == action).order_by(AuditEventRow.id)
        return list(u.session.scalars(stmt))


@pytest.mark.parametrize("required", [1, 2])
def test_concurrent_approvals_apply_exactly_once(crowd: Database, required: int) -> None:
    models.create_registered_model(UnitOfWork(crowd, CARL), "fraud")
    for _ in range(2):
        versions.create_model_version(UnitOfWork(crowd, CARL), "fraud", "mlflow-artifacts:/1/models/m/a")
    aliases.set_alias(UnitOfWork(crowd, CARL), "fraud", "champion", 1)
    policies.set_policy(
        UnitOfWork(crowd, ADA), "fraud", protected=["alias:champion"], required_approvals=required
    )
    request = promotions.create_request(UnitOfWork(crowd, CARL), "fraud", 2, "alias:champion")
    reviewers = 8

    results, failures = race(
        reviewers,
        lambda i: promotions.approve(UnitOfWork(crowd, Actor(f"reviewer{i}", Role.REVIEWER)), request.id),
    )
    statuses = sorted(r.status.value for r in results)
    # The approvals that arrive while the request is open are recorded; the one that makes it
    # ready applies it; every later one finds it applied.
    assert statuses == ["applied"] + ["pending"] * (required - 1), statuses
    assert len(failures) == reviewers - required
    assert all(isinstance(f, Conflict) and "already applied" in f.message for f in failures), failures
    assert len(rows(crowd, events.PROMOTION_REQUEST_APPLIED)) == 1
    assert len(rows(crowd, events.PROMOTION_REQUEST_APPROVED)) == required
    moves = [r for r in rows(crowd, events.MODEL_VERSION_ALIAS_SET) if r.promotion_request_id == request.id]
    assert [m.after for m in moves] == [{"alias": "champion", "version": 2}]
    stored = promotions.get_request(UnitOfWork(crowd, LOCAL_OPERATOR), request.id)
    assert stored.status is RequestStatus.APPLIED
    assert len(stored.approvals) == required


def test_concurrent_moves_beside_a_protected_alias(crowd: Database) -> None:
    """32 threads move an unprotected alias while a policy protects another: all succeed, one
    consistent history, one audit row each; 32 threads moving the protected one are all refused
    and leave no trace; "who holds it now" agrees with the final state."""
    models.create_registered_model(UnitOfWork(crowd, CARL), "m")
    for i in range(1, 9):
        versions.create_model_version(
            UnitOfWork(crowd, CARL), "m", f"mlflow-artifacts:/1/models/m-{i:032x}/a"
        )
    aliases.set_alias(UnitOfWork(crowd, CARL), "m", "champion", 1)
    policies.set_policy(UnitOfWork(crowd, ADA), "m", protected=["alias:champion"])

    moved, failures = race(
        32, lambda i: aliases.set_alias(UnitOfWork(crowd, CARL), "m", "challenger", 1 + i % 8)
    )
    assert not failures
    assert len(moved) == 32
    _, refused = race(32, lambda i: aliases.set_alias(UnitOfWork(crowd, CARL), "m", "champion", 2 + i % 7))
    assert len(refused) == 32
    assert all(isinstance(f, PermissionDenied) for f in refused)

    sets = rows(crowd, events.MODEL_VERSION_ALIAS_SET)
    challenger = [r for r in sets if r.data["alias"] == "challenger"]
    assert len(challenger) == 32
    assert [r.data["alias"] for r in sets].count("champion") == 1  # only the move before the policy
    for earlier, later in itertools.pairwise(challenger):
        assert later.before == {"alias": "challenger", "version": earlier.after["version"]}
        # Stamped after the model's lock: a model's rows are in time order too.
        assert (later.occurred_at, later.id) > (earlier.occurred_at, earlier.id)
    final = aliases.get_version_by_alias(UnitOfWork(crowd, LOCAL_OPERATOR), "m", "challenger").version
    assert challenger[-1].after == {"alias": "challenger", "version": final}
    (holding,) = history.holders_at(UnitOfWork(crowd, LOCAL_OPERATOR), "m", "alias:challenger").holders
    assert (holding.version, holding.event_id) == (final, challenger[-1].event_id)
    assert aliases.get_version_by_alias(UnitOfWork(crowd, LOCAL_OPERATOR), "m", "champion").version == 1
