"""Errors on the UI's routes are HTML pages that say what went wrong, never a stack trace; the
APIs keep their JSON errors."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.services import models
from registry.ui import errors
from registry.ui.pages import models as model_pages


def test_not_found_and_method_not_allowed_are_pages(client: FlaskClient) -> None:
    for path in ("/models/a/b/c", "/experiments/1/nope", "/promotions/1", "/ui/static/nope.js"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.mimetype == "text/html", path
        assert "Not found" in r.get_data(as_text=True)
    r = client.get("/models/m/aliases")
    assert r.status_code == 405
    assert r.mimetype == "text/html"
    assert "POST" in r.headers["Allow"]
    assert "Method not allowed" in r.get_data(as_text=True)


def test_apis_keep_their_own_error_format(client: FlaskClient) -> None:
    r = client.get("/api/v1/models/nope")
    assert r.status_code == 404
    assert r.json is not None
    assert r.json["code"] == "RESOURCE_DOES_NOT_EXIST"
    r = client.get("/api/v1/nothing-here")
    assert r.json is not None


def test_an_unexpected_failure_shows_no_stack_trace(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals: /srv/podium/db password=hunter2")

    monkeypatch.setattr(models, "search_registered_models", explode)
    assert model_pages.models.search_registered_models is explode
    r = client.get("/models")
    assert r.status_code == 500
    html = r.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "The error has been logged." in html
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret internals"):
        assert leak not in html
    assert "secret internals" in caplog.text  # logged for the operator, with its traceback


def test_a_broken_error_page_still_answers(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(errors, "render_template", broken)
    r = client.get("/models/nope-<b>")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "<h1>404</h1>" in html
    assert "nope-&lt;b&gt;" in html
    assert "template exploded" not in html
