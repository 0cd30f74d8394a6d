"""Governance over the native API with authentication on (Flask's test client, real databases)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.api.auth import PUBLIC, declared_role
from registry.db.tables import AuditEventRow, PromotionRequestRow
from registry.domain.identity import SYSTEM, Role
from registry.runtime import Runtime
from registry.services import tokens
from tests.fixtures.apps import PUBLIC_ROUTES, TokenMaker

SRC = "mlflow-artifacts:/1/models/m-" + "1" * 32 + "/artifacts"


class Caller:
    """A test client that sends one identity's token."""

    def __init__(self, client: FlaskClient, secret: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def __call__(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        return self.client.open(path, method=method, json=body, query_string=query, headers=self.headers)

    def ok(self, method: str, path: str, body: Any = None, expect: int = 200, **query: Any) -> Any:
        r = self(method, path, body, **query)
        assert r.status_code == expect, (method, path, r.status_code, r.data)
        return r.json if r.data else None


@pytest.fixture
def people(secured_app: Flask, make_token: TokenMaker) -> dict[str, Caller]:
    client = secured_app.test_client()
    roles = {
        "carl": Role.CONTRIBUTOR,
        "rita": Role.REVIEWER,
        "rex": Role.REVIEWER,
        "ada": Role.ADMIN,
        "ci": Role.PROMOTER,
        "reed": Role.READER,
    }
    return {name: Caller(client, make_token(name, role)) for name, role in roles.items()}


def register(carl: Caller, name: str, *scores: float) -> None:
    if carl("GET", f"/api/v1/models/{name}").status_code == 404:
        carl.ok("POST", "/api/v1/models", {"name": name}, 201)
    for score in scores:
        v = carl.ok("POST", f"/api/v1/models/{name}/versions", {"source": SRC}, 201)["version"]
        carl.ok(
            "PUT", f"/api/v1/models/{name}/versions/{v}/tags/podium.metric.r2_score", {"value": str(score)}
        )


def test_done_means(people: dict[str, Caller], runtime: Runtime) -> None:
    """An admin protects @champion with "1 approval, r2_score >= 0.4 and no worse than the current
    champion by more than 0.01"; a direct move is refused with an explanation; the request/approve
    flow moves it; the history shows who, when and why."""
    carl, rita, rex, ada, reed = (people[n] for n in ("carl", "rita", "rex", "ada", "reed"))
    register(carl, "fraud", 0.50)
    policy = ada.ok(
        "PUT",
        "/api/v1/models/fraud/policy",
        {
            "protected": ["alias:champion"],
            "required_approvals": 1,
            "rules": ["r2_score >= 0.4", "r2_score >= current - 0.01"],
        },
    )
    assert (policy["scope"], policy["updated_by"], policy["rules"][1]) == (
        "model",
        "ada",
        "r2_score >= current - 0.01",
    )
    assert reed.ok("GET", "/api/v1/models/fraud/policy")["protected"] == ["alias:champion"]

    refused = carl("PUT", "/api/v1/models/fraud/aliases/champion", {"version": 1})
    assert refused.status_code == 403
    assert refused.json["code"] == "PERMISSION_DENIED"
    assert "podium promote request 'fraud' 1 --target alias:champion" in refused.json["message"]

    created = carl.ok(
        "POST",
        "/api/v1/promotions",
        {"model": "fraud", "version": 1, "target": "alias:champion", "comment": "first"},
        201,
    )
    assert created["status"] == "pending"
    assert created["evaluation"]["blockers"] == ["0 of 1 required approvals"]
    rid = created["id"]
    assert carl("POST", f"/api/v1/promotions/{rid}/approve", {}).status_code == 403  # not a reviewer
    applied = rita.ok("POST", f"/api/v1/promotions/{rid}/approve", {"comment": "ok"})
    assert applied["status"] == "applied"
    assert reed.ok("GET", "/api/v1/models/fraud/aliases/champion")["version"] == 1

    register(carl, "fraud", 0.38, 0.495)
    own = rita.ok("POST", "/api/v1/promotions", {"model": "fraud", "version": 2, "target": "@champion"}, 201)
    mine = rita("POST", f"/api/v1/promotions/{own['id']}/approve", {})
    assert mine.status_code == 403
    assert "cannot approve it" in mine.json["message"]
    gated = rex.ok("POST", f"/api/v1/promotions/{own['id']}/approve", {})
    assert gated["status"] == "pending"
    rules = gated["evaluation"]["rules"]
    assert [
        (r["rule"], r["passed"], r["candidate_value"], r["current_value"], r["bound"]) for r in rules
    ] == [
        ("r2_score >= 0.4", False, 0.38, None, 0.4),
        ("r2_score >= current - 0.01", False, 0.38, 0.5, 0.49),
    ]
    not_ready = carl("POST", f"/api/v1/promotions/{own['id']}/apply")
    assert not_ready.status_code == 409
    assert "metric rule r2_score >= 0.4 failed" in not_ready.json["message"]

    better = carl.ok(
        "POST",
        "/api/v1/promotions",
        {"model": "fraud", "version": 3, "target": "alias:champion", "comment": "retrained"},
        201,
    )
    done = rex.ok("POST", f"/api/v1/promotions/{better['id']}/approve", {"comment": "metrics hold"})
    assert (done["status"], done["previous_version"], done["closed_by"]) == ("applied", 1, "rex")
    assert reed.ok("GET", f"/api/v1/promotions/{better['id']}")["evaluation"]["ready"] is True

    holders = reed.ok("GET", "/api/v1/models/fraud/holders", target="alias:champion")
    (holding,) = holders["holders"]
    assert (holding["version"], holding["set_by"], holding["approved_by"]) == (3, "rex", ["rex"])
    assert holding["promotion_request_id"] == better["id"]
    events = reed.ok("GET", "/api/v1/models/fraud/history", action="promotion_request.applied")["events"]
    assert [(e["actor"], e["version"], e["data"]["comment"]) for e in events] == [
        ("rex", 3, "retrained"),
        ("rita", 1, "first"),
    ]
    listed = reed.ok("GET", "/api/v1/promotions", model="fraud", status="pending")["requests"]
    assert [r["id"] for r in listed] == [own["id"]]
    with runtime.database.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PromotionRequestRow)) == 3


