"""The models pages over the real services (SQLite and PostgreSQL): what they show, their forms,
their errors, and the number of queries a page costs."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from registry.db.uow import UnitOfWork
from registry.domain.identity import SYSTEM
from registry.runtime import Runtime
from registry.services import aliases, models, versions
from tests.fixtures.ui import count_queries, post_form

SRC = "mlflow-artifacts:/1/models/m-" + "3" * 32 + "/artifacts"
DIGEST = {
    "MLmodel": {"sha256": "3f" * 32, "size": 612},
    "model.pkl": {"sha256": "a9" * 32, "size": 2_400_000},
}


@pytest.fixture
def system(runtime: Runtime) -> Callable[[], UnitOfWork]:
    return lambda: runtime.uow(SYSTEM)


def names_on(html: str) -> list[str]:
    return re.findall(r'<tr data-model="([^"]+)">', html)


def versions_on(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'<tr data-version="(\d+)">', html)]


def test_models_list_shows_aliases_and_latest_versions(
    client: FlaskClient, system: Callable[[], UnitOfWork]
) -> None:
    models.create_registered_model(system(), "fraud", "boosted trees", {"team": "risk"})
    for _ in range(3):
        versions.create_model_version(system(), "fraud", SRC)
    versions.transition_stage(system(), "fraud", 2, "Production")
    aliases.set_alias(system(), "fraud", "champion", 2)
    models.create_registered_model(system(), "empty")

    html = client.get("/models").get_data(as_text=True)
    assert names_on(html) == ["empty", "fraud"]
    row = html[html.index('<tr data-model="fraud">') :]
    row = row[: row.index("</tr>")]
    assert "@champion" in row
    assert "v2" in row
    assert "Production" in row
    assert "boosted trees" in row
    assert "no versions" in html[html.index('<tr data-model="empty">') :]


def test_models_list_searches_sorts_and_pages(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    for n in range(30):
        models.create_registered_model(system(), f"m{n:02d}", tags={"team": "a" if n % 2 else "b"})
    models.create_registered_model(system(), "Fraud Detector")

    assert names_on(client.get("/models?q=fraud").get_data(as_text=True)) == ["Fraud Detector"]
    assert len(names_on(client.get("/models?q=tags.team+%3D+'a'&size=100").get_data(as_text=True))) == 15
    assert names_on(client.get("/models?q=name+IN+('m03','m07')").get_data(as_text=True)) == ["m03", "m07"]

    desc = names_on(client.get("/models?sort=name&dir=desc&size=25").get_data(as_text=True))
    assert desc[:2] == ["m29", "m28"]
    assert len(desc) == 25

    first = client.get("/models?size=25").get_data(as_text=True)
    assert "Showing 1\u201325" in first
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Showing 26\u201331" in second
    assert names_on(second) == [f"m{n:02d}" for n in range(24, 30)]
    assert 'rel="next"' not in second
    assert "« First page" in second


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("q=name+%3D%3D+'x'", "Invalid filter"),
        ("q=bogus+%3D+'x'", "Invalid attribute key"),
        ("q=metrics.acc+%3E+1", "metric keys cannot be used"),
        ("q=%27unclosed", "Invalid filter"),
        ("sort=secret", "Cannot sort by &#39;secret&#39;"),
        ("dir=sideways", "must be asc or desc"),
        ("size=5000", "Page size &#39;5000&#39; must be one of"),
        ("page_token=not-a-token", "page token"),
    ],
)
def test_models_list_names_bad_input(client: FlaskClient, query: str, fragment: str) -> None:
    r = client.get(f"/models?{query}")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert fragment in html
    assert 'data-testid="error"' in html
    assert 'data-testid="models-table"' in html  # the page stays usable


def test_model_page_shows_versions(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    models.create_registered_model(system(), "fraud", "line one\nline two", {"team": "risk"})
    versions.create_model_version(system(), "fraud", SRC, run_id="a" * 32, tags={"env": "prod"})
    versions.create_model_version(
        system(), "fraud", SRC, description="retrained", digest=DIGEST, tags={"owner": "ana"}
    )
    versions.transition_stage(system(), "fraud", 1, "Production")
    aliases.set_alias(system(), "fraud", "champion", 1)

    r = client.get("/models/fraud")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert versions_on(html) == [2, 1]
    assert "line one\nline two" in html
    v1 = html[html.index('<tr data-version="1">') :]
    v1 = v1[: v1.index("</tr>")]
    assert "stage-production" in v1
    assert "@champion" in v1
    assert "a" * 12 in v1
    assert 'tag-key">env<' in v1
    assert SRC in v1
    v2 = html[html.index('<tr data-version="2">') :]
    v2 = v2[: v2.index("</tr>")]
    assert "2 files · 2.4 MB" in v2
    assert "model.pkl" in v2
    assert "a9" * 6 in v2
    assert "retrained" in v2
    # The chart's data for charts.js, and the library served from the package.
    assert 'data-chart="scatter"' in html
    assert '"name": "Production"' in html or '"name":"Production"' in html
    assert "vendor/echarts-6.1.0/echarts.min.js" in html
    # The governance slots: no policy yet, and the history of what was done above.
    assert "PHASE 2" not in html
    assert 'data-testid="policy-none"' in html
    assert 'data-testid="history-entry"' in html

    asc = client.get("/models/fraud?sort=version&dir=asc").get_data(as_text=True)
    assert versions_on(asc) == [1, 2]
    filtered = client.get("/models/fraud?q=tags.env+%3D+'prod'").get_data(as_text=True)
    assert versions_on(filtered) == [1]
    bad = client.get("/models/fraud?q=stage+%3D+'x'")
    assert bad.status_code == 400
    assert "Invalid attribute key" in bad.get_data(as_text=True)


def test_model_page_escapes_what_users_wrote(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    evil = "<script>alert(1)</script>"
    models.create_registered_model(system(), "x<b>y", evil, {"k<i>": evil})
    versions.create_model_version(system(), "x<b>y", SRC, description=evil, tags={"t": evil})
    html = client.get("/models/x%3Cb%3Ey").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # JSON for the chart is escaped for an HTML script block as well.
    listing = client.get("/models").get_data(as_text=True)
    assert "x<b>y" not in listing
    assert "x&lt;b&gt;y" in listing


def test_unknown_model_is_an_html_404(client: FlaskClient) -> None:
    r = client.get("/models/nope")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "Registered Model with name=nope not found" in r.get_data(as_text=True)


def test_forms_change_the_model(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    models.create_registered_model(system(), "m")
    versions.create_model_version(system(), "m", SRC)
    versions.create_model_version(system(), "m", SRC)

    r = post_form(client, "/models/m", "/models/m/aliases", alias="champion", version="2")
    assert r.status_code == 303
    assert r.headers["Location"] == "/models/m"
    assert "@champion now points at version 2." in client.get("/models/m").get_data(as_text=True)
    assert models.get_registered_model(system(), "m").aliases == {"champion": 2}

    r = post_form(client, "/models/m", "/models/m/versions/1/stage", stage="Production")
    assert r.status_code == 303
    r = post_form(
        client, "/models/m", "/models/m/versions/2/stage", stage="Production", archive_existing_versions="on"
    )
    assert r.status_code == 303
    stages = {
        v.version: v.current_stage.value for v in versions.search_model_versions(system(), model="m").items
    }
    assert stages == {1: "Archived", 2: "Production"}

    r = post_form(client, "/models/m", "/models/m/description", description="new words")
    assert r.status_code == 303
    assert models.get_registered_model(system(), "m").description == "new words"

    r = post_form(client, "/models/m", "/models/m/aliases/champion/delete")
    assert r.status_code == 303
    assert models.get_registered_model(system(), "m").aliases == {}


@pytest.mark.parametrize(
    ("action", "fields", "status", "fragment"),
    [
        ("/models/m/aliases", {"alias": "latest", "version": "1"}, 400, "reserved"),
        ("/models/m/aliases", {"alias": "has space", "version": "1"}, 400, "Invalid alias name"),
        ("/models/m/aliases", {"alias": "champion", "version": ""}, 400, "version"),
        ("/models/m/aliases", {"alias": "champion", "version": "abc"}, 400, "version"),
        ("/models/m/aliases", {"alias": "champion", "version": "9"}, 404, "version=9"),
        ("/models/m/versions/1/stage", {"stage": "Bogus"}, 400, "Invalid Model Version stage"),
        ("/models/m/versions/9/stage", {"stage": "Staging"}, 404, "version=9"),
        (
            "/models/m/versions/1/stage",
            {"stage": "None", "archive_existing_versions": "on"},
            400,
            "not an Active stage",
        ),
        ("/models/m/description", {"description": "x" * 70_000}, 400, "description"),
    ],
)
def test_bad_forms_name_the_problem_and_change_nothing(
    client: FlaskClient,
    system: Callable[[], UnitOfWork],
    runtime: Runtime,
    action: str,
    fields: dict[str, str],
    status: int,
    fragment: str,
) -> None:
    models.create_registered_model(system(), "m")
    versions.create_model_version(system(), "m", SRC)
    before = models.get_registered_model(system(), "m")
    r = post_form(client, "/models/m", action, **fields)
    assert r.status_code == status
    html = r.get_data(as_text=True)
    assert fragment in html
    assert 'data-testid="error"' in html
    assert 'data-testid="versions-table"' in html
    # Shown at the form's URL, the page's links and search still lead to the model page.
    assert 'class="search" method="get" action="/models/m"' in html
    assert 'href="/models/m?sort=version&amp;dir=asc"' in html
    assert models.get_registered_model(system(), "m") == before


def test_pages_cost_a_fixed_number_of_queries(
    client: FlaskClient, runtime: Runtime, system: Callable[[], UnitOfWork]
) -> None:
    """The counts documented in registry/ui/pages/models.py, whatever the number of rows."""

    def add(first: int, count: int) -> None:
        for n in range(first, first + count):
            name = f"m{n:03d}"
            models.create_registered_model(system(), name, tags={"n": str(n)})
            versions.create_model_version(system(), name, SRC, tags={"t": "x"})
            versions.create_model_version(system(), "m000", SRC, tags={"t": "y"})
            aliases.set_alias(system(), name, "champion", 1)

    add(0, 3)
    with count_queries(runtime) as few:
        assert client.get("/models").status_code == 200
    with count_queries(runtime) as few_page:
        assert client.get("/models/m000").status_code == 200
    add(3, 40)
    with count_queries(runtime) as many:
        assert client.get("/models?size=50").status_code == 200
    with count_queries(runtime) as many_page:
        assert client.get("/models/m000").status_code == 200
    assert few.selects == many.selects == 6
    # 10 for the model and its versions, 3 for its effective policy, 2 for a page of its history.
    assert few_page.selects == many_page.selects == 15
