"""Experiments: the list, an experiment's runs table, and the comparison of selected runs.

Queries per page (fixed, whatever the number of runs; asserted by
tests/integration/test_ui_experiments.py):
- the experiments list: 2 (experiments, their tags);
- the runs table: 10 (the experiment and its tags: 2; the experiment again and the distinct param
  and metric keys of its newest runs, for the columns: 3; one search_runs call for the page of runs with
  their params, tags, latest metrics and outputs: 5), sorted by a metric or not;
- the comparison: 8 (the experiment: 2; the selected runs in one search: 5; the chosen metric's
  history of every selected run in one query: 1).
With auth on, a signed-in browser adds 1 (its token, re-checked on every request).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from flask import Blueprint, render_template, request, url_for

from registry.api.auth import requires
from registry.api.context import uow
from registry.domain.errors import InvalidParameter, NotFound
from registry.domain.identity import Role
from registry.domain.tracking import Experiment, Metric, Run, is_run_id, validate_key
from registry.services import experiments, runs
from registry.ui.listing import ListingPage, Sort, search_listing

blp = Blueprint("experiments", __name__)

Rendered = tuple[str, int]

EXPERIMENT_SORTS = (
    Sort("name", "name", "Name"),
    Sort("created", "creation_time", "Created", descending_first=True),
    Sort("updated", "last_update_time", "Last updated", descending_first=True),
)
# The runs table's fixed columns; a column per param and per metric is added from the keys the
# experiment's runs logged (see run_sorts).
RUN_SORTS = (
    Sort("started", "attributes.start_time", "Started", descending_first=True),
    Sort("name", "attributes.run_name", "Run", descending_first=False),
    Sort("status", "attributes.status", "Status", descending_first=False),
)
LIST_PAGE = ListingPage("ui.experiments.index")
# At most this many param columns and this many metric columns: a sweep that logs thousands of
# distinct keys must not make every page of the table wide and slow (the keys query is bounded too).
COLUMN_LIMIT = 40
# The comparison reads every selected run's history in one query; a bound on the selection keeps
# that query and the charts readable.
MAX_COMPARED = 50
# Parallel coordinates get unreadable past a dozen axes; the params kept are the first by name.
MAX_PARALLEL_PARAMS = 12
# The scatter's points: the UI's primary colour (podium.css --primary), as links are.
SCATTER_COLOUR = "#2f5bea"


@blp.get("/experiments")
@requires(Role.READER)
def index() -> Rendered:
    """Every active experiment; searchable by name or filter, sortable, paged in the database."""
    found = search_listing(
        LIST_PAGE,
        EXPERIMENT_SORTS,
        "name",
        lambda listing: experiments.search_experiments(
            uow(),
            filter_string=listing.filter(plain_key="name"),
            order_by=listing.order_by,
            max_results=listing.size,
            page_token=listing.page_token,
        ),
    )
    return render_template(
        "experiments/list.html",
        experiments=found.page.items,
        listing=found.listing,
        next_url=found.next_url,
        error=found.error,
    ), found.status


# -- the runs table ----------------------------------------------------------------------------


def quoted(key: str) -> str:
    """A key as the filter grammar's quoted name (backquotes, or double quotes if it has one)."""
    return f'"{key}"' if "`" in key else f"`{key}`"


def run_sorts(params: list[str], metrics: list[str]) -> tuple[Sort, ...]:
    """The fixed columns plus one sortable column per param and metric key. Sorting by them
    happens in SQL (search_runs' order_by), so a page of 10,000 runs sorts as fast as one of 10."""
    return (
        *RUN_SORTS,
        *(Sort(f"params.{k}", f"params.{quoted(k)}", k) for k in params),
        # Metrics sort best first for scores; one more click flips the direction (losses).
        *(Sort(f"metrics.{k}", f"metrics.{quoted(k)}", k, descending_first=True) for k in metrics),
    )


def requested_key(kind: str) -> list[str]:
    """The key of `?sort=<kind>.<key>` if it is a well-formed key: the column stays sortable when
    only runs older than the keys sample logged it (an unknown key sorts every run as missing).
    A malformed one is left for Listing to refuse with a 400 naming it."""
    sort = request.args.get("sort") or ""
    prefix = f"{kind}."
    if not sort.startswith(prefix):
        return []
    try:
        return [validate_key(sort[len(prefix) :], kind.capitalize())]
    except InvalidParameter:
        return []


