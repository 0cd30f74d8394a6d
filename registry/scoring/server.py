"""`podium serve`: gunicorn running the scoring app for one registered model.

The CLI resolves the URI and fetches the version once, before gunicorn starts, so every worker
serves the same pinned version. Each worker then loads it from the verified cache itself (loading
before the fork would share scikit-learn's thread pools across processes, which is not fork-safe),
and with `--follow` runs its own follower thread.

Workers are threaded (gthread) so that keep-alive connections from several clients are held
without one process per connection; TCP_NODELAY avoids the ~40 ms delayed-ACK stall on keep-alive
responses written in two pieces (see registry/server.py).
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from registry.deploy.connection import RegistryConnection
from registry.deploy.fetch import ResolvedVersion, ensure_cached
from registry.domain.model_uris import ModelReference
from registry.scoring.app import ModelSlot, ScoringApp
from registry.scoring.follow import Follower
from registry.scoring.loading import load_fetched


@dataclass(frozen=True)
class ServeOptions:
    registry_url: str
    token: str | None
    reference: ModelReference
    pinned: ResolvedVersion
    cache_root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    threads: int = 4
    follow: bool = False
    poll_interval: float = 10.0
    log_level: str = "info"
    timeout: int = 60


def _nodelay(server: Any) -> None:
    for listener in server.LISTENERS:
        sock = getattr(listener, "sock", None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class ScoringServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self._slot: ModelSlot | None = None
        self._follower: Follower | None = None
        super().__init__()

    def load_config(self) -> None:
        o = self.options
        host = f"[{o.host}]" if ":" in o.host else o.host
        settings: dict[str, Any] = {
            "bind": f"{host}:{o.port}",
            "workers": o.workers,
            "worker_class": "gthread",
            "threads": o.threads,
            "timeout": o.timeout,
            # In-flight requests get this long to finish when the server is stopped.
            "graceful_timeout": 30,
            "keepalive": 75,
            "loglevel": o.log_level,
            "errorlog": "-",
            "proc_name": f"podium-serve {o.reference}",
            "when_ready": _nodelay,
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
        }
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25 opens a control socket at one fixed path per user by default; several
            # scoring servers on a host would fight over it, and nothing here uses it.
            settings["control_socket_disable"] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def _connection(self) -> RegistryConnection:
        return RegistryConnection(self.options.registry_url, self.options.token)

    def load(self) -> Any:
        # Runs in each worker: verify the cached copy again, then load it.
        logging.basicConfig(
            level=self.options.log_level.upper(),
            format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
        )
        with self._connection() as connection:
            fetched = ensure_cached(connection, self.options.pinned, self.options.cache_root)
        self._slot = ModelSlot(load_fetched(fetched))
        return ScoringApp(self._slot)

    def _post_worker_init(self, worker: Any) -> None:
        if self.options.follow and self._slot is not None:
            self._follower = Follower(
                self._slot,
                self._connection(),
                self.options.reference,
                self.options.cache_root,
                self.options.poll_interval,
            )
            self._follower.start()

    def _worker_exit(self, server: Any, worker: Any) -> None:
        if self._follower is not None:
            self._follower.stop()


def run(options: ServeOptions) -> None:
    ScoringServer(options).run()