def test_stage_moves_and_forced_moves_over_the_api(people: dict[str, Caller]) -> None:
    carl, rita, ada = people["carl"], people["rita"], people["ada"]
    register(carl, "house", 0.5, 0.6)
    ada.ok("PUT", "/api/v1/policies/default", {"protected": ["stage:Production"], "required_approvals": 1})
    refused = carl("POST", "/api/v1/models/house/versions/1/stage", {"stage": "Production"})
    assert refused.status_code == 403
    assert "--target stage:Production" in refused.json["message"]
    assert (
        rita(
            "POST",
            "/api/v1/models/house/forced-moves",
            {"target": "stage:Production", "version": 1, "reason": "x"},
        ).status_code
        == 403
    )
    no_reason = ada("POST", "/api/v1/models/house/forced-moves", {"target": "stage:Production", "version": 1})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json["errors"]
    moved = ada.ok(
        "POST",
        "/api/v1/models/house/forced-moves",
        {"target": "stage:Production", "version": 1, "reason": "bootstrap"},
        201,
    )
    assert (moved["version"], moved["protected"], moved["actor"]) == (1, True, "ada")
    assert carl.ok("GET", "/api/v1/models/house/versions/1")["stage"] == "Production"
    events = carl.ok("GET", "/api/v1/models/house/history", action="protected_target.force_moved")["events"]
    assert [(e["actor"], e["data"]["reason"]) for e in events] == [("ada", "bootstrap")]
    assert ada.ok("GET", "/api/v1/policies")["policies"][0]["scope"] == "default"
    ada.ok("DELETE", "/api/v1/policies/default", expect=204)
    carl.ok(
        "POST",
        "/api/v1/models/house/versions/2/stage",
        {"stage": "Production", "archive_existing_versions": True},
    )


