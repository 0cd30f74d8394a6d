"""/api/3.0/mlflow/server-info: what the server supports, asked once before the first download."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.api.auth import requires
from registry.api.mlflow.wire import ok
from registry.domain.identity import Role

bp = Blueprint("mlflow_server_info", __name__, url_prefix="/api/3.0/mlflow")


@bp.get("/server-info")
@requires(Role.READER)
def server_info() -> Response:
    # Multipart is reported off so the client uses the plain streamed PUT and GET of the proxy.
    return ok(
        {
            "store_type": "SqlStore",
            "workspaces_enabled": False,
            "trace_archival_enabled": False,
            "multipart_uploads_enabled": False,
            "multipart_downloads_enabled": False,
            "presigned_upload_run_id_supported": False,
            "presigned_upload_model_id_supported": False,
            "features_enabled": {},
        }
    )
