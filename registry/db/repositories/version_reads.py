"""The hot reads of the registry, a version by alias (`models:/<name>@<alias>`) or by number, each
in one prebuilt statement.

Every deploy job and every `get_model_version_by_alias` resolves an alias; the mlflow client reads a
version back after every `create_model_version`. So both avoid the ORM: one join finds the version
with its tags and aliases. The statements are built once at import, so a request pays for neither
statement construction nor ORM loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from registry.db.tables import AliasRow, ModelVersionRow, ModelVersionTagRow, RegisteredModelRow
from registry.domain.entities import ModelVersion
from registry.domain.stages import parse_stage

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


def version_by_alias(session: Session, name: str, alias: str) -> ModelVersion | None:
    """The version `alias` points at in model `name`, with its tags and aliases; None if unset."""
    return _version(name, session.execute(_BY_ALIAS, {"name": name, "alias": alias}).all())


def version_by_number(session: Session, name: str, version: int) -> ModelVersion | None:
    """Version `version` of model `name`, with its tags and aliases; None if either is missing."""
    return _version(name, session.execute(_BY_NUMBER, {"name": name, "version": version}).all())


def _version(name: str, rows: Sequence[Row[*tuple[Any, ...]]]) -> ModelVersion | None:
    if not rows:
        return None
    row = rows[0]
    tags = {r.tag_key: r.tag_value for r in rows if r.tag_key is not None}
    aliases = sorted({r.alias for r in rows if r.alias is not None})
    return ModelVersion(
        name=name,
        version=row.version,
        creation_timestamp=row.creation_time,
        last_updated_timestamp=row.last_updated_time,
        current_stage=parse_stage(row.stage),
        description=row.description or "",
        source=row.source,
        run_id=row.run_id,
        model_id=row.logged_model_id,
        status=row.status,
        created_by=row.created_by,
        tags=dict(sorted(tags.items())),
        aliases=aliases,
        digest=row.digest,
    )
