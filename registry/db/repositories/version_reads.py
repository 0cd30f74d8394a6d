"""The hot read of the registry, resolving `models:/<name>@<alias>`, in two prebuilt statements.

Every deploy job and every `get_model_version_by_alias` takes this path, so it avoids the ORM:
one join finds the version, one UNION reads its tags and aliases. The statements are built once at
import, so a request pays for neither statement construction nor ORM loading.
"""

from __future__ import annotations

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from registry.db.tables import AliasRow, ModelVersionRow, ModelVersionTagRow, RegisteredModelRow
from registry.domain.entities import ModelVersion
from registry.domain.stages import parse_stage

_MV = ModelVersionRow.__table__.c
_BY_ALIAS = (
    select(
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
    )
    .select_from(RegisteredModelRow.__table__)
    .join(AliasRow.__table__, AliasRow.__table__.c.registered_model_id == RegisteredModelRow.__table__.c.id)
    .join(ModelVersionRow.__table__, _MV.id == AliasRow.__table__.c.model_version_id)
    .where(
        RegisteredModelRow.__table__.c.name == bindparam("name"),
        AliasRow.__table__.c.alias == bindparam("alias"),
    )
)
_TAGS = ModelVersionTagRow.__table__.c
_ALIASES = AliasRow.__table__.c
_EXTRAS = union_all(
    select(literal("t").label("kind"), _TAGS.key.label("k"), _TAGS.value.label("v")).where(
        _TAGS.model_version_id == bindparam("version_id")
    ),
    select(literal("a").label("kind"), _ALIASES.alias.label("k"), literal("").label("v")).where(
        _ALIASES.model_version_id == bindparam("version_id")
    ),
)


def version_by_alias(session: Session, name: str, alias: str) -> ModelVersion | None:
    """The version `alias` points at in model `name`, with its tags and aliases; None if unset."""
    row = session.execute(_BY_ALIAS, {"name": name, "alias": alias}).one_or_none()
    if row is None:
        return None
    tags: dict[str, str] = {}
    aliases: list[str] = []
    for kind, key, value in sorted(session.execute(_EXTRAS, {"version_id": row.id})):
        if kind == "t":
            tags[key] = value
        else:
            aliases.append(key)
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
        tags=tags,
        aliases=aliases,
        digest=row.digest,
    )
