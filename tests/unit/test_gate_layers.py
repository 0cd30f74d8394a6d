"""DESIGN.md §3: `ci` talks to Podium over HTTP (`registry.client`) and shares only its pure rules
(`registry.domain`), so it runs in a CI job without the registry's server-side dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
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
    """Importing registry.client (the HTTP client, fetch and load) loads no server-side code."""
    probe = (
        "import sys, registry.client\n"
        "server_side = ('flask', 'sqlalchemy', 'alembic', 'boto3', 'marshmallow', 'gunicorn',\n"
        "               'registry.db', 'registry.services', 'registry.api', 'registry.storage.s3')\n"
        "print(sorted(m for m in sys.modules if m.startswith(server_side)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
