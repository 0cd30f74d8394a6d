"""The experiments pages over the real services (SQLite and PostgreSQL): the list, the runs table
(columns from the logged keys, sorting by a metric or param in SQL, filters, pages, the query
count), and the comparison's chart data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from registry.db.uow import UnitOfWork
from registry.domain.identity import SYSTEM
from registry.runtime import Runtime
from registry.services import experiments, runs
from tests.fixtures.ui import count_queries


@pytest.fixture
def system(runtime: Runtime) -> Callable[[], UnitOfWork]:
    return lambda: runtime.uow(SYSTEM)


def run_ids_on(html: str) -> list[str]:
    return re.findall(r'<tr data-run="([0-9a-f]+)">', html)


def add_runs(system: Callable[[], UnitOfWork], experiment_id: str, count: int, first: int = 0) -> list[str]:
    """Runs named r000... with two params, two metrics (one logged over three steps) and a tag."""
    made = []
    for n in range(first, first + count):
        run = runs.create_run(system(), experiment_id, run_name=f"r{n:03d}", start_time=1_000 + n)
        runs.log_batch(
            system(),
            run.info.run_id,
            params=[{"key": "depth", "value": str(n % 4)}, {"key": "kind", "value": "ab"[n % 2]}],
            metrics=[
                {"key": "score", "value": (n * 7) % 10 / 10, "timestamp": 1, "step": 0},
                *(
                    {"key": "loss", "value": 1.0 / (n + step + 1), "timestamp": 1, "step": step}
                    for step in range(3)
                ),
            ],
            tags=[{"key": "team", "value": "risk"}],
        )
        made.append(run.info.run_id)
    return made


def test_experiments_list_searches_and_sorts(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    for name in ("forest-sweep", "boosting", "Forest Large"):
        experiments.create_experiment(system(), name, tags={"team": "risk"})
    html = client.get("/experiments").get_data(as_text=True)
    assert 'data-testid="experiments-table"' in html
    names = re.findall(r'data-experiment="\d+">\s*<td class="name"><a [^>]+>([^<]+)<', html)
    assert names == ["Default", "Forest Large", "boosting", "forest-sweep"]
    found = client.get("/experiments?q=forest").get_data(as_text=True)
    assert "forest-sweep" in found and "Forest Large" in found and "boosting" not in found
    desc = client.get("/experiments?sort=name&dir=desc").get_data(as_text=True)
    assert desc.index("forest-sweep") < desc.index("boosting")


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("q=name+%3D%3D+'x'", "Invalid filter"),
        ("sort=secret", "Cannot sort by &#39;secret&#39;"),
        ("size=7", "Page size &#39;7&#39; must be one of"),
        ("page_token=garbage", "page token"),
    ],
)
def test_experiments_list_names_bad_input(client: FlaskClient, query: str, fragment: str) -> None:
    r = client.get(f"/experiments?{query}")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert fragment in html
    assert 'data-testid="error"' in html
    assert 'data-testid="experiments-table"' in html


def test_runs_table_has_a_column_per_param_and_metric(
    client: FlaskClient, system: Callable[[], UnitOfWork]
) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    add_runs(system, eid, 3)
    r = client.get(f"/experiments/{eid}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for key in ("params.depth", "params.kind", "metrics.loss", "metrics.score"):
        assert f'data-sort="{key}"' in html
    # Newest first by default; the latest loss (step 2) is the value shown.
    assert [
        re.search(r"r00\d", html[html.index(f'data-run="{i}"') :]).group(0) for i in run_ids_on(html)
    ] == [  # type: ignore[union-attr]
        "r002",
        "r001",
        "r000",
    ]
    assert '<td class="metric" data-metric="loss" title="0.3333333333333333">0.333333</td>' in html
    assert 'name="run" value="' in html  # checkboxes of the compare form
    assert f'action="/experiments/{eid}/compare"' in html


def test_runs_table_sorts_by_a_metric_and_a_param_in_sql(
    client: FlaskClient, system: Callable[[], UnitOfWork]
) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    ids = add_runs(system, eid, 10)
    score = {rid: (n * 7) % 10 / 10 for n, rid in enumerate(ids)}
    desc = run_ids_on(client.get(f"/experiments/{eid}?sort=metrics.score&dir=desc").get_data(as_text=True))
    assert [score[i] for i in desc] == sorted(score.values(), reverse=True)
    asc = run_ids_on(client.get(f"/experiments/{eid}?sort=metrics.score&dir=asc").get_data(as_text=True))
    assert asc == list(reversed(desc))
    by_depth = run_ids_on(client.get(f"/experiments/{eid}?sort=params.depth&dir=asc").get_data(as_text=True))
    assert [ids.index(i) % 4 for i in by_depth] == sorted(ids.index(i) % 4 for i in ids)
    # The header of the current sort flips it.
    html = client.get(f"/experiments/{eid}?sort=metrics.score&dir=desc").get_data(as_text=True)
    assert f'href="/experiments/{eid}?sort=metrics.score&amp;dir=asc"' in html


def test_columns_also_come_from_the_runs_shown_and_the_sort(
    client: FlaskClient, system: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys query reads only the newest runs; keys of older runs still get columns when those
    runs are shown, and stay sortable."""
    eid = experiments.create_experiment(system(), "sweep")
    old = runs.create_run(system(), eid, run_name="old", start_time=1)
    runs.log_batch(
        system(), old.info.run_id, metrics=[{"key": "legacy", "value": 5.0, "timestamp": 1, "step": 0}]
    )
    add_runs(system, eid, 3, first=1)
    monkeypatch.setattr(runs, "KEYS_SAMPLE", 2)
    small = client.get(f"/experiments/{eid}?size=25").get_data(as_text=True)
    assert 'data-sort="metrics.legacy"' in small  # the old run is on the page
    html = client.get(f"/experiments/{eid}?sort=metrics.legacy&dir=desc").get_data(as_text=True)
    assert run_ids_on(html)[0] == old.info.run_id
    # A well-formed key nobody logged sorts every run as missing (no error).
    assert client.get(f"/experiments/{eid}?sort=metrics.nope").status_code == 200
    filtered = client.get(f"/experiments/{eid}?q=params.depth+%3D+'1'").get_data(as_text=True)
    assert 'data-sort="metrics.legacy"' not in filtered