def test_a_promoter_applies_with_github_evidence(people: dict[str, Caller]) -> None:
    carl, ci, ada = people["carl"], people["ci"], people["ada"]
    register(carl, "fraud", 0.5)
    ada.ok(
        "PUT",
        "/api/v1/models/fraud/policy",
        {"protected": ["alias:champion"], "required_approvals": 1, "rules": ["r2_score >= 0.4"]},
    )
    body = {
        "model": "fraud",
        "version": 1,
        "target": "alias:champion",
        "comment": "promotions/fraud.yaml: champion 1",
        "evidence": {
            "url": "https://github.com/o/r/pull/9",
            "commit": "b" * 40,
            "author": "octo",
            "source": "github",
            "run_url": "https://github.com/o/r/actions/runs/1",
        },
        "external_approvals": [
            {
                "reviewer": "mona",
                "source": "github",
                "url": "https://github.com/o/r/pull/9#pullrequestreview-5",
            }
        ],
    }
    assert carl("POST", "/api/v1/promotions", body).status_code == 403  # contributors bring no evidence
    applied = ci.ok("POST", "/api/v1/promotions", body, 201)
    assert applied["status"] == "applied"
    assert applied["approvals"][0] | {"created_at": None} == {
        "reviewer": "mona",
        "decision": "approve",
        "source": "github",
        "role": None,
        "comment": "",
        "url": "https://github.com/o/r/pull/9#pullrequestreview-5",
        "recorded_by": "ci",
        "created_at": None,
    }
    assert ci.ok("POST", f"/api/v1/promotions/{applied['id']}/apply")["status"] == "applied"
    holding = carl.ok("GET", "/api/v1/models/fraud/holders", target="@champion")["holders"][0]
    assert holding["approved_by"] == ["github:mona"]
    assert holding["evidence"]["url"] == "https://github.com/o/r/pull/9"
    # A promoter is no reviewer: it cannot approve in Podium.
    again = carl.ok(
        "POST", "/api/v1/promotions", {"model": "fraud", "version": 1, "target": "alias:gold"}, 201
    )
    assert again["status"] == "applied"  # unprotected: nothing needed
    assert ci("POST", f"/api/v1/promotions/{again['id']}/approve", {}).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "fraud", "version": 1, "target": "champion"}, "target"),
        ({"model": "fraud", "version": 1, "target": "alias:latest"}, "target"),
        ({"model": "fraud", "version": 0, "target": "alias:champion"}, "version"),
        ({"model": "fraud", "version": 1}, "target"),
        ({"model": "fraud", "version": 1, "target": "alias:champion", "surprise": 1}, "surprise"),
    ],
)
def test_bad_requests_name_the_problem_and_write_nothing(
    people: dict[str, Caller], runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    register(people["carl"], "fraud", 0.5)
    r = people["carl"]("POST", "/api/v1/promotions", body)
    assert r.status_code in (400, 422), r.json
    assert field in r.json["errors"], r.json
    with runtime.database.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PromotionRequestRow)) == 0
        assert conn.scalar(select(func.count()).where(AuditEventRow.action.like("promotion%"))) == 0


