"""Rendering: the PR comment/summary, the status line, step outputs and the summary file."""

from __future__ import annotations

from pathlib import Path

from ci.approvals import ApprovalTally, Exclusion
from ci.decision import ChangeAssessment, Decision, ModelAssessment, Verdict, decide, failed_closed
from ci.github.runner import Runner, append_summary, command_text, write_outputs
from ci.metric_rules import MetricOutcome
from ci.report import GATE_MARKER, Provenance, outputs, render_gate_report, status_description
from ci.targets import Change
from registry.domain.policies import alias_target
from tests.fixtures.actions_step import parse_github_output

PROVENANCE = Provenance(
    ".github/promotion-policy.yaml",
    "1f0c2b9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c",
    "https://github.com/acme/ml-models/actions/runs/42",
    "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
)


def failing_decision() -> Decision:
    change = ChangeAssessment(
        Change("house-prices", alias_target("champion"), 6, 7),
        holder=6,
        metrics=(
            MetricOutcome("r2", 0.85, 0.905, "≥ 0.8 and ≥ 0.905 - 0.01", False, "0.85 is worse"),
            MetricOutcome("rmse", 4.0, 4.2, "≤ 5 and ≤ 4.2 + 0.1", True),
        ),
    )
    tally = ApprovalTally(
        1,
        ("alice",),
        (
            Exclusion("dana", "author of the pull request"),
            Exclusion("bob", "approved an older commit (1111111)"),
        ),
    )
    return decide([ModelAssessment("house-prices", "promotions/house-prices.yaml", (change,), tally)])


def test_the_comment_has_the_marker_table_approvals_and_provenance() -> None:
    text = render_gate_report(failing_decision(), PROVENANCE)
    assert text.startswith(GATE_MARKER + "\n### ❌ Podium promotion gate: fail")
    assert "| house-prices | @champion: v6 → v7 | v6 | ❌ |" in text
    assert "| metric | candidate v7 | holder v6 | rule | result |" in text
    assert "| r2 | 0.85 | 0.905 | ≥ 0.8 and ≥ 0.905 - 0.01 | ❌ 0.85 is worse |" in text
    assert "| rmse | 4 | 4.2 | ≤ 5 and ≤ 4.2 + 0.1 | ✅ |" in text
    assert (
        "**Approvals for house-prices:** 1 of 1 required ✅; counted: `alice`; not counted: "
        "`dana` (author of the pull request), `bob` (approved an older commit (1111111))"
    ) in text
    assert "- house-prices @champion: v6 → v7: r2: 0.85 is worse" in text
    assert (
        "Policy `.github/promotion-policy.yaml` at base `1f0c2b9` · head `9a8b7c6` · "
        "[workflow run](https://github.com/acme/ml-models/actions/runs/42)"
    ) in text


def test_cells_cannot_break_the_table_or_inject_html() -> None:
    decision = decide([ModelAssessment("m|x", "promotions/m.yaml", problems=("bad <script>\nnext | line",))])
    text = render_gate_report(decision, PROVENANCE)
    assert "| m\\|x | `promotions/m.yaml` | | ❌ bad &lt;script&gt; next \\| line |" in text
    assert "<script>" not in text


def test_status_descriptions() -> None:
    assert status_description(failed_closed("Podium at http://x is unreachable")) == (
        "Could not judge: Podium at http://x is unreachable"
    )
    assert status_description(decide([])) == "Nothing to gate: no promotion in this pull request"
    assert status_description(failing_decision()).startswith("Blocked: house-prices @champion")


def test_outputs_with_multiline_reasons_round_trip(tmp_path: Path) -> None:
    runner = Runner("pull_request", "", "acme/ml-models", output_path=str(tmp_path / "out"))
    decision = Decision(Verdict.FAIL, "x", reasons=("first", "second ghadelimiter_ line", "third"))
    write_outputs(runner, outputs(decision))
    write_outputs(runner, {"after": "1"})
    raw = (tmp_path / "out").read_text()
    assert "reasons<<ghadelimiter_" in raw
    assert parse_github_output(raw) == {
        "decision": "fail",
        "models": "[]",
        "reasons": "first\nsecond ghadelimiter_ line\nthird",
        "after": "1",
    }


def test_no_output_file_means_no_outputs() -> None:
    write_outputs(Runner("push", "", "a/b"), {"decision": "pass"})  # does nothing, raises nothing


def test_summary_is_appended_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    runner = Runner("pull_request", "", "a/b", summary_path=str(path))
    append_summary(runner, "# one")
    append_summary(runner, "é" * 700_000)  # 1.4 MB of two-byte characters
    data = path.read_bytes()
    assert len(data) <= 1024 * 1024
    text = data.decode("utf-8")  # cut on a character boundary
    assert text.startswith("# one\n")
    assert text.rstrip().endswith("…(summary truncated)")
    append_summary(runner, "x" * 100_000)  # still never past the limit
    assert path.stat().st_size <= 1024 * 1024


def test_workflow_command_text_cannot_start_a_new_command() -> None:
    assert command_text("bad\n::add-mask::x 100%") == "bad%0A::add-mask::x 100%25"


def test_run_url() -> None:
    assert Runner("push", "", "acme/ml", run_id="7").run_url == "https://github.com/acme/ml/actions/runs/7"
    assert Runner("push", "", "acme/ml").run_url == ""
