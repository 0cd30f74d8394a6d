"""YAML documents read with their line numbers, so every complaint names file, line and field.

The promotion files and the policy are written by people and reviewed in pull requests, so a mistake
must be reported where it is: `promotions/house-prices.yaml:4: aliases.champion: must be a positive
integer`. ruamel.yaml keeps the position of every key (its round-trip loader) and reads YAML 1.2, so
`on`, `yes` and `no` stay strings instead of turning into booleans as in YAML 1.1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

# Promotion files and policies are a few lines long; anything far larger is a mistake (or an attack
# on the parser), refused before parsing.
MAX_DOCUMENT_BYTES = 256 * 1024


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where (1-based line, dotted field) and what."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InvalidDocument(Exception):
    """A file that does not follow its format; `problems` lists every mistake found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Node:
    """A value from a document, with the line it sits on and its dotted path for messages."""

    value: Any
    line: int | None
    field: str

    def child(self, key: str, value: Any, line: int | None) -> Node:
        return Node(value, line, f"{self.field}.{key}" if self.field else key)


@dataclass
class Reader:
    """Walks one document, collecting problems instead of stopping at the first one."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def load(self, text: str) -> Node | None:
        """Parse `text`; None (with a problem recorded) when it is not YAML at all."""
        if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
            self.problem(None, "", f"is larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
            return None
        yaml = YAML(typ="rt", pure=True)
        try:
            value = yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            self.problem(line, "", f"is not valid YAML: {exc.problem or exc.context}")
            return None
        except YAMLError as exc:
            self.problem(None, "", f"is not valid YAML: {exc}")
            return None
        return Node(value, 1, "")

    def problem(self, line: int | None, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, field, message))

    def fail(self, node: Node, message: str) -> None:
        self.problem(node.line, node.field, message)

    def raise_if_problems(self) -> None:
        if self.problems:
            # In file order, as an editor shows them; the sort is stable for problems on one line.
            raise InvalidDocument(sorted(self.problems, key=lambda p: p.line or 0))

    # -- shapes ----------------------------------------------------------------------------------
    def mapping(self, node: Node, known: Sequence[str] | None = None) -> Iterator[tuple[str, Node]]:
        """Yield (key, child) of a mapping; report a non-mapping, non-string keys and unknown keys."""
        if node.value is None:
            return
        if not isinstance(node.value, CommentedMap):
            self.fail(node, f"must be a mapping, got {_kind(node.value)}")
            return
        for key, value in node.value.items():
            line = _key_line(node.value, key)
            if not isinstance(key, str):
                self.problem(line, node.field, f"key {key!r} must be a string")
                continue
            child = node.child(key, value, line)
            if known is not None and key not in known:
                self.fail(child, f"unknown key; expected one of: {', '.join(known)}")
                continue
            yield key, child

    def sequence(self, node: Node) -> Iterator[Node]:
        """Yield the items of a list; report anything else."""
        if not isinstance(node.value, CommentedSeq):
            self.fail(node, f"must be a list, got {_kind(node.value)}")
            return
        for index, value in enumerate(node.value):
            line = node.value.lc.item(index)[0] + 1 if index in node.value.lc.data else node.line
            yield Node(value, line, f"{node.field}[{index}]")

    def string(self, node: Node) -> str | None:
        if isinstance(node.value, str) and node.value != "":
            return str(node.value)
        self.fail(node, f"must be a non-empty string, got {_kind(node.value)}")
        return None

    def strings(self, node: Node) -> list[str] | None:
        items = [self.string(item) for item in self.sequence(node)]
        if not isinstance(node.value, CommentedSeq) or any(item is None for item in items):
            return None
        return [item for item in items if item is not None]

    def boolean(self, node: Node) -> bool | None:
        if isinstance(node.value, bool):
            return node.value
        self.fail(node, f"must be true or false, got {_kind(node.value)}")
        return None

    def integer(self, node: Node, minimum: int) -> int | None:
        # bool is an int in Python; `true` is never a count or a version.
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            if node.value >= minimum:
                return int(node.value)
            self.fail(node, f"must be an integer of at least {minimum}, got {node.value}")
            return None
        self.fail(node, f"must be an integer, got {_kind(node.value)}")
        return None

    def number(self, node: Node) -> float | None:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(float(value)):
                return float(value)
            self.fail(node, f"must be a finite number, got {value}")
            return None
        self.fail(node, f"must be a number, got {_kind(node.value)}")
        return None


def _key_line(mapping: CommentedMap, key: Any) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (KeyError, TypeError):
        return int(mapping.lc.line) + 1 if mapping.lc.line is not None else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, CommentedMap):
        return "a mapping"
    if isinstance(value, CommentedSeq):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{value!r}"
