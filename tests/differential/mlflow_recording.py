"""Records what the stock client sees, in a form two servers can be compared by.

Entities become plain dicts without ids and timestamps; server-made ids (runs, logged models) are
replaced by placeholders numbered in order of first appearance, so the same script yields the same
record against MLflow and against Podium. Exceptions become their type and error code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mlflow.entities import Experiment, LoggedModel, Metric, Run
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.store.entities.paged_list import PagedList

_SERVER_ID = re.compile(r"m-[0-9a-f]{32}|[0-9a-f]{32}")
# Tags the client or the server add on their own (source file, git commit, user, random run name).
_VOLATILE_TAGS = ("mlflow.source.", "mlflow.user", "mlflow.runName", "mlflow.log-model.history")


def _tags(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(tags.items()) if not k.startswith(_VOLATILE_TAGS)}


class Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._ids: dict[str, str] = {}

    def _id(self, match: re.Match[str]) -> str:
        return self._ids.setdefault(match.group(), f"<id{len(self._ids) + 1}>")

    def norm(self, value: Any) -> Any:
        if isinstance(value, str):
            return _SERVER_ID.sub(self._id, value)
        if isinstance(value, RegisteredModel):
            return {
                "name": value.name,
                "description": value.description or "",
                "tags": _tags(value.tags),
                "aliases": self.norm(dict(sorted(value.aliases.items()))),
                "latest_versions": self.norm(list(value.latest_versions or [])),
            }
        if isinstance(value, ModelVersion):
            return {
                "name": value.name,
                "version": value.version,
                "current_stage": value.current_stage,
                "description": value.description or "",
                "source": self.norm(value.source),
                "run_id": self.norm(value.run_id or ""),
                "status": value.status,
                "tags": _tags(value.tags),
                "aliases": sorted(value.aliases),
                "run_link": value.run_link or "",
            }
        if isinstance(value, Run):
            return {
                "status": value.info.status,
                "lifecycle_stage": value.info.lifecycle_stage,
                "artifact_uri": self.norm(value.info.artifact_uri),
                "metrics": value.data.metrics,
                "params": value.data.params,
                "tags": _tags(value.data.tags),
                "outputs": self.norm(
                    [o.model_id for o in (value.outputs.model_outputs if value.outputs else [])]
                ),
            }
        if isinstance(value, Experiment):
            return {
                "name": value.name,
                "lifecycle_stage": value.lifecycle_stage,
                "artifact_location": value.artifact_location,
                "tags": _tags(value.tags),
            }
        if isinstance(value, LoggedModel):
            return {
                "name": value.name,
                "status": str(value.status),
                "model_type": value.model_type or "",
                "artifact_location": self.norm(value.artifact_location),
                "source_run_id": self.norm(value.source_run_id or ""),
                "params": value.params,
                "tags": _tags(value.tags),
                "metrics": sorted((m.key, m.value, m.step) for m in value.metrics or []),
            }
        if isinstance(value, Metric):
            return {"key": value.key, "value": value.value, "step": value.step}
        if isinstance(value, PagedList):
            return {"items": [self.norm(v) for v in value], "more": bool(value.token)}
        if isinstance(value, list | tuple):
            return [self.norm(v) for v in value]
        if isinstance(value, dict):
            return {self.norm(k): self.norm(v) for k, v in value.items()}
        return value

    def call(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one client call and record its result or its error; returns the raw result."""
        try:
            result = fn(*args, **kwargs)
        except MlflowException as exc:
            self.calls.append((label, {"raised": type(exc).__name__, "error_code": exc.error_code}))
            return None
        self.calls.append((label, self.norm(result)))
        return result
