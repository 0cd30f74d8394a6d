"""/api/v1/models/<name>/versions/<version>/files: a version's manifest and its files, for deploy jobs.

Files are streamed from the artifact store through the registry (so a deploy job needs nothing but
a reader token) and honour a single HTTP `Range` (206), which is how `podium fetch` resumes a
download after a dropped connection. Only files recorded in the version's manifest can be fetched.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any, BinaryIO

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from werkzeug.datastructures import ContentRange
from werkzeug.http import parse_range_header, quote_header_value

from registry.api.auth import requires
from registry.api.context import runtime, uow
from registry.domain.identity import Role
from registry.services import digests

blp = Blueprint(
    "files",
    __name__,
    url_prefix="/api/v1",
    description="A model version's files: manifest (sha256 per file) and resumable downloads",
)

#: Bytes handed to the server per write: large enough for throughput, small enough for memory.
STREAM_CHUNK = 256 * 1024


class ManifestFileSchema(Schema):
    path = fields.String()
    sha256 = fields.String()
    size = fields.Integer()


class ManifestSchema(Schema):
    name = fields.String()
    version = fields.Integer()
    sha256 = fields.String(metadata={"description": "sha256 of the canonical manifest JSON"})
    files = fields.List(fields.Nested(ManifestFileSchema))


@blp.route("/models/<name>/versions/<version>/files")
class Manifest(MethodView):
    @requires(Role.READER)
    @blp.response(200, ManifestSchema)
    def get(self, name: str, version: str) -> dict[str, Any]:
        """The version's manifest: every file with its sha256 and size, as recorded at registration."""
        manifest = digests.get_manifest(uow(), name, version)
        return {
            "name": manifest.name,
            "version": manifest.version,
            "sha256": manifest.sha256,
            "files": [
                {"path": path, "sha256": d.sha256, "size": d.size} for path, d in manifest.files.items()
            ],
        }


@blp.route("/models/<name>/versions/<version>/files/<path:path>")
class File(MethodView):
    @requires(Role.READER)
    @blp.response(200, description="The file's bytes (206 with a satisfiable Range header)")
    @blp.alt_response(206, description="Part of the file, as asked by Range")
    @blp.alt_response(416, description="The Range starts past the end of the file")
    def get(self, name: str, version: str, path: str) -> Response:
        """Download one file of the version; send `Range: bytes=<offset>-` to resume."""
        wanted = _requested_range()
        opened = digests.open_version_file(
            uow(), runtime().store, name, version, path, offset=wanted[0] if wanted else 0
        )
        size = opened.size
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Disposition": f"attachment; filename={quote_header_value(posixpath.basename(path))}",
            # What the registry recorded; the bytes that follow are checked against it by the client.
            "X-Podium-Sha256": opened.recorded.sha256,
        }
        if wanted is None:
            return _stream(opened.stream, 0, size, size, 200, headers)
        start, stop = wanted
        stop = size if stop is None else min(stop, size)
        if start >= size or start >= stop:
            opened.stream.close()
            headers["Content-Range"] = ContentRange("bytes", None, None, size).to_header()
            return Response(status=416, headers=headers)
        headers["Content-Range"] = ContentRange("bytes", start, stop, size).to_header()
        return _stream(opened.stream, start, stop, size, 206, headers)


def _requested_range() -> tuple[int, int | None] | None:
    """(start, stop-exclusive or None for "to the end") of a single byte range, or None.

    Several ranges, suffix ranges (`bytes=-N`), other units or a malformed header are ignored and
    the whole file is sent, as RFC 9110 allows: resuming a download needs only `bytes=<offset>-`.
    """
    parsed = parse_range_header(request.headers.get("Range"))
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    start, stop = parsed.ranges[0]
    if start < 0:
        return None
    return start, stop


def _stream(
    stream: BinaryIO, start: int, stop: int, size: int, status: int, headers: dict[str, str]
) -> Response:
    def body() -> Iterator[bytes]:
        remaining = stop - start
        while remaining > 0:
            chunk = stream.read(min(STREAM_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk

    response = Response(body(), status=status, headers=headers, mimetype="application/octet-stream")
    response.content_length = stop - start
    # Closed when the server is done with the response, including when the client went away.
    response.call_on_close(stream.close)
    return response
