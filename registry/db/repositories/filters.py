"""Turns parsed search comparisons (registry.domain.search) into SQLAlchemy conditions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, select
from sqlalchemy.orm import InstrumentedAttribute

from registry.domain.errors import InvalidFilter
from registry.domain.search import Comparison


def compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    """`column <op> value` with MLflow's meanings: LIKE is case-sensitive, ILIKE is not."""
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == "<":
        return column < value  # type: ignore[no-any-return]
    if op == "<=":
        return column <= value  # type: ignore[no-any-return]
    if op == ">":
        return column > value  # type: ignore[no-any-return]
    if op == ">=":
        return column >= value  # type: ignore[no-any-return]
    if op == "LIKE":
        return column.like(value)  # type: ignore[no-any-return]
    if op == "ILIKE":
        return func.lower(column).like(func.lower(value))
    if op == "IN":
        return column.in_(list(value))  # type: ignore[no-any-return]
    if op == "NOT IN":
        return column.not_in(list(value))  # type: ignore[no-any-return]
    raise InvalidFilter(f"Unsupported comparator {op!r}.")


def tag_condition(
    c: Comparison,
    tag_table: Any,
    owner_column: InstrumentedAttribute[int],
    owner_id: Any,
) -> ColumnElement[bool]:
    """A tag comparison as EXISTS over the tag table.

    `tag.k != 'v'` matches entities that have no tag `k` at all, as MLflow does: the client appends
    ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every model search and expects untagged models.
    """
    if c.op == "!=":
        hit = select(tag_table.key).where(
            owner_column == owner_id, tag_table.key == c.key, tag_table.value == c.value
        )
        return not_(exists(hit))
    hit = select(tag_table.key).where(
        owner_column == owner_id, tag_table.key == c.key, compare(tag_table.value, c.op, c.value)
    )
    return exists(hit)


def all_of(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool] | None:
    return and_(*conditions) if conditions else None
