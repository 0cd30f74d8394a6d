"""Every route declares a role; anonymous and under-privileged callers are refused."""

from __future__ import annotations

import base64
import re

from flask import Flask

from registry.domain.identity import SYSTEM, Role
from registry.runtime import Runtime
from registry.services import tokens
from tests.fixtures.apps import PUBLIC_ROUTES, TokenMaker


def concrete(rule: str) -> str:
    """A URL for a rule, with a plausible value for each placeholder."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "x1" if m.group(1) != "version" else "1", rule)


def test_every_route_refuses_anonymous_callers(secured_app: Flask) -> None:
    client = secured_app.test_client()
    checked = 0
    pages = 0
    for rule in secured_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = concrete(rule.rule)
            r = client.open(url, method=method, json={})
            if rule.rule in PUBLIC_ROUTES:
                assert r.status_code != 401, url
                continue
            checked += 1
            if rule.endpoint.startswith("ui.") and not rule.rule.startswith("/api/"):
                # The UI's HTML pages send a browser to the sign-in form instead of a bare 401.
                pages += 1
                assert r.status_code == 302, f"{method} {url} answered {r.status_code} to an anonymous call"
                assert r.headers["Location"].startswith("/signin"), f"{method} {url} led elsewhere"
                continue
            assert r.status_code == 401, f"{method} {url} answered {r.status_code} to an anonymous call"
            assert r.headers.get("WWW-Authenticate")
    assert checked - pages >= 20
    assert pages >= 5


def test_roles_and_credentials(secured_app: Flask, make_token: TokenMaker, runtime: Runtime) -> None:
    client = secured_app.test_client()
    reader = make_token("rita", Role.READER)
    contributor = make_token("carl", Role.CONTRIBUTOR)
    admin = make_token("ada", Role.ADMIN)

    def call(method: str, path: str, secret: str | None, **kw: object):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return client.open(path, method=method, headers=headers, **kw)

    assert call("POST", "/api/v1/models", reader, json={"name": "m"}).status_code == 403
    r = call("POST", "/api/v1/models", contributor, json={"name": "m"})
    assert r.status_code == 201
    assert call("GET", "/api/v1/models/m", reader).status_code == 200
    assert call("GET", "/api/v1/tokens", contributor).status_code == 403
    assert call("GET", "/api/v1/tokens", admin).status_code == 200

    # HTTP Basic with the token as password (MLFLOW_TRACKING_USERNAME/PASSWORD).
    basic = base64.b64encode(f"rita:{reader}".encode()).decode()
    assert client.get("/api/v1/models/m", headers={"Authorization": f"Basic {basic}"}).status_code == 200

    forged = reader[:-4] + ("AAAA" if not reader.endswith("AAAA") else "BBBB")
    assert call("GET", "/api/v1/models/m", forged).status_code == 401
    assert call("GET", "/api/v1/models/m", "not-a-token").status_code == 401
    assert client.get("/api/v1/models/m", headers={"Authorization": "Digest abc"}).status_code == 401

    tokens.revoke_token(runtime.uow(SYSTEM), "rita")
    r = call("GET", "/api/v1/models/m", reader)
    assert r.status_code == 401
    assert r.json is not None
    assert "revoked" in r.json["message"]


def test_actor_is_recorded(secured_app: Flask, make_token: TokenMaker, runtime: Runtime) -> None:
    secret = make_token("carl", Role.CONTRIBUTOR)
    client = secured_app.test_client()
    client.post("/api/v1/models", json={"name": "m"}, headers={"Authorization": f"Bearer {secret}"})
    from sqlalchemy import select

    from registry.db.tables import AuditEventRow

    with runtime.database.engine.connect() as conn:
        actors = list(conn.scalars(select(AuditEventRow.actor).where(AuditEventRow.model == "m")))
    assert actors == ["carl"]
