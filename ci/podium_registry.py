"""The `Registry` port over a running Podium's HTTP APIs.

Reads use the native API (`/api/v1/models/...`) and, for metrics, MLflow's `runs/get` on the version's
source run (its wire shape is fixed by MLflow). Promotion requests go through `ci.promotion_api`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ci.promotion_api import PromotionApi
from ci.registry_http import MISSING, RegistryHttp
from ci.registry_port import (
    Evidence,
    ModelState,
    PromotionRequest,
    RegistryRefused,
    RegistryUnavailable,
    VersionInfo,
)
from ci.targets import Change
from registry.domain.errors import InvalidParameter
from registry.domain.stages import Stage, parse_stage


class PodiumRegistry:
    def __init__(self, http: RegistryHttp) -> None:
        self.http = http
        self.promotions = PromotionApi(http)

    @classmethod
    def connect(cls, url: str, token: str | None = None, timeout: float = 30.0) -> PodiumRegistry:
        return cls(RegistryHttp(url, token, timeout=timeout))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PodiumRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def model_state(self, model: str) -> ModelState | None:
        data = self.http.get(f"/api/v1/models/{_seg(model)}", missing_ok=True)
        if data is None:
            return None
        aliases = {str(k): _int(v, "alias version") for k, v in (data.get("aliases") or {}).items()}
        stages: dict[Stage, int] = {}
        for item in data.get("latest_versions") or []:
            stage, number = _stage(item.get("stage")), _int(item.get("version"), "version")
            stages[stage] = max(number, stages.get(stage, 0))
        return ModelState(model, aliases, stages)

    def version(self, model: str, version: int) -> VersionInfo | None:
        data = self.http.get(f"/api/v1/models/{_seg(model)}/versions/{version}", missing_ok=True)
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
        info = self.version(model, version)
        if info is None or info.run_id is None:
            return {}
        try:
            data = self.http.get("/api/2.0/mlflow/runs/get", {"run_id": info.run_id}, missing_ok=True)
        except RegistryRefused as exc:
            if exc.status == 404 and exc.code != MISSING:
                raise RegistryRefused(
                    "Podium serves no MLflow tracking API (runs/get), so metrics cannot be read",
                    exc.status,
                    exc.code,
                ) from exc
            raise
        if data is None:  # the source run was deleted: every metric is missing
            return {}
        entries = ((data.get("run") or {}).get("data") or {}).get("metrics") or []
        return {str(m["key"]): _float(m.get("value")) for m in entries if isinstance(m, dict) and "key" in m}

    def resolve_alias(self, model: str, alias: str) -> int | None:
        data = self.http.get(f"/api/v1/models/{_seg(model)}/aliases/{_seg(alias)}", missing_ok=True)
        return None if data is None else _int(data.get("version"), "version")

    def request_promotion(self, change: Change, evidence: Evidence, reason: str) -> PromotionRequest:
        return self.promotions.request(change, evidence, reason)

    def apply_promotion(self, request: PromotionRequest) -> None:
        self.promotions.apply(request)


def _seg(text: str) -> str:
    return quote(text, safe="")


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise RegistryUnavailable(f"Podium sent {what} {value!r}, which is not a number") from exc


def _float(value: Any) -> float:
    # MLflow's JSON writes NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise RegistryUnavailable(f"Podium sent the metric value {value!r}") from exc


def _stage(value: Any) -> Stage:
    try:
        return parse_stage(value if value is not None else "None")
    except InvalidParameter as exc:
        raise RegistryUnavailable(f"Podium sent an unknown stage {value!r}") from exc
