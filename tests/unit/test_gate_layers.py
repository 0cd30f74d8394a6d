"""DESIGN.md §3: `ci` talks to Podium over HTTP and shares only its pure rules (`registry.domain`)."""

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


def test_ci_imports_only_the_registrys_domain() -> None:
    files = sorted(CI.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for module in imported_modules(path):
            if module.split(".")[0] in ("registry", "webhooks", "mlflow", "flask", "sqlalchemy"):
                assert module.startswith("registry.domain"), f"{path.name} imports {module}"
