"""Registered models: the list, a model's page, and the forms on it (aliases, stages, description).

Queries per page (fixed, whatever the number of rows; asserted by tests/integration/test_ui_models.py):
- the models list: 6 (models, their tags, aliases, latest version per stage, those versions' tags
  and aliases);
- a model page: 15 (the model with its tags, aliases and latest versions: 6; its page of versions
  with their tags and aliases: 4; its effective policy: 3 (the model, its own policy, the
  default); a page of its history: 2 (the model's history key, the entries)).
With auth on, a signed-in browser adds 1 (its token, re-checked on every request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.api.auth import requires
from registry.api.context import uow
from registry.domain import events
from registry.domain.entities import ModelVersion, Page
from registry.domain.errors import InvalidParameter, NotFound, PodiumError, Unauthenticated
from registry.domain.history import AuditEntry
from registry.domain.identity import Role
from registry.domain.stages import ALL_STAGES, Stage
from registry.services import aliases, history, models, policies, versions
from registry.ui.errors import status_of
from registry.ui.layout import url_if
from registry.ui.listing import Listing, ListingPage, Sort, search_listing

blp = Blueprint("models", __name__)

MODEL_SORTS = (
    Sort("name", "name", "Name"),
    Sort("updated", "last_updated_timestamp", "Last updated", descending_first=True),
    Sort("created", "creation_timestamp", "Created", descending_first=True),
)
VERSION_SORTS = (
    Sort("version", "version_number", "Version", descending_first=True),
    Sort("created", "creation_timestamp", "Registered", descending_first=True),
    Sort("updated", "last_updated_timestamp", "Last updated", descending_first=True),
)
Rendered = tuple[str, int]
LIST_PAGE = ListingPage("ui.models.index")
STAGE_COLOURS = {
    Stage.NONE: "#8792a2",
    Stage.STAGING: "#d9a404",
    Stage.PRODUCTION: "#2b8a3e",
    Stage.ARCHIVED: "#9775d1",
}
# The model page's timeline shows how versions moved and how governance decided it, not every tag
# edit: those are in `podium history` and the API, and would bury the moves.
TIMELINE_ACTIONS = (
    events.MODEL_VERSION_CREATED,
    events.MODEL_VERSION_DELETED,
    events.MODEL_VERSION_STAGE_TRANSITIONED,
    events.MODEL_VERSION_ALIAS_SET,
    events.MODEL_VERSION_ALIAS_DELETED,
    events.PROMOTION_REQUEST_CREATED,
    events.PROMOTION_REQUEST_APPROVED,
    events.PROMOTION_REQUEST_REJECTED,
    events.PROMOTION_REQUEST_CANCELLED,
    events.PROMOTION_REQUEST_APPLIED,
    events.PROTECTED_TARGET_FORCE_MOVED,
    events.POLICY_SET,
    events.POLICY_DELETED,
)
HISTORY_PAGE_SIZE = 20
# The history pages with its own token, so paging it leaves the versions table where it was.
HISTORY_TOKEN = "history_token"


@blp.get("/models")
@requires(Role.READER)
def index() -> Rendered:
    """Every registered model with its aliases and newest version per stage; searchable, sortable."""
    found = search_listing(
        LIST_PAGE,
        MODEL_SORTS,
        "name",
        lambda listing: models.search_registered_models(
            uow(),
            filter_string=listing.filter(plain_key="name"),
            order_by=listing.order_by,
            max_results=listing.size,
            page_token=listing.page_token,
        ),
    )
    return render_template(
        "models/list.html",
        models=found.page.items,
        listing=found.listing,
        next_url=found.next_url,
        error=found.error,
    ), found.status


@blp.get("/models/<name>")
@requires(Role.READER)
def model(name: str) -> Rendered:
    """A model: its description, tags and aliases, and its versions (sortable, filterable, paged)."""
    try:
        listing = Listing.from_request(
            _model_page(name), VERSION_SORTS, default_sort="version", default_descending=True
        )
    except InvalidParameter as exc:
        return model_page(name, _default_versions(name), error=exc.message, status=400)
    return model_page(name, listing)


def _model_page(name: str) -> ListingPage:
    return ListingPage("ui.models.model", (("name", name),))


def _default_versions(name: str) -> Listing:
    return Listing.default(_model_page(name), VERSION_SORTS, "version", descending=True)


def model_page(name: str, listing: Listing, error: str | None = None, status: int = 200) -> Rendered:
    registered = models.get_registered_model(uow(), name)
    page: Page[ModelVersion] = Page([])
    try:
        page = versions.search_model_versions(
            uow(),
            filter_string=listing.filter(plain_key=None),
            order_by=listing.order_by,
            max_results=listing.size,
            page_token=listing.page_token,
            model=registered.name,
        )
    except InvalidParameter as exc:
        error, status = exc.message, 400
    history_page: Page[AuditEntry] = Page([])
    history_token = request.args.get(HISTORY_TOKEN) or None
    try:
        history_page = history.model_history(
            uow(),
            registered.name,
            actions=TIMELINE_ACTIONS,
            max_results=HISTORY_PAGE_SIZE,
            page_token=history_token,
        )
    except InvalidParameter as exc:
        error, status = exc.message, 400
    except NotFound:
        pass  # a model older than the audit history has none to show
    return render_template(
        "models/model.html",
        model=registered,
        versions=page.items,
        listing=listing,
        next_url=listing.next_url(page.next_page_token, len(page.items)),
        error=error,
        stages=[s.value for s in ALL_STAGES],
        chart=versions_chart(page.items),
        digests={v.version: digest_summary(v.digest) for v in page.items},
        run_urls={v.version: url_if("ui.runs.run", run_id=v.run_id) for v in page.items if v.run_id},
        policy=policies.get_effective_policy(uow(), registered.name),
        history=[timeline_entry(e) for e in history_page.items],
        history_next_url=(
            listing.url(**{HISTORY_TOKEN: history_page.next_page_token})
            if history_page.next_page_token
            else None
        ),
        history_first_url=listing.url() if history_token else None,
    ), status


# -- forms -------------------------------------------------------------------------------------


def _act(name: str, action: Callable[[], str]) -> Response | Rendered:
    """Run one change; on success redirect to the model page with a note, else show the page
    again with the reason and the error's status (nothing was written: each service call is one
    transaction)."""
    try:
        note = action()
    except Unauthenticated:
        raise
    except PodiumError as exc:
        return model_page(name, _default_versions(name), error=exc.message, status=status_of(exc))
    flash(note, "success")
    return redirect(url_for(".model", name=name), 303)


@blp.post("/models/<name>/aliases")
@requires(Role.CONTRIBUTOR)
def set_alias(name: str) -> Response | Rendered:
    alias = (request.form.get("alias") or "").strip()
    version = (request.form.get("version") or "").strip()

    def change() -> str:
        moved = aliases.set_alias(uow(), name, alias, version)
        return f"@{alias} now points at version {moved.version}."

    return _act(name, change)


@blp.post("/models/<name>/aliases/<alias>/delete")
@requires(Role.CONTRIBUTOR)
def delete_alias(name: str, alias: str) -> Response | Rendered:
    def change() -> str:
        aliases.delete_alias(uow(), name, alias)
        return f"@{alias} was removed."

    return _act(name, change)


@blp.post("/models/<name>/versions/<int:version>/stage")
@requires(Role.CONTRIBUTOR)
def move_stage(name: str, version: int) -> Response | Rendered:
    stage = request.form.get("stage") or ""
    archive = request.form.get("archive_existing_versions") == "on"

    def change() -> str:
        moved = versions.transition_stage(uow(), name, version, stage, archive_existing_versions=archive)
        return f"Version {moved.version} is now in {moved.current_stage.value}."

    return _act(name, change)


@blp.post("/models/<name>/description")
@requires(Role.CONTRIBUTOR)
def describe(name: str) -> Response | Rendered:
    description = request.form.get("description") or ""

    def change() -> str:
        models.update_registered_model(uow(), name, description)
        return "The description was saved."

    return _act(name, change)


# -- what the templates show -------------------------------------------------------------------


def digest_summary(digest: dict[str, Any] | None) -> dict[str, Any] | None:
    """The files of a version's digest with their sha256 and size, and the totals."""
    if not isinstance(digest, dict) or not digest:
        return None
    # Either {path: entry} or {"files": {path: entry}, "root": ...}, as the registration recorded it.
    nested = digest.get("files")
    files: dict[str, Any] = nested if isinstance(nested, dict) else digest
    entries = [
        {"path": path, "sha256": str(entry.get("sha256", "")), "size": entry.get("size")}
        for path, entry in sorted(files.items())
        if isinstance(entry, dict)
    ]
    if not entries:
        return None
    total = sum(e["size"] for e in entries if isinstance(e["size"], int))
    return {"files": entries, "count": len(entries), "total": total}


