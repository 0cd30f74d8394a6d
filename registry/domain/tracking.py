"""Tracking entities (experiments, runs, metrics, logged models) and the rules for their values.

These are MLflow's tracking concepts in Podium's words. Limits and messages follow MLflow's where the
stock client can hit them, so a script that works against MLflow sees the same answers here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from registry.domain.errors import InvalidParameter, MissingParameter

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
ACTIVE = "active"
DELETED = "deleted"

MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_RUN_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"
MODEL_VERSIONS_TAG = "mlflow.modelVersions"

_KEY = re.compile(r"^[\w\-. /:]+$")
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")
_EXPERIMENT_ID = re.compile(r"^[0-9]{1,18}$")


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class LoggedModelStatus(StrEnum):
    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED"


class ViewType(StrEnum):
    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    def stages(self) -> tuple[str, ...]:
        if self is ViewType.ACTIVE_ONLY:
            return (ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (DELETED,)
        return (ACTIVE, DELETED)


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int
    last_update_time: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int
    model_id: str | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str


@dataclass(frozen=True)
class ModelOutput:
    model_id: str
    step: int


@dataclass(frozen=True)
class Run:
    info: RunInfo
    # latest value per key
    metrics: list[Metric] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    outputs: list[ModelOutput] = field(default_factory=list)


@dataclass(frozen=True)
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    artifact_uri: str
    status: str
    model_type: str
    source_run_id: str | None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)


# -- artifact locations: the server decides them; clients only ever see mlflow-artifacts:/ URIs ------
def experiment_artifact_path(experiment_id: str) -> str:
    return experiment_id


def run_artifact_path(experiment_id: str, run_id: str) -> str:
    return f"{experiment_id}/{run_id}/artifacts"


def logged_model_artifact_path(experiment_id: str, model_id: str) -> str:
    return f"{experiment_id}/models/{model_id}/artifacts"


def artifact_uri(path: str) -> str:
    return f"mlflow-artifacts:/{path}"


# -- validation ------------------------------------------------------------------------------------
def is_run_id(value: object) -> bool:
    return isinstance(value, str) and bool(_RUN_ID.match(value))


def is_logged_model_id(value: object) -> bool:
    return isinstance(value, str) and bool(_MODEL_ID.match(value))


def is_experiment_id(value: object) -> bool:
    return isinstance(value, str) and bool(_EXPERIMENT_ID.match(value))


def validate_key(key: object, what: str) -> str:
    """A metric, param or tag name: MLflow's character set, no traversal, at most 250 characters."""
    if key is None or key == "":
        raise MissingParameter(
            f"Missing value for required parameter 'key'. {what} name is empty.", field="key"
        )
    if not isinstance(key, str):
        raise InvalidParameter(f"Invalid value {key!r} for parameter 'key': must be a string.", field="key")
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise InvalidParameter(
            f"{what} name '{key[:40]}...' had length {len(key)}, which exceeded length limit of "
            f"{MAX_ENTITY_KEY_LENGTH}",
            field="key",
        )
    if not _KEY.match(key):
        raise InvalidParameter(
            f"Invalid {what.lower()} name: '{key}'. Names may only contain alphanumerics, underscores "
            "(_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).",
            field="key",
        )
    segments = key.split("/")
    if key.startswith("/") or ".." in segments or "." in segments:
        raise InvalidParameter(
            f"Invalid {what.lower()} name: '{key}'. Names may be treated as files in certain cases, "
            "and must not resolve to other names when treated as such.",
            field="key",
        )
    return key


def validate_value(value: object, key: str, limit: int, what: str) -> str:
    """A param or tag value: a string (the client stringifies) within MLflow's length limit."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidParameter(
            f"Invalid value {value!r} for {what.lower()} '{key}': must be a string.", field="value"
        )
    if len(value) > limit:
        raise InvalidParameter(
            f"{what} value '{value[:40]}...' had length {len(value)}, which exceeded length limit of {limit}",
            field="value",
        )
    if "\x00" in value:
        raise InvalidParameter(f"{what} value for '{key}' contains a NUL character.", field="value")
    return value


def validate_metric_value(value: object, key: str) -> float:
    """A metric value: a number, or the protobuf-JSON spellings NaN / Infinity / -Infinity."""
    if isinstance(value, bool):
        raise InvalidParameter(
            f"Got invalid value {value} for metric '{key}' (must be a number).", field="value"
        )
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity", "nan", "inf", "-inf"):
        return float(value.replace("Infinity", "inf"))
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise InvalidParameter(
        f"Got invalid value {value!r} for metric '{key}' (must be a number).", field="value"
    )


def validate_int(value: object, name: str, *, default: int | None = None) -> int:
    """An int64 field, from JSON (number) or a query string (text)."""
    if value is None or value == "":
        if default is None:
            raise MissingParameter(f"Missing value for required parameter '{name}'.", field=name)
        return default
    if isinstance(value, bool):
        raise InvalidParameter(
            f"Invalid value {value!r} for parameter '{name}': expected an integer.", field=name
        )
    if isinstance(value, int):
        result = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value.strip())
    ):
        result = int(value)
    else:
        raise InvalidParameter(
            f"Invalid value {value!r} for parameter '{name}': expected an integer.", field=name
        )
    if not -(2**63) <= result < 2**63:
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': out of range.", field=name)
    return result


def validate_experiment_name(name: object) -> str:
    if name is None or name == "":
        raise MissingParameter(
            "Invalid experiment name: ''. Experiment name must not be empty.", field="name"
        )
    if not isinstance(name, str):
        raise InvalidParameter(
            f"Invalid experiment name: {name!r}. Expected a string, got {type(name).__name__}.", field="name"
        )
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameter(
            f"Experiment name is {len(name)} characters long; the limit is {MAX_EXPERIMENT_NAME_LENGTH}.",
            field="name",
        )
    if re.search(r"[\x00-\x1f\x7f]", name):
        raise InvalidParameter("Experiment name contains a control character.", field="name")
    return name


def parse_run_status(value: object) -> RunStatus:
    try:
        return RunStatus(str(value))
    except ValueError:
        valid = ", ".join(s.value for s in RunStatus)
        raise InvalidParameter(f"Invalid run status {value!r}; use one of {valid}.", field="status") from None


def parse_logged_model_status(value: object) -> LoggedModelStatus:
    try:
        return LoggedModelStatus(str(value))
    except ValueError:
        valid = ", ".join(s.value for s in LoggedModelStatus)
        raise InvalidParameter(
            f"Invalid logged model status {value!r}; use one of {valid}.", field="status"
        ) from None


def parse_view_type(value: object) -> ViewType:
    if value is None or value == "":
        return ViewType.ACTIVE_ONLY
    try:
        return ViewType(str(value))
    except ValueError:
        raise InvalidParameter(
            f"Invalid view type {value!r}; use ACTIVE_ONLY, DELETED_ONLY or ALL.", field="run_view_type"
        ) from None


def metric_is_newer(candidate: tuple[int, int, float], current: tuple[int, int, float] | None) -> bool:
    """Which value a run shows for a metric: the highest (step, timestamp, value), NaN lowest."""
    if current is None:
        return True

    def rank(v: tuple[int, int, float]) -> tuple[int, int, float]:
        step, ts, value = v
        return step, ts, -math.inf if math.isnan(value) else value

    return rank(candidate) >= rank(current)
