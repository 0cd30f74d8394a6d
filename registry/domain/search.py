"""Search filters and `order_by` clauses in MLflow's grammar, parsed once into plain values.

Grammar (what the stock client sends, plus what MLflow documents):

    filter     := comparison ( AND comparison )*
    comparison := key comparator value
    key        := [prefix '.'] name          prefix: attribute(s) | attr | run | tag(s) |
                                                     metric(s) | param(s) | parameter(s)
    name       := identifier ('.' identifier)* | `back quoted` | "double quoted"
    comparator := = | != | <> | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value      := 'string' | "string" | number | '(' value (',' value)* ')'

The parser knows nothing of entities; `FilterRules` says which keys and comparators an entity
accepts, so each search (models, versions, runs) validates with the same code and messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from registry.domain.errors import InvalidFilter

Value = str | int | float | tuple[str | int | float, ...]

PREFIXES = {
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "tag": "tag",
    "tags": "tag",
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<backquoted>`[^`]*`)
  | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<dot>\.)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
    """,
    re.VERBOSE,
)

COMPARATORS = {"=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"}


@dataclass(frozen=True)
class Comparison:
    """One `key comparator value` clause. `kind` is attribute, tag, metric or param."""

    kind: str
    key: str
    op: str
    value: Value


@dataclass(frozen=True)
class OrderKey:
    kind: str
    key: str
    ascending: bool


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise InvalidFilter(
                f"Invalid filter {text!r}: unexpected character {text[pos]!r} at position {pos}."
            )
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, m.group(), pos))
        pos = m.end()
    return tokens


def _unquote(token: _Token) -> str:
    q = token.text[0]
    return token.text[1:-1].replace(q + q, q)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def error(self, what: str) -> InvalidFilter:
        if self.i < len(self.tokens):
            at = f"at position {self.tokens[self.i].pos} ({self.tokens[self.i].text!r})"
        else:
            at = "at the end"
        return InvalidFilter(f"Invalid filter {self.text!r}: {what} {at}.")

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str = "more") -> _Token:
        tok = self.peek()
        if tok is None:
            raise self.error(f"expected {expected}")
        self.i += 1
        return tok

    def at_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.upper() == word

    def key(self) -> tuple[str, str]:
        tok = self.take("a key")
        if tok.kind in ("backquoted", "string"):
            return "attribute", _unquote(tok)
        if tok.kind != "word":
            raise self.error("expected a key")
        nxt = self.peek()
        if nxt is None or nxt.kind != "dot":
            return "attribute", tok.text
        prefix = tok.text.lower()
        if prefix not in PREFIXES:
            raise InvalidFilter(
                f"Invalid filter {self.text!r}: unknown entity type {tok.text!r} in "
                f"key at position {tok.pos}; use one of attributes, tags, metrics, params."
            )
        self.take()  # the dot
        part = self.take("a key name")
        if part.kind in ("backquoted", "string"):
            name = _unquote(part)
        elif part.kind == "word":
            name = part.text
            while (n := self.peek()) is not None and n.kind == "dot":
                self.take()
                more = self.take("a name after '.'")
                if more.kind != "word":
                    raise self.error("expected a name after '.'")
                name += "." + more.text
        else:
            raise self.error("expected a key name")
        if not name:
            raise self.error("empty key name")
        return PREFIXES[prefix], name

    def comparator(self) -> str:
        tok = self.take("a comparator")
        if tok.kind == "op":
            return "!=" if tok.text == "<>" else tok.text
        if tok.kind == "word":
            word = tok.text.upper()
            if word in ("LIKE", "ILIKE", "IN"):
                return word
            if word == "NOT" and self.at_word("IN"):
                self.take()
                return "NOT IN"
        self.i -= 1
        raise self.error("expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)")

    def scalar(self) -> str | int | float:
        tok = self.take("a quoted string or a number")
        if tok.kind == "string":
            return _unquote(tok)
        if tok.kind == "number":
            return float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
        self.i -= 1
        raise self.error("expected a quoted string or a number")

    def value(self, op: str) -> Value:
        if op in ("IN", "NOT IN"):
            if (tok := self.take(f"'(' after {op}")).kind != "lparen":
                self.i -= 1
                raise self.error(f"expected '(' after {op}")
            items = [self.scalar()]
            while (tok := self.take("',' or ')'")).kind == "comma":
                items.append(self.scalar())
            if tok.kind != "rparen":
                self.i -= 1
                raise self.error("expected ',' or ')'")
            return tuple(items)
        return self.scalar()

    def parse(self) -> list[Comparison]:
        out: list[Comparison] = []
        if not self.tokens:
            return out
        while True:
            kind, key = self.key()
            op = self.comparator()
            out.append(Comparison(kind, key, op, self.value(op)))
            if self.peek() is None:
                return out
            if not self.at_word("AND"):
                raise self.error("expected AND (OR is not supported)")
            self.take()


def parse_filter(text: str | None) -> list[Comparison]:
    """Parse a filter string; None or blank means no filter. Raises InvalidFilter."""
    if text is None or not text.strip():
        return []
    if not isinstance(text, str):
        raise InvalidFilter(f"Invalid filter {text!r}: must be a string.")
    if "\x00" in text:
        raise InvalidFilter("Invalid filter: contains a NUL character.")
    return _Parser(text).parse()


