"""Every registry service against real SQLite and real PostgreSQL (the `database` fixture runs each
test on both)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.db.tables import AuditEventRow, ModelVersionRow, OutboxEventRow, RegisteredModelRow
from registry.domain import events
from registry.domain.errors import (
    AliasNotFound,
    AlreadyExists,
    InvalidFilter,
    InvalidPageToken,
    InvalidParameter,
    NotFound,
)
from registry.domain.stages import Stage
from registry.services import aliases, logged_models, models, versions
from tests.fixtures.databases import UowFactory


def src(n: int = 1) -> str:
    return f"mlflow-artifacts:/1/models/m-{n:032x}/artifacts"


def count(uow: UowFactory, table: type) -> int:
    with uow() as u:
        return int(u.session.scalar(select(func.count()).select_from(table)) or 0)


def test_model_lifecycle(uow: UowFactory) -> None:
    created = models.create_registered_model(uow(), "fraud", "first", {"team": "risk"})
    assert created.name == "fraud"
    assert created.description == "first"
    assert created.tags == {"team": "risk"}
    assert created.creation_timestamp == created.last_updated_timestamp

    updated = models.update_registered_model(uow(), "fraud", "second")
    assert updated.description == "second"
    models.set_registered_model_tag(uow(), "fraud", "tier", "gold")
    models.delete_registered_model_tag(uow(), "fraud", "team")
    models.delete_registered_model_tag(uow(), "fraud", "never-set")  # not an error
    got = models.get_registered_model(uow(), "fraud")
    assert got.tags == {"tier": "gold"}

    versions.create_model_version(uow(), "fraud", src())
    aliases.set_alias(uow(), "fraud", "champion", 1)
    renamed = models.rename_registered_model(uow(), "fraud", "fraud-v2")
    assert renamed.name == "fraud-v2"
    assert renamed.aliases == {"champion": 1}
    assert aliases.get_version_by_alias(uow(), "fraud-v2", "champion").name == "fraud-v2"
    with pytest.raises(NotFound, match="name=fraud not found"):
        models.get_registered_model(uow(), "fraud")

    models.delete_registered_model(uow(), "fraud-v2")
    with pytest.raises(NotFound):
        models.get_registered_model(uow(), "fraud-v2")
    assert count(uow, ModelVersionRow) == 0


def test_duplicate_model_is_refused_and_nothing_changes(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "dup", "original")
    with pytest.raises(AlreadyExists, match=r"Registered Model \(name=dup\) already exists."):
        models.create_registered_model(uow(), "dup", "other")
    assert models.get_registered_model(uow(), "dup").description == "original"
    models.create_registered_model(uow(), "other")
    with pytest.raises(AlreadyExists):
        models.rename_registered_model(uow(), "other", "dup")


def test_versions_number_from_one_and_never_reuse(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "m")
    for expected in (1, 2, 3):
        mv = versions.create_model_version(
            uow(), "m", src(expected), run_id="r" * 32, tags={"k": "v"}, description="d"
        )
        assert (mv.version, mv.current_stage, mv.status) == (expected, Stage.NONE, "READY")
        assert mv.tags == {"k": "v"}
    versions.delete_model_version(uow(), "m", 3)
    assert versions.create_model_version(uow(), "m", src(4)).version == 4
    with pytest.raises(NotFound, match=r"Model Version \(name=m, version=3\) not found"):
        versions.get_model_version(uow(), "m", "3")


def test_version_update_tags_and_logged_model_source(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "m")
    # A logged-model source must name a logged model that exists (see test_mlflow_tracking_api).
    logged = logged_models.create_logged_model(uow(), "0", name="model").model_id
    mv = versions.create_model_version(uow(), "m", f"models:/{logged}", model_id=logged)
    assert mv.model_id == logged
    assert versions.update_model_version(uow(), "m", "1", "better").description == "better"
    versions.set_model_version_tag(uow(), "m", 1, "validation", "passed")
    versions.set_model_version_tag(uow(), "m", 1, "validation", "failed")
    versions.set_model_version_tag(uow(), "m", 1, "other", "x")
    versions.delete_model_version_tag(uow(), "m", 1, "other")
    assert versions.get_model_version(uow(), "m", 1).tags == {"validation": "failed"}


def test_stage_transitions_and_archiving(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "m")
    for n in range(1, 5):
        versions.create_model_version(uow(), "m", src(n))
    versions.transition_stage(uow(), "m", 1, "Production")
    versions.transition_stage(uow(), "m", 2, "staging")
    assert versions.transition_stage(uow(), "m", 3, "Production").current_stage is Stage.PRODUCTION
    # Without archiving, two versions can share Production.
    assert versions.get_model_version(uow(), "m", 1).current_stage is Stage.PRODUCTION
    versions.transition_stage(uow(), "m", 4, "Production", archive_existing_versions=True)
    stages = {v: versions.get_model_version(uow(), "m", v).current_stage for v in range(1, 5)}
    assert stages == {1: Stage.ARCHIVED, 2: Stage.STAGING, 3: Stage.ARCHIVED, 4: Stage.PRODUCTION}

    latest = versions.get_latest_versions(uow(), "m")
    assert [(v.version, v.current_stage) for v in latest] == [
        (4, Stage.PRODUCTION),
        (3, Stage.ARCHIVED),
        (2, Stage.STAGING),
    ]
    assert [v.version for v in versions.get_latest_versions(uow(), "m", ["Production", "None"])] == [4]
    rm = models.get_registered_model(uow(), "m")
    assert [v.version for v in rm.latest_versions] == [4, 3, 2]

    with pytest.raises(InvalidParameter, match="Invalid Model Version stage: Bogus"):
        versions.transition_stage(uow(), "m", 1, "Bogus")
    with pytest.raises(InvalidParameter, match="not an Active stage"):
        versions.transition_stage(uow(), "m", 1, "Archived", archive_existing_versions=True)


def test_aliases(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "m")
    for n in (1, 2):
        versions.create_model_version(uow(), "m", src(n))
    assert aliases.set_alias(uow(), "m", "champion", "1").aliases == ["champion"]
    aliases.set_alias(uow(), "m", "challenger", 1)
    assert versions.get_model_version(uow(), "m", 1).aliases == ["challenger", "champion"]
    aliases.set_alias(uow(), "m", "champion", 2)  # a move needs no delete
    assert aliases.get_version_by_alias(uow(), "m", "champion").version == 2
    assert models.get_registered_model(uow(), "m").aliases == {"challenger": 1, "champion": 2}
    aliases.delete_alias(uow(), "m", "challenger")
    aliases.delete_alias(uow(), "m", "never-set")
    with pytest.raises(AliasNotFound, match="alias challenger not found"):
        aliases.get_version_by_alias(uow(), "m", "challenger")
    with pytest.raises(NotFound, match=r"version=999"):
        aliases.set_alias(uow(), "m", "champion", 999)
    with pytest.raises(InvalidParameter, match="reserved"):
        aliases.set_alias(uow(), "m", "latest", 1)
    # Deleting a version removes the aliases that pointed at it.
    versions.delete_model_version(uow(), "m", 2)
    assert models.get_registered_model(uow(), "m").aliases == {}


def test_search_models(uow: UowFactory) -> None:
    for name in ("wire-a", "wire-b", "Wire-c", "other"):
        models.create_registered_model(uow(), name)
    models.set_registered_model_tag(uow(), "wire-b", "mlflow.prompt.is_prompt", "true")
    models.set_registered_model_tag(uow(), "other", "tier", "gold")

    def names(f: str | None, **kw: object) -> list[str]:
        return [m.name for m in models.search_registered_models(uow(), f, **kw).items]  # type: ignore[arg-type]

    assert names("name LIKE 'wire-%'") == ["wire-a", "wire-b"]  # LIKE is case-sensitive
    assert names("name ILIKE 'wire-%'") == ["Wire-c", "wire-a", "wire-b"]
    assert names("tag.`mlflow.prompt.is_prompt` != 'true'") == ["Wire-c", "other", "wire-a"]
    assert names("name LIKE 'wire-%' AND tag.`mlflow.prompt.is_prompt` != 'true'") == ["wire-a"]
    assert names("tags.tier = 'gold'") == ["other"]
    assert names("name IN ('other', 'wire-a')") == ["other", "wire-a"]
    assert names(None, order_by=["name DESC"]) == ["wire-b", "wire-a", "other", "Wire-c"]

    first = models.search_registered_models(uow(), None, max_results=3)
    assert len(first.items) == 3 and first.next_page_token
    second = models.search_registered_models(uow(), None, max_results=3, page_token=first.next_page_token)
    assert [m.name for m in second.items] == ["wire-b"] and second.next_page_token is None

    with pytest.raises(InvalidFilter):
        models.search_registered_models(uow(), "bogus_field = 'x'")
    with pytest.raises(InvalidPageToken):
        models.search_registered_models(uow(), "name LIKE 'w%'", page_token=first.next_page_token)
    with pytest.raises(InvalidParameter, match="at most 1000"):
        models.search_registered_models(uow(), None, max_results=1001)


def test_search_versions(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "a")
    models.create_registered_model(uow(), "b")
    for n in range(1, 6):
        versions.create_model_version(uow(), "a", src(n), run_id=f"{n:032x}")
    versions.create_model_version(uow(), "b", src(9))
    versions.set_model_version_tag(uow(), "a", 2, "validation", "pending")

    def found(f: str | None, **kw: object) -> list[tuple[str, int]]:
        page = versions.search_model_versions(uow(), f, **kw)  # type: ignore[arg-type]
        return [(v.name, v.version) for v in page.items]

    assert found("name='a'") == [("a", 5), ("a", 4), ("a", 3), ("a", 2), ("a", 1)]
    assert found("name='a' and tags.validation='pending'") == [("a", 2)]
    assert found(f"run_id = '{3:032x}'") == [("a", 3)]
    assert found(f"run_id IN ('{1:032x}', '{4:032x}')") == [("a", 4), ("a", 1)]
    assert found("version_number >= 4 AND name = 'a'", order_by=["version_number ASC"]) == [
        ("a", 4),
        ("a", 5),
    ]
    assert found("source LIKE '%m-00000000000000000000000000000009%'") == [("b", 1)]
    assert found(None, order_by=["name DESC"])[0] == ("b", 1)
    # `name = ...` narrows the search to one model's versions through its id (the fast path).
    assert found("name = 'nope'") == []
    assert found("name = 'a' AND name = 'b'") == []
    assert found("name = 'b'", order_by=["name ASC"]) == [("b", 1)]
    assert found("name != 'a'") == [("b", 1)]
    page = versions.search_model_versions(uow(), None, max_results=4)
    rest = versions.search_model_versions(uow(), None, max_results=4, page_token=page.next_page_token)
    assert len(page.items) == 4 and len(rest.items) == 2 and rest.next_page_token is None
    assert [v.version for v in versions.search_model_versions(uow(), None, model="b").items] == [1]
    with pytest.raises(NotFound):
        versions.search_model_versions(uow(), None, model="missing")


def test_events_are_written_with_the_change(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "m")
    versions.create_model_version(uow(), "m", src())
    versions.create_model_version(uow(), "m", src(2))
    aliases.set_alias(uow(), "m", "champion", 1)
    aliases.set_alias(uow(), "m", "champion", 2)
    versions.transition_stage(uow(), "m", 1, "Production")
    versions.transition_stage(uow(), "m", 2, "Production", archive_existing_versions=True)
    with uow() as u:
        rows = list(u.session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id)))
        audit = list(u.session.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))
    assert [r.type for r in rows] == [
        events.REGISTERED_MODEL_CREATED,
        events.MODEL_VERSION_CREATED,
        events.MODEL_VERSION_CREATED,
        events.MODEL_VERSION_ALIAS_SET,
        events.MODEL_VERSION_ALIAS_SET,
        events.MODEL_VERSION_STAGE_TRANSITIONED,
        events.MODEL_VERSION_STAGE_TRANSITIONED,
        events.MODEL_VERSION_STAGE_TRANSITIONED,
    ]
    assert [r.sequence for r in rows] == list(range(1, 9))
    assert rows[4].data["previous_version"] == "1" and rows[4].data["version"] == "2"
    assert rows[6].data == {
        "name": "m",
        "version": "1",
        "from_stage": "Production",
        "to_stage": "Archived",
        "archived_because_version": "2",
    }
    assert [a.event_id for a in audit] == [r.event_id for r in rows]
    assert audit[4].before == {"alias": "champion", "version": 1}
    assert audit[4].after == {"alias": "champion", "version": 2}
    assert all(a.actor == "local" for a in audit)


def test_a_change_that_fails_writes_nothing(uow: UowFactory) -> None:
    models.create_registered_model(uow(), "m")
    before = (count(uow, OutboxEventRow), count(uow, AuditEventRow), count(uow, ModelVersionRow))
    with pytest.raises(RuntimeError), uow() as u:
        u.models.lock_for_new_version("m")
        u.record(events.Event(events.MODEL_VERSION_CREATED, "m", {"name": "m"}))
        raise RuntimeError("crash after recording")
    assert (count(uow, OutboxEventRow), count(uow, AuditEventRow), count(uow, ModelVersionRow)) == before
    # The rolled-back reservation did not consume a number.
    assert versions.create_model_version(uow(), "m", src()).version == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda u: models.create_registered_model(u(), ""),
        lambda u: models.create_registered_model(u(), "x" * 257),
        lambda u: models.create_registered_model(u(), "a/b"),
        lambda u: models.create_registered_model(u(), "nul\x00"),
        lambda u: models.create_registered_model(u(), "ok", tags={"k": 1}),
        lambda u: versions.create_model_version(u(), "base", "file:///etc/passwd"),
        lambda u: versions.create_model_version(u(), "base", "mlflow-artifacts:/../x"),
        lambda u: versions.create_model_version(u(), "base", src(), run_id="bad id!"),
        lambda u: versions.create_model_version(u(), "missing", src()),
        lambda u: versions.transition_stage(u(), "base", 1, "Bogus"),
        lambda u: aliases.set_alias(u(), "base", "v3", 1),
        lambda u: aliases.set_alias(u(), "base", "champion", 42),
        lambda u: versions.set_model_version_tag(u(), "base", 42, "k", "v"),
        lambda u: models.rename_registered_model(u(), "base", "bad/name"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(uow: UowFactory, call: object) -> None:
    models.create_registered_model(uow(), "base")
    versions.create_model_version(uow(), "base", src())
    snapshot = (
        count(uow, RegisteredModelRow),
        count(uow, ModelVersionRow),
        count(uow, OutboxEventRow),
        count(uow, AuditEventRow),
    )
    with pytest.raises((InvalidParameter, NotFound)):
        call(uow)  # type: ignore[operator]
    assert snapshot == (
        count(uow, RegisteredModelRow),
        count(uow, ModelVersionRow),
        count(uow, OutboxEventRow),
        count(uow, AuditEventRow),
    )
    assert versions.get_model_version(uow(), "base", 1).current_stage is Stage.NONE
