"""The hot reads of the registry, a version by alias (`models:/<name>@<alias>`) or by number, each
in one prebuilt statement.

Every deploy job and every `get_model_version_by_alias` resolves an alias, and a version is read by
number wherever a client names one (`models:/<name>/<version>`, `get_model_version`). So both avoid
the ORM: one join finds the version with its tags and aliases. The statements are built once at
import, so a request pays for neither statement construction nor ORM loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from registry.db.tables import AliasRow, ModelVersionRow, ModelVersionTagRow, RegisteredModelRow

_MV = ModelVersionRow.__table__.c
_TAG = ModelVersionTagRow.__table__.alias("tag")
_CHOSEN = AliasRow.__table__.alias("chosen")
_OTHER = AliasRow.__table__.alias("other")
_MODEL = RegisteredModelRow.__table__
# One row per (tag, alias) of the version, or one row when it has neither: a version carries a few
# tags and aliases, so the product stays tiny and the whole answer is one round trip.
_COLUMNS = select(
    _MV.id,
    _MV.version,
    _MV.creation_time,
    _MV.last_updated_time,
    _MV.stage,
    _MV.description,
    _MV.source,
    _MV.run_id,
    _MV.logged_model_id,
    _MV.status,
    _MV.created_by,
    _MV.digest,
    _TAG.c.key.label("tag_key"),
    _TAG.c.value.label("tag_value"),
    _OTHER.c.alias.label("alias"),
)
_BY_ALIAS = (
    _COLUMNS.select_from(_MODEL)
    .join(_CHOSEN, _CHOSEN.c.registered_model_id == _MODEL.c.id)
    .join(ModelVersionRow.__table__, _MV.id == _CHOSEN.c.model_version_id)
    .outerjoin(_TAG, _TAG.c.model_version_id == _MV.id)
    .outerjoin(_OTHER, _OTHER.c.model_version_id == _MV.id)
    .where(_MODEL.c.name == bindparam("name"), _CHOSEN.c.alias == bindparam("alias"))
)
_BY_NUMBER = (
    _COLUMNS.select_from(_MODEL)
    .join(ModelVersionRow.__table__, _MV.registered_model_id == _MODEL.c.id)
    .outerjoin(_TAG, _TAG.c.model_version_id == _MV.id)
    .outerjoin(_OTHER, _OTHER.c.model_version_id == _MV.id)
    .where(_MODEL.c.name == bindparam("name"), _MV.version == bindparam("version"))
)


class FoundVersion(NamedTuple):
    """A version's columns with its tags and aliases (services.assemble makes the entity)."""

    row: Row[*tuple[Any, ...]]
    tags: dict[str, str]
    aliases: list[str]


def version_by_alias(session: Session, name: str, alias: str) -> FoundVersion | None:
    """The version `alias` points at in model `name`, with its tags and aliases; None if unset."""
    return _found(session.execute(_BY_ALIAS, {"name": name, "alias": alias}).all())


def version_by_number(session: Session, name: str, version: int) -> FoundVersion | None:
    """Version `version` of model `name`, with its tags and aliases; None if either is missing."""
    return _found(session.execute(_BY_NUMBER, {"name": name, "version": version}).all())


def _found(rows: Sequence[Row[*tuple[Any, ...]]]) -> FoundVersion | None:
    if not rows:
        return None
    tags = {r.tag_key: r.tag_value for r in rows if r.tag_key is not None}
    aliases = sorted({r.alias for r in rows if r.alias is not None})
    return FoundVersion(rows[0], dict(sorted(tags.items())), aliases)
