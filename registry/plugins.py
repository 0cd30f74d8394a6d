"""Extension points that packages built on the registry fill, found through entry points.

DESIGN §3: `webhooks` depends on the registry, never the other way. Yet `podium server` runs the
webhook dispatcher and `podium` offers `podium worker`. So the registry names the points where a
package may plug in, and finds what fills them in the installed packages' entry points (declared in
pyproject.toml); it never names the package. A point with nothing installed is simply empty.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

# click commands added to `podium` (e.g. `podium worker`).
COMMANDS = "podium.commands"
# Callables (server, worker, settings) run in each gunicorn worker once it has loaded the app.
SERVER_WORKER_HOOKS = "podium.server_worker_hooks"


def load(group: str) -> list[Any]:
    """Everything installed for `group`, in the order of the entry points' names."""
    return [ep.load() for ep in sorted(entry_points(group=group), key=lambda ep: ep.name)]
