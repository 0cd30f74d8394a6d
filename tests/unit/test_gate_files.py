"""Promotion files and the policy: valid files parse; every mistake is named by file, line and field."""

from __future__ import annotations

import pytest

from ci.desired_state import (
    DesiredState,
    parse_desired_state,
    promotion_file_model,
    requested_changes,
)
from ci.documents import InvalidDocument
from ci.metric_rules import Direction, MetricRule
from ci.policy import Rules, parse_policy
from ci.targets import Change
from registry.domain.errors import InvalidParameter
from registry.domain.policies import alias_target, parse_target, stage_target
from registry.domain.stages import Stage

PATH = "promotions/house-prices.yaml"


def problems(text: str, path: str = PATH, **kwargs: object) -> list[str]:
    with pytest.raises(InvalidDocument) as caught:
        parse_desired_state(text, path, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def policy_problems(text: str) -> list[str]:
    with pytest.raises(InvalidDocument) as caught:
        parse_policy(text)
    return [str(p) for p in caught.value.problems]


def test_a_promotion_file_parses_into_targets() -> None:
    state = parse_desired_state(
        "model: house-prices\n"
        "aliases:\n"
        "  champion: 7\n"
        "  challenger: 8\n"
        "stages:\n"
        "  Production: 7\n"
        "  Staging: 8\n"
        "reason: retrained on 2026-Q3 data\n",
        PATH,
    )
    assert state == DesiredState(
        "house-prices",
        PATH,
        {
            alias_target("champion"): 7,
            alias_target("challenger"): 8,
            stage_target(Stage.PRODUCTION): 7,
            stage_target(Stage.STAGING): 8,
        },
        "retrained on 2026-Q3 data",
    )


def test_each_mistake_is_reported_with_its_line_and_field() -> None:
    found = problems(
        "model: house-prices\n"
        "aliases:\n"
        "  champion: seven\n"
        "  latest: 3\n"
        "  v2: 1\n"
        "  shadow: 0\n"
        "stages:\n"
        "  production: 7\n"
        "owner: dana\n"
    )
    assert found == [
        f"{PATH}:3: aliases.champion: must be an integer, got the string 'seven'",
        f"{PATH}:4: aliases.latest: 'latest' alias name (case insensitive) is reserved.",
        f"{PATH}:5: aliases.v2: Version alias name 'v2' is reserved.",
        f"{PATH}:6: aliases.shadow: must be an integer of at least 1, got 0",
        f"{PATH}:8: stages.production: unknown key; expected one of: None, Staging, Production, Archived",
        f"{PATH}:9: owner: unknown key; expected one of: model, aliases, stages, reason",
    ]


def test_the_model_must_match_the_file_name() -> None:
    assert problems("model: churn\naliases: {champion: 1}\n") == [
        f"{PATH}:1: model: is 'churn' but the file is named for 'house-prices'; they must be equal"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", f"{PATH}:1: is empty; it must name the model and at least one alias or stage"),
        ("model: house-prices\n", f"{PATH}:1: names no alias and no stage; nothing to promote"),
        ("aliases: {champion: 1}\n", f"{PATH}:1: missing key 'model'"),
        ("- champion\n", f"{PATH}:1: must be a mapping of model, aliases and stages"),
        (
            "model: house-prices\naliases: [1\n",
            f"{PATH}:3: is not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "model: house-prices\nmodel: x\n",
            f'{PATH}:2: is not valid YAML: found duplicate key "model" with value "x" '
            '(original value: "house-prices")',
        ),
        (
            "model: house-prices\naliases: {champion: true}\n",
            f"{PATH}:2: aliases.champion: must be an integer, got the boolean true",
        ),
        (
            "model: house-prices\nstages:\n  Production: 7\n  Staging: 7\n",
            f"{PATH}:2: stages: version 7 is listed in Production and Staging; a version has one stage",
        ),
    ],
)
def test_malformed_files(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_aliases_outside_the_policys_set_are_refused() -> None:
    text = "model: house-prices\naliases:\n  champion: 7\n  shadow: 8\n"
    assert problems(text, allowed_aliases={"champion", "challenger"}) == [
        f"{PATH}:4: aliases.shadow: alias is not managed by the policy; allowed: challenger, champion"
    ]


def test_oversized_files_are_refused_before_parsing() -> None:
    assert problems("model: house-prices\n" + "#" * 300_000) == [f"{PATH}: is larger than 256 KiB"]


def test_promotion_file_paths() -> None:
    assert promotion_file_model("promotions/house-prices.yaml") == "house-prices"
    assert promotion_file_model("promotions/nested/house-prices.yaml") is None
    assert promotion_file_model("promotions/house-prices.yml") is None
    assert promotion_file_model("promotions/.yaml") is None
    assert promotion_file_model("other/house-prices.yaml") is None
    assert promotion_file_model("ml/promotions/x.yaml", "ml/promotions") == "x"


def test_requested_changes_are_the_diff_of_base_and_head() -> None:
    base = parse_desired_state("model: house-prices\naliases: {champion: 6, challenger: 7}\n", PATH)
    head = parse_desired_state("model: house-prices\naliases: {champion: 7}\nstages: {Staging: 8}\n", PATH)
    requested = requested_changes("house-prices", base, head)
    assert requested.changes == (
        Change("house-prices", alias_target("champion"), 6, 7),
        Change("house-prices", stage_target(Stage.STAGING), None, 8),
    )
    assert requested.released == (("house-prices", alias_target("challenger")),)
    assert requested_changes("house-prices", head, head).changes == ()
    new_file = requested_changes("house-prices", None, head)
    assert [c.from_version for c in new_file.changes] == [None, None]


def test_targets() -> None:
    assert parse_target("alias:champion") == alias_target("champion")
    assert parse_target("stage:Production") == stage_target(Stage.PRODUCTION)
    assert str(stage_target(Stage.PRODUCTION)) == "stage:Production"
    assert alias_target("champion").label == "@champion"
    # Policy files spell targets as the server does (stage names in any case, `@alias`).
    assert parse_target("stage:production") == stage_target(Stage.PRODUCTION)
    assert parse_target("@champion") == alias_target("champion")
    for bad in ("champion", "alias:latest", "tag:x", "stage:Live"):
        with pytest.raises(InvalidParameter, match=r"."):
            parse_target(bad)
    # Apply moves stages before aliases, whatever the names.
    ordered = sorted([alias_target("a"), stage_target(Stage.STAGING)], key=lambda t: t.apply_order)
    assert ordered == [stage_target(Stage.STAGING), alias_target("a")]


POLICY = """\
defaults:
  required_approvals: 1
  allowed_reviewers: [Alice, bob]
  allowed_associations: [OWNER, MEMBER]
  approvals_must_match_head: true
  gated_targets: [alias:champion, stage:Production]
  compare_tag: eval_dataset
  metrics:
    r2:   {direction: higher, min: 0.80, tolerance: 0.01}
    rmse: {direction: lower,  max: 5.0,  tolerance: 0.10}
models:
  house-prices:
    required_approvals: 2
    metrics:
      mae: {direction: lower}
"""


def test_a_policy_parses_and_models_override_whole_keys() -> None:
    policy = parse_policy(POLICY)
    defaults = policy.for_model("churn")
    assert defaults.required_approvals == 1
    assert defaults.allowed_reviewers == {"alice", "bob"}  # logins compare case-insensitively
    assert defaults.allowed_associations == {"OWNER", "MEMBER"}
    assert defaults.gated_targets == {alias_target("champion"), stage_target(Stage.PRODUCTION)}
    assert defaults.compare_tag == "eval_dataset"
    assert defaults.metrics == (
        MetricRule("r2", Direction.HIGHER, 0.80, None, 0.01),
        MetricRule("rmse", Direction.LOWER, None, 5.0, 0.10),
    )
    house = policy.for_model("house-prices")
    assert house.required_approvals == 2
    assert house.metrics == (MetricRule("mae", Direction.LOWER),)
    assert house.allowed_reviewers == defaults.allowed_reviewers


def test_an_almost_empty_policy_gets_safe_defaults() -> None:
    rules = parse_policy("defaults: {}\n").for_model("x")
    assert rules == Rules()
    assert rules.required_approvals == 1
    assert rules.approvals_must_match_head is True


def test_policy_mistakes_are_reported_with_line_and_field() -> None:
    found = policy_problems(
        "defaults:\n"
        "  required_approvals: -1\n"
        "  allowed_associations: [OWNER, BOSS]\n"
        "  gated_targets: [alias:champion, stage:Prod]\n"
        "  metrics:\n"
        "    r2: {direction: up, min: .nan, tolerance: -1}\n"
        "    acc: {min: 1, max: 0}\n"
        "    auc:\n"
        "  approvals_must_match_head: 'yes'\n"
        "  colour: blue\n"
        "models:\n"
        "  a/b: {}\n"
    )
    file = ".github/promotion-policy.yaml"
    assert found == [
        f"{file}:2: defaults.required_approvals: must be an integer of at least 0, got -1",
        f"{file}:3: defaults.allowed_associations: unknown association 'BOSS'; use OWNER, MEMBER, "
        "COLLABORATOR, CONTRIBUTOR, FIRST_TIMER, FIRST_TIME_CONTRIBUTOR, MANNEQUIN, NONE",
        f"{file}:4: defaults.gated_targets[1]: Invalid Model Version stage: Prod. "
        "Value must be one of None, Staging, Production, Archived.",
        f"{file}:6: defaults.metrics.r2.direction: must be higher or lower, got 'up'",
        f"{file}:6: defaults.metrics.r2.min: must be a finite number, got nan",
        f"{file}:6: defaults.metrics.r2.tolerance: must not be negative (it is the regression allowed)",
        f"{file}:7: defaults.metrics.acc: missing key 'direction' (higher or lower)",
        f"{file}:7: defaults.metrics.acc: min 1.0 is greater than max 0.0",
        f"{file}:8: defaults.metrics.auc: needs at least `direction: higher` or `direction: lower`",
        f"{file}:9: defaults.approvals_must_match_head: must be true or false, got the string 'yes'",
        f"{file}:10: defaults.colour: unknown key; expected one of: required_approvals, "
        "allowed_reviewers, allowed_associations, approvals_must_match_head, gated_targets, "
        "allowed_aliases, compare_tag, metrics",
        f"{file}:12: models.a/b: Invalid model name 'a/b'. Names cannot contain '/' or ':'.",
    ]


def test_an_empty_policy_is_refused() -> None:
    assert policy_problems("") == [
        ".github/promotion-policy.yaml:1: is empty; write at least `defaults: {required_approvals: 1}`"
    ]
