"""`models:/` URIs as deploy jobs write them: which registered version they mean.

`models:/<name>@<alias>`, `models:/<name>/<version>`, `models:/<name>/<stage>` and
`models:/<name>/latest` (the highest version number) are MLflow's forms; Podium reads them the same
way so a URI that works with `mlflow.pyfunc.load_model` works with `podium fetch` too. Stage names
are case-insensitive, as in MLflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.domain.errors import InvalidParameter
from registry.domain.names import parse_version, validate_alias_reference, validate_model_name
from registry.domain.stages import Stage, parse_stage

SCHEME = "models:/"
_DIGITS = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class ModelReference:
    """What a `models:/` URI names. Exactly one of version, alias, stage is set, or `latest`."""

    name: str
    version: int | None = None
    alias: str | None = None
    stage: Stage | None = None
    latest: bool = False

    @property
    def pinned(self) -> bool:
        """True when the URI names one fixed version (nothing to resolve)."""
        return self.version is not None

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{SCHEME}{self.name}@{self.alias}"
        if self.stage is not None:
            return f"{SCHEME}{self.name}/{self.stage.value}"
        if self.latest:
            return f"{SCHEME}{self.name}/latest"
        return f"{SCHEME}{self.name}/{self.version}"


def _invalid(uri: str, why: str) -> InvalidParameter:
    return InvalidParameter(f"Invalid model URI {uri!r}: {why}", field="model_uri")


def parse_model_uri(uri: object) -> ModelReference:
    """Read a `models:/` URI; raises InvalidParameter saying which form was expected.

    Logged-model URIs (`models:/m-<id>`) are not registry references and are refused: a deploy job
    takes what the registry approved, which is always a registered version.
    """
    if not isinstance(uri, str) or not uri:
        raise InvalidParameter("A model URI is required (models:/<name>@<alias>).", field="model_uri")
    if not uri.startswith(SCHEME) or uri.startswith(SCHEME + "/"):
        raise _invalid(
            uri, "expected models:/<name>@<alias>, models:/<name>/<version> or models:/<name>/<stage>."
        )
    rest = uri[len(SCHEME) :]
    if "@" in rest:
        name, _, alias = rest.partition("@")
        if not alias:
            raise _invalid(uri, "the alias after '@' is empty.")
        if "/" in alias:
            raise _invalid(uri, "an alias cannot contain '/'.")
        return ModelReference(validate_model_name(name, "model_uri"), alias=validate_alias_reference(alias))
    name, sep, selector = rest.partition("/")
    if not sep or not selector:
        raise _invalid(
            uri, "name a version, stage or alias: models:/<name>/<version> or models:/<name>@<alias>."
        )
    if "/" in selector:
        raise _invalid(uri, "too many path segments.")
    name = validate_model_name(name, "model_uri")
    if _DIGITS.match(selector):
        return ModelReference(name, version=parse_version(selector, "model_uri"))
    if selector.lower() == "latest":
        return ModelReference(name, latest=True)
    try:
        stage = parse_stage(selector)
    except InvalidParameter:
        raise _invalid(
            uri,
            f"{selector!r} is neither a version number, 'latest' nor a stage "
            "(None, Staging, Production, Archived).",
        ) from None
    return ModelReference(name, stage=stage)
