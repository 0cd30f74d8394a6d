"""Reading the checked-out repository's history, for apply (which runs on the default branch).

Apply reads every promotion file and the policy *at the commit being applied* with `git show`, not
from the working tree, and asks which commit last changed a file along the first-parent line of the
default branch: that is the merge (or squash) commit of the pull request that approved it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_REVISION = re.compile(r"^[0-9a-f]{7,40}$")


class GitError(Exception):
    pass


class GitRepository:
    def __init__(self, path: Path) -> None:
        self.path = path

    def commit(self, revision: str) -> str:
        """The full SHA of `revision` (a commit SHA, full or abbreviated); GitError if unknown."""
        if not _REVISION.match(revision):
            raise GitError(f"{revision!r} is not a commit SHA")
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()
        except GitError as exc:
            raise GitError(f"commit {revision} is not in the checkout at {self.path}") from exc

    def read(self, commit: str, path: str) -> str | None:
        """The file's text at `commit`, or None when it does not exist there."""
        listed = self._git("ls-tree", "--name-only", commit, "--", path).strip()
        if listed != path:
            return None
        return self._git("show", f"{commit}:{path}")

    def files(self, commit: str, directory: str) -> list[str]:
        """Paths of the files directly inside `directory` at `commit`."""
        out = self._git("ls-tree", "--name-only", commit, "--", directory.rstrip("/") + "/")
        return sorted(line for line in out.splitlines() if line)

    def last_change(self, commit: str, path: str) -> str | None:
        """The first-parent commit that last changed `path`, up to `commit`."""
        out = self._git("log", "-1", "--first-parent", "--format=%H", commit, "--", path).strip()
        return out or None

    def _git(self, *args: str) -> str:
        try:
            done = subprocess.run(  # noqa: S603  (fixed program, arguments are validated SHAs/paths)
                ["git", "-C", str(self.path), *args],  # noqa: S607
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"git {args[0]} failed: {exc}") from exc
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()[-1:] or ["no output"]
            raise GitError(f"git {args[0]} failed in {self.path}: {detail[0]}")
        return done.stdout