def test_runs_table_filters_and_pages(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    add_runs(system, eid, 30)
    page = client.get(f"/experiments/{eid}?q=params.kind+%3D+'a'&size=100").get_data(as_text=True)
    assert len(run_ids_on(page)) == 15
    assert (
        len(run_ids_on(client.get(f"/experiments/{eid}?q=metrics.score+%3E%3D+0.8").get_data(as_text=True)))
        == 6
    )
    # Plain words search run names.
    assert len(run_ids_on(client.get(f"/experiments/{eid}?q=r01").get_data(as_text=True))) == 10

    first = client.get(f"/experiments/{eid}?size=25&sort=metrics.loss&dir=asc").get_data(as_text=True)
    assert len(run_ids_on(first)) == 25
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(run_ids_on(second)) == 5
    assert not set(run_ids_on(first)) & set(run_ids_on(second))
    assert "Showing 26\u201330" in second


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("q=metrics.score+%3E+'x'", "expected a number"),
        ("q=bogus+%3D+'x'", "Invalid"),
        ("q=%27unclosed", "Invalid filter"),
        ("sort=metrics.a%3Cb", "Cannot sort by &#39;metrics.a&lt;b&#39;"),
        ("dir=up", "must be asc or desc"),
        ("size=0", "Page size"),
        ("page_token=not-a-token", "page token"),
    ],
)
def test_runs_table_names_bad_input(
    client: FlaskClient, system: Callable[[], UnitOfWork], query: str, fragment: str
) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    add_runs(system, eid, 2)
    r = client.get(f"/experiments/{eid}?{query}")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert fragment in html
    assert 'data-testid="error"' in html
    assert 'data-testid="runs-table"' in html