@dataclass(frozen=True)
class FilterRules:
    """What one entity's search accepts.

    attributes maps a key to its type, "string" or "number"; kinds lists the prefixes allowed beside
    attributes (e.g. {"tag"}); list_keys are the attributes that accept IN / NOT IN.
    """

    entity: str
    attributes: dict[str, str]
    kinds: frozenset[str] = frozenset({"tag"})
    list_keys: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    order_by: frozenset[str] = frozenset()

    def check(self, comparisons: list[Comparison]) -> list[Comparison]:
        """Validate keys, comparators and value types; returns comparisons with canonical keys."""
        checked: list[Comparison] = []
        for c in comparisons:
            if c.kind == "attribute":
                key = self.aliases.get(c.key, c.key)
                if key not in self.attributes:
                    valid = "{" + ", ".join(repr(k) for k in sorted(self.attributes)) + "}"
                    raise InvalidFilter(
                        f"Invalid attribute key '{c.key}' specified. Valid keys are '{valid}'"
                    )
                checked.append(self._check_attribute(Comparison(c.kind, key, c.op, c.value)))
            elif c.kind in self.kinds:
                checked.append(self._check_other(c))
            else:
                raise InvalidFilter(
                    f"Invalid filter: {c.kind} keys cannot be used in a {self.entity} search."
                )
        return checked

    def _check_attribute(self, c: Comparison) -> Comparison:
        typ = self.attributes[c.key]
        if c.op in ("IN", "NOT IN"):
            if c.key not in self.list_keys:
                raise InvalidFilter(
                    f"Invalid comparator '{c.op}' for attribute '{c.key}' in a {self.entity} search."
                )
            assert isinstance(c.value, tuple)
            values = tuple(_coerce(c.key, v, typ) for v in c.value)
            return Comparison(c.kind, c.key, c.op, values)
        allowed = {"=", "!=", "<", "<=", ">", ">="} if typ == "number" else {"=", "!=", "LIKE", "ILIKE"}
        if c.op not in allowed:
            raise InvalidFilter(
                f"Invalid comparator '{c.op}' for attribute '{c.key}'; "
                f"use one of {', '.join(sorted(allowed))}."
            )
        assert not isinstance(c.value, tuple)
        return Comparison(c.kind, c.key, c.op, _coerce(c.key, c.value, typ))

    def _check_other(self, c: Comparison) -> Comparison:
        if c.kind == "metric":
            if c.op not in {"=", "!=", "<", "<=", ">", ">="}:
                raise InvalidFilter(f"Invalid comparator '{c.op}' for metric '{c.key}'.")
            assert not isinstance(c.value, tuple)
            return Comparison(c.kind, c.key, c.op, _coerce(f"metrics.{c.key}", c.value, "number"))
        if c.op not in {"=", "!=", "LIKE", "ILIKE"}:
            raise InvalidFilter(
                f"Invalid comparator '{c.op}' for {c.kind} '{c.key}'; use =, !=, LIKE or ILIKE."
            )
        if not isinstance(c.value, str):
            raise InvalidFilter(f"Invalid value {c.value!r} for {c.kind} '{c.key}': must be a quoted string.")
        return c

    def order(self, clauses: list[str] | None) -> list[OrderKey]:
        """Parse order_by clauses like 'name ASC' or 'version_number DESC'."""
        keys: list[OrderKey] = []
        for clause in clauses or []:
            if not isinstance(clause, str) or not clause.strip():
                raise InvalidFilter(f"Invalid order_by clause {clause!r}.")
            parser = _Parser(clause)
            kind, key = parser.key()
            key = self.aliases.get(key, key) if kind == "attribute" else key
            ascending = True
            tok = parser.peek()
            if tok is not None:
                word = tok.text.upper()
                if tok.kind != "word" or word not in ("ASC", "DESC"):
                    raise InvalidFilter(
                        f"Invalid order_by clause {clause!r}: expected ASC or DESC after the key."
                    )
                ascending = word == "ASC"
                parser.take()
                if parser.peek() is not None:
                    raise InvalidFilter(f"Invalid order_by clause {clause!r}: trailing text.")
            if kind == "attribute":
                if key not in self.order_by:
                    valid = ", ".join(sorted(self.order_by))
                    raise InvalidFilter(f"Invalid order_by key '{key}'; valid keys are {valid}.")
            elif kind not in self.kinds:
                raise InvalidFilter(f"Invalid order_by clause {clause!r}: cannot order by {kind}s.")
            keys.append(OrderKey(kind, key, ascending))
        return keys


def _coerce(key: str, value: str | int | float, typ: str) -> str | int | float:
    if typ == "number":
        if isinstance(value, str):
            try:
                return float(value) if re.search(r"[.eE]", value) else int(value)
            except ValueError:
                raise InvalidFilter(f"Invalid value {value!r} for '{key}': expected a number.") from None
        return value
    if not isinstance(value, str):
        raise InvalidFilter(f"Invalid value {value!r} for '{key}': must be a quoted string.")
    return value


MODEL_FILTER = FilterRules(
    entity="registered model",
    attributes={"name": "string"},
    list_keys=frozenset({"name"}),
    order_by=frozenset({"name", "creation_timestamp", "last_updated_timestamp"}),
    aliases={"timestamp": "creation_timestamp"},
)

VERSION_FILTER = FilterRules(
    entity="model version",
    attributes={
        "name": "string",
        "version_number": "number",
        "run_id": "string",
        "source": "string",
    },
    list_keys=frozenset({"name", "run_id", "version_number"}),
    aliases={"source_path": "source", "version": "version_number", "timestamp": "creation_timestamp"},
    order_by=frozenset({"name", "version_number", "creation_timestamp", "last_updated_timestamp"}),
)
