"""Artifact path safety: the one place that decides whether a path from a client may be used.

Every `ArtifactStore` method passes its `path` argument through `safe_path` before touching storage,
so no caller (API adapter, service, CLI) can forget the check or bypass it. The local store also
calls `resolve_local`, which adds the only check that needs the file system: the real path, after
symlinks, must stay inside the store's root.

The rules are deliberately strict. A path is accepted only in its canonical form (relative, POSIX
separators, no empty, `.` or `..` segments), so the accepted text *is* the normalised path: two
different strings never name the same object, and nothing downstream has to normalise again.
Percent-escapes of separators, dots and control characters are refused even though Podium never
decodes paths itself: some proxy, client or tool along the way might, and a path that means one
thing to us and another to it is how traversals get through.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from registry.domain.errors import InvalidPath

#: Prefix of the names the local store gives to files it is still writing. Such names are refused
#: as client paths and hidden from listings, so a half-written upload can never be read or listed.
RESERVED_PREFIX = ".podium-partial-"

#: S3 keys are limited to 1024 bytes; holding every store to the same bound keeps them alike.
MAX_PATH_BYTES = 1024
#: The usual file-name limit of local file systems (ext4, APFS, NTFS), in bytes of UTF-8.
MAX_SEGMENT_BYTES = 255

_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNICODE_ESCAPE = re.compile(r"%[uU]([0-9A-Fa-f]{4})")  # IIS-style %u002e
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
# Characters that must never appear percent-encoded: separators, the dot (`..` traversal) and `%`
# itself, whose encoding (`%25`) is how doubly-encoded forms such as `%252e%252e` are built.
_ENCODED_NAMES = {"/": "'/'", "\\": "'\\'", ".": "'.'"}
# 0xC0 and 0xC1 only ever start overlong UTF-8 sequences (`%c0%ae` is a classic encoded '.').
_OVERLONG_LEAD_BYTES = {0xC0, 0xC1}
# Control characters (NUL included), unpaired surrogates (not encodable, so not storable) and the
# Unicode line/paragraph separators (they break headers such as Content-Disposition).
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}


def _refuse(raw: object, reason: str) -> InvalidPath:
    return InvalidPath(
        f"Invalid artifact path {raw!r}: {reason}",
        field="path",
        details={"path": repr(raw), "reason": reason},
    )


def _char_problem(char: str) -> str | None:
    code = ord(char)
    category = unicodedata.category(char)
    if category == "Cc":  # C0, DEL and C1
        name = "NUL" if code == 0 else f"U+{code:04X}"
        return f"contains a control character ({name})"
    if category in _FORBIDDEN_CATEGORIES:
        return f"contains a forbidden character (U+{code:04X})"
    return None


def _encoding_problem(raw: str) -> str | None:
    """Name the first dangerous percent-escape in `raw`, peeling `%25` layers one at a time."""
    text = raw
    depth = 0
    while True:
        layer = ("percent-encoded", "doubly percent-encoded", "multiply percent-encoded")[min(depth, 2)]
        for match in _UNICODE_ESCAPE.finditer(text):
            char = chr(int(match.group(1), 16))
            if char in _ENCODED_NAMES or char == "%" or _char_problem(char):
                return f"contains a {layer} character ({match.group(0)})"
        has_encoded_percent = False
        for match in _PERCENT_ESCAPE.finditer(text):
            byte = int(match.group(1), 16)
            char = chr(byte)
            if char == "%":
                has_encoded_percent = True
            elif char in _ENCODED_NAMES:
                return f"contains a {layer} {_ENCODED_NAMES[char]} ({match.group(0)})"
            elif byte < 0x20 or byte == 0x7F:
                return f"contains a {layer} control character ({match.group(0)})"
            elif byte in _OVERLONG_LEAD_BYTES:
                return f"contains an overlong UTF-8 percent-escape ({match.group(0)})"
        if not has_encoded_percent:
            return None
        # Decode exactly one layer of `%25` and look again: `%252e` becomes `%2e`, which is refused.
        text = re.sub(r"%25", "%", text)
        depth += 1


def _segment_problem(segment: str) -> str | None:
    if segment == "":
        return "contains an empty segment ('//' or a leading or trailing '/')"
    if segment == ".":
        return "contains a '.' segment"
    if segment == "..":
        return "contains a '..' segment"
    if segment.startswith(RESERVED_PREFIX):
        return f"uses the reserved name prefix {RESERVED_PREFIX!r}"
    # Some tools apply NFKC, which turns fullwidth dots (U+FF0E) into '.' and the fullwidth solidus
    # (U+FF0F) into '/'; refuse names that would become traversal or separators if they did.
    folded = unicodedata.normalize("NFKC", segment)
    if folded in {".", ".."} or "/" in folded or "\\" in folded:
        return f"contains a segment that normalises to {folded!r}"
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        return f"has a segment longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def safe_path(raw: str, *, allow_root: bool = False) -> str:
    """Return `raw` as a safe, normalised, relative POSIX path, or raise `InvalidPath`.

    Contract:
    - The result is relative to the store's root or prefix and can never name anything outside it.
      `""` is the root itself, accepted only when `allow_root` is true (listing and walking).
    - Accepted paths are returned unchanged: only canonical forms are accepted, so the result is
      already normalised. Unicode names and names with spaces are accepted as they are (no Unicode
      normalisation, so the bytes a client chose are the bytes stored).
    - Refused, with a message naming the path and the problem: non-strings; absolute paths
      (`/x`, `C:...`); backslashes; NUL, control characters, unpaired surrogates and line
      separators; `..`, `.` and empty segments (`a//b`, trailing `/`); percent-encoded separators,
      dots or control characters in any number of encoding layers (`%2f`, `%5c`, `%2e`, `%00`,
      `%252f`, `%u002e`); names reserved for the stores' own use; paths over 1024 bytes or with a
      segment over 255 bytes.
    """
    if not isinstance(raw, str):
        raise _refuse(raw, "is not a string")
    if raw == "":
        if allow_root:
            return ""
        raise _refuse(raw, "is empty (the store's root is not an artifact)")
    for char in raw:
        problem = _char_problem(char)
        if problem:
            raise _refuse(raw, problem)
    if "\\" in raw:
        raise _refuse(raw, "contains a backslash")
    if raw.startswith("/"):
        raise _refuse(raw, "is absolute")
    if _WINDOWS_DRIVE.match(raw):
        raise _refuse(raw, "starts with a Windows drive")
    encoded = _encoding_problem(raw)
    if encoded:
        raise _refuse(raw, encoded)
    if len(raw.encode("utf-8")) > MAX_PATH_BYTES:
        raise _refuse(raw, f"is longer than {MAX_PATH_BYTES} bytes")
    for segment in raw.split("/"):
        problem = _segment_problem(segment)
        if problem:
            raise _refuse(raw, problem)
    return raw


def is_safe_name(name: str) -> bool:
    """True if `name` is a single path segment `safe_path` accepts.

    Stores use it to leave out of listings what clients could not address anyway (entries made by
    other tools, such as a file named `a\\b` or an S3 key with `..` in it).
    """
    if "/" in name:
        return False
    try:
        safe_path(name)
    except InvalidPath:
        return False
    return True


def join_path(*parts: str) -> str:
    """Join already-safe relative paths, skipping empty ones (the root)."""
    return "/".join(part for part in parts if part)


def resolve_local(root: Path, raw: str, *, allow_root: bool = False) -> tuple[str, Path]:
    """Check `raw` with `safe_path`, then map it under the real directory `root`.

    Returns `(relative path, absolute path)`. The absolute path is the lexical one (`root/rel`), so
    deleting a symlink deletes the link, not its target; but the *real* path, with every symlink
    that exists so far resolved, must be inside `root`, or `InvalidPath` is raised. `root` must
    already be a real path (`os.path.realpath`).
    """
    rel = safe_path(raw, allow_root=allow_root)
    candidate = root.joinpath(*rel.split("/")) if rel else root
    if not is_inside(root, Path(os.path.realpath(candidate))):
        raise _refuse(raw, "resolves outside the artifact store (through a symlink)")
    return rel, candidate


def is_inside(root: Path, real: Path) -> bool:
    """True if the real path `real` is `root` or below it (both must be real, absolute paths)."""
    return real == root or real.is_relative_to(root)
