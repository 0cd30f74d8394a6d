"""The run page over the real services (SQLite and PostgreSQL): what it shows, the artifact browser
and previews, how artifact files are served (images inline with nosniff, everything else as a
download, HTML never inline), refused paths, and the query count."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from registry.db.uow import UnitOfWork
from registry.domain.identity import SYSTEM
from registry.domain.tracking import Run, run_artifact_path
from registry.runtime import Runtime
from registry.services import experiments, logged_models, models, runs, versions
from tests.fixtures.ui import count_queries

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def system(runtime: Runtime) -> Callable[[], UnitOfWork]:
    return lambda: runtime.uow(SYSTEM)


@pytest.fixture
def logged(runtime: Runtime, system: Callable[[], UnitOfWork]) -> Run:
    """A run with params, metrics, tags and files: a plot, a log, an HTML report, an SVG and a
    model folder."""
    eid = experiments.create_experiment(system(), "sweep")
    run = runs.create_run(system(), eid, run_name="rf-20-deep", tags={"team": "risk"})
    runs.log_batch(
        system(),
        run.info.run_id,
        params=[{"key": "n_estimators", "value": "20"}],
        metrics=[{"key": "r2_score", "value": 0.42, "timestamp": 1, "step": 3}],
    )
    base = run_artifact_path(eid, run.info.run_id)
    files = {
        "scatter_plot.png": PNG,
        "train.log": b"epoch 1 <b>loss</b>\n" * 10,
        "big.txt": b"x" * 200_000,
        "report.html": HTML,
        "chart.svg": SVG,
        "model/MLmodel": b"flavors:\n  sklearn: {}\n",
        "model/model.skops": b"\x00\x01binary",
    }
    for path, data in files.items():
        runtime.store.put(f"{base}/{path}", io.BytesIO(data))
    return runs.get_run(system(), run.info.run_id)


def test_run_page_shows_params_metrics_tags_and_artifacts(client: FlaskClient, logged: Run) -> None:
    r = client.get(f"/runs/{logged.info.run_id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "rf-20-deep" in html
    assert "<dt>n_estimators</dt><dd>20</dd>" in html
    assert "r2_score" in html and "0.42" in html
    assert "<dt>team</dt><dd>risk</dd>" in html
    for name in ("scatter_plot.png", "train.log", "report.html", "model/"):
        assert name in html
    assert 'data-path="model"' in html
    # Each metric links to its history (the comparison page, with this run alone).
    history = f"/experiments/{logged.info.experiment_id}/compare?run={logged.info.run_id}&amp;metric=r2_score"
    assert history in html
    assert client.get(history.replace("&amp;", "&")).status_code == 200
    # The breadcrumb leads back to the experiment's runs.
    assert f'href="/experiments/{logged.info.experiment_id}"' in html


def test_artifact_browser_opens_folders_and_previews(client: FlaskClient, logged: Run) -> None:
    rid = logged.info.run_id
    folder = client.get(f"/runs/{rid}?path=model").get_data(as_text=True)
    assert 'data-path="model/MLmodel"' in folder
    assert "scatter_plot.png" not in folder

    text = client.get(f"/runs/{rid}?path=model/MLmodel").get_data(as_text=True)
    assert 'data-kind="text"' in text
    assert "flavors:" in text

    log = client.get(f"/runs/{rid}?path=train.log").get_data(as_text=True)
    assert "epoch 1 &lt;b&gt;loss&lt;/b&gt;" in log  # escaped, never markup

    big = client.get(f"/runs/{rid}?path=big.txt").get_data(as_text=True)
    assert "Only the beginning of the file is shown" in big
    assert "x" * 65_536 in big and "x" * 65_537 not in big

    image = client.get(f"/runs/{rid}?path=scatter_plot.png").get_data(as_text=True)
    assert 'data-kind="image"' in image
    assert f'src="/runs/{rid}/artifact?path=scatter_plot.png"' in image

    for unsafe in ("report.html", "chart.svg", "model/model.skops"):
        page = client.get(f"/runs/{rid}?path={unsafe}").get_data(as_text=True)
        assert 'data-kind="download"' in page
        assert "<script>alert" not in page


def test_images_are_served_inline_with_nosniff(client: FlaskClient, logged: Run) -> None:
    r = client.get(f"/runs/{logged.info.run_id}/artifact?path=scatter_plot.png")
    assert r.status_code == 200
    assert r.mimetype == "image/png"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("inline")
    assert r.data == PNG
    download = client.get(f"/runs/{logged.info.run_id}/artifact?path=scatter_plot.png&download=1")
    assert download.headers["Content-Disposition"] == "attachment; filename=scatter_plot.png"


@pytest.mark.parametrize("name", ["report.html", "chart.svg", "train.log", "model/model.skops"])
def test_other_files_are_only_downloads(client: FlaskClient, logged: Run, name: str) -> None:
    r = client.get(f"/runs/{logged.info.run_id}/artifact?path={name}")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # Even if a browser rendered it, it would run in a sandbox with no script.
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert "script-src" not in r.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "../../../etc/passwd",
        "..",
        "model/../../other",
        "/etc/passwd",
        "%2e%2e/x",
        "model//MLmodel",
        "a\\..\\b",
        "C:/windows",
        "model/./MLmodel",
        "a\x00b",
        "x" * 2000,
        "%252e%252e/x",
    ],
)
def test_artifact_traversal_is_refused(client: FlaskClient, logged: Run, path: str) -> None:
    for url in (f"/runs/{logged.info.run_id}", f"/runs/{logged.info.run_id}/artifact"):
        r = client.get(url, query_string={"path": path})
        assert r.status_code == 400, url
        assert r.mimetype == "text/html"
        assert "Invalid artifact path" in r.get_data(as_text=True)


def test_missing_artifacts_and_runs_are_404_pages(client: FlaskClient, logged: Run) -> None:
    rid = logged.info.run_id
    for url in (
        f"/runs/{rid}?path=nope.png",
        f"/runs/{rid}/artifact?path=nope.png",
        f"/runs/{rid}/artifact?path=model",  # a folder is not a file
        "/runs/" + "f" * 32,
        "/runs/not%20an%20id",
        "/runs/" + "f" * 32 + "/artifact?path=a.png",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.mimetype == "text/html"
    assert client.get(f"/runs/{rid}/artifact").status_code == 400  # no path at all


def test_run_page_links_the_models_made_from_it(
    client: FlaskClient, system: Callable[[], UnitOfWork], logged: Run
) -> None:
    rid = logged.info.run_id
    made = logged_models.create_logged_model(
        system(), logged.info.experiment_id, name="random_forest_model", source_run_id=rid
    )
    models.create_registered_model(system(), "forest")
    versions.create_model_version(system(), "forest", made.artifact_uri, run_id=rid, model_id=made.model_id)
    html = client.get(f"/runs/{rid}").get_data(as_text=True)
    assert "random_forest_model" in html
    assert made.model_id in html
    assert '<a href="/models/forest">forest</a> <b>version 1</b>' in html
    # The model page now links its run ids to this page.
    assert f'href="/runs/{rid}"' in client.get("/models/forest").get_data(as_text=True)


def test_run_page_costs_a_fixed_number_of_queries(
    client: FlaskClient, runtime: Runtime, system: Callable[[], UnitOfWork], logged: Run
) -> None:
    rid = logged.info.run_id

    def make_models(first: int, count: int) -> None:
        for n in range(first, first + count):
            made = logged_models.create_logged_model(system(), logged.info.experiment_id, source_run_id=rid)
            models.create_registered_model(system(), f"m{n}")
            versions.create_model_version(system(), f"m{n}", made.artifact_uri, run_id=rid)

    # (Empty lists skip their batched follow-up queries, so both counts have a model and a version.)
    make_models(0, 1)
    with count_queries(runtime) as bare:
        assert client.get(f"/runs/{rid}").status_code == 200
    make_models(1, 5)
    runs.log_batch(
        system(),
        rid,
        params=[{"key": f"p{n}", "value": "1"} for n in range(30)],
        metrics=[{"key": f"m{n}", "value": 1.0, "timestamp": 1, "step": 0} for n in range(30)],
    )
    with count_queries(runtime) as full:
        assert client.get(f"/runs/{rid}").status_code == 200
    assert bare.selects == full.selects == 15
    with count_queries(runtime) as previewed:
        assert client.get(f"/runs/{rid}?path=train.log").status_code == 200
    assert previewed.selects == full.selects + 2  # the path's kind, then the file to preview
