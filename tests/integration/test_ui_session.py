"""Signing in to the UI, its session cookie, and CSRF protection (Flask's test client)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.app import create_app
from registry.domain.identity import SYSTEM, Role
from registry.runtime import Runtime
from registry.services import models, tokens
from registry.ui import session as ui_session
from registry.ui.headers import CONTENT_SECURITY_POLICY
from registry.ui.pages.signin import safe_next
from tests.fixtures.apps import TokenMaker
from tests.fixtures.ui import csrf_token, post_form, sign_in


def cookie_header(response: object) -> str:
    headers = getattr(response, "headers")  # noqa: B009
    found = [h for h in headers.getlist("Set-Cookie") if h.startswith("podium_session=")]
    assert found, "no session cookie was set"
    return str(found[-1])


def test_sign_in_page_is_public_and_protected_pages_redirect_to_it(secured_app: Flask) -> None:
    client = secured_app.test_client()
    page = client.get("/signin")
    assert page.status_code == 200
    assert 'name="token"' in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"

    r = client.get("/models?q=fraud")
    assert r.status_code == 302
    assert r.headers["Location"] == "/signin?next=/models?q%3Dfraud"
    r = client.get("/")
    assert r.status_code == 302
    assert client.get(r.headers["Location"]).status_code == 302  # on to sign-in
    assert client.get("/ui/static/podium.css").status_code == 200


def test_sign_in_sets_a_safe_cookie_and_returns_to_the_page(
    secured_app: Flask, make_token: TokenMaker
) -> None:
    secret = make_token("rita", Role.READER)
    client = secured_app.test_client()
    r = sign_in(client, secret, next_path="/models?sort=updated")
    assert r.status_code == 303
    assert r.headers["Location"] == "/models?sort=updated"
    cookie = cookie_header(r)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Expires=" in cookie  # a 12-hour session, not the browser's lifetime
    assert "Secure" not in cookie  # plain HTTP on loopback
    assert secret not in cookie
    page = client.get("/models")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="who">rita<' in html
    assert 'data-testid="role">reader<' in html


def test_cookie_is_secure_over_https(secured_app: Flask, make_token: TokenMaker) -> None:
    secret = make_token("rita", Role.READER)
    client = secured_app.test_client()
    form = client.get("/signin", base_url="https://podium.example")
    r = client.post(
        "/signin",
        base_url="https://podium.example",
        data={"token": secret, "csrf_token": csrf_token(form)},
        headers={"Referer": "https://podium.example/signin"},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    assert "Secure" in cookie_header(r)

    # Over HTTPS a form must also come from this host (Flask-WTF's referrer check).
    form = client.get("/signin", base_url="https://podium.example")
    r = client.post(
        "/signin",
        base_url="https://podium.example",
        data={"token": secret, "csrf_token": csrf_token(form)},
        headers={"Referer": "https://evil.example/"},
    )
    assert r.status_code == 400
    assert "referrer does not match" in r.get_data(as_text=True)


def test_wrong_tokens_are_refused(secured_app: Flask, make_token: TokenMaker) -> None:
    client = secured_app.test_client()
    secret = make_token("rita", Role.READER)
    for bad, status, message in [
        ("", 400, "Enter a token."),
        ("pdm_nope", 401, "Invalid token."),
        (secret[:-2] + "xx", 401, "Invalid token."),
        ("x" * 300, 401, "Invalid token."),
    ]:
        form = client.get("/signin")
        r = client.post("/signin", data={"token": bad, "csrf_token": csrf_token(form)})
        assert r.status_code == status
        assert message in r.get_data(as_text=True)
        assert client.get("/models").status_code == 302


def test_forms_without_a_valid_csrf_token_are_refused(
    secured_app: Flask, make_token: TokenMaker, runtime: Runtime
) -> None:
    secret = make_token("carl", Role.CONTRIBUTOR)
    client = secured_app.test_client()
    # Signing in itself needs the token (no login CSRF).
    client.get("/signin")
    r = client.post("/signin", data={"token": secret})
    assert r.status_code == 400
    assert "the CSRF token is missing" in r.get_data(as_text=True)
    assert "<html" in r.get_data(as_text=True)

    assert sign_in(client, secret).status_code == 303
    models.create_registered_model(runtime.uow(SYSTEM), "m")
    token = csrf_token(client.get("/models/m"))
    cases = [
        ({}, "the CSRF token is missing"),
        ({"csrf_token": "forged"}, "the CSRF token is invalid"),
        ({"csrf_token": token[:-3] + "abc"}, "the CSRF token is invalid"),
    ]
    for fields, message in cases:
        r = client.post("/models/m/description", data={"description": "changed", **fields})
        assert r.status_code == 400
        assert message in r.get_data(as_text=True)
    # A token from another browser session does not fit this one.
    other = secured_app.test_client()
    assert sign_in(other, secret).status_code == 303
    foreign = csrf_token(other.get("/models/m"))
    r = client.post("/models/m/description", data={"description": "changed", "csrf_token": foreign})
    assert r.status_code == 400
    assert "do not match" in r.get_data(as_text=True)
    assert models.get_registered_model(runtime.uow(SYSTEM), "m").description == ""

    r = client.post("/models/m/description", data={"description": "changed", "csrf_token": token})
    assert r.status_code == 303
    assert models.get_registered_model(runtime.uow(SYSTEM), "m").description == "changed"


def test_signing_in_again_starts_a_fresh_session(secured_app: Flask, make_token: TokenMaker) -> None:
    client = secured_app.test_client()
    before = csrf_token(client.get("/signin"))
    assert sign_in(client, make_token("rita", Role.READER)).status_code == 303
    after = csrf_token(client.get("/models"))
    assert before != after


def test_sign_out(secured_app: Flask, make_token: TokenMaker) -> None:
    client = secured_app.test_client()
    assert sign_in(client, make_token("rita", Role.READER)).status_code == 303
    assert client.post("/signout").status_code == 400  # no CSRF token: refused
    assert client.get("/models").status_code == 200
    r = post_form(client, "/models", "/signout")
    assert r.status_code == 303
    assert r.headers["Location"] == "/signin"
    assert "You have signed out." in client.get("/signin").get_data(as_text=True)
    assert client.get("/models").status_code == 302


def test_revoked_or_demoted_tokens_apply_to_open_sessions(
    secured_app: Flask, make_token: TokenMaker, runtime: Runtime
) -> None:
    client = secured_app.test_client()
    assert sign_in(client, make_token("rita", Role.READER)).status_code == 303
    assert client.get("/models").status_code == 200
    tokens.revoke_token(runtime.uow(SYSTEM), "rita")
    r = client.get("/models")
    assert r.status_code == 302
    assert "has been revoked" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert client.get("/models").status_code == 302  # the session was cleared


def test_the_session_cookie_opens_no_api(secured_app: Flask, make_token: TokenMaker) -> None:
    """A signed-in browser is not signed in to the APIs: they take tokens only."""
    client = secured_app.test_client()
    assert sign_in(client, make_token("ada", Role.ADMIN)).status_code == 303
    assert client.get("/models").status_code == 200
    r = client.get("/api/v1/models")
    assert r.status_code == 401
    assert r.json is not None
    assert r.json["code"] == "UNAUTHENTICATED"
    r = client.post("/api/v1/models", json={"name": "via-cookie"})
    assert r.status_code == 401


def test_processes_with_one_secret_key_share_sessions(runtime: Runtime, make_token: TokenMaker) -> None:
    """Workers (or servers) configured with the same PODIUM_SECRET_KEY accept each other's sessions;
    with different keys they do not."""
    secret = make_token("rita", Role.READER)

    def app_with(key: str) -> Flask:
        settings = replace(runtime.settings, auth=True, secret_key=key)
        return create_app(runtime=Runtime(settings, runtime.database, runtime.store))

    first, second, stranger = app_with("k" * 32), app_with("k" * 32), app_with("z" * 32)
    client = first.test_client()
    assert sign_in(client, secret).status_code == 303
    token = csrf_token(client.get("/models"))
    cookie = client.get_cookie("podium_session")
    assert cookie is not None
    for app, status in ((second, 200), (stranger, 302)):
        other = app.test_client()
        other.set_cookie("podium_session", cookie.value)
        assert other.get("/models").status_code == status
    # A form rendered by the first process is accepted by the second (the CSRF key is shared too).
    other = second.test_client()
    other.set_cookie("podium_session", cookie.value)
    assert other.post("/signout", data={"csrf_token": token}).status_code == 303


def test_a_tampered_cookie_is_ignored(secured_app: Flask, make_token: TokenMaker) -> None:
    client = secured_app.test_client()
    assert sign_in(client, make_token("rita", Role.READER)).status_code == 303
    cookie = client.get_cookie("podium_session")
    assert cookie is not None
    payload, _, signature = cookie.value.partition(".")
    client.set_cookie("podium_session", payload + "." + signature[::-1])
    assert client.get("/models").status_code == 302


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/models/m?sort=name", "/models/m?sort=name"),
        ("", None),
        ("//evil.example/x", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("models", None),
        ("/models\r\nSet-Cookie: x=1", None),
        ("/" + "a" * 3000, None),
    ],
)
def test_sign_in_returns_only_to_pages_of_this_server(target: str, safe: str | None) -> None:
    assert safe_next(target) == safe


def test_open_redirects_are_refused_end_to_end(secured_app: Flask, make_token: TokenMaker) -> None:
    client = secured_app.test_client()
    r = sign_in(client, make_token("rita", Role.READER), next_path="//evil.example/")
    assert r.status_code == 303
    # The home page: the first page of the navigation (Experiments, since phase 2).
    assert r.headers["Location"] == "/experiments"


def test_auth_off_the_ui_is_the_local_operator(client: FlaskClient) -> None:
    page = client.get("/models")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="who">local<' in html
    assert "auth off" in html
    assert "Sign out" not in html
    r = client.get("/signin?next=/models/x")
    assert r.status_code == 302
    assert r.headers["Location"] == "/models/x"
    # CSRF still applies: another site's page must not drive the local operator's browser.
    assert client.post("/models/m/description", data={"description": "x"}).status_code == 400


def test_readers_cannot_post_writes(secured_app: Flask, make_token: TokenMaker, runtime: Runtime) -> None:
    models.create_registered_model(runtime.uow(SYSTEM), "m")
    client = secured_app.test_client()
    assert sign_in(client, make_token("rita", Role.READER)).status_code == 303
    r = post_form(client, "/models/m", "/models/m/aliases", alias="champion", version="1")
    assert r.status_code == 403
    html = r.get_data(as_text=True)
    assert "This needs the contributor role" in html
    assert "<html" in html
    assert models.get_registered_model(runtime.uow(SYSTEM), "m").aliases == {}


def test_every_ui_write_route_needs_the_csrf_token(secured_app: Flask, make_token: TokenMaker) -> None:
    """A walk over the UI's routes, so pages added later are held to the same rule."""
    client = secured_app.test_client()
    assert sign_in(client, make_token("ada", Role.ADMIN)).status_code == 303
    writes = 0
    for rule in secured_app.url_map.iter_rules():
        if not rule.endpoint.startswith("ui."):
            continue
        url = re.sub(
            r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "1" if m.group(1) == "version" else "x1", rule.rule
        )
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            r = client.open(url, method=method, data={"anything": "1"})
            assert r.status_code == 400, f"{method} {url} answered {r.status_code} without a CSRF token"
            assert "CSRF token is missing" in r.get_data(as_text=True)
            writes += 1
    assert writes >= 6


