"""The GitHub Actions runner's side: where the event is, the run's URL, step outputs and summary.

The values come from the `GITHUB_*` variables, read in the CLI (`registry/commands/gate.py`) and handed
in as a `Runner`, so the gate itself never reads the environment and tests build one directly.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# GitHub's limit for one step's summary; beyond it the summary upload fails.
SUMMARY_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class Runner:
    event_name: str
    event_path: str
    repository: str
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    run_id: str = ""
    sha: str = ""
    output_path: str | None = None
    summary_path: str | None = None

    @property
    def run_url(self) -> str:
        if not self.run_id:
            return ""
        return f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"


def write_outputs(runner: Runner, outputs: Mapping[str, str]) -> None:
    """Append step outputs to `$GITHUB_OUTPUT`: `k=v`, or `k<<DELIM … DELIM` for multi-line values."""
    if not runner.output_path:
        return
    lines = []
    for key, value in outputs.items():
        if "\n" not in value and "\r" not in value:
            lines.append(f"{key}={value}")
            continue
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:  # practically never; the value must not contain its own end
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        lines.extend([f"{key}<<{delimiter}", value, delimiter])
    with open(runner.output_path, "a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def append_summary(runner: Runner, markdown: str) -> None:
    """Append Markdown to `$GITHUB_STEP_SUMMARY` (the run's summary page), kept under 1 MiB."""
    if not runner.summary_path:
        return
    path = Path(runner.summary_path)
    used = path.stat().st_size if path.exists() else 0
    data = markdown.encode("utf-8")
    room = SUMMARY_LIMIT - used - 1
    if room <= 0:
        return
    if len(data) > room:
        # Cut on a character boundary, not inside a multi-byte UTF-8 sequence.
        kept = data[: max(0, room - 64)].decode("utf-8", "ignore")
        data = (kept + "\n\n…(summary truncated)").encode("utf-8")
    with open(path, "ab") as out:
        out.write(data + b"\n")


def command_text(message: str) -> str:
    """Escape text for a workflow command (`::error::…`), so untrusted text cannot start a new one."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