@pytest.mark.parametrize(
    "path", ["/experiments/999", "/experiments/abc", "/experiments/999/compare?run=" + "a" * 32]
)
def test_unknown_experiment_is_an_html_404(client: FlaskClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "No Experiment with id=" in r.get_data(as_text=True)


def test_runs_table_costs_a_fixed_number_of_queries(
    client: FlaskClient, runtime: Runtime, system: Callable[[], UnitOfWork]
) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    add_runs(system, eid, 2)
    with count_queries(runtime) as few:
        assert client.get(f"/experiments/{eid}").status_code == 200
    with count_queries(runtime) as few_sorted:
        assert client.get(f"/experiments/{eid}?sort=metrics.score").status_code == 200
    add_runs(system, eid, 60, first=2)
    with count_queries(runtime) as many:
        assert client.get(f"/experiments/{eid}?size=50").status_code == 200
    with count_queries(runtime) as many_sorted:
        assert client.get(f"/experiments/{eid}?sort=metrics.score&size=50").status_code == 200
    ids = ",".join(
        f"run={i}" for i in run_ids_on(client.get(f"/experiments/{eid}?size=25").get_data(as_text=True))
    )
    with count_queries(runtime) as compare_many:
        assert client.get(f"/experiments/{eid}/compare?{ids.replace(',', '&')}").status_code == 200
    two = "&".join(ids.split(",")[:2])
    with count_queries(runtime) as compare_few:
        assert client.get(f"/experiments/{eid}/compare?{two}").status_code == 200
    assert few.selects == few_sorted.selects == many.selects == many_sorted.selects == 10
    assert compare_few.selects == compare_many.selects == 8
    with count_queries(runtime) as listing:
        assert client.get("/experiments").status_code == 200
    assert listing.selects == 2


def chart(html: str, name: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>', html, re.S)
    assert found, f"no {name} chart data"
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_compare_builds_the_three_charts(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    ids = add_runs(system, eid, 4)
    query = "&".join(f"run={i}" for i in ids[:3])
    r = client.get(f"/experiments/{eid}/compare?{query}&metric=loss&param=depth")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for kind in ("scatter", "parallel", "lines"):
        assert f'data-testid="compare-{kind}"' in html
    scatter = chart(html, "scatter")
    assert scatter["x"] == {"label": "depth", "type": "value"}
    points = scatter["series"][0]["points"]  # type: ignore[index]
    assert [(p["x"], p["label"]) for p in points] == [(0.0, "r000"), (1.0, "r001"), (2.0, "r002")]
    assert points[0]["href"] == f"/runs/{ids[0]}"
    parallel = chart(html, "parallel")
    assert parallel["dimensions"] == [
        {"name": "depth", "type": "value"},
        {"name": "kind", "type": "category", "values": ["a", "b"]},
        {"name": "loss", "type": "value"},
    ]
    assert parallel["color_by"] == 2
    assert parallel["rows"][0]["values"] == [0.0, "a", pytest.approx(1 / 3)]  # type: ignore[index]
    lines = chart(html, "lines")
    assert [s["name"] for s in lines["series"]] == ["r000", "r001", "r002"]  # type: ignore[index]
    assert lines["series"][0]["points"] == [[0, 1.0], [1, 0.5], [2, pytest.approx(1 / 3)]]  # type: ignore[index]
    # A string param is a category axis of the scatter.
    html = client.get(f"/experiments/{eid}/compare?{query}&metric=score&param=kind").get_data(as_text=True)
    assert chart(html, "scatter")["x"] == {"label": "kind", "type": "category"}


@pytest.mark.parametrize(
    ("query", "status", "fragment"),
    [
        ("", 400, "Select runs to compare"),
        ("run=../etc", 400, "is not a run id"),
        ("run=x%27%29+OR+1%3D1", 400, "is not a run id"),
        ("run=" + "f" * 32, 404, "No run " + "f" * 32),
        ("run={a}&metric=nope", 400, "no metric &#39;nope&#39;"),
        ("run={a}&param=nope", 400, "no param &#39;nope&#39;"),
    ],
)
def test_compare_names_bad_input(
    client: FlaskClient, system: Callable[[], UnitOfWork], query: str, status: int, fragment: str
) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    ids = add_runs(system, eid, 2)
    r = client.get(f"/experiments/{eid}/compare?{query.format(a=ids[0])}")
    assert r.status_code == status
    assert r.mimetype == "text/html"
    assert fragment in r.get_data(as_text=True)


def test_compare_of_runs_without_metrics_or_params(
    client: FlaskClient, system: Callable[[], UnitOfWork]
) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    bare = runs.create_run(system(), eid, run_name="bare")
    page = client.get(f"/experiments/{eid}/compare?run={bare.info.run_id}")
    assert page.status_code == 200
    assert "logged no metrics to chart" in page.get_data(as_text=True)
    r = client.get(f"/experiments/{eid}/compare?run={bare.info.run_id}&metric=x&param=y")
    assert r.status_code == 400
    assert "no param &#39;y&#39;" in r.get_data(as_text=True)


def test_compare_refuses_too_many_runs(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    query = "&".join(f"run={n:032x}" for n in range(51))
    r = client.get(f"/experiments/{eid}/compare?{query}")
    assert r.status_code == 400
    assert "Compare at most 50 runs" in r.get_data(as_text=True)


def test_runs_from_another_experiment_are_not_compared(
    client: FlaskClient, system: Callable[[], UnitOfWork]
) -> None:
    one = experiments.create_experiment(system(), "one")
    two = experiments.create_experiment(system(), "two")
    (other,) = add_runs(system, two, 1)
    r = client.get(f"/experiments/{one}/compare?run={other}")
    assert r.status_code == 404


def test_pages_escape_what_runs_logged(client: FlaskClient, system: Callable[[], UnitOfWork]) -> None:
    evil = "<script>alert(1)</script>"
    eid = experiments.create_experiment(system(), "x<b>y")
    run = runs.create_run(system(), eid, run_name=evil)
    runs.log_batch(
        system(),
        run.info.run_id,
        params=[{"key": "p i", "value": evil}],
        metrics=[{"key": "m/x:y", "value": 1.0, "timestamp": 1, "step": 0}],
    )
    for path in (f"/experiments/{eid}", f"/experiments/{eid}/compare?run={run.info.run_id}", "/experiments"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "</script></script>" not in html
        assert "x<b>y" not in html
    # Keys with spaces, slashes and colons sort too (quoted in the order_by clause).
    for key in ("params.p i", "metrics.m/x:y"):
        r = client.get(f"/experiments/{eid}", query_string={"sort": key})
        assert r.status_code == 200
        assert run_ids_on(r.get_data(as_text=True)) == [run.info.run_id]


@pytest.mark.parametrize(
    "path",
    [
        "/experiments/{e}?sort=metrics.",
        "/experiments/{e}?sort=params.%00",
        "/experiments/{e}?q=%00",
        "/experiments/{e}?q=metrics.score+%3E+1e999",
        "/experiments/{e}?start=-5&size=25",
        "/experiments/99999999999999999999999",
        "/experiments/-1",
        "/experiments/{e}/compare?run={r}&metric=%00&param=%00",
        "/experiments/{e}/compare?run={r}&run={r}",
        "/experiments?q=name+%3D+'%00'",
    ],
)
def test_odd_input_never_gives_a_500(
    client: FlaskClient, system: Callable[[], UnitOfWork], path: str
) -> None:
    eid = experiments.create_experiment(system(), "sweep")
    (rid,) = add_runs(system, eid, 1)
    r = client.get(path.format(e=eid, r=rid))
    assert r.status_code in (200, 400, 404), r.get_data(as_text=True)[:500]
    assert r.mimetype == "text/html"
