"""The MLflow error table: Podium's errors to MLflow's codes and statuses, irregular ones included."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound

from registry.api.mlflow.errors import classify
from registry.domain import errors as e


class NewKindOfError(e.PodiumError):
    code = "SOMETHING_NEW"


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (e.AliasNotFound("Registered model alias nope not found."), "INVALID_PARAMETER_VALUE", 400),
        (e.NotFound("Registered Model with name=x not found"), "RESOURCE_DOES_NOT_EXIST", 404),
        (e.AlreadyExists("Registered Model (name=x) already exists."), "RESOURCE_ALREADY_EXISTS", 400),
        (e.InvalidPath("bad path"), "INVALID_PARAMETER_VALUE", 400),
        (e.MissingParameter("Missing value"), "INVALID_PARAMETER_VALUE", 400),
        (e.Conflict("a parent is a file"), "RESOURCE_CONFLICT", 409),
        (e.PermissionDenied("protected alias"), "PERMISSION_DENIED", 403),
        (e.Unauthenticated("no token"), "UNAUTHENTICATED", 401),
        (e.StorageError("S3 down"), "TEMPORARILY_UNAVAILABLE", 503),
        (NewKindOfError("what it is"), "SOMETHING_NEW", 500),
        (RouteNotFound(), "ENDPOINT_NOT_FOUND", 404),
        (MethodNotAllowed(), "ENDPOINT_NOT_FOUND", 405),
    ],
)
def test_error_table(error: Exception, code: str, status: int) -> None:
    assert classify(error)[:2] == (code, status)


def test_unexpected_exceptions_reveal_nothing() -> None:
    assert classify(RuntimeError("secret detail")) == ("INTERNAL_ERROR", 500, "Internal server error.")
