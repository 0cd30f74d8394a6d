"""Promotion requests: the list (by model and status), a request's page with its gate, and the
approve / reject / cancel forms.

Who may act is decided by the routes' roles and by the services (a requester never approves their
own request; only the requester or an admin cancels). The page hides the buttons someone may not
use, but hiding is only a courtesy: a forged POST is refused with the service's reason.

Queries (fixed whatever the number of rows; tests/integration/test_ui_promotions.py): the list 2
(the page of requests, their approvals); a closed request's page 2 (it was evaluated when it
closed); a pending one is evaluated live by `promotions.get_request` (its policy, the metrics of the
candidate and of the current holder), a constant number of queries as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.api.auth import requires
from registry.api.context import uow
from registry.domain.entities import Page
from registry.domain.errors import InvalidParameter, PodiumError, Unauthenticated
from registry.domain.identity import Role
from registry.domain.promotions import PromotionRequest, RequestStatus
from registry.services import promotions
from registry.ui.errors import status_of
from registry.ui.layout import signed_in_actor, url_if

blp = Blueprint("promotions", __name__)

Rendered = tuple[str, int]
PAGE_SIZE = 50
STATUSES = tuple(s.value for s in RequestStatus)


@blp.get("/promotions")
@requires(Role.READER)
def index() -> Rendered:
    """Promotion requests, newest first, narrowed by model and status; paged by the database."""
    model = (request.args.get("model") or "").strip()
    status_filter = (request.args.get("status") or "").strip()
    token = request.args.get("page_token") or None
    raw_start = request.args.get("start") or "1"
    start = int(raw_start) if raw_start.isdigit() and int(raw_start) > 0 else 1
    error = None
    status = 200
    page: Page[PromotionRequest] = Page([])
    try:
        page = promotions.list_requests(
            uow(),
            model=model or None,
            status=status_filter or None,
            max_results=PAGE_SIZE,
            page_token=token,
        )
    except InvalidParameter as exc:
        # A bad model name, status or page token: the page stays usable, with the reason.
        error, status = exc.message, 400
    filters: dict[str, Any] = {"model": model or None, "status": status_filter or None}
    next_url = (
        url_for(".index", **filters, page_token=page.next_page_token, start=start + len(page.items))
        if page.next_page_token
        else None
    )
    return render_template(
        "promotions/list.html",
        requests=page.items,
        model=model,
        status_filter=status_filter,
        statuses=STATUSES,
        start=start,
        next_url=next_url,
        first_url=url_for(".index", **filters) if token else None,
        error=error,
    ), status


# The endpoint is `ui.promotions.request`, as the plan and the model page's history links name it
# (the function is not called `request`, which would hide flask.request in this module).
@blp.get("/promotions/<request_id>", endpoint="request")
@requires(Role.READER)
def request_page(request_id: str) -> Rendered:
    """A request: its target, approvals and rejections, and the gate as evaluated (live while
    pending, as it stood when applied afterwards)."""
    return render_request(request_id)


def render_request(request_id: str, error: str | None = None, status: int = 200) -> Rendered:
    found = promotions.get_request(uow(), request_id)  # NotFound -> the 404 page
    actor = signed_in_actor()
    name = actor.name if actor is not None else None
    pending = found.status is RequestStatus.PENDING
    return render_template(
        "promotions/request.html",
        req=found,
        evaluation=found.evaluation,
        error=error,
        # Courtesy only: the routes' roles and the services decide (tested with forged POSTs).
        may_decide=pending and actor is not None and actor.may(Role.REVIEWER) and name != found.requested_by,
        may_cancel=pending and actor is not None and (name == found.requested_by or actor.may(Role.ADMIN)),
        is_requester=name == found.requested_by,
        rules=gate_rows(found),
        sources=metric_sources(found),
    ), status


def metric_sources(found: PromotionRequest) -> list[dict[str, Any]]:
    """Where each version's metrics were read; a run links to its page once the runs pages exist."""
    if found.evaluation is None:
        return []
    out = []
    for version, source in found.evaluation.metric_sources.items():
        kind, _, run_id = source.partition(" ")
        url = url_if("ui.runs.run", run_id=run_id) if kind == "run" and run_id else None
        out.append({"version": version, "source": source, "url": url})
    return out


def gate_rows(found: PromotionRequest) -> list[dict[str, Any]]:
    """The gate table: one row per metric rule, with the values compared and the verdict."""
    if found.evaluation is None:
        return []
    return [
        {
            "rule": str(o.rule),
            "metric": o.rule.metric,
            "candidate": o.candidate_value,
            "current": o.current_value,
            "bound": o.bound,
            "passed": o.passed,
            "reason": o.reason,
        }
        for o in found.evaluation.gate.outcomes
    ]


def _act(request_id: str, action: Callable[[str], str]) -> Response | Rendered:
    """Run one decision; on success back to the request with a note (303), else the request page
    again with the service's reason and its status (nothing was written: one transaction)."""
    comment = request.form.get("comment") or None
    try:
        note = action(comment or "")
    except Unauthenticated:
        raise
    except PodiumError as exc:
        return render_request(request_id, error=exc.message, status=status_of(exc))
    flash(note, "success")
    return redirect(url_for(".request", request_id=request_id), 303)


@blp.post("/promotions/<request_id>/approve")
@requires(Role.REVIEWER)
def approve(request_id: str) -> Response | Rendered:
    def decide(comment: str) -> str:
        done = promotions.approve(uow(), request_id, comment or None)
        if done.status is RequestStatus.APPLIED:
            return f"Approved: version {done.version} of {done.model} now holds {done.target.label}."
        return f"Approved. Request {done.id} is still {done.status.value}."

    return _act(request_id, decide)


@blp.post("/promotions/<request_id>/reject")
@requires(Role.REVIEWER)
def reject(request_id: str) -> Response | Rendered:
    def decide(comment: str) -> str:
        done = promotions.reject(uow(), request_id, comment or None)
        return f"Rejected request {done.id}: it can no longer be applied."

    return _act(request_id, decide)


# Contributor: the least role that can have made a request. Among contributors, the service
# decides (only the requester or an admin may cancel) and names the reason otherwise.
@blp.post("/promotions/<request_id>/cancel")
@requires(Role.CONTRIBUTOR)
def cancel(request_id: str) -> Response | Rendered:
    def decide(comment: str) -> str:
        done = promotions.cancel(uow(), request_id, comment or None)
        return f"Cancelled request {done.id}."

    return _act(request_id, decide)
