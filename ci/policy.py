"""`.github/promotion-policy.yaml`: who must approve a promotion and which metrics it must meet.

```yaml
defaults:
  required_approvals: 1
  allowed_reviewers: [alice, bob]          # logins; GITHUB_TOKEN cannot read team membership
  allowed_associations: [OWNER, MEMBER, COLLABORATOR]
  approvals_must_match_head: true          # an approval counts only on the PR's latest commit
  gated_targets: [alias:champion, stage:Production]   # other targets: metric rules, no approvals
  allowed_aliases: [champion, challenger]  # aliases promotion files may set (default: any)
  compare_tag: eval_dataset                # candidate and holder must carry the same value
  metrics:
    r2:   {direction: higher, min: 0.80, tolerance: 0.01}
    rmse: {direction: lower,  max: 5.0,  tolerance: 0.10}
models:
  house-prices:
    required_approvals: 2                  # a per-model key replaces the default's value whole
```

The gate reads this file from the pull request's base commit and apply from the default branch, so a
pull request cannot loosen the policy that judges it. Podium enforces its own policy on top, on the
promotion request apply sends: the stricter of the two wins (README, "The policy file and Podium's
policy"). Metric rules are judged by Podium's evaluator (`ci.metric_rules`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ci.documents import Node, Reader
from ci.metric_rules import Direction, MetricRule
from registry.domain.errors import InvalidParameter
from registry.domain.names import validate_alias, validate_model_name, validate_tag_key
from registry.domain.policies import Target, alias_target, parse_target, stage_target
from registry.domain.stages import Stage

POLICY_PATH = ".github/promotion-policy.yaml"
ASSOCIATIONS = (
    "OWNER",
    "MEMBER",
    "COLLABORATOR",
    "CONTRIBUTOR",
    "FIRST_TIMER",
    "FIRST_TIME_CONTRIBUTOR",
    "MANNEQUIN",
    "NONE",
)
RULE_KEYS = (
    "required_approvals",
    "allowed_reviewers",
    "allowed_associations",
    "approvals_must_match_head",
    "gated_targets",
    "allowed_aliases",
    "compare_tag",
    "metrics",
)
METRIC_KEYS = ("direction", "min", "max", "tolerance")


@dataclass(frozen=True)
class Rules:
    """The rules for one model: the defaults with that model's overrides applied."""

    required_approvals: int = 1
    # Logins are case-insensitive on GitHub, so they are kept lower-cased and compared that way.
    allowed_reviewers: frozenset[str] | None = None
    allowed_associations: frozenset[str] = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
    approvals_must_match_head: bool = True
    gated_targets: frozenset[Target] = frozenset({alias_target("champion"), stage_target(Stage.PRODUCTION)})
    allowed_aliases: frozenset[str] | None = None
    compare_tag: str | None = None
    metrics: tuple[MetricRule, ...] = ()


@dataclass(frozen=True)
class Policy:
    path: str
    defaults: Rules = field(default_factory=Rules)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def for_model(self, model: str) -> Rules:
        return dataclasses.replace(self.defaults, **self.overrides.get(model, {}))


def parse_policy(text: str, path: str = POLICY_PATH) -> Policy:
    """Validate a policy file; InvalidDocument lists every problem with its line and field."""
    reader = Reader(path)
    root = reader.load(text)
    defaults: dict[str, Any] = {}
    overrides: dict[str, dict[str, Any]] = {}
    if root is not None and root.value is None:
        reader.fail(root, "is empty; write at least `defaults: {required_approvals: 1}`")
    elif root is not None:
        for key, node in reader.mapping(root, ("defaults", "models")):
            if key == "defaults":
                defaults = _rules(reader, node)
            else:
                for model, rules in reader.mapping(node):
                    try:
                        validate_model_name(model)
                    except InvalidParameter as exc:
                        reader.fail(rules, exc.message)
                        continue
                    overrides[model] = _rules(reader, rules)
    reader.raise_if_problems()
    return Policy(path, Rules(**defaults), overrides)


