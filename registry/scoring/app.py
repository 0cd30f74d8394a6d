"""The scoring server's WSGI app: `POST /invocations`, `GET /ping`, `/health`, `/version`.

Plain werkzeug rather than Flask: one route does the work and every microsecond of a single-row
request counts. The model is read from a `ModelSlot` once per request, so when `--follow` swaps in
a new version, requests already running finish on the one they started with.

Errors are JSON in MLflow's scoring-server shape, `{"error_code": ..., "message": ...}`: 400 for
input the model cannot take (the message names the problem), 404/405/413/415 for the HTTP ones,
and 500 with a generic message for anything unexpected (logged here, never sent to the client).
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from registry.domain.errors import InvalidParameter
from registry.scoring import payloads
from registry.scoring.loading import LoadedModel

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

#: Largest request body accepted (bytes); batch scoring belongs to `podium predict`.
MAX_BODY = 64 * 1024 * 1024
JSON_TYPE = "application/json"


class ModelSlot:
    """The model being served. Swapping is one reference assignment, atomic for readers."""

    def __init__(self, model: LoadedModel) -> None:
        self._model = model
        self._swap_lock = threading.Lock()

    @property
    def current(self) -> LoadedModel:
        return self._model

    def swap(self, model: LoadedModel) -> LoadedModel:
        with self._swap_lock:
            previous, self._model = self._model, model
        return previous


def predictions_json(result: Any) -> Any:
    """Model output as JSON values: arrays and series as lists, tables as records (as MLflow)."""
    if isinstance(result, np.ndarray):
        return result.tolist()
    if isinstance(result, pd.DataFrame):
        return json.loads(result.to_json(orient="records"))
    if isinstance(result, pd.Series):
        return result.tolist()
    if isinstance(result, list | tuple):
        return [x.item() if isinstance(x, np.generic) else x for x in result]
    if isinstance(result, np.generic):
        return [result.item()]
    return result


def _json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype=JSON_TYPE)


def error_response(status: int, code: str, message: str) -> Response:
    return _json_response({"error_code": code, "message": message}, status)


#: What scikit-learn says when a model fitted on a DataFrame gets an array. The scoring app passes
#: arrays only in the model's own column order (`LoadedModel.named_in_contract_order`).
FEATURE_NAMES_WARNING = r"X does not have valid feature names"


class ScoringApp:
    """WSGI callable serving the model in `slot`. Creating one silences scikit-learn's feature-name
    warning in this process (a scoring server process serves nothing else)."""

    def __init__(self, slot: ModelSlot, max_body: int = MAX_BODY) -> None:
        self.slot = slot
        self.max_body = max_body
        warnings.filterwarnings("ignore", message=FEATURE_NAMES_WARNING, category=UserWarning)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.max_body
        try:
            response = self._route(request)
        except HTTPException as exc:
            status = exc.code or 400
            response = error_response(status, _http_code(status), exc.description or exc.name)
        except Exception:
            log.exception("unexpected error while scoring (%s %s)", request.method, request.path)
            response = error_response(
                500, "INTERNAL_ERROR", "Internal error while scoring; see the server log."
            )
        _drain(request, self.max_body)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        if path == "/invocations":
            if request.method != "POST":
                return error_response(405, "METHOD_NOT_ALLOWED", "Use POST for /invocations.")
            model = self.slot.current  # one model for the whole request, even if a swap happens now
            response = self._invocations(request, model)
            # Which version answered: while --follow swaps, workers move at slightly different times.
            response.headers["X-Podium-Model-Version"] = str(model.version)
            return response
        if request.method not in ("GET", "HEAD") and path in ("/ping", "/health", "/version"):
            return error_response(405, "METHOD_NOT_ALLOWED", f"Use GET for {path}.")
        if path == "/ping":
            return Response("\n", mimetype="application/json")
        if path == "/health":
            model = self.slot.current
            return _json_response({"status": "ok", "name": model.name, "version": model.version})
        if path == "/version":
            model = self.slot.current
            return _json_response(
                {
                    "name": model.name,
                    "version": model.version,
                    "uri": f"models:/{model.name}/{model.version}" if model.name else None,
                    "manifest_sha256": model.manifest_sha256,
                }
            )
        return error_response(404, "NOT_FOUND", f"No route {path}; use POST /invocations.")

    def _invocations(self, request: Request, model: LoadedModel) -> Response:
        mimetype = request.mimetype
        if mimetype not in (JSON_TYPE, "text/csv"):
            return error_response(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                f"Content-Type {mimetype or '(none)'!r} is not supported: send application/json "
                "(dataframe_split, dataframe_records, instances or inputs) or text/csv.",
            )
        body = request.get_data(cache=False)
        try:
            payload = payloads.parse_json(body) if mimetype == JSON_TYPE else payloads.parse_csv(body)
            data = model.prepare(payload, arrays_for_named=True)
        except InvalidParameter as exc:
            return error_response(400, "BAD_REQUEST", exc.message)
        try:
            result = model.predict_conformed(data)
        except (ValueError, TypeError) as exc:
            # The model refused values that passed the contract (e.g. NaN it cannot handle).
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return error_response(400, "BAD_REQUEST", f"The model cannot score this input: {first}")
        return _json_response({"predictions": predictions_json(result)})


def _drain(request: Request, max_body: int) -> None:
    """Read what is left of the request body before answering.

    gunicorn drains an unread body itself after the response, but a keep-alive client may send its
    next request in that window; the drain then buffers those bytes and the connection waits for
    a readable socket that never comes (observed with gunicorn 26: a 20 s stall after a 415).
    Bodies over the limit are left alone: gunicorn gives up on those and closes the connection.
    """
    length = request.content_length
    if length is not None and length > max_body:
        return
    try:
        while request.stream.read(64 * 1024):
            pass
    except (OSError, ValueError):
        log.debug("could not drain the request body", exc_info=True)


def _http_code(status: int) -> str:
    return {
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        413: "REQUEST_TOO_LARGE",
        415: "UNSUPPORTED_MEDIA_TYPE",
    }.get(status, "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR")
