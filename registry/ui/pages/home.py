"""`/`: the front door, which only points at the first page of the navigation."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from werkzeug.wrappers import Response

from registry.api.auth import PUBLIC, requires
from registry.ui.layout import home_endpoint

blp = Blueprint("home", __name__)


@blp.get("/")
@requires(PUBLIC)  # it shows nothing; the page it leads to asks for a sign-in when auth is on
def index() -> Response:
    return redirect(url_for(home_endpoint()))
