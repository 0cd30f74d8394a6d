"""The web UI: server-rendered pages at `/` (Jinja2), a little JavaScript, and vendored charts.

`install(app, runtime, router)` is called once by create_app. It configures the session cookie and
CSRF (session.py), registers the `ui` blueprint with its pages, templates and static files, and
renders errors on the UI's URL prefixes as HTML pages (errors.py). Who a browser is comes from
`session.identity`, which create_app passes to the auth hook as an identity source.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.wrappers import Response

from registry.api.auth import PUBLIC, declare
from registry.api.errors import ErrorRouter
from registry.runtime import Runtime
from registry.ui import errors, headers, layout, session
from registry.ui.pages import experiments, home, models, promotions, runs, signin, webhooks

# URL prefixes whose errors are HTML pages. Phase 2's pages live under these already.
PREFIXES = (
    "/signin",
    "/signout",
    "/models",
    "/experiments",
    "/runs",
    "/promotions",
    "/webhooks",
    "/ui/",
)

# Pages are nested blueprints, so their endpoints read `ui.models.index`, `ui.signin.form`...
ui = Blueprint(
    session.BLUEPRINT,
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui/static",
)
for page in (home, signin, models, experiments, runs, promotions, webhooks):
    ui.register_blueprint(page.blp)


@ui.before_request
def check_csrf() -> None:
    session.protect()


@ui.after_request
def security_headers(response: Response) -> Response:
    return headers.secure(response)


def install(app: Flask, runtime: Runtime, router: ErrorRouter) -> None:
    """Serve the UI from `app` (one call from create_app)."""
    session.configure(app, runtime.settings)
    for prefix in PREFIXES:
        router.register(prefix, errors.render)
    app.register_blueprint(ui)
    # Stylesheets, scripts and the charting library: the sign-in page needs them before sign-in,
    # and they hold nothing about the registry.
    declare(app, "ui.static", PUBLIC)
    app.context_processor(layout.layout)
    app.jinja_env.filters.update(layout.FILTERS)