def columns(sampled: list[str], on_page: set[str], requested: list[str]) -> list[str]:
    """A kind's columns: the sampled keys, the keys of the runs shown and the sorted-by key,
    by name, at most COLUMN_LIMIT (the sorted-by key always kept)."""
    keys = sorted(set(sampled) | on_page | set(requested))
    if len(keys) <= COLUMN_LIMIT:
        return keys
    kept = keys[:COLUMN_LIMIT]
    return sorted(set(kept[: COLUMN_LIMIT - len(requested)]) | set(requested))


def metric_text(value: float) -> str:
    """A metric for a table cell: six significant digits (the exact value is in the title)."""
    if math.isnan(value):
        return "NaN"
    return f"{value:.6g}"


def run_row(run: Run) -> dict[str, Any]:
    return {
        "run": run,
        "metrics": {m.key: metric_text(m.value) for m in run.metrics},
        "raw": {m.key: repr(m.value) for m in run.metrics},
        "duration": (run.info.end_time - run.info.start_time) if run.info.end_time else None,
    }


# The endpoint is ui.experiments.runs (the view is not named `runs`: that is the service module).
@blp.get("/experiments/<experiment_id>", endpoint="runs")
@requires(Role.READER)
def runs_table(experiment_id: str) -> Rendered:
    """An experiment's runs: params and latest metrics as columns, sorted, filtered and paged by
    the database, with checkboxes to pick runs for the comparison."""
    experiment = experiment_of(experiment_id)
    keys = runs.run_keys(uow(), experiment.experiment_id, limit=COLUMN_LIMIT, sample=runs.KEYS_SAMPLE)
    wanted_params, wanted_metrics = requested_key("params"), requested_key("metrics")
    sorts = run_sorts(sorted({*keys.params, *wanted_params}), sorted({*keys.metrics, *wanted_metrics}))
    page_of = ListingPage("ui.experiments.runs", (("experiment_id", experiment.experiment_id),))
    found = search_listing(
        page_of,
        sorts,
        "started",
        lambda listing: runs.search_runs(
            uow(),
            [experiment.experiment_id],
            filter_string=listing.filter(plain_key="attributes.run_name"),
            order_by=listing.order_by,
            max_results=listing.size,
            page_token=listing.page_token,
        ),
        default_descending=True,
    )
    page = found.page
    # Columns: what the newest runs logged, plus whatever the runs on this page logged (older
    # runs may have used other keys), so no value shown is without its column.
    params = columns(keys.params, {k for r in page.items for k in r.params}, wanted_params)
    metrics = columns(keys.metrics, {m.key for r in page.items for m in r.metrics}, wanted_metrics)
    listing = replace(found.listing, sorts=run_sorts(params, metrics))
    return render_template(
        "experiments/runs.html",
        experiment=experiment,
        params=params,
        metrics=metrics,
        truncated=keys.truncated,
        rows=[run_row(r) for r in page.items],
        listing=listing,
        next_url=listing.next_url(page.next_page_token, len(page.items)),
        error=found.error,
    ), found.status


def experiment_of(experiment_id: str) -> Experiment:
    """The experiment a page is about; an unknown or malformed id is the 404 page."""
    return experiments.get_experiment(uow(), experiment_id)


# -- comparing runs ----------------------------------------------------------------------------


def finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity (the chart data would not parse): those become gaps."""
    return value if value is not None and math.isfinite(value) else None


def as_number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return finite(float(text))
    except ValueError:
        return None


def is_numeric(values: list[str]) -> bool:
    """A param is a numeric axis when every value it has parses as a finite number."""
    return bool(values) and all(as_number(v) is not None for v in values)


def latest(run: Run, metric: str) -> float | None:
    return next((finite(m.value) for m in run.metrics if m.key == metric), None)


def run_label(run: Run) -> str:
    return run.info.run_name or run.info.run_id[:12]


def scatter_chart(selected: list[Run], metric: str, param: str) -> dict[str, Any]:
    """charts.js `scatter`: the metric against the param, one point per run (click opens it)."""
    values = [r.params[param] for r in selected if param in r.params]
    numeric = is_numeric(values)
    points = []
    for r in selected:
        y = latest(r, metric)
        raw = r.params.get(param)
        if y is None or raw is None:
            continue
        points.append(
            {
                "x": as_number(raw) if numeric else raw,
                "y": y,
                "label": run_label(r),
                "href": url_for("ui.runs.run", run_id=r.info.run_id),
            }
        )
    return {
        "x": {"label": param, "type": "value" if numeric else "category"},
        "y": {"label": metric, "type": "value"},
        "series": [{"name": metric, "color": SCATTER_COLOUR, "points": points}] if points else [],
    }


def parallel_chart(selected: list[Run], params: list[str], metric: str) -> dict[str, Any]:
    """charts.js `parallel`: one axis per param then the metric, a line per run, coloured by
    the metric. String params are category axes listing their values; a missing value is null."""
    dimensions: list[dict[str, Any]] = []
    numeric: dict[str, bool] = {}
    for p in params:
        values = sorted({r.params[p] for r in selected if p in r.params})
        numeric[p] = is_numeric(values)
        if numeric[p]:
            dimensions.append({"name": p, "type": "value"})
        else:
            dimensions.append({"name": p, "type": "category", "values": values})
    dimensions.append({"name": metric, "type": "value"})
    rows = []
    for r in selected:
        cells: list[Any] = []
        for p in params:
            raw = r.params.get(p)
            cells.append(as_number(raw) if numeric[p] else raw)
        cells.append(latest(r, metric))
        rows.append(
            {"name": run_label(r), "values": cells, "href": url_for("ui.runs.run", run_id=r.info.run_id)}
        )
    return {"dimensions": dimensions, "rows": rows, "color_by": len(dimensions) - 1}


def lines_chart(selected: list[Run], metric: str, histories: dict[str, list[Metric]]) -> dict[str, Any]:
    """charts.js `lines`: the metric by step, one line per selected run."""
    series = []
    for r in selected:
        points = [[m.step, finite(m.value)] for m in histories.get(r.info.run_id, [])]
        if points:
            series.append({"name": run_label(r), "points": points})
    return {"x": {"label": "step", "integer": True}, "y": {"label": metric}, "series": series}


def selected_ids() -> list[str]:
    """The runs ticked in the table (`?run=<id>&run=<id>`), checked before any query uses them."""
    wanted: list[str] = []
    for value in request.args.getlist("run"):
        if not is_run_id(value):
            raise InvalidParameter(f"{value[:80]!r} is not a run id.", field="run")
        if value not in wanted:
            wanted.append(value)
    if len(wanted) > MAX_COMPARED:
        raise InvalidParameter(
            f"Compare at most {MAX_COMPARED} runs at a time ({len(wanted)} were selected).", field="run"
        )
    return wanted


@blp.get("/experiments/<experiment_id>/compare")
@requires(Role.READER)
def compare(experiment_id: str) -> Rendered:
    """Selected runs side by side: a scatter of a metric against a param, parallel coordinates
    from every param to the metric, and the metric's history per run."""
    experiment = experiment_of(experiment_id)
    error = None
    status = 200
    selected: list[Run] = []
    try:
        wanted = selected_ids()
        if not wanted:
            raise InvalidParameter("Select runs to compare: tick them in the runs table.", field="run")
    except InvalidParameter as exc:
        wanted, error, status = [], exc.message, 400
    if wanted:
        # One search for every selected run (the ids are checked, so quoting them is safe).
        found = runs.search_runs(
            uow(),
            [experiment.experiment_id],
            filter_string="run_id IN (" + ", ".join(f"'{i}'" for i in wanted) + ")",
            max_results=len(wanted),
        ).items
        by_id = {r.info.run_id: r for r in found}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise NotFound(f"No run {missing[0]} in experiment {experiment.name!r}.")
        selected = [by_id[i] for i in wanted]

    metric_keys = sorted({m.key for r in selected for m in r.metrics})
    param_keys = sorted({k for r in selected for k in r.params})
    metric = request.args.get("metric") or (metric_keys[0] if metric_keys else "")
    param = request.args.get("param") or (param_keys[0] if param_keys else "")
    # A metric or param the runs do not have is named in a banner; the charts fall back to the
    # first key (or to none when the runs logged no such keys at all).
    if selected and metric and metric not in metric_keys:
        error, status = f"The selected runs have no metric {metric[:250]!r}.", 400
        metric = metric_keys[0] if metric_keys else ""
    if selected and param and param not in param_keys:
        error, status = f"The selected runs have no param {param[:250]!r}.", 400
        param = param_keys[0] if param_keys else ""

    histories = runs.metric_histories(uow(), wanted, metric) if selected and metric else {}
    charts: dict[str, Any] = {}
    if selected and metric:
        charts["parallel"] = parallel_chart(selected, param_keys[:MAX_PARALLEL_PARAMS], metric)
        charts["lines"] = lines_chart(selected, metric, histories)
        if param:
            charts["scatter"] = scatter_chart(selected, metric, param)
    return render_template(
        "experiments/compare.html",
        experiment=experiment,
        runs=selected,
        metric=metric,
        param=param,
        metric_keys=metric_keys,
        param_keys=param_keys,
        params_shown=param_keys[:MAX_PARALLEL_PARAMS],
        charts=charts,
        rows=[run_row(r) for r in selected],
        error=error,
    ), status
