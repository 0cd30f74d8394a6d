"""`promotions/<model>.yaml`: the desired state of one model's aliases and stages.

```yaml
model: house-prices        # must equal the file name
aliases:
  champion: 7
stages:
  Production: 7
reason: retrained on 2026-Q3 data   # informational only
```

A file manages only the targets it names: a target removed from the file is no longer managed (Podium
keeps whatever holds it), so a revert pull request, not a deletion, is how a promotion is undone.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from ci.documents import Node, Reader
from ci.targets import STAGE_NAMES, Change
from registry.domain.errors import InvalidParameter
from registry.domain.names import validate_alias, validate_model_name
from registry.domain.policies import Target, TargetKind, alias_target, stage_target
from registry.domain.stages import Stage

PROMOTIONS_DIR = "promotions"
SUFFIX = ".yaml"
KEYS = ("model", "aliases", "stages", "reason")


@dataclass(frozen=True)
class DesiredState:
    """What one promotion file asks for: target → version."""

    model: str
    path: str
    targets: Mapping[Target, int] = field(default_factory=dict)
    reason: str = ""


def promotion_file_model(path: str, directory: str = PROMOTIONS_DIR) -> str | None:
    """The model a repository path declares, or None when the path is not a promotion file.

    Only `<directory>/<model>.yaml` counts; files in sub-folders and other suffixes are not read by
    apply, so the gate ignores them too (the two must agree on what a promotion file is).
    """
    folder, name = posixpath.split(path)
    if folder != directory.strip("/") or not name.endswith(SUFFIX) or len(name) == len(SUFFIX):
        return None
    return name[: -len(SUFFIX)]


def parse_desired_state(text: str, path: str, allowed_aliases: Collection[str] | None = None) -> DesiredState:
    """Validate a promotion file; InvalidDocument lists every problem with its line and field."""
    reader = Reader(path)
    root = reader.load(text)
    file_name = posixpath.basename(path)
    expected_model = file_name[: -len(SUFFIX)] if file_name.endswith(SUFFIX) else None
    model: str | None = None
    targets: dict[Target, int] = {}
    reason = ""
    if root is not None and root.value is None:
        reader.fail(root, "is empty; it must name the model and at least one alias or stage")
    elif root is not None and not isinstance(root.value, dict):
        reader.fail(root, "must be a mapping of model, aliases and stages")
    elif root is not None:
        seen = dict(reader.mapping(root, KEYS))
        if "model" not in seen:
            reader.fail(root, "missing key 'model'")
        else:
            model = _model(reader, seen["model"], expected_model)
        if "aliases" in seen:
            _aliases(reader, seen["aliases"], allowed_aliases, targets)
        if "stages" in seen:
            _stages(reader, seen["stages"], targets)
        if "reason" in seen and seen["reason"].value is not None:
            reason = reader.string(seen["reason"]) or ""
        if not targets and not reader.problems:
            reader.fail(root, "names no alias and no stage; nothing to promote")
        _one_stage_per_version(reader, seen.get("stages", root), targets)
    reader.raise_if_problems()
    assert model is not None
    return DesiredState(model=model, path=path, targets=targets, reason=reason)


def _model(reader: Reader, node: Node, expected: str | None) -> str | None:
    name = reader.string(node)
    if name is None:
        return None
    try:
        validate_model_name(name)
    except InvalidParameter as exc:
        reader.fail(node, exc.message)
        return None
    if expected is not None and name != expected:
        reader.fail(node, f"is {name!r} but the file is named for {expected!r}; they must be equal")
        return None
    return name


def _aliases(reader: Reader, node: Node, allowed: Collection[str] | None, targets: dict[Target, int]) -> None:
    for alias, child in reader.mapping(node):
        try:
            validate_alias(alias)
        except InvalidParameter as exc:
            reader.fail(child, exc.message)
            continue
        if allowed is not None and alias not in allowed:
            reader.fail(child, f"alias is not managed by the policy; allowed: {', '.join(sorted(allowed))}")
            continue
        version = reader.integer(child, minimum=1)
        if version is not None:
            targets[alias_target(alias)] = version


def _stages(reader: Reader, node: Node, targets: dict[Target, int]) -> None:
    for stage, child in reader.mapping(node, STAGE_NAMES):
        version = reader.integer(child, minimum=1)
        if version is not None:
            targets[stage_target(Stage(stage))] = version


def _one_stage_per_version(reader: Reader, stages_node: Node, targets: Mapping[Target, int]) -> None:
    stages: dict[int, list[str]] = {}
    for target, version in targets.items():
        if target.kind is TargetKind.STAGE:
            stages.setdefault(version, []).append(target.name)
    for version, names in stages.items():
        if len(names) > 1:
            reader.fail(
                stages_node, f"version {version} is listed in {' and '.join(names)}; a version has one stage"
            )


@dataclass(frozen=True)
class RequestedChanges:
    """What a pull request asks for: the changes, and targets it stops managing (reported only)."""

    changes: tuple[Change, ...]
    released: tuple[tuple[str, Target], ...] = ()


def requested_changes(model: str, base: DesiredState | None, head: DesiredState | None) -> RequestedChanges:
    """The diff of one promotion file between the base and the head of a pull request."""
    before = dict(base.targets) if base else {}
    after = dict(head.targets) if head else {}
    changes = tuple(
        sorted(
            Change(model, target, before.get(target), version)
            for target, version in after.items()
            if before.get(target) != version
        )
    )
    released = tuple((model, target) for target in sorted(set(before) - set(after)))
    return RequestedChanges(changes, released)