def _rules(reader: Reader, node: Node) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, child in reader.mapping(node, RULE_KEYS):
        value = _RULE_PARSERS[key](reader, child)
        if value is not _INVALID:
            values[key] = value
    return values


_INVALID = object()


def _required_approvals(reader: Reader, node: Node) -> Any:
    value = reader.integer(node, minimum=0)
    return _INVALID if value is None else value


def _allowed_reviewers(reader: Reader, node: Node) -> Any:
    logins = reader.strings(node)
    return _INVALID if logins is None else frozenset(login.lower() for login in logins)


def _allowed_associations(reader: Reader, node: Node) -> Any:
    values = reader.strings(node)
    if values is None:
        return _INVALID
    unknown = [v for v in values if v not in ASSOCIATIONS]
    if unknown:
        reader.fail(node, f"unknown association {unknown[0]!r}; use {', '.join(ASSOCIATIONS)}")
        return _INVALID
    return frozenset(values)


def _approvals_must_match_head(reader: Reader, node: Node) -> Any:
    value = reader.boolean(node)
    return _INVALID if value is None else value


def _gated_targets(reader: Reader, node: Node) -> Any:
    targets: set[Target] = set()
    for item in reader.sequence(node):
        text = reader.string(item)
        if text is None:
            return _INVALID
        try:
            targets.add(parse_target(text))
        except InvalidParameter as exc:
            reader.fail(item, exc.message)
            return _INVALID
    return frozenset(targets) if isinstance(node.value, list) else _INVALID


def _allowed_aliases(reader: Reader, node: Node) -> Any:
    aliases = reader.strings(node)
    if aliases is None:
        return _INVALID
    for alias in aliases:
        try:
            validate_alias(alias)
        except InvalidParameter as exc:
            reader.fail(node, exc.message)
            return _INVALID
    return frozenset(aliases)


def _compare_tag(reader: Reader, node: Node) -> Any:
    if node.value is None:
        return None
    key = reader.string(node)
    if key is None:
        return _INVALID
    try:
        return validate_tag_key(key)
    except InvalidParameter as exc:
        reader.fail(node, exc.message)
        return _INVALID


def _metrics(reader: Reader, node: Node) -> Any:
    rules: list[MetricRule] = []
    valid = True
    for metric, spec in reader.mapping(node):
        rule = _metric_rule(reader, metric, spec)
        if rule is None:
            valid = False
        else:
            rules.append(rule)
    return tuple(rules) if valid else _INVALID


def _metric_rule(reader: Reader, metric: str, node: Node) -> MetricRule | None:
    fields = dict(reader.mapping(node, METRIC_KEYS))
    if node.value is None or not isinstance(node.value, dict):
        if node.value is None:
            reader.fail(node, "needs at least `direction: higher` or `direction: lower`")
        return None
    before = len(reader.problems)
    direction: Direction | None = None
    if "direction" not in fields:
        reader.fail(node, "missing key 'direction' (higher or lower)")
    else:
        text = reader.string(fields["direction"])
        if text is not None and text not in ("higher", "lower"):
            reader.fail(fields["direction"], f"must be higher or lower, got {text!r}")
        elif text is not None:
            direction = Direction(text)
    bounds = {k: reader.number(fields[k]) for k in ("min", "max", "tolerance") if k in fields}
    tolerance = bounds.get("tolerance")
    if tolerance is not None and tolerance < 0:
        reader.fail(fields["tolerance"], "must not be negative (it is the regression allowed)")
    low, high = bounds.get("min"), bounds.get("max")
    if low is not None and high is not None and low > high:
        reader.fail(node, f"min {low} is greater than max {high}")
    if len(reader.problems) > before or direction is None:
        return None
    return MetricRule(metric, direction, low, high, tolerance or 0.0)


_RULE_PARSERS = {
    "required_approvals": _required_approvals,
    "allowed_reviewers": _allowed_reviewers,
    "allowed_associations": _allowed_associations,
    "approvals_must_match_head": _approvals_must_match_head,
    "gated_targets": _gated_targets,
    "allowed_aliases": _allowed_aliases,
    "compare_tag": _compare_tag,
    "metrics": _metrics,
}
