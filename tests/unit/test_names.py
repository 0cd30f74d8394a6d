import pytest

from registry.domain.errors import InvalidParameter, MissingParameter
from registry.domain.names import (
    parse_version,
    validate_alias,
    validate_description,
    validate_model_name,
    validate_tag,
)


@pytest.mark.parametrize("name", ["fraud", "Random Forest v2", "a" * 256, "ünïcode-модель", "a.b_c-d"])
def test_valid_model_names(name: str) -> None:
    assert validate_model_name(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "Missing value"),
        (None, "Missing value"),
        ("a" * 257, "257 characters"),
        ("team/model", "cannot contain '/'"),
        ("a:b", "cannot contain '/' or ':'"),
        ("bad\x00name", "NUL or control"),
        ("tab\tname", "NUL or control"),
        (" padded", "whitespace"),
        (123, "must be a string"),
    ],
)
def test_invalid_model_names_say_why(name: object, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        validate_model_name(name)
    assert fragment in info.value.message
    assert info.value.field == "name"


@pytest.mark.parametrize("alias", ["champion", "challenger-2", "prod_eu", "Latest1", "vNext"])
def test_valid_aliases(alias: str) -> None:
    assert validate_alias(alias) == alias


@pytest.mark.parametrize(
    ("alias", "fragment"),
    [
        ("latest", "reserved"),
        ("LATEST", "reserved"),
        ("v1", "reserved"),
        ("V42", "reserved"),
        ("", "cannot be empty"),
        ("has space", "alphanumerics"),
        ("dot.ted", "alphanumerics"),
        ("a" * 256, "limit is 255"),
    ],
)
def test_invalid_aliases(alias: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        validate_alias(alias)


def test_versions_parse_from_strings_and_ints() -> None:
    assert parse_version("7") == 7
    assert parse_version(7) == 7
    for bad in ("abc", "1.5", "-1", "0", True, "", None, "1e3"):
        with pytest.raises(InvalidParameter):
            parse_version(bad)
    with pytest.raises(MissingParameter):
        parse_version(None)
    with pytest.raises(InvalidParameter, match="must be an integer, got 'abc'"):
        parse_version("abc")


def test_tags_are_strings_with_limits() -> None:
    assert validate_tag("team", "ml") == ("team", "ml")
    assert validate_tag("empty", None) == ("empty", "")
    with pytest.raises(InvalidParameter, match="limit is 250"):
        validate_tag("k" * 251, "v")
    with pytest.raises(InvalidParameter, match="limit is 5000"):
        validate_tag("k", "v" * 5001)
    with pytest.raises(InvalidParameter, match="must be strings"):
        validate_tag("k", 5)
    with pytest.raises(MissingParameter):
        validate_tag("", "v")


def test_description_limits() -> None:
    assert validate_description(None) == ""
    with pytest.raises(InvalidParameter):
        validate_description("x" * 70000)
    with pytest.raises(InvalidParameter):
        validate_description(["not", "text"])