def test_a_key_can_be_rotated_without_signing_everyone_out(runtime: Runtime, make_token: TokenMaker) -> None:
    secret = make_token("rita", Role.READER)

    def app_with(key: str) -> Flask:
        settings = replace(runtime.settings, auth=True, secret_key=key)
        return create_app(runtime=Runtime(settings, runtime.database, runtime.store))

    old = app_with("old-" + "k" * 32)
    client = old.test_client()
    assert sign_in(client, secret).status_code == 303
    cookie = client.get_cookie("podium_session")
    assert cookie is not None
    for key, status in (("new-" + "k" * 32 + ", old-" + "k" * 32, 200), ("new-" + "k" * 32, 302)):
        other = app_with(key).test_client()
        other.set_cookie("podium_session", cookie.value)
        assert other.get("/models").status_code == status, key


def test_without_a_configured_key_the_ui_leaves_the_setting_unset(secured_app: Flask) -> None:
    """The fallback key is the UI's alone: features that must not run on a throwaway key (webhook
    secrets encrypted at rest) still see that no PODIUM_SECRET_KEY was configured."""
    runtime: Runtime = secured_app.extensions["podium"]
    assert runtime.settings.secret_key is None
    assert secured_app.secret_key
    ui_session.share_process_key()
    assert ui_session.secrets_of(runtime.settings) == ui_session.secrets_of(runtime.settings)
