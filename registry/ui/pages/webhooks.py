"""Webhook subscriptions for admins: the list, a subscription with its delivery log, a delivery's
attempts, and the redeliver and test-ping forms.

Everything here needs the admin role (the routes say so; the navigation hides the entry from
others). A subscription's secret is never shown: the entity carries only whether one is set.
A test ping is queued, not awaited, so a slow receiver never holds a server worker; its one
attempt shows up in the delivery log like any other.

Queries (fixed whatever the number of rows; tests/integration/test_ui_webhooks.py): the list 1; a
subscription's page 3 (the subscription, then its page of deliveries with their events); a
delivery's page 3 (the subscription, the delivery, its attempts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.api.auth import requires
from registry.api.context import uow
from registry.domain.entities import Page
from registry.domain.errors import InvalidParameter, NotFound, PodiumError, Unauthenticated
from registry.domain.identity import Role
from registry.domain.webhooks import Delivery, DeliveryStatus, Webhook
from registry.services import deliveries, webhooks
from registry.ui.errors import status_of

blp = Blueprint("webhooks", __name__)

Rendered = tuple[str, int]
PAGE_SIZE = 50
STATUSES = tuple(s.value for s in DeliveryStatus)


def _start() -> int:
    raw = request.args.get("start") or "1"
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


@blp.get("/webhooks")
@requires(Role.ADMIN)
def index() -> Rendered:
    """Every subscription: name, URL, the events it wants, whether it is active."""
    token = request.args.get("page_token") or None
    start = _start()
    error = None
    status = 200
    page: Page[Webhook] = Page([])
    try:
        page = webhooks.list_webhooks(uow(), max_results=PAGE_SIZE, page_token=token)
    except InvalidParameter as exc:
        error, status = exc.message, 400
    next_url = (
        url_for(".index", page_token=page.next_page_token, start=start + len(page.items))
        if page.next_page_token
        else None
    )
    return render_template(
        "webhooks/list.html",
        hooks=page.items,
        start=start,
        next_url=next_url,
        first_url=url_for(".index") if token else None,
        error=error,
    ), status


@blp.get("/webhooks/<webhook_id>")
@requires(Role.ADMIN)
def webhook(webhook_id: str) -> Rendered:
    """A subscription's settings (never its secret) and its deliveries, newest first, by status."""
    return render_webhook(webhook_id)


def render_webhook(webhook_id: str, error: str | None = None, status: int = 200) -> Rendered:
    hook = webhooks.get_webhook(uow(), webhook_id)  # NotFound -> the 404 page
    status_filter = (request.args.get("status") or "").strip()
    token = request.args.get("page_token") or None
    start = _start()
    page: Page[Delivery] = Page([])
    try:
        page = deliveries.list_deliveries(
            uow(),
            webhook_id=hook.id,
            status=status_filter or None,
            max_results=PAGE_SIZE,
            page_token=token,
        )
    except InvalidParameter as exc:
        error, status = exc.message, 400
    filters: dict[str, Any] = {"webhook_id": hook.id, "status": status_filter or None}
    next_url = (
        url_for(".webhook", **filters, page_token=page.next_page_token, start=start + len(page.items))
        if page.next_page_token
        else None
    )
    return render_template(
        "webhooks/webhook.html",
        hook=hook,
        deliveries=page.items,
        status_filter=status_filter,
        statuses=STATUSES,
        start=start,
        next_url=next_url,
        first_url=url_for(".webhook", **filters) if token else None,
        error=error,
    ), status


def _delivery_of(webhook_id: str, delivery_id: str) -> Delivery:
    """The delivery, if it belongs to this subscription (else the 404 page, as for any unknown id:
    a URL must not reach another subscription's log through this one)."""
    try:
        found = deliveries.get_delivery(uow(), delivery_id)
    except InvalidParameter:
        raise NotFound(f"Delivery {delivery_id!r} not found.") from None
    if found.webhook_id != webhook_id:
        raise NotFound(f"Delivery {delivery_id} not found for webhook {webhook_id}.")
    return found


@blp.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
@requires(Role.ADMIN)
def delivery(webhook_id: str, delivery_id: str) -> Rendered:
    """One delivery with every attempt: when, status code, duration, error, response excerpt."""
    return render_delivery(webhook_id, delivery_id)


def render_delivery(
    webhook_id: str, delivery_id: str, error: str | None = None, status: int = 200
) -> Rendered:
    hook = webhooks.get_webhook(uow(), webhook_id)
    return render_template(
        "webhooks/delivery.html", hook=hook, delivery=_delivery_of(hook.id, delivery_id), error=error
    ), status


def _act(again: Callable[[str, int], Rendered], action: Callable[[], tuple[str, str]]) -> Response | Rendered:
    """Run one change; on success flash its note and go (303) where it says, else show the page
    again (`again`) with the service's reason and status."""
    try:
        note, target = action()
    except Unauthenticated:
        raise
    except PodiumError as exc:
        return again(exc.message, status_of(exc))
    flash(note, "success")
    return redirect(target, 303)


@blp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@requires(Role.ADMIN)
def redeliver(webhook_id: str, delivery_id: str) -> Response | Rendered:
    def change() -> tuple[str, str]:
        _delivery_of(webhook_id, delivery_id)
        again = deliveries.redeliver(uow(), delivery_id)
        return (
            f"Delivery {again.id} is queued again (redelivery {again.redeliveries}).",
            url_for(".delivery", webhook_id=webhook_id, delivery_id=again.id),
        )

    return _act(lambda error, status: render_delivery(webhook_id, delivery_id, error, status), change)


@blp.post("/webhooks/<webhook_id>/test")
@requires(Role.ADMIN)
def test(webhook_id: str) -> Response | Rendered:
    def change() -> tuple[str, str]:
        delivery_id, event_id = deliveries.send_ping(uow(), webhook_id)
        return (
            f"Test ping queued as delivery {delivery_id} (event {event_id}); its attempt appears "
            "in the log below once the dispatcher has sent it.",
            url_for(".webhook", webhook_id=webhook_id),
        )

    return _act(lambda error, status: render_webhook(webhook_id, error, status), change)
