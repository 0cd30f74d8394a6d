"""safe_path: which artifact paths are accepted (unchanged) and which are refused, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.domain.errors import InvalidParameter, InvalidPath
from registry.storage.paths import (
    RESERVED_PREFIX,
    is_safe_name,
    join_path,
    resolve_local,
    safe_path,
)

ACCEPTED = [
    "model.pkl",
    "MLmodel",
    "1/88bbaf2d/artifacts/scatter_plot.png",
    "1/models/m-2fa9bd6d/artifacts/model.skops",
    "dir with spaces/file name.txt",
    " leading and trailing spaces ",
    "données/modèle final.bin",
    "日本語/ファイル 1.txt",
    "emoji 🚀/rocket.bin",
    "Ωmega/naïve café.yaml",
    ".hidden",
    "...",
    "..foo",
    "foo..",
    "a.b.c",
    "a..b",
    "~/not-home",
    "ab:c",
    "name:with:colons",
    "100%",
    "50% off",
    "%41",  # an encoded letter is not dangerous; it stays literal
    "%20",
    "100%25",  # a literal '%' once encoded; decodes to '100%' which is harmless
    "%zz",
    "x" * 255,
    "/".join(["d"] * 200),
    "podium-partial",  # only the exact reserved prefix is reserved
    "a/.podium-partialX",
]

REFUSED = [
    # (path, words the message must contain)
    ("", "empty"),
    ("/etc/passwd", "absolute"),
    ("//server/share", "absolute"),
    ("C:\\Windows", "backslash"),
    ("C:/Windows", "Windows drive"),
    ("c:relative", "Windows drive"),
    ("a:b", "Windows drive"),
    ("..", "'..' segment"),
    ("../x", "'..' segment"),
    ("a/../../x", "'..' segment"),
    ("a/..", "'..' segment"),
    ("a/../b", "'..' segment"),
    (".", "'.' segment"),
    ("./x", "'.' segment"),
    ("a/./b", "'.' segment"),
    ("a//b", "empty segment"),
    ("a/", "empty segment"),
    ("a\\b", "backslash"),
    ("..\\x", "backslash"),
    ("a\x00b", "NUL"),
    ("\x00", "NUL"),
    ("a/b\x00.txt", "NUL"),
    ("line\nbreak", "control character"),
    ("tab\there", "control character"),
    ("bell\x07", "control character"),
    ("del\x7f", "control character"),
    ("c1\x85control", "control character"),
    ("line\u2028sep", "forbidden character"),
    ("para\u2029sep", "forbidden character"),
    ("lone\udc80surrogate", "forbidden character"),
    ("%2e%2e/x", "percent-encoded '.'"),
    ("%2E%2E/x", "percent-encoded '.'"),
    ("a%2fb", "percent-encoded '/'"),
    ("a%2Fb", "percent-encoded '/'"),
    ("a%5cb", "percent-encoded '\\'"),
    ("a%5Cb", "percent-encoded '\\'"),
    ("model%2ebin", "percent-encoded '.'"),
    ("a%00b", "percent-encoded control character"),
    ("a%0ab", "percent-encoded control character"),
    ("%252e%252e%252fx", "doubly percent-encoded '.'"),
    ("a%252fb", "doubly percent-encoded '/'"),
    ("a%255cb", "doubly percent-encoded '\\'"),
    ("a%25252fb", "multiply percent-encoded '/'"),
    ("%u002e%u002e/x", "percent-encoded character"),
    ("a%u002Fb", "percent-encoded character"),
    ("%c0%ae%c0%ae/x", "overlong"),
    ("\uff0e\uff0e/x", "normalises to '..'"),
    ("\uff0e", "normalises to '.'"),
    ("a\uff0fb", "normalises to"),
    ("a\uff3cb", "normalises to"),
    (f"{RESERVED_PREFIX}abc", "reserved"),
    (f"a/{RESERVED_PREFIX}x/b", "reserved"),
    ("x" * 256, "longer than 255 bytes"),
    ("é" * 128, "longer than 255 bytes"),
    ("/".join(["d" * 100] * 11), "longer than 1024 bytes"),
]


@pytest.mark.parametrize("raw", ACCEPTED)
def test_accepted_paths_are_returned_unchanged(raw: str) -> None:
    assert safe_path(raw) == raw


@pytest.mark.parametrize(("raw", "problem"), REFUSED)
def test_refused_paths_name_the_problem_and_the_path(raw: str, problem: str) -> None:
    with pytest.raises(InvalidPath) as caught:
        safe_path(raw)
    assert problem in caught.value.message
    assert repr(raw) in caught.value.message
    assert caught.value.field == "path"
    assert caught.value.code == "INVALID_PARAMETER_VALUE"


def test_invalid_path_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameter):
        safe_path("../x")


def test_root_only_when_allowed() -> None:
    assert safe_path("", allow_root=True) == ""
    with pytest.raises(InvalidPath):
        safe_path("")
    # allow_root relaxes nothing else.
    with pytest.raises(InvalidPath):
        safe_path("/", allow_root=True)
    with pytest.raises(InvalidPath):
        safe_path("..", allow_root=True)


@pytest.mark.parametrize("raw", [None, b"model.pkl", 42, Path("model.pkl")])
def test_non_strings_are_refused(raw: object) -> None:
    with pytest.raises(InvalidPath, match="not a string"):
        safe_path(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("model.pkl", True),
        ("with space", True),
        ("a/b", False),
        ("..", False),
        ("", False),
        ("a\\b", False),
        (f"{RESERVED_PREFIX}123", False),
    ],
)
def test_is_safe_name(name: str, safe: bool) -> None:
    assert is_safe_name(name) is safe


def test_join_path_skips_the_root() -> None:
    assert join_path("", "a/b") == "a/b"
    assert join_path("p/q", "") == "p/q"
    assert join_path("p", "a") == "p/a"


def test_resolve_local_maps_under_the_root(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    assert resolve_local(root, "a/b c.txt") == ("a/b c.txt", root / "a" / "b c.txt")
    assert resolve_local(root, "", allow_root=True) == ("", root)


def test_resolve_local_refuses_symlinks_that_escape(tmp_path: Path) -> None:
    root = (tmp_path / "root").resolve()
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    (root / "inside").symlink_to(root / "real")
    with pytest.raises(InvalidPath, match="outside the artifact store"):
        resolve_local(root, "escape/x")
    with pytest.raises(InvalidPath, match="outside the artifact store"):
        resolve_local(root, "escape")
    # A symlink that stays inside the root is fine, even before its target exists.
    assert resolve_local(root, "inside/x") == ("inside/x", root / "inside" / "x")
