"""Server-side tables: the sort, filter and page a listing page shows, read from its query string.

Every list page reads a `Listing` from the request, passes `order_by`, `filter`, `size` and
`page_token` to one service call, and renders the rows it gets plus links made with `url`. Sorting
and paging happen in the database, so a page costs the same with ten rows or ten thousand.

Query parameters: `q` (a filter in the API's grammar, or plain words), `sort` (a column key),
`dir` (asc/desc), `size` (rows per page), `page_token` (from the previous page) and `start` (the
number of the first row shown, only for display).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from flask import request, url_for

from registry.domain.entities import Page
from registry.domain.errors import InvalidFilter, InvalidParameter
from registry.domain.search import parse_filter

T = TypeVar("T")

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
_PLAIN_WORDS = re.compile(r"^[\w .\-]+$")


@dataclass(frozen=True)
class Sort:
    """A sortable column: its key in URLs and the order_by key the service understands."""

    key: str
    order_by: str
    label: str
    descending_first: bool = False


@dataclass(frozen=True)
class ListingPage:
    """The page a listing belongs to: its endpoint and URL values (links and the search form go
    there, also when the listing is shown in answer to a form posted elsewhere)."""

    endpoint: str
    values: tuple[tuple[str, Any], ...] = ()

    def url(self, **params: Any) -> str:
        return url_for(self.endpoint, **dict(self.values), **params)


@dataclass(frozen=True)
class Listing:
    page: ListingPage
    sorts: tuple[Sort, ...]
    sort: str
    descending: bool
    size: int
    query: str
    page_token: str | None
    start: int

    @classmethod
    def from_request(
        cls,
        page: ListingPage,
        sorts: tuple[Sort, ...],
        default_sort: str,
        default_descending: bool = False,
        args: Mapping[str, str] | None = None,
    ) -> Listing:
        """Read the listing from the query string. Raises InvalidParameter naming a bad value."""
        args = request.args if args is None else args
        keys = {s.key for s in sorts}
        sort = args.get("sort") or default_sort
        if sort not in keys:
            raise InvalidParameter(
                f"Cannot sort by {sort!r}; sort by one of {', '.join(sorted(keys))}.", field="sort"
            )
        direction = args.get("dir") or ""
        if direction not in ("", "asc", "desc"):
            raise InvalidParameter(f"Sort direction {direction!r} must be asc or desc.", field="dir")
        descending = default_descending if not direction else direction == "desc"
        raw_size = args.get("size") or str(DEFAULT_PAGE_SIZE)
        if not raw_size.isdigit() or int(raw_size) not in PAGE_SIZES:
            sizes = ", ".join(str(s) for s in PAGE_SIZES)
            raise InvalidParameter(f"Page size {raw_size!r} must be one of {sizes}.", field="size")
        raw_start = args.get("start") or "1"
        start = int(raw_start) if raw_start.isdigit() and int(raw_start) > 0 else 1
        return cls(
            page=page,
            sorts=sorts,
            sort=sort,
            descending=descending,
            size=int(raw_size),
            query=(args.get("q") or "").strip(),
            page_token=args.get("page_token") or None,
            start=start,
        )

    @classmethod
    def default(
        cls, page: ListingPage, sorts: tuple[Sort, ...], sort: str, descending: bool = False
    ) -> Listing:
        """The listing a page falls back to when the query string could not be read."""
        return cls(page, sorts, sort, descending, DEFAULT_PAGE_SIZE, "", None, 1)

    @property
    def order_by(self) -> list[str]:
        column = next(s for s in self.sorts if s.key == self.sort)
        return [f"{column.order_by} {'DESC' if self.descending else 'ASC'}"]

    def filter(self, plain_key: str | None) -> str | None:
        """The filter to send to the service; see `search_filter`."""
        return search_filter(self.query, plain_key)

    def params(self, **changes: Any) -> dict[str, Any]:
        """Query parameters for a link to this listing with `changes` applied (None drops one)."""
        values: dict[str, Any] = {
            "q": self.query or None,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "size": self.size if self.size != DEFAULT_PAGE_SIZE else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    def url(self, **changes: Any) -> str:
        """A link to this page with `changes` applied; sorting or filtering starts at the first page."""
        return self.page.url(**self.params(**changes))

    def action(self) -> str:
        """Where the search form goes (its fields carry the rest)."""
        return self.page.url()

    def sort_url(self, key: str) -> str:
        """The link behind a column header: sort by it, or flip the direction if it is the sort."""
        column = next(s for s in self.sorts if s.key == key)
        descending = not self.descending if key == self.sort else column.descending_first
        return self.url(sort=key, dir="desc" if descending else "asc")

    def next_url(self, next_page_token: str | None, shown: int) -> str | None:
        if not next_page_token:
            return None
        return self.url(page_token=next_page_token, start=self.start + shown)

    def first_url(self) -> str | None:
        return self.url() if self.page_token else None

    def with_query(self, query: str) -> Listing:
        return replace(self, query=query)


def search_filter(text: str, plain_key: str | None) -> str | None:
    """A search box's text as a filter in the API's grammar.

    Text that parses as a filter is used as it is (`name LIKE 'fraud%' AND tags.team = 'risk'`).
    Plain words that do not parse (`fraud detector`) search `plain_key` case-insensitively, so a
    person can type a name without learning the grammar. Anything else raises InvalidFilter.
    """
    if not text:
        return None
    try:
        parse_filter(text)
    except InvalidFilter:
        if plain_key is None or not _PLAIN_WORDS.match(text):
            raise
        return f"{plain_key} ILIKE '%{text}%'"
    return text


@dataclass(frozen=True)
class Searched(Generic[T]):
    """A listing and the page of rows its search found. `error` (with status 400) names what was
    refused, a query string or a filter, sort or page token the service would not take; the page
    is then empty and the table still renders, with the banner above it."""

    listing: Listing
    page: Page[T]
    error: str | None = None
    status: int = 200

    @property
    def next_url(self) -> str | None:
        return self.listing.next_url(self.page.next_page_token, len(self.page.items))


def search_listing(
    page: ListingPage,
    sorts: tuple[Sort, ...],
    default_sort: str,
    search: Callable[[Listing], Page[T]],
    default_descending: bool = False,
) -> Searched[T]:
    """Read the listing from the request and run `search` with it: the one way list pages turn bad
    input into a 400 banner, never a 500."""
    try:
        listing = Listing.from_request(page, sorts, default_sort, default_descending)
    except InvalidParameter as exc:
        fallback = Listing.default(page, sorts, default_sort, descending=default_descending)
        return Searched(fallback, Page([]), exc.message, 400)
    try:
        return Searched(listing, search(listing))
    except InvalidParameter as exc:
        return Searched(listing, Page([]), exc.message, 400)
