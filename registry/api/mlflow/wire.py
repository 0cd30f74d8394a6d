"""MLflow's request and response conventions, shared by every MLflow route.

Requests: GET parameters come from the query string (numbers and booleans as text, one key per list
item); POST, PATCH and DELETE carry a JSON object. A body that is not JSON reads as `{}`, so its
required fields are reported missing (what MLflow answers). Responses are JSON with status 200 only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from flask import Response, request

from registry.domain.errors import InvalidParameter, MissingParameter

MAX_JSON_BODY = 16 * 1024 * 1024
_DOCS = "See the API docs for more information about request parameters."


def missing(name: str) -> MissingParameter:
    return MissingParameter(f"Missing value for required parameter '{name}'. {_DOCS}", field=name)


def wrong_type(name: str, value: object) -> InvalidParameter:
    return InvalidParameter(
        f"Invalid value {json.dumps(value) if not isinstance(value, str) else value} for parameter "
        f"'{name}' supplied:  Hint: Value was of type '{type(value).__name__}'. {_DOCS}",
        field=name,
    )


class Args:
    """Typed access to one request's parameters, with MLflow's messages for bad ones."""

    def __init__(self, data: Mapping[str, Any], *, from_query: bool) -> None:
        self.data = data
        self.from_query = from_query

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None if value is None else ""
        if not isinstance(value, str):
            raise wrong_type(name, value)
        return value

    def required(self, name: str) -> str:
        value = self.string(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise wrong_type(name, value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise wrong_type(name, value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise wrong_type(name, value)

    def strings(self, name: str) -> list[str]:
        """A repeated string field: a JSON list, or repeated query keys."""
        if self.from_query and hasattr(self.data, "getlist"):
            values: Any = self.data.getlist(name)
        else:
            values = self.data.get(name)
        if values is None:
            return []
        if isinstance(values, str) and not self.from_query:
            raise wrong_type(name, values)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise wrong_type(name, values)
        return values

    def objects(self, name: str) -> list[Mapping[str, Any]]:
        """A repeated message field: a JSON list of objects."""
        values = self.data.get(name)
        if values is None:
            return []
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            raise wrong_type(name, values)
        return values

    def pairs(self, name: str) -> dict[str, object]:
        """[{key, value}, ...] (tags, params) as a dict; the last value of a repeated key wins."""
        out: dict[str, object] = {}
        for item in self.objects(name):
            key = item.get("key")
            if not isinstance(key, str) or not key:
                raise InvalidParameter(f"Each entry of '{name}' needs a string 'key'.", field=name)
            out[key] = item.get("value")
        return out


def args() -> Args:
    """The current request's parameters: the query string for GET, the JSON body otherwise."""
    if request.method in ("GET", "HEAD"):
        return Args(request.args, from_query=True)
    length = request.content_length
    if length is not None and length > MAX_JSON_BODY:
        raise InvalidParameter(f"The request body is larger than {MAX_JSON_BODY} bytes.")
    raw = request.get_data(cache=False)
    if not raw:
        return Args({}, from_query=False)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = {}
    return Args(data if isinstance(data, dict) else {}, from_query=False)


def number(value: float) -> float | str:
    """A double in protobuf-JSON: NaN and the infinities are spelled as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def ok(body: Mapping[str, Any] | None = None) -> Response:
    """A 200 answer; MLflow's "no content" answers are `{}`."""
    return Response(json.dumps(body or {}), status=200, mimetype="application/json")