def versions_chart(items: list[ModelVersion]) -> dict[str, Any]:
    """Data for charts.js `scatter`: each version on this page by registration time, per stage."""
    series = []
    for stage in ALL_STAGES:
        # The colours of the stage badges (podium.css), so chart and table read alike.
        points = [
            {
                "x": v.creation_timestamp,
                "y": v.version,
                "label": f"v{v.version}" + "".join(f" @{a}" for a in v.aliases),
            }
            for v in items
            if v.current_stage is stage
        ]
        if points:
            series.append({"name": stage.value, "color": STAGE_COLOURS[stage], "points": points})
    return {
        "x": {"label": "Registered (UTC)", "type": "time"},
        "y": {"label": "Version", "type": "value", "integer": True},
        "series": series,
    }


def timeline_entry(entry: AuditEntry) -> dict[str, Any]:
    """One history entry as the timeline shows it: what moved (`what`), from and to, the request it
    belongs to, and the approvals counted when a request was applied."""
    data = entry.data or {}
    before = entry.before or {}
    after = entry.after or {}
    what = entry.action
    moved_from: Any = None
    moved_to: Any = None
    if entry.action == events.MODEL_VERSION_ALIAS_SET:
        what = f"@{data.get('alias', '')}"
        moved_from, moved_to = before.get("version"), after.get("version")
    elif entry.action == events.MODEL_VERSION_ALIAS_DELETED:
        what = f"@{data.get('alias', '')} removed"
        moved_from = data.get("version")
    elif entry.action == events.MODEL_VERSION_STAGE_TRANSITIONED:
        what = "stage"
        moved_from, moved_to = data.get("from_stage"), data.get("to_stage")
    elif entry.action == events.PROMOTION_REQUEST_APPLIED:
        what = f"{data.get('target', '')} (promotion applied)"
        moved_from, moved_to = before.get("version"), after.get("version")
    elif entry.action == events.PROTECTED_TARGET_FORCE_MOVED:
        what = f"{data.get('target', '')} (forced)"
        moved_from, moved_to = data.get("previous_version"), data.get("version")
    elif entry.action.startswith("promotion_request."):
        what = f"request for {data.get('target', '')}: {entry.action.rsplit('.', 1)[1]}"
    elif entry.action == events.MODEL_VERSION_CREATED:
        what = "registered"
    elif entry.action == events.MODEL_VERSION_DELETED:
        what = "deleted"
    elif entry.action == events.POLICY_SET:
        protected = ", ".join(after.get("protected") or ()) or "nothing"
        what = f"set the policy: protects {protected}, {after.get('required_approvals', 0)} approval(s)"
    elif entry.action == events.POLICY_DELETED:
        what = "removed the policy"
    request_id = entry.promotion_request_id
    return {
        "event_id": entry.event_id,
        "at": entry.occurred_at,
        "actor": entry.actor,
        "action": entry.action,
        "version": entry.version,
        "what": what,
        "from": moved_from,
        "to": moved_to,
        "approved_by": list(data.get("approved_by") or ()),
        "reviewer": data.get("reviewer"),
        "comment": data.get("decision_comment") or data.get("reason") or "",
        "request_id": request_id,
        "request_url": (
            url_if("ui.promotions.request", request_id=request_id) if request_id is not None else None
        ),
    }
