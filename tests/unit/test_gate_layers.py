"""DESIGN.md §3: `ci` talks to Podium over HTTP (`registry.client`) and shares only its pure rules
(`registry.domain`), so it runs in a CI job without the registry's server-side dependencies."""

from __future__ import annotations

import ast
from pathlib import Path

CI = Path(__file__).resolve().parents[2] / "ci"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_ci_imports_only_the_registrys_domain_and_client() -> None:
    files = sorted(CI.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for module in imported_modules(path):
            if module.split(".")[0] in ("registry", "webhooks", "mlflow", "flask", "sqlalchemy"):
                assert module.startswith("registry.domain") or module == "registry.client", (
                    f"{path.name} imports {module}"
                )


def test_the_client_needs_nothing_of_the_server() -> None:
    client = CI.parent / "registry" / "client.py"
    assert {m.split(".")[0] for m in imported_modules(client)} <= {
        "__future__",
        "typing",
        "urllib",
        "requests",
    }
