"""The `Registry` port over a running Podium, through `registry.client.RegistryClient`.

Every call is one method of the native API's client: models, versions, aliases, a version's metrics
(read by the same code Podium's promotion rules use) and promotion requests. This module turns the
client's answers into the gate's types and its errors into the gate's rules: no answer or a 5xx is
`RegistryUnavailable` (fail closed; apply retries), any other refusal is `RegistryRefused`, and
"no such model/version/alias" is None where the caller asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ci.registry_port import (
    Evidence,
    ModelState,
    PromotionRequest,
    RegistryRefused,
    RegistryUnavailable,
    VersionInfo,
)
from ci.targets import Change
from registry.client import Json, RegistryClient, RegistryError
from registry.client import RegistryUnavailable as NoAnswer
from registry.domain.errors import InvalidParameter
from registry.domain.stages import Stage, parse_stage

# The code both of Podium's APIs give a missing resource; an unknown *route* is a plain NOT_FOUND,
# which must not be mistaken for "the version does not exist".
MISSING = "RESOURCE_DOES_NOT_EXIST"
SOURCE = "github"
T = TypeVar("T")


class PodiumRegistry:
    def __init__(self, client: RegistryClient) -> None:
        self.client = client

    @classmethod
    def connect(cls, url: str, token: str | None = None, timeout: float = 30.0) -> PodiumRegistry:
        client = RegistryClient(url, token, timeout=timeout)
        client.session.headers["User-Agent"] = "podium-promotion-gate"
        return cls(client)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> PodiumRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -----------------------------------------------------------------------------------
    def model_state(self, model: str) -> ModelState | None:
        data = self._call(f"GET model {model}", lambda: self.client.get_model(model), missing_ok=True)
        if data is None:
            return None
        aliases = {str(k): _int(v, "alias version") for k, v in (data.get("aliases") or {}).items()}
        stages: dict[Stage, int] = {}
        for item in data.get("latest_versions") or []:
            stage, number = _stage(item.get("stage")), _int(item.get("version"), "version")
            stages[stage] = max(number, stages.get(stage, 0))
        return ModelState(model, aliases, stages)

    def version(self, model: str, version: int) -> VersionInfo | None:
        data = self._call(
            f"GET version {version} of {model}",
            lambda: self.client.get_version(model, version),
            missing_ok=True,
        )
        if data is None:
            return None
        tags = data.get("tags") or {}
        return VersionInfo(
            model=model,
            version=_int(data.get("version"), "version"),
            stage=_stage(data.get("stage")),
            run_id=data.get("run_id") or None,
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
        )

    def metrics(self, model: str, version: int) -> Mapping[str, float]:
        data = self._call(
            f"GET metrics of version {version} of {model}",
            lambda: self.client.get_version_metrics(model, version),
        )
        metrics = data.get("metrics")
        if not isinstance(metrics, dict):
            raise RegistryUnavailable(f"Podium sent no metrics for version {version} of {model}")
        return {str(key): _float(value) for key, value in metrics.items()}

    def resolve_alias(self, model: str, alias: str) -> int | None:
        data = self._call(
            f"GET alias {alias} of {model}", lambda: self.client.get_alias(model, alias), missing_ok=True
        )
        return None if data is None else _int(data.get("version"), "version")

    # -- promotion requests ----------------------------------------------------------------------
    def request_promotion(self, change: Change, evidence: Evidence, comment: str) -> PromotionRequest:
        """POST /api/v1/promotions as a promoter, with the pull request as `evidence` and each counted
        GitHub approval as an `external_approvals` entry (Podium counts them against its policy)."""
        return _request(
            self._call(
                f"POST a promotion request for {change}",
                lambda: self.client.create_promotion(
                    change.model,
                    change.to_version,
                    str(change.target),
                    comment,
                    external_approvals=[
                        {"reviewer": a.reviewer, "source": SOURCE, "url": a.url} for a in evidence.approvals
                    ],
                    evidence={
                        "url": evidence.pr_url,
                        "commit": evidence.head_sha,
                        "author": evidence.author,
                        "run_url": evidence.run_url,
                        "source": SOURCE,
                    },
                ),
            )
        )

    def apply_promotion(self, request: PromotionRequest) -> PromotionRequest:
        return _request(
            self._call(
                f"POST apply promotion request {request.id}", lambda: self.client.apply_promotion(request.id)
            )
        )

    # -- errors ----------------------------------------------------------------------------------
    def _call(self, what: str, call: Callable[[], Json], *, missing_ok: bool = False) -> Any:
        """Run one client call; the answer, or None when `missing_ok` and Podium says it is missing."""
        try:
            return call()
        except NoAnswer as exc:
            if exc.__cause__ is None:  # it answered, but not with Podium's JSON (a proxy's page, say)
                raise RegistryUnavailable(f"Podium at {self.client.base_url} ({what}): {exc}") from exc
            reason = exc.__cause__.__class__.__name__
            raise RegistryUnavailable(
                f"Podium at {self.client.base_url} is unreachable ({what}): {reason}"
            ) from exc
        except RegistryError as exc:
            if exc.status >= 500:
                raise RegistryUnavailable(f"Podium answered {exc.status} to {what}: {exc.message}") from exc
            if exc.status == 404 and missing_ok and exc.code == MISSING:
                return None
            blockers = exc.errors.get("blockers")
            raise RegistryRefused(
                f"Podium answered {exc.status} to {what}: {exc.message}",
                exc.status,
                exc.code,
                tuple(str(b) for b in blockers) if isinstance(blockers, list) else (),
            ) from exc


def _request(data: Json) -> PromotionRequest:
    evaluation = data.get("evaluation") or {}
    blockers = evaluation.get("blockers") if isinstance(evaluation, dict) else None
    return PromotionRequest(
        id=_int(data.get("id"), "promotion request id"),
        status=str(data.get("status") or ""),
        blockers=tuple(str(b) for b in blockers) if isinstance(blockers, list) else (),
    )


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise RegistryUnavailable(f"Podium sent {what} {value!r}, which is not a number")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise RegistryUnavailable(f"Podium sent {what} {value!r}, which is not a number") from exc


def _float(value: Any) -> float:
    # JSON has no NaN or infinities: Podium writes them "NaN", "Infinity", "-Infinity", which
    # float() reads back; they must survive, because a rule fails on them.
    if isinstance(value, bool) or value is None:
        raise RegistryUnavailable(f"Podium sent the metric value {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise RegistryUnavailable(f"Podium sent the metric value {value!r}") from exc


def _stage(value: Any) -> Stage:
    try:
        return parse_stage(value if value is not None else "None")
    except InvalidParameter as exc:
        raise RegistryUnavailable(f"Podium sent an unknown stage {value!r}") from exc