def test_bad_policies_and_unknown_things(people: dict[str, Caller]) -> None:
    carl, ada = people["carl"], people["ada"]
    register(carl, "fraud", 0.5)
    r = ada("PUT", "/api/v1/models/fraud/policy", {"protected": ["alias:champion"], "rules": ["r2 => 0.4"]})
    assert (r.status_code, list(r.json["errors"])) == (400, ["rules"])
    assert "Cannot read metric rule" in r.json["message"]
    assert ada("PUT", "/api/v1/models/nope/policy", {"protected": []}).status_code == 404
    assert ada("GET", "/api/v1/models/fraud/policy", effective="false").status_code == 404
    assert ada.ok("GET", "/api/v1/models/fraud/policy")["scope"] == "none"
    assert carl("GET", "/api/v1/promotions/12345").status_code == 404
    assert carl("GET", "/api/v1/promotions/abc").status_code == 404
    assert carl("POST", "/api/v1/promotions/999/apply").status_code == 404
    assert carl("GET", "/api/v1/models/nope/history").status_code == 404
    assert carl("GET", "/api/v1/models/fraud/holders", target="alias:champion", at="soon").status_code == 400
    assert carl("GET", "/api/v1/models/fraud/holders").status_code == 422
    assert carl("GET", "/api/v1/promotions", status="maybe").status_code == 400


def concrete(rule: str) -> str:
    return re.sub(
        r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "1" if m.group(1) in ("version", "request_id") else "x1", rule
    )


def test_every_route_refuses_anonymous_and_under_privileged_callers(
    secured_app: Flask, make_token: TokenMaker
) -> None:
    """For every route and method: no token → 401; a token whose role does not grant the declared
    role → 403 (before the view runs). The anonymous allowlist is PUBLIC_ROUTES."""
    client = secured_app.test_client()
    secrets = {role: make_token(f"who-{role.value}", role) for role in Role}
    checked: set[str] = set()
    for rule in secured_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = concrete(rule.rule)
            required = declared_role(secured_app, rule.endpoint, method)
            assert required is not None, f"{method} {rule.rule} declares no role"
            if required == PUBLIC:
                assert rule.rule in PUBLIC_ROUTES, f"{rule.rule} is public but not on the allowlist"
                continue
            if rule.endpoint.startswith("ui."):
                # Browser pages authenticate by session cookie, not bearer tokens; the anonymous
                # walk in test_auth.py and the UI's own tests cover them.
                continue
            assert isinstance(required, Role)
            assert client.open(url, method=method, json={}).status_code == 401, (method, url)
            for role, secret in secrets.items():
                if role.grants(required):
                    continue
                r = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {secret}"})
                assert r.status_code == 403, f"{method} {url} answered {r.status_code} to a {role.value}"
            checked.add(f"{method} {rule.rule}")
    governance = {
        "GET /api/v1/policies",
        "PUT /api/v1/policies/default",
        "DELETE /api/v1/models/<name>/policy",
        "POST /api/v1/promotions",
        "GET /api/v1/promotions/<request_id>",
        "POST /api/v1/promotions/<request_id>/approve",
        "POST /api/v1/promotions/<request_id>/reject",
        "POST /api/v1/promotions/<request_id>/cancel",
        "POST /api/v1/promotions/<request_id>/apply",
        "POST /api/v1/models/<name>/forced-moves",
        "GET /api/v1/models/<name>/history",
        "GET /api/v1/models/<name>/holders",
    }
    assert governance <= checked, governance - checked


def test_forged_and_revoked_tokens_are_refused(
    people: dict[str, Caller], secured_app: Flask, runtime: Runtime, make_token: TokenMaker
) -> None:
    client = secured_app.test_client()
    secret = make_token("vera", Role.REVIEWER)
    assert client.get("/api/v1/promotions", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    basic = base64.b64encode(f"vera:{secret}".encode()).decode()
    assert client.get("/api/v1/promotions", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/promotions", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    tokens.revoke_token(runtime.uow(SYSTEM), "vera")
    r = client.post("/api/v1/promotions/1/approve", json={}, headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401
    assert "revoked" in r.json["message"]


def test_the_openapi_document_describes_governance(people: dict[str, Caller]) -> None:
    spec = people["reed"].ok("GET", "/api/v1/openapi.json")
    paths = spec["paths"]
    for path in (
        "/api/v1/promotions",
        "/api/v1/promotions/{request_id}/approve",
        "/api/v1/models/{name}/holders",
    ):
        assert path in paths
    assert "external_approvals" in spec["components"]["schemas"]["PromotionCreateArgs"]["properties"]
