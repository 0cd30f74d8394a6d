"""The admin's webhook pages over the real services (SQLite and PostgreSQL): subscriptions, the
delivery log with its attempts, redeliver and the test ping; never the secret, never for non-admins."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, update

from registry.db.tables import DeliveryAttemptRow, DeliveryRow
from registry.domain.identity import Actor, Role
from registry.domain.webhooks import DeliveryStatus
from registry.runtime import Runtime
from registry.services import deliveries, webhooks
from registry.services.webhooks import Keys
from tests.fixtures.apps import TokenMaker
from tests.fixtures.ui import count_queries, post_form, sign_in

ADA = Actor("ada", Role.ADMIN)
URL = "http://127.0.0.1:9/hooks/podium"


@pytest.fixture
def admin(secured_app: Flask, make_token: TokenMaker) -> FlaskClient:
    client = secured_app.test_client()
    assert sign_in(client, make_token("ada", Role.ADMIN)).status_code == 303
    return client


@pytest.fixture
def subscribe(runtime: Runtime, webhook_keys: Keys) -> Callable[..., tuple[str, str | None]]:
    """Create a subscription; returns its id and the secret shown once."""

    def make(
        url: str = URL, events: tuple[str, ...] = ("model_version.*",), **more: object
    ) -> tuple[str, str | None]:
        made = webhooks.create_webhook(
            runtime.uow(ADA),
            webhook_keys,
            url=url,
            events=list(events),
            **more,  # type: ignore[arg-type]
        )
        return made.webhook.id, made.secret

    return make


def finish(
    runtime: Runtime, delivery_id: int, status: DeliveryStatus, code: int | None, error: str | None
) -> None:
    """Record one attempt and its outcome, as the dispatcher would (no receiver needed)."""
    with runtime.database.engine.begin() as conn:
        conn.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id)
            .values(
                status=status.value,
                attempts=1,
                last_attempt_at=1_800_000_000_000,
                last_status_code=code,
                last_error=error,
            )
        )
        conn.execute(
            insert(DeliveryAttemptRow).values(
                delivery_id=delivery_id,
                number=1,
                redelivery=False,
                started_at=1_800_000_000_000,
                duration_ms=42,
                status_code=code,
                error=error,
                response_excerpt="nope",
                dispatcher="test",
            )
        )


def delivery_ids(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'<tr data-delivery="(\d+)">', html)]


def test_the_list_shows_subscriptions_but_never_secrets(
    admin: FlaskClient, subscribe: Callable[..., tuple[str, str | None]]
) -> None:
    hook_id, secret = subscribe(name="ci <receiver>")
    off_id, _ = subscribe(url="http://127.0.0.1:9/off", events=("promotion_request.*",), active=False)
    assert secret
    r = admin.get("/webhooks")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    row = html[html.index(f'<tr data-webhook="{hook_id}">') :]
    row = row[: row.index("</tr>")]
    assert URL in row
    assert "model_version.*" in row
    assert "ci &lt;receiver&gt;" in row
    assert ">active<" in row
    off = html[html.index(f'<tr data-webhook="{off_id}">') :]
    assert ">disabled<" in off[: off.index("</tr>")]

    page = admin.get(f"/webhooks/{hook_id}").get_data(as_text=True)
    assert 'data-testid="webhook-secret">set' in page
    for html in (page, admin.get("/webhooks").get_data(as_text=True)):
        assert secret not in html
        assert secret[6:20] not in html


def test_a_test_ping_then_redeliver(
    admin: FlaskClient, runtime: Runtime, subscribe: Callable[..., tuple[str, str | None]]
) -> None:
    hook_id, _ = subscribe()
    r = post_form(admin, f"/webhooks/{hook_id}", f"/webhooks/{hook_id}/test")
    assert r.status_code == 303
    assert r.headers["Location"] == f"/webhooks/{hook_id}"
    page = admin.get(f"/webhooks/{hook_id}").get_data(as_text=True)
    assert "Test ping queued as delivery" in page
    [delivery_id] = delivery_ids(page)
    assert 'data-testid="delivery-status">pending<' in page
    # A queued delivery is going out already: no redeliver button, and a forced POST is refused.
    assert 'data-testid="redeliver"' not in page
    r = post_form(admin, f"/webhooks/{hook_id}", f"/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver")
    assert r.status_code == 409
    assert "only finished deliveries are redelivered" in r.get_data(as_text=True)

    finish(runtime, delivery_id, DeliveryStatus.FAILED, 502, "Bad gateway from <receiver>")
    page = admin.get(f"/webhooks/{hook_id}").get_data(as_text=True)
    row = page[page.index(f'<tr data-delivery="{delivery_id}">') :]
    row = row[: row.index("</tr>")]
    assert ">failed<" in row
    assert "502" in row
    assert "Bad gateway from &lt;receiver&gt;" in row
    assert 'data-testid="redeliver"' in row
    attempts = admin.get(f"/webhooks/{hook_id}/deliveries/{delivery_id}").get_data(as_text=True)
    assert '<tr data-attempt="1">' in attempts
    assert "42 ms" in attempts

    r = post_form(admin, f"/webhooks/{hook_id}", f"/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver")
    assert r.status_code == 303
    assert r.headers["Location"] == f"/webhooks/{hook_id}/deliveries/{delivery_id}"
    assert "is queued again (redelivery 1)" in admin.get(r.headers["Location"]).get_data(as_text=True)
    # The service requeues the same delivery (same webhook-id for the receiver's deduplication).
    again = deliveries.get_delivery(runtime.uow(ADA), delivery_id)
    assert again.status is DeliveryStatus.PENDING
    assert again.redeliveries == 1


def test_deliveries_filter_by_status(
    admin: FlaskClient, runtime: Runtime, subscribe: Callable[..., tuple[str, str | None]]
) -> None:
    hook_id, _ = subscribe()
    made = [deliveries.send_ping(runtime.uow(ADA), hook_id)[0] for _ in range(3)]
    finish(runtime, made[0], DeliveryStatus.DELIVERED, 200, None)
    finish(runtime, made[1], DeliveryStatus.FAILED, 500, "boom")
    assert delivery_ids(admin.get(f"/webhooks/{hook_id}").get_data(as_text=True)) == made[::-1]
    assert delivery_ids(admin.get(f"/webhooks/{hook_id}?status=failed").get_data(as_text=True)) == [made[1]]
    assert delivery_ids(admin.get(f"/webhooks/{hook_id}?status=pending").get_data(as_text=True)) == [made[2]]
    bad = admin.get(f"/webhooks/{hook_id}?status=lost")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Unknown delivery status &#39;lost&#39;" in html
    assert 'data-testid="deliveries-table"' in html
    assert admin.get(f"/webhooks/{hook_id}?page_token=junk").status_code == 400
    assert admin.get("/webhooks?page_token=junk").status_code == 400


def test_unknown_ids_are_html_404s(
    admin: FlaskClient, runtime: Runtime, subscribe: Callable[..., tuple[str, str | None]]
) -> None:
    hook_id, _ = subscribe()
    other_id, _ = subscribe(url="http://127.0.0.1:9/other")
    delivery_id = deliveries.send_ping(runtime.uow(ADA), other_id)[0]
    for path in (
        "/webhooks/wh_nope",
        "/webhooks/wh_nope/deliveries/1",
        f"/webhooks/{hook_id}/deliveries/999",
        f"/webhooks/{hook_id}/deliveries/abc",
        # Ids no database column can hold, and text no subscription id has (NUL, too long).
        f"/webhooks/{hook_id}/deliveries/99999999999999999999",
        f"/webhooks/{hook_id}/deliveries/9223372036854775808",
        "/webhooks/wh%00x",
        "/webhooks/" + "w" * 300,
        # Another subscription's delivery is not reachable through this one.
        f"/webhooks/{hook_id}/deliveries/{delivery_id}",
    ):
        r = admin.get(path)
        assert r.status_code == 404, path
        assert r.mimetype == "text/html"
    r = post_form(admin, "/webhooks", f"/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver")
    assert r.status_code == 404
    r = post_form(admin, "/webhooks", "/webhooks/wh_nope/test")
    assert r.status_code == 404


@pytest.mark.parametrize("role", [Role.READER, Role.CONTRIBUTOR, Role.REVIEWER, Role.PROMOTER])
def test_only_admins_reach_the_webhook_pages(
    secured_app: Flask,
    make_token: TokenMaker,
    runtime: Runtime,
    subscribe: Callable[..., tuple[str, str | None]],
    role: Role,
) -> None:
    hook_id, _ = subscribe()
    delivery_id = deliveries.send_ping(runtime.uow(ADA), hook_id)[0]
    client = secured_app.test_client()
    assert sign_in(client, make_token("someone", role)).status_code == 303
    assert 'href="/webhooks"' not in client.get("/models").get_data(as_text=True)
    for path in ("/webhooks", f"/webhooks/{hook_id}", f"/webhooks/{hook_id}/deliveries/{delivery_id}"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "This needs the admin role" in r.get_data(as_text=True)
    for action in (f"/webhooks/{hook_id}/test", f"/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver"):
        assert post_form(client, "/models", action).status_code == 403
    assert len(deliveries.list_deliveries(runtime.uow(ADA), webhook_id=hook_id).items) == 1


def test_webhook_forms_need_the_csrf_token(
    admin: FlaskClient, subscribe: Callable[..., tuple[str, str | None]]
) -> None:
    hook_id, _ = subscribe()
    r = admin.post(f"/webhooks/{hook_id}/test")
    assert r.status_code == 400
    assert "the CSRF token is missing" in r.get_data(as_text=True)


def test_a_subscription_page_costs_a_fixed_number_of_queries(
    admin: FlaskClient, runtime: Runtime, subscribe: Callable[..., tuple[str, str | None]]
) -> None:
    hook_id, _ = subscribe()
    for _ in range(2):
        deliveries.send_ping(runtime.uow(ADA), hook_id)
    with count_queries(runtime) as few:
        assert admin.get(f"/webhooks/{hook_id}").status_code == 200
        assert admin.get("/webhooks").status_code == 200
    for _ in range(30):
        deliveries.send_ping(runtime.uow(ADA), hook_id)
        subscribe(url="http://127.0.0.1:9/more")
    with count_queries(runtime) as many:
        assert admin.get(f"/webhooks/{hook_id}").status_code == 200
        assert admin.get("/webhooks").status_code == 200
    assert few.selects == many.selects
