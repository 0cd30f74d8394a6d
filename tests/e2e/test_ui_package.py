"""The UI's templates, static files and vendored charting library ship inside the wheel, so an
installed Podium serves its UI with nothing fetched at run time."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "registry" / "ui"
VENDOR = UI / "static" / "vendor"


def ui_files() -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for folder in (UI / "templates", UI / "static")
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_vendored_files_match_their_recorded_digests() -> None:
    table = (VENDOR / "README.md").read_text()
    rows = re.findall(r"\| `([^`]+\.js)`[^|]*\| [^|]+ \| `([0-9a-f]{64})` \|", table)
    assert rows, "vendor/README.md records no file digests"
    for name, digest in rows:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    vendored = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*.js")}
    assert vendored == {name for name, _ in rows}, "a vendored script is missing from the README"


def test_wheel_ships_the_ui(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("registry", "webhooks", "ci"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = (tmp_path / "dist").glob("podium-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
        charts = archive.read("registry/ui/static/vendor/echarts-6.1.0/echarts.min.js")
    missing = ui_files() - shipped
    assert not missing, f"not in the wheel: {sorted(missing)}"
    assert charts == (VENDOR / "echarts-6.1.0" / "echarts.min.js").read_bytes()
