import pytest

from registry.domain.errors import InvalidFilter
from registry.domain.search import MODEL_FILTER, VERSION_FILTER, Comparison, OrderKey, parse_filter


def test_empty_filters_mean_everything() -> None:
    assert parse_filter(None) == []
    assert parse_filter("") == []
    assert parse_filter("   ") == []


def test_the_clause_the_mlflow_client_appends() -> None:
    parsed = parse_filter("name LIKE 'wire-%' AND tag.`mlflow.prompt.is_prompt` != 'true'")
    assert parsed == [
        Comparison("attribute", "name", "LIKE", "wire-%"),
        Comparison("tag", "mlflow.prompt.is_prompt", "!=", "true"),
    ]
    assert MODEL_FILTER.check(parsed) == parsed


def test_spacing_case_and_prefix_variants() -> None:
    assert parse_filter("name='wire-demo' and tags.validation='pending'") == [
        Comparison("attribute", "name", "=", "wire-demo"),
        Comparison("tag", "validation", "=", "pending"),
    ]
    assert parse_filter("tags.\"a b\" ILIKE '%X%'") == [Comparison("tag", "a b", "ILIKE", "%X%")]
    assert parse_filter("name = 'it''s'") == [Comparison("attribute", "name", "=", "it's")]


def test_in_lists_and_numbers() -> None:
    parsed = VERSION_FILTER.check(
        parse_filter("run_id IN ('a1', 'b2') AND version_number >= 3 AND name NOT IN ('x')")
    )
    assert parsed == [
        Comparison("attribute", "run_id", "IN", ("a1", "b2")),
        Comparison("attribute", "version_number", ">=", 3),
        Comparison("attribute", "name", "NOT IN", ("x",)),
    ]


def test_version_number_from_a_string_is_coerced() -> None:
    assert VERSION_FILTER.check(parse_filter("version_number = '4'")) == [
        Comparison("attribute", "version_number", "=", 4)
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name = ", "expected a quoted string or a number at the end"),
        ("name 'x'", "expected a comparator"),
        ("name = 'x' OR name = 'y'", "OR is not supported"),
        ("name = 'unterminated", "unexpected character"),
        ("bogus.key = 'x'", "unknown entity type 'bogus'"),
        ("name IN 'x'", "expected '('"),
        ("name IN ('x'", "expected ',' or ')'"),
        ("= 'x'", "expected a key"),
        ("name = 'x' AND", "expected a key at the end"),
        ("name ~ 'x'", "unexpected character"),
    ],
)
def test_malformed_filters_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(InvalidFilter) as info:
        parse_filter(text)
    assert fragment in info.value.message


def test_unknown_attribute_uses_mlflows_message() -> None:
    with pytest.raises(InvalidFilter) as info:
        MODEL_FILTER.check(parse_filter("bogus_field = 'x'"))
    assert info.value.message == "Invalid attribute key 'bogus_field' specified. Valid keys are '{'name'}'"


def test_comparators_are_checked_per_type() -> None:
    with pytest.raises(InvalidFilter, match="Invalid comparator '>'"):
        MODEL_FILTER.check(parse_filter("name > 'a'"))
    with pytest.raises(InvalidFilter, match="expected a number"):
        VERSION_FILTER.check(parse_filter("version_number = 'abc'"))
    with pytest.raises(InvalidFilter, match="metric keys cannot be used"):
        MODEL_FILTER.check(parse_filter("metrics.rmse < 1"))
    with pytest.raises(InvalidFilter, match="Invalid comparator 'IN'"):
        MODEL_FILTER.check(parse_filter("tags.a IN ('b')"))
    with pytest.raises(InvalidFilter, match="Invalid comparator 'IN'"):
        VERSION_FILTER.check(parse_filter("source IN ('b')"))


def test_order_by() -> None:
    assert MODEL_FILTER.order(["name ASC", "last_updated_timestamp DESC"]) == [
        OrderKey("attribute", "name", True),
        OrderKey("attribute", "last_updated_timestamp", False),
    ]
    assert VERSION_FILTER.order(["version_number"]) == [OrderKey("attribute", "version_number", True)]
    for bad in ["bogus DESC", "name SIDEWAYS", "name ASC extra", ""]:
        with pytest.raises(InvalidFilter):
            MODEL_FILTER.order([bad])
