"""The audit history: a model's changes, and who held a target at a moment, from audit_events."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import event, text

from registry.db.engine import Database
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.errors import InvalidPageToken, InvalidParameter, NotFound
from registry.domain.identity import LOCAL_OPERATOR, Actor, Role
from registry.services import aliases, history, models, versions
from tests.fixtures.databases import UowFactory

CARL = Actor("carl", Role.CONTRIBUTOR)


def tick() -> None:
    # Events are stamped in milliseconds; this keeps consecutive steps at distinct moments so a
    # moment *between* two of them exists.
    time.sleep(0.005)


def moment_of(uow: UowFactory, name: str, action: str, index: int = 0) -> int:
    """When the index-th (oldest first) event of that kind happened."""
    items = history.model_history(uow(), name, actions=[action]).items
    return list(reversed(items))[index].occurred_at


def held(uow: UowFactory, name: str, target: str, at: int) -> list[int]:
    return [h.version for h in history.holders_at(uow(), name, target, at).holders]


def test_which_version_held_an_alias_at_a_moment(uow: UowFactory) -> None:
    models.create_registered_model(uow(CARL), "fraud")
    for n in range(4):
        versions.create_model_version(uow(CARL), "fraud", f"mlflow-artifacts:/1/models/m-{n:032x}/a")
    tick()
    aliases.set_alias(uow(CARL), "fraud", "champion", 1)
    tick()
    aliases.set_alias(uow(CARL), "fraud", "champion", 2)
    tick()
    aliases.set_alias(uow(CARL), "fraud", "other", 3)  # another alias moving says nothing
    tick()
    versions.delete_model_version(uow(CARL), "fraud", 4)  # neither does deleting another version
    tick()
    aliases.delete_alias(uow(CARL), "fraud", "champion")
    tick()
    aliases.set_alias(uow(CARL), "fraud", "champion", 3)
    tick()
    versions.delete_model_version(uow(CARL), "fraud", 3)  # takes @champion with it

    first = moment_of(uow, "fraud", events.MODEL_VERSION_ALIAS_SET, 0)
    second = moment_of(uow, "fraud", events.MODEL_VERSION_ALIAS_SET, 1)
    removed = moment_of(uow, "fraud", events.MODEL_VERSION_ALIAS_DELETED)
    third = moment_of(uow, "fraud", events.MODEL_VERSION_ALIAS_SET, 3)
    deleted = moment_of(uow, "fraud", events.MODEL_VERSION_DELETED, 1)
    assert held(uow, "fraud", "alias:champion", first - 1) == []
    assert held(uow, "fraud", "alias:champion", first) == [1]
    assert held(uow, "fraud", "@champion", second - 1) == [1]
    assert held(uow, "fraud", "@champion", removed - 1) == [2]
    assert held(uow, "fraud", "@champion", removed) == []
    assert held(uow, "fraud", "@champion", third) == [3]
    assert held(uow, "fraud", "@champion", deleted) == []
    answer = history.holders_at(uow(), "fraud", "alias:champion", second + 1)
    (holding,) = answer.holders
    assert (holding.since, holding.set_by, holding.promotion_request_id) == (second, "carl", None)
    # ISO 8601 works as well as milliseconds.
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second / 1000)) + f".{second % 1000:03d}Z"
    assert held(uow, "fraud", "@champion", iso) == [2]  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        history.holders_at(uow(), "fraud", "alias:champion", "last tuesday")


def test_which_versions_were_in_a_stage_at_a_moment(uow: UowFactory) -> None:
    models.create_registered_model(uow(CARL), "house")
    for n in range(3):
        versions.create_model_version(uow(CARL), "house", f"mlflow-artifacts:/1/models/m-{n:032x}/a")
    tick()
    versions.transition_stage(uow(CARL), "house", 1, "Production")
    tick()
    versions.transition_stage(uow(CARL), "house", 2, "Production")  # both in Production now
    tick()
    versions.transition_stage(uow(CARL), "house", 3, "Production", archive_existing_versions=True)
    t = [moment_of(uow, "house", events.MODEL_VERSION_STAGE_TRANSITIONED, i) for i in range(5)]
    assert held(uow, "house", "stage:Production", t[0] - 1) == []
    assert held(uow, "house", "stage:Production", t[1]) == [2, 1]
    assert held(uow, "house", "stage:Production", t[4]) == [3]
    assert held(uow, "house", "stage:Archived", t[4]) == [2, 1]
    tick()
    models.delete_registered_model(uow(CARL), "house")
    # A deleted model's history is still there, under its last name.
    assert held(uow, "house", "stage:Production", t[4]) == [3]
    assert held(uow, "house", "stage:Production", int(time.time() * 1000) + 1000) == []


def test_history_pages_filters_and_renames(uow: UowFactory) -> None:
    models.create_registered_model(uow(CARL), "a")
    versions.create_model_version(uow(CARL), "a", "mlflow-artifacts:/1/models/m/a")
    for _ in range(5):
        versions.set_model_version_tag(uow(CARL), "a", 1, "k", "v")
    models.rename_registered_model(uow(CARL), "a", "b")
    everything = history.model_history(uow(), "b").items
    assert [e.action for e in everything][-2:] == [
        events.MODEL_VERSION_CREATED,
        events.REGISTERED_MODEL_CREATED,
    ]
    assert everything[0].action == events.REGISTERED_MODEL_RENAMED
    assert everything[-1].model == "a"  # as it was called then

    seen: list[str] = []
    page = history.model_history(uow(), "b", max_results=3)
    # Events recorded while someone pages do not shift the pages they are reading.
    versions.set_model_version_tag(uow(CARL), "b", 1, "late", "x")
    while True:
        seen.extend(e.event_id for e in page.items)
        if page.next_page_token is None:
            break
        page = history.model_history(uow(), "b", max_results=3, page_token=page.next_page_token)
    assert seen == [e.event_id for e in everything]

    tags = history.model_history(uow(), "b", actions=[events.MODEL_VERSION_TAG_SET]).items
    assert len(tags) == 6
    with pytest.raises(InvalidParameter, match="Unknown action"):
        history.model_history(uow(), "b", actions=["model.exploded"])
    with pytest.raises(InvalidPageToken):
        history.model_history(uow(), "b", page_token=page.next_page_token or "bad")
    with pytest.raises(NotFound):
        history.model_history(uow(), "never-existed")


def _plan(database: Database, run: Any) -> str:
    """The database's plan for the statements `run` executes (as executed, with their parameters)."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "audit_events" in statement and not statement.startswith("EXPLAIN"):
            captured.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    with database.engine.connect() as conn:
        if database.is_sqlite:
            found = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            return "\n".join(str(row[-1]) for row in found)
        # On a tiny table PostgreSQL rightly prefers a sequential scan; asking it not to shows
        # whether an index can answer the query at all.
        conn.execute(text("SET enable_seqscan = off"))
        found = conn.exec_driver_sql("EXPLAIN " + statement, parameters).fetchall()
        conn.rollback()
        return "\n".join(str(row[0]) for row in found)


def test_holder_at_a_moment_is_an_indexed_query(database: Database) -> None:
    uow = UnitOfWork(database, CARL)
    models.create_registered_model(uow, "fraud")
    versions.create_model_version(UnitOfWork(database, CARL), "fraud", "mlflow-artifacts:/1/models/m/a")
    aliases.set_alias(UnitOfWork(database, CARL), "fraud", "champion", 1)
    for target in ("alias:champion", "stage:Production"):
        plan = _plan(
            database, lambda t=target: history.holders_at(UnitOfWork(database, LOCAL_OPERATOR), "fraud", t)
        )
        assert "ix_audit_events_model_key_time" in plan, plan
        assert "SCAN audit_events" not in plan and "Seq Scan on audit_events" not in plan, plan
