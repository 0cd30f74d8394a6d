"""Marshmallow schemas of the native API: they generate its OpenAPI document too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from registry.domain.names import MAX_NAME_LENGTH, MAX_TAG_VALUE_LENGTH


class Timestamp(fields.Field):  # type: ignore[type-arg]
    """Milliseconds since the epoch inside, ISO 8601 (UTC) on the wire."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return datetime.fromtimestamp(value / 1000, tz=UTC).isoformat(timespec="milliseconds")


class Strict(Schema):
    """Request schemas refuse unknown fields (marshmallow's default), so typos are not ignored."""


Tags = fields.Dict(
    keys=fields.String(validate=validate.Length(min=1, max=250)),
    values=fields.String(validate=validate.Length(max=MAX_TAG_VALUE_LENGTH)),
)


# -- responses -----------------------------------------------------------------------------------
class FileDigestSchema(Schema):
    sha256 = fields.String()
    size = fields.Integer()


class ModelVersionSchema(Schema):
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    stage = fields.String(attribute="current_stage.value")
    description = fields.String()
    source = fields.String()
    run_id = fields.String(allow_none=True)
    model_id = fields.String(allow_none=True)
    status = fields.String()
    tags = fields.Dict(keys=fields.String(), values=fields.String())
    aliases = fields.List(fields.String())
    created_by = fields.String(allow_none=True)
    created_at = Timestamp(attribute="creation_timestamp")
    updated_at = Timestamp(attribute="last_updated_timestamp")
    digest = fields.Dict(allow_none=True, metadata={"description": "sha256 per file"})


class RegisteredModelSchema(Schema):
    name = fields.String(required=True)
    description = fields.String()
    tags = fields.Dict(keys=fields.String(), values=fields.String())
    aliases = fields.Dict(keys=fields.String(), values=fields.Integer())
    latest_versions = fields.List(fields.Nested(ModelVersionSchema))
    created_at = Timestamp(attribute="creation_timestamp")
    updated_at = Timestamp(attribute="last_updated_timestamp")


class ModelPageSchema(Schema):
    models = fields.List(fields.Nested(RegisteredModelSchema), attribute="items")
    next_page_token = fields.String(allow_none=True)


class VersionPageSchema(Schema):
    versions = fields.List(fields.Nested(ModelVersionSchema), attribute="items")
    next_page_token = fields.String(allow_none=True)


class TokenSchema(Schema):
    name = fields.String()
    role = fields.String(attribute="role.value")
    prefix = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    revoked_at = Timestamp(allow_none=True)


class NewTokenSchema(TokenSchema):
    secret = fields.String(metadata={"description": "Shown once; store it now."})


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema))


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()


# -- requests ------------------------------------------------------------------------------------
class SearchArgs(Strict):
    filter = fields.String(load_default=None, metadata={"description": "e.g. name LIKE 'fraud-%'"})
    order_by = fields.List(fields.String(), load_default=None)
    max_results = fields.Integer(load_default=None, validate=validate.Range(min=1))
    page_token = fields.String(load_default=None)


class ModelCreateArgs(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    description = fields.String(load_default=None)
    tags = Tags


class ModelUpdateArgs(Strict):
    description = fields.String(metadata={"description": "New description"})
    name = fields.String(
        validate=validate.Length(min=1, max=MAX_NAME_LENGTH),
        metadata={"description": "New name (renames the model)"},
    )


class VersionCreateArgs(Strict):
    source = fields.String(required=True, validate=validate.Length(min=1, max=4096))
    run_id = fields.String(load_default=None)
    model_id = fields.String(load_default=None)
    description = fields.String(load_default=None)
    tags = Tags


class VersionUpdateArgs(Strict):
    description = fields.String(required=True)


class StageArgs(Strict):
    stage = fields.String(required=True, metadata={"description": "None, Staging, Production, Archived"})
    archive_existing_versions = fields.Boolean(load_default=False)


class AliasArgs(Strict):
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class TagArgs(Strict):
    value = fields.String(required=True, validate=validate.Length(max=MAX_TAG_VALUE_LENGTH))


class TokenCreateArgs(Strict):
    name = fields.String(required=True)
    role = fields.String(
        required=True,
        validate=validate.OneOf(["reader", "contributor", "reviewer", "admin", "promoter"]),
    )
