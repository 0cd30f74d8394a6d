"""What every page's layout knows: the navigation, who is signed in, and small display helpers.

A navigation entry names an endpoint; the entry is a link once a page module registers that
endpoint, and a greyed label until then, so adding a page lights up its entry with no change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, request, url_for
from werkzeug.routing import BuildError

from registry import __version__
from registry.api.context import runtime
from registry.domain.identity import Actor, Role, parse_role


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str
    # The role needed to see the entry (webhooks are an admin's business).
    role: Role = Role.READER


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("Experiments", "ui.experiments.index"),
    NavEntry("Models", "ui.models.index"),
    NavEntry("Promotions", "ui.promotions.index"),
    NavEntry("Webhooks", "ui.webhooks.index", Role.ADMIN),
)


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def url_if(endpoint: str, **values: Any) -> str | None:
    """A URL for `endpoint`, or None while no page serves it (e.g. run pages before phase 2)."""
    if not has_endpoint(endpoint):
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def home_endpoint() -> str:
    """The first page of the navigation that exists: where `/` and signing in lead."""
    for entry in NAVIGATION:
        if entry.role is Role.READER and has_endpoint(entry.endpoint):
            return entry.endpoint
    return "ui.models.index"


def signed_in_actor() -> Actor | None:
    """The actor of this request, if the auth hook identified one (public pages have none)."""
    actor = g.get("actor")
    return actor if isinstance(actor, Actor) else None


def can(role: str | Role) -> bool:
    """May the signed-in actor do what `role` allows? Templates use it to hide buttons."""
    actor = signed_in_actor()
    required = role if isinstance(role, Role) else parse_role(role)
    return actor is not None and actor.may(required)


def when(milliseconds: int | None) -> str:
    """A timestamp (ms since the epoch) as `2026-05-01 14:03 UTC`."""
    if milliseconds is None:
        return ""
    moment = datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def iso(milliseconds: int | None) -> str:
    if milliseconds is None:
        return ""
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC).isoformat(timespec="seconds")


def size(num_bytes: int | None) -> str:
    """A byte count for people: 1.2 MB."""
    if num_bytes is None:
        return ""
    value = float(num_bytes)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def layout() -> dict[str, Any]:
    """Context for base.html on every UI page (including error pages)."""
    actor = signed_in_actor()
    entries = [
        {
            "label": e.label,
            "url": url_if(e.endpoint),
            "active": request.blueprint == e.endpoint.rsplit(".", 1)[0],
        }
        for e in NAVIGATION
        if actor is None or actor.may(e.role)
    ]
    return {
        "navigation": entries,
        "actor": actor,
        "auth_on": runtime().settings.auth,
        "can": can,
        "url_if": url_if,
        "version": __version__,
    }


FILTERS = {"when": when, "iso": iso, "size": size}
