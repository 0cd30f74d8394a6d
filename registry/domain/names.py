"""Rules for the names clients choose: registered models, aliases, tags, versions.

The limits follow MLflow's where MLflow has one, so a name that works against MLflow works here; the
rest (no `/`, no control characters) keep names safe to put into `models:/` URIs, paths and logs.
"""

from __future__ import annotations

import re

from registry.domain.errors import InvalidParameter, MissingParameter

MAX_NAME_LENGTH = 256
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 5000
MAX_DESCRIPTION_LENGTH = 65536

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ALIAS_LENGTH = 255
_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


def _require_text(value: object, what: str, field: str) -> str:
    if value is None or value == "":
        raise MissingParameter(f"Missing value for required parameter '{field}'.", field=field)
    if not isinstance(value, str):
        raise InvalidParameter(
            f"Invalid value {value!r} for parameter '{field}': {what} must be a string.", field=field
        )
    return value


def validate_model_name(name: object, field: str = "name") -> str:
    """Return `name` if it is a valid registered model name, else raise InvalidParameter."""
    text = _require_text(name, "a registered model name", field)
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidParameter(
            f"Registered model name is {len(text)} characters long; the limit is {MAX_NAME_LENGTH}.",
            field=field,
        )
    if "/" in text or ":" in text:
        # ':' and '/' would make `models:/<name>/<version>` URIs ambiguous (MLflow's rule too).
        raise InvalidParameter(f"Invalid model name '{text}'. Names cannot contain '/' or ':'.", field=field)
    if _CONTROL.search(text):
        raise InvalidParameter(
            "Registered model name contains a NUL or control character, which is not allowed.",
            field=field,
        )
    if text != text.strip():
        raise InvalidParameter(f"Registered model name {text!r} starts or ends with whitespace.", field=field)
    return text


def validate_alias(alias: object, field: str = "alias") -> str:
    """Return `alias` if it may be set on a version; `latest` and `v<digits>` are reserved.

    The character set and messages are MLflow's, so the stock client sees the same errors.
    """
    if alias is None or alias == "":
        raise InvalidParameter("Registered model alias name cannot be empty.", field=field)
    if not isinstance(alias, str):
        raise InvalidParameter(f"Invalid alias name: {alias!r}. Must be a string.", field=field)
    if not _ALIAS.match(alias):
        raise InvalidParameter(
            f"Invalid alias name: '{alias}'. "
            "Names may only contain alphanumerics, underscores (_), and dashes (-).",
            field=field,
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameter(
            f"Registered model alias name is {len(alias)} characters long; the limit is {MAX_ALIAS_LENGTH}.",
            field=field,
        )
    if alias.lower() == "latest":
        raise InvalidParameter("'latest' alias name (case insensitive) is reserved.", field=field)
    if _VERSION_ALIAS.match(alias):
        raise InvalidParameter(f"Version alias name '{alias}' is reserved.", field=field)
    return alias


def validate_alias_reference(alias: object, field: str = "alias") -> str:
    """An alias named in a read or delete: any non-empty string of sane length (no reservation)."""
    text = _require_text(alias, "an alias", field)
    if len(text) > MAX_NAME_LENGTH or _CONTROL.search(text):
        raise InvalidParameter(f"Alias {text[:40]!r} is invalid.", field=field)
    return text


def validate_tag(key: object, value: object) -> tuple[str, str]:
    """Return (key, value) for a tag; values are strings (MLflow clients stringify)."""
    k = _require_text(key, "a tag key", "key")
    if len(k) > MAX_TAG_KEY_LENGTH:
        raise InvalidParameter(
            f"Tag key is {len(k)} characters long; the limit is {MAX_TAG_KEY_LENGTH}.", field="key"
        )
    if _CONTROL.search(k):
        raise InvalidParameter("Tag key contains a NUL or control character.", field="key")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidParameter(
            f"Invalid value {value!r} for tag {k!r}: tag values must be strings.", field="value"
        )
    if len(value) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameter(
            f"Value of tag {k!r} is {len(value)} characters long; the limit is {MAX_TAG_VALUE_LENGTH}.",
            field="value",
        )
    if "\x00" in value:
        raise InvalidParameter(f"Value of tag {k!r} contains a NUL character.", field="value")
    return k, value


def validate_tag_key(key: object) -> str:
    """Return a tag key named in a delete or a filter."""
    return validate_tag(key, "")[0]


def validate_description(description: object) -> str:
    """Return a description ('' when unset)."""
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidParameter(
            f"Invalid value {description!r} for parameter 'description': must be a string.",
            field="description",
        )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidParameter(
            f"Description is {len(description)} characters long; the limit is {MAX_DESCRIPTION_LENGTH}.",
            field="description",
        )
    if "\x00" in description:
        raise InvalidParameter("Description contains a NUL character.", field="description")
    return description


def parse_version(version: object, field: str = "version") -> int:
    """Return a version number from an int or a decimal string (MLflow sends strings)."""
    if version is None or version == "":
        raise MissingParameter(f"Missing value for required parameter '{field}'.", field=field)
    if isinstance(version, bool):
        raise InvalidParameter(f"Parameter '{field}' must be an integer, got '{version}'.", field=field)
    if isinstance(version, int):
        number = version
    elif isinstance(version, str) and re.fullmatch(r"[0-9]{1,18}", version.strip()):
        number = int(version.strip())
    else:
        raise InvalidParameter(f"Parameter '{field}' must be an integer, got '{version}'.", field=field)
    if number < 1:
        raise InvalidParameter(
            f"Parameter '{field}' must be a positive integer, got '{version}'.", field=field
        )
    return number
