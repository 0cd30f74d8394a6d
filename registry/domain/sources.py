"""Where a model version's files come from, and which sources the registry accepts.

A version's source must be inside Podium's own artifact store: either an `mlflow-artifacts:/<path>`
URI (the form the server hands out), a logged model (`models:/m-<id>`, which must come with the
same `model_id`) or a run's artifacts (`runs:/<run_id>/<path>`). Anything else (file://, absolute
paths, other buckets, traversal) could point the registry at files it does not control, so it is
refused here, once, for every API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.domain.errors import InvalidParameter

_LOGGED_MODEL = re.compile(r"^models:/(m-[0-9a-f]{32})/?$")
_RUN = re.compile(r"^runs:/([0-9a-f]{32})(?:/(.*))?$")
_SEGMENT_BAD = re.compile(r"[\x00-\x1f\x7f\\]|%(?:2e|2f|5c|00|25)", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """kind: "artifacts" (path in the store), "logged_model" (id) or "run" (run id + path)."""

    kind: str
    path: str = ""
    logged_model_id: str | None = None
    run_id: str | None = None


def _invalid(source: str, why: str) -> InvalidParameter:
    return InvalidParameter(f"Invalid model version source: '{source}'. {why}", field="source")


def _check_relative(source: str, path: str) -> str:
    path = path.strip("/")
    if _SEGMENT_BAD.search(path):
        raise _invalid(source, "It contains control characters, backslashes or encoded separators.")
    parts = path.split("/") if path else []
    if any(p in ("", ".", "..") for p in parts):
        raise _invalid(source, "Paths may not contain empty, '.' or '..' segments.")
    return "/".join(parts)


def parse_source(source: object, model_id: str | None = None) -> Source:
    """Validate a version source; raises InvalidParameter naming what is wrong."""
    if source is None or source == "":
        raise InvalidParameter("Missing value for required parameter 'source'.", field="source")
    if not isinstance(source, str):
        raise InvalidParameter(
            f"Invalid value {source!r} for parameter 'source': must be a string.", field="source"
        )
    if len(source) > 4096:
        raise _invalid(source[:64] + "...", "It is longer than 4096 characters.")
    if m := _LOGGED_MODEL.match(source):
        if model_id != m.group(1):
            raise _invalid(
                source,
                "The model_id request parameter must identify the resource that contains the source.",
            )
        return Source("logged_model", logged_model_id=m.group(1))
    if m := _RUN.match(source):
        return Source("run", path=_check_relative(source, m.group(2) or ""), run_id=m.group(1))
    if source.startswith("mlflow-artifacts:"):
        rest = source[len("mlflow-artifacts:") :]
        if rest.startswith("//"):
            # mlflow-artifacts://host/path names another server; only paths here are ours.
            raise _invalid(source, "Give the artifact path without a host: mlflow-artifacts:/<path>.")
        path = _check_relative(source, rest)
        if not path:
            raise _invalid(source, "It names the artifact root, not a model.")
        return Source("artifacts", path=path)
    raise _invalid(
        source,
        "Sources must be inside Podium's artifact store: use mlflow-artifacts:/<path>, "
        "models:/m-<id> with model_id, or runs:/<run_id>/<path>.",
    )
