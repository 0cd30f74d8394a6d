"""The promotion pages and the model page's governance slots over the real services (SQLite and
PostgreSQL): what they show, who may decide, and how refusals and bad input read."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.db.uow import UnitOfWork
from registry.domain.identity import Actor, Role
from registry.domain.promotions import RequestStatus
from registry.runtime import Runtime
from registry.services import aliases, models, policies, promotions, versions
from tests.fixtures.apps import TokenMaker
from tests.fixtures.ui import count_queries, csrf_token, post_form, sign_in

CARL = Actor("carl", Role.CONTRIBUTOR)
DORA = Actor("dora", Role.CONTRIBUTOR)
RITA = Actor("rita", Role.REVIEWER)
REX = Actor("rex", Role.REVIEWER)
READER = Actor("rd", Role.READER)
ADA = Actor("ada", Role.ADMIN)
SRC = "mlflow-artifacts:/1/models/m-" + "3" * 32 + "/artifacts"

Uow = Callable[[Actor], UnitOfWork]


@pytest.fixture
def as_(runtime: Runtime) -> Uow:
    return lambda actor: runtime.uow(actor)


@pytest.fixture
def browser_of(secured_app: Flask, make_token: TokenMaker) -> Callable[[Actor], FlaskClient]:
    """A test client signed in as `actor` (a token of that name and role)."""
    made: dict[str, str] = {}

    def open_as(actor: Actor) -> FlaskClient:
        if actor.name not in made:
            made[actor.name] = make_token(actor.name, actor.role)
        client = secured_app.test_client()
        assert sign_in(client, made[actor.name]).status_code == 303
        return client

    return open_as


def governed(as_: Uow, name: str = "fraud", scores: tuple[float, ...] = (0.5, 0.6)) -> None:
    """A model whose @champion needs one approval and r2_score >= 0.40 (no worse than the holder)."""
    models.create_registered_model(as_(CARL), name)
    for score in scores:
        mv = versions.create_model_version(as_(CARL), name, SRC)
        versions.set_model_version_tag(as_(CARL), name, mv.version, "podium.metric.r2_score", str(score))
    policies.set_policy(
        as_(ADA),
        name,
        protected=["alias:champion"],
        required_approvals=1,
        rules=["r2_score >= 0.40", "r2_score >= current - 0.01"],
    )


def request_ids(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'<tr data-request="(\d+)">', html)]


def test_list_shows_requests_and_filters_them(as_: Uow, browser_of: Callable[[Actor], FlaskClient]) -> None:
    governed(as_)
    governed(as_, "churn")
    first = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion", "better r2")
    second = promotions.create_request(as_(CARL), "churn", 1, "alias:champion")
    promotions.reject(as_(RITA), second.id, "not yet")

    client = browser_of(READER)
    html = client.get("/promotions").get_data(as_text=True)
    assert request_ids(html) == [second.id, first.id]
    row = html[html.index(f'<tr data-request="{first.id}">') :]
    row = row[: row.index("</tr>")]
    assert "alias:champion" in row
    assert "pending" in row
    assert "carl" in row
    assert "better r2" in row
    assert f'href="/promotions/{first.id}"' in row
    assert 'href="/models/fraud"' in row

    assert request_ids(client.get("/promotions?model=fraud").get_data(as_text=True)) == [first.id]
    assert request_ids(client.get("/promotions?status=rejected").get_data(as_text=True)) == [second.id]
    assert request_ids(client.get("/promotions?model=fraud&status=rejected").get_data(as_text=True)) == []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("status=bogus", "Unknown status &#39;bogus&#39;"),
        ("model=a%2Fb", "Names cannot contain"),
        ("page_token=not-a-token", "page token"),
        ("model=" + "x" * 3000, "the limit is"),
        ("model=a%00b", "control character"),
    ],
)
def test_list_names_bad_filters(client: FlaskClient, query: str, fragment: str) -> None:
    r = client.get(f"/promotions?{query}")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert fragment in html
    assert 'data-testid="error"' in html
    assert 'data-testid="promotions-table"' in html  # the page stays usable


def test_list_pages_and_costs_a_fixed_number_of_queries(
    as_: Uow, client: FlaskClient, runtime: Runtime
) -> None:
    models.create_registered_model(as_(CARL), "m")
    versions.create_model_version(as_(CARL), "m", SRC)

    def add(first: int, count: int) -> None:
        # Unprotected targets: each request is applied at once, which is enough for a list.
        for n in range(first, first + count):
            promotions.create_request(as_(CARL), "m", 1, f"alias:a{n}")

    add(0, 3)
    with count_queries(runtime) as few:
        assert client.get("/promotions").status_code == 200
    add(3, 50)
    with count_queries(runtime) as many:
        first = client.get("/promotions")
    assert few.selects == many.selects
    html = first.get_data(as_text=True)
    assert len(request_ids(html)) == 50
    assert "Showing 1\u201350" in html
    link = re.search(r'href="([^"]+)" rel="next"', html)
    assert link
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert request_ids(second) == [3, 2, 1]
    assert "Showing 51\u201353" in second
    assert 'rel="next"' not in second


def test_request_page_shows_the_gate_and_the_decisions(
    as_: Uow, browser_of: Callable[[Actor], FlaskClient]
) -> None:
    governed(as_, scores=(0.5, 0.6, 0.3))
    promotions.create_request(as_(CARL), "fraud", 1, "alias:champion")
    promotions.approve(as_(RITA), 1, "first champion")
    weak = promotions.create_request(as_(CARL), "fraud", 3, "alias:champion", "try the small one")
    promotions.approve(as_(REX), weak.id, "looks <b>fine</b> to me")

    r = browser_of(READER).get(f"/promotions/{weak.id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'data-testid="request-status">pending<' in html
    assert "try the small one" in html
    # The gate: each rule with the values compared and its verdict.
    absolute = html[html.index('<tr data-rule="r2_score &gt;= 0.40"') :]
    absolute = absolute[: absolute.index("</tr>")]
    assert 'data-passed="false"' in absolute
    assert "0.3" in absolute
    assert ">fail<" in absolute
    relative = html[html.index('<tr data-rule="r2_score &gt;= current - 0.01"') :]
    relative = relative[: relative.index("</tr>")]
    assert "0.5" in relative  # the current holder's value
    assert "Current (v1)" in html
    # Where the values were read (version tags here; a run links to its page once runs pages exist).
    assert "Metrics of version 3:\n        version tags podium.metric.*" in html
    # Approvals with their comments (escaped), the tally and why it is not ready.
    assert 'data-reviewer="rex"' in html
    assert "looks &lt;b&gt;fine&lt;/b&gt; to me" in html
    assert "1 of 1" in html
    assert "Not ready" in html
    assert "metric rule r2_score &gt;= 0.40 failed" in html

    applied = browser_of(READER).get("/promotions/1").get_data(as_text=True)
    assert 'data-testid="request-status">applied<' in applied
    assert "first champion" in applied
    assert ">pass<" in applied


@pytest.mark.parametrize("request_id", ["999", "abc", "-1", "99999999999999999999", "2147483648", "a%00"])
def test_unknown_requests_are_an_html_404(client: FlaskClient, request_id: str) -> None:
    r = client.get(f"/promotions/{request_id}")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "not found" in r.get_data(as_text=True)


def test_a_reviewer_approves_and_the_alias_moves(
    as_: Uow, browser_of: Callable[[Actor], FlaskClient]
) -> None:
    governed(as_)
    req = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion")
    client = browser_of(RITA)
    page = client.get(f"/promotions/{req.id}").get_data(as_text=True)
    assert 'data-testid="approve"' in page
    assert 'data-testid="reject"' in page
    assert 'data-testid="cancel"' not in page  # only the requester or an admin cancels

    r = client.post(
        f"/promotions/{req.id}/approve", data={"comment": "ship it", "csrf_token": csrf_token(page)}
    )
    assert r.status_code == 303
    assert r.headers["Location"] == f"/promotions/{req.id}"
    after = client.get(f"/promotions/{req.id}").get_data(as_text=True)
    assert "Approved: version 2 of fraud now holds @champion." in after
    assert 'data-testid="request-status">applied<' in after
    assert "ship it" in after
    assert 'data-testid="approve"' not in after  # closed: nothing left to decide
    assert aliases.get_version_by_alias(as_(READER), "fraud", "champion").version == 2

    # Deciding a closed request again is refused with the reason.
    r = client.post(f"/promotions/{req.id}/approve", data={"csrf_token": csrf_token(after)})
    assert r.status_code == 409
    assert "already applied" in r.get_data(as_text=True)


def test_readers_see_no_buttons_and_are_refused(as_: Uow, browser_of: Callable[[Actor], FlaskClient]) -> None:
    governed(as_)
    req = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion")
    client = browser_of(READER)
    page = client.get(f"/promotions/{req.id}").get_data(as_text=True)
    for button in ("approve", "reject", "cancel"):
        assert f'data-testid="{button}"' not in page
    for action in ("approve", "reject", "cancel"):
        r = post_form(client, "/promotions", f"/promotions/{req.id}/{action}")
        assert r.status_code == 403
        assert "<html" in r.get_data(as_text=True)
    assert "This needs the reviewer role" in post_form(
        client, "/promotions", f"/promotions/{req.id}/approve"
    ).get_data(as_text=True)
    assert promotions.get_request(as_(READER), req.id).status is RequestStatus.PENDING


def test_the_requester_cannot_approve_their_own_request(
    as_: Uow, browser_of: Callable[[Actor], FlaskClient]
) -> None:
    governed(as_)
    # A reviewer may request too; the page hides approve from them and the service refuses it.
    req = promotions.create_request(as_(REX), "fraud", 2, "alias:champion")
    client = browser_of(REX)
    page = client.get(f"/promotions/{req.id}").get_data(as_text=True)
    assert 'data-testid="approve"' not in page
    assert 'data-testid="own-request"' not in page  # rex may still cancel: the form is shown
    assert 'data-testid="cancel"' in page

    r = client.post(f"/promotions/{req.id}/approve", data={"csrf_token": csrf_token(page)})
    assert r.status_code == 403
    html = r.get_data(as_text=True)
    assert "&#39;rex&#39; requested promotion request 1 and cannot approve it" in html
    assert 'data-testid="error"' in html
    assert 'data-testid="gate-table"' in html  # the request page, with the reason on it
    assert promotions.get_request(as_(READER), req.id).status is RequestStatus.PENDING

    # A contributor requester sees a note instead of buttons to decide.
    other = promotions.create_request(as_(CARL), "fraud", 1, "alias:champion")
    own = browser_of(CARL).get(f"/promotions/{other.id}").get_data(as_text=True)
    assert 'data-testid="approve"' not in own
    assert 'data-testid="cancel"' in own


def test_reject_and_cancel(as_: Uow, browser_of: Callable[[Actor], FlaskClient]) -> None:
    governed(as_)
    first = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion")
    second = promotions.create_request(as_(CARL), "fraud", 1, "alias:champion")

    reviewer = browser_of(RITA)
    r = post_form(reviewer, f"/promotions/{first.id}", f"/promotions/{first.id}/reject", comment="too early")
    assert r.status_code == 303
    page = reviewer.get(f"/promotions/{first.id}").get_data(as_text=True)
    assert "Rejected request 1" in page
    assert 'data-testid="request-status">rejected<' in page
    assert "too early" in page

    # Another contributor may not cancel carl's request; carl may.
    r = post_form(browser_of(DORA), "/promotions", f"/promotions/{second.id}/cancel")
    assert r.status_code == 403
    assert "Only its requester (carl) or an admin may cancel" in r.get_data(as_text=True)
    r = post_form(browser_of(CARL), "/promotions", f"/promotions/{second.id}/cancel", comment="wrong one")
    assert r.status_code == 303
    assert promotions.get_request(as_(READER), second.id).status is RequestStatus.CANCELLED


def test_bad_decisions_never_fail_the_server(as_: Uow, browser_of: Callable[[Actor], FlaskClient]) -> None:
    governed(as_)
    req = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion")
    client = browser_of(RITA)
    r = post_form(client, "/promotions", "/promotions/999/approve")
    assert r.status_code == 404
    r = post_form(client, "/promotions", "/promotions/nope/reject")
    assert r.status_code == 404
    r = post_form(client, "/promotions", f"/promotions/{req.id}/approve", comment="x" * 6000)
    assert r.status_code == 400
    assert "comment must be text of at most 5000 characters" in r.get_data(as_text=True)
    assert promotions.get_request(as_(READER), req.id).status is RequestStatus.PENDING


def test_a_decision_without_a_csrf_token_is_refused(
    as_: Uow, browser_of: Callable[[Actor], FlaskClient]
) -> None:
    governed(as_)
    req = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion")
    client = browser_of(RITA)
    r = client.post(f"/promotions/{req.id}/approve", data={"comment": "no token"})
    assert r.status_code == 400
    assert "the CSRF token is missing" in r.get_data(as_text=True)
    assert promotions.get_request(as_(READER), req.id).status is RequestStatus.PENDING


def test_model_page_shows_the_policy_and_the_history(
    as_: Uow, browser_of: Callable[[Actor], FlaskClient]
) -> None:
    governed(as_)
    req = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion", "better")
    promotions.approve(as_(RITA), req.id, "lgtm")
    client = browser_of(READER)
    html = client.get("/models/fraud").get_data(as_text=True)

    policy = html[html.index('data-testid="policy"') :]
    policy = policy[: policy.index("</section>")]
    assert "(this model's own)" in policy
    assert "alias:champion" in policy
    assert 'data-testid="policy-approvals">1<' in policy
    assert "any reviewer" in policy
    assert "r2_score &gt;= current - 0.01" in policy
    assert 'href="/promotions?model=fraud"' in policy
    aliases_card = html[html.index('data-testid="aliases"') :]
    assert 'data-testid="protected-alias"' in aliases_card[: aliases_card.index("</ul>")]

    history = html[html.index('data-testid="history"') :]
    applied = history[history.index('data-action="promotion_request.applied"') :]
    applied = applied[: applied.index("</li>")]
    assert "rita" in applied
    assert "approved by rita" in applied
    assert f'href="/promotions/{req.id}"' in applied
    moved = history[history.index('data-action="model_version_alias.set"') :]
    moved = moved[: moved.index("</li>")]
    assert "@champion" in moved
    assert "<b>2</b>" in moved
    assert "set the policy: protects alias:champion, 1 approval(s)" in history
    # Tag edits are left out of the timeline (they are in the API's history).
    assert "model_version_tag.set" not in history

    models.create_registered_model(as_(CARL), "free")
    free = client.get("/models/free").get_data(as_text=True)
    assert 'data-testid="policy-none"' in free


def test_model_history_pages(as_: Uow, browser_of: Callable[[Actor], FlaskClient]) -> None:
    models.create_registered_model(as_(CARL), "m")
    versions.create_model_version(as_(CARL), "m", SRC)
    for n in range(12):
        versions.transition_stage(as_(CARL), "m", 1, "Staging" if n % 2 == 0 else "Production")
    client = browser_of(READER)
    html = client.get("/models/m").get_data(as_text=True)
    assert html.count('data-testid="history-entry"') == 13  # the version's creation and 12 moves
    for n in range(12):
        aliases.set_alias(as_(CARL), "m", f"a{n}", 1)
    html = client.get("/models/m").get_data(as_text=True)
    assert html.count('data-testid="history-entry"') == 20
    link = re.search(r'href="([^"]+)" data-testid="history-next"', html)
    assert link
    older = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert older.count('data-testid="history-entry"') == 5
    assert 'data-action="model_version.created"' in older
    assert "« Newest" in older

    bad = client.get("/models/m?history_token=junk")
    assert bad.status_code == 400
    assert 'data-testid="error"' in bad.get_data(as_text=True)


def test_a_request_page_costs_a_fixed_number_of_queries(
    as_: Uow, browser_of: Callable[[Actor], FlaskClient], runtime: Runtime
) -> None:
    governed(as_)
    policies.set_policy(
        as_(ADA), "fraud", protected=["alias:champion"], required_approvals=5, rules=["r2_score >= 0.4"]
    )
    req = promotions.create_request(as_(CARL), "fraud", 2, "alias:champion")
    client = browser_of(READER)
    promotions.approve(as_(RITA), req.id, "one")
    with count_queries(runtime) as few:
        assert client.get(f"/promotions/{req.id}").status_code == 200
    for n in range(3):
        promotions.approve(as_(Actor(f"reviewer{n}", Role.REVIEWER)), req.id, f"more {n}")
    with count_queries(runtime) as many:
        html = client.get(f"/promotions/{req.id}").get_data(as_text=True)
    assert "4 of 5" in html
    assert few.selects == many.selects
