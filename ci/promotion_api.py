"""Podium's promotion-request endpoints, as the gate calls them. THE one module to align at merge.

Governance (DESIGN.md §6) makes a promotion request the only way to a protected alias or stage; a
`promoter` token may attach external approval evidence and apply. These are the shapes the gate sends;
when the governance branch's native API lands, adjust the paths and field names here (and only here):

    POST /api/v1/promotion-requests
        {"model": "house-prices", "version": 7, "target": "alias:champion",
         "archive_previous": false, "reason": "…",
         "evidence": {"kind": "github_pull_request", "repository": "acme/ml", "pull_request": 12,
                      "url": "https://github.com/acme/ml/pull/12", "head_sha": "…",
                      "approvers": ["alice"], "run_url": "…", "commit": "…"}}
        → 201 {"id": "…", "state": "approved", …}
    POST /api/v1/promotion-requests/{id}/apply
        → 200 {"id": "…", "state": "applied", …}
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ci.registry_http import RegistryHttp
from ci.registry_port import Evidence, PromotionRequest, RegistryUnavailable
from ci.targets import Change, TargetKind
from registry.domain.stages import Stage


class PromotionApi:
    def __init__(self, http: RegistryHttp) -> None:
        self.http = http

    def request(self, change: Change, evidence: Evidence, reason: str) -> PromotionRequest:
        body = {
            "model": change.model,
            "version": change.to_version,
            "target": str(change.target),
            # A version entering Production retires the one there (MLflow's archive_existing_versions).
            "archive_previous": change.target.kind is TargetKind.STAGE
            and change.target.name == Stage.PRODUCTION.value,
            "reason": reason,
            "evidence": {
                "kind": "github_pull_request",
                "repository": evidence.repository,
                "pull_request": evidence.pr_number,
                "url": evidence.pr_url,
                "head_sha": evidence.head_sha,
                "approvers": list(evidence.approvers),
                "run_url": evidence.run_url,
                "commit": evidence.commit,
            },
        }
        return _request(self.http.post("/api/v1/promotion-requests", body))

    def apply(self, request: PromotionRequest) -> None:
        _request(self.http.post(f"/api/v1/promotion-requests/{quote(request.id, safe='')}/apply"))


def _request(data: Any) -> PromotionRequest:
    if not isinstance(data, dict) or "id" not in data:
        raise RegistryUnavailable("Podium answered a promotion request without an id")
    return PromotionRequest(id=str(data["id"]), state=str(data.get("state") or ""))
