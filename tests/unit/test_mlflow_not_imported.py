"""Podium speaks MLflow's protocol with its own code: no module of registry, webhooks or ci imports
mlflow (it is a test-only dependency, used as the client and as the reference server)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_runtime_module_imports_mlflow() -> None:
    offenders = []
    sources = [p for package in ("registry", "webhooks", "ci") for p in (ROOT / package).rglob("*.py")]
    assert len(sources) > 50
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name == "mlflow" or name.startswith("mlflow.") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
